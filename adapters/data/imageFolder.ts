import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { IMAGE_EXTENSIONS, decodeImage } from './decode.js';
import type { RgbaImage } from './decode.js';
import { resizeImage } from './resize.js';

/** Options for {@link loadImageFolder}. */
export interface ImageFolderOptions {
  /** Output size [height, width] every image is resized to. */
  size: readonly [number, number];
  /** 1 = greyscale by luminance, 3 = RGB. */
  channels: 1 | 3;
  /** On an unreadable image: `'skip'` records it in `skipped`, `'stop'` throws naming the file. */
  onError: 'skip' | 'stop';
}

/** A file that was left out, and why. */
export interface SkippedFile {
  readonly file: string;
  readonly reason: string;
}

/** Images of a folder as one NHWC batch. */
export interface ImageFolderData {
  /** count·h·w·channels values in [-1, 1], NHWC, in sorted file-name order. */
  readonly images: Float32Array;
  readonly count: number;
  readonly height: number;
  readonly width: number;
  readonly channels: 1 | 3;
  /** Full paths of the files loaded, in batch order. */
  readonly files: readonly string[];
  readonly skipped: readonly SkippedFile[];
}

/**
 * Loads every PNG/JPEG file directly inside `dir` (not recursive; other files are ignored),
 * resized to `size` (area averaging when shrinking, bilinear when enlarging).
 *
 * Alpha is ignored (the RGB values are used as stored). Greyscale uses Rec. 601 luminance
 * 0.299 R + 0.587 G + 0.114 B. Values v ∈ [0, 255] map to v/127.5 − 1.
 *
 * @throws Error when `dir` cannot be listed, holds no PNG/JPEG files, when no image could be
 *   read (skip mode), or, in stop mode, at the first unreadable file (named in the message).
 */
export async function loadImageFolder(dir: string, options: ImageFolderOptions): Promise<ImageFolderData> {
  const [height, width] = options.size;
  const { channels, onError } = options;
  if (!(Number.isInteger(height) && Number.isInteger(width) && height > 0 && width > 0)) {
    throw new Error(`loadImageFolder: size must be two positive integers, got [${height}, ${width}]`);
  }
  if (channels !== 1 && channels !== 3) throw new Error(`loadImageFolder: channels must be 1 or 3, got ${String(channels)}`);

  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    throw new Error(`loadImageFolder: cannot list ${dir}: ${(err as Error).message}`, { cause: err });
  }
  const candidates = entries.filter((f) => IMAGE_EXTENSIONS.includes(extname(f).toLowerCase())).sort();
  if (candidates.length === 0) {
    throw new Error(`loadImageFolder: no PNG/JPEG images in ${dir} (${entries.length} entries, extensions ${IMAGE_EXTENSIONS.join(' ')})`);
  }

  const per = height * width * channels;
  const loaded: Float32Array[] = [];
  const files: string[] = [];
  const skipped: SkippedFile[] = [];
  for (const name of candidates) {
    const file = join(dir, name);
    let img: RgbaImage;
    try {
      if (!(await stat(file)).isFile()) continue; // a folder named like an image
      img = decodeImage(await readFile(file));
      if (img.width === 0 || img.height === 0) throw new Error('image has zero size');
    } catch (err) {
      const reason = (err as Error).message;
      if (onError === 'stop') throw new Error(`loadImageFolder: cannot read image ${file}: ${reason}`, { cause: err });
      skipped.push({ file, reason });
      continue;
    }
    loaded.push(toChannels(img, channels, height, width));
    files.push(file);
  }
  if (loaded.length === 0) {
    const why = skipped.map((s) => `${s.file}: ${s.reason}`).join('; ');
    throw new Error(`loadImageFolder: no readable images in ${dir}${why ? ` (skipped ${why})` : ''}`);
  }
  const images = new Float32Array(loaded.length * per);
  loaded.forEach((im, i) => images.set(im, i * per));
  return { images, count: loaded.length, height, width, channels, files, skipped };
}

/** RGBA → 1 or 3 channels, resized, scaled to [-1, 1]. */
function toChannels(img: RgbaImage, channels: 1 | 3, h: number, w: number): Float32Array {
  const n = img.width * img.height;
  const src = new Float32Array(n * channels);
  for (let p = 0; p < n; p++) {
    const r = img.data[4 * p] ?? 0;
    const g = img.data[4 * p + 1] ?? 0;
    const b = img.data[4 * p + 2] ?? 0;
    if (channels === 1) {
      src[p] = 0.299 * r + 0.587 * g + 0.114 * b;
    } else {
      src[3 * p] = r;
      src[3 * p + 1] = g;
      src[3 * p + 2] = b;
    }
  }
  const out = resizeImage(src, img.height, img.width, channels, h, w);
  for (let i = 0; i < out.length; i++) out[i] = Math.min(1, Math.max(-1, (out[i] ?? 0) / 127.5 - 1));
  return out;
}
