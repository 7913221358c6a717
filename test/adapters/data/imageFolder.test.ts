import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadImageFolder } from '../../../adapters/data/imageFolder.js';

/** A w×h PNG whose pixel (x, y) has colour `f(x, y)` = [r, g, b]. */
function png(w: number, h: number, f: (x: number, y: number) => [number, number, number]): Buffer {
  const img = new PNG({ width: w, height: h });
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [r, g, b] = f(x, y);
      img.data.set([r, g, b, 255], 4 * (y * w + x));
    }
  }
  return PNG.sync.write(img);
}

function solidJpeg(w: number, h: number, rgb: [number, number, number]): Buffer {
  const data = Buffer.alloc(w * h * 4);
  for (let p = 0; p < w * h; p++) data.set([...rgb, 255], 4 * p);
  return jpeg.encode({ width: w, height: h, data }, 100).data;
}

describe('loadImageFolder', () => {
  let root: string;
  let good: string;
  let broken: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'dmgan-images-'));
    good = join(root, 'good');
    broken = join(root, 'broken');
    await mkdir(good);
    await mkdir(broken);
    // a: 4×4 white left half / black right half; b: solid red; c: solid grey JPEG (upper-case ext).
    await writeFile(join(good, 'a.png'), png(4, 4, (x) => (x < 2 ? [255, 255, 255] : [0, 0, 0])));
    await writeFile(join(good, 'b.png'), png(2, 2, () => [255, 0, 0]));
    await writeFile(join(good, 'c.JPG'), solidJpeg(8, 8, [128, 128, 128]));
    await writeFile(join(good, 'notes.txt'), 'not an image');
    await writeFile(join(broken, 'ok.png'), png(2, 2, () => [0, 0, 0]));
    await writeFile(join(broken, 'zz-bad.png'), Buffer.from('this is not a png'));
    await writeFile(join(broken, 'cut.png'), png(8, 8, () => [9, 9, 9]).subarray(0, 40));
  });
  afterAll(async () => rm(root, { recursive: true, force: true }));

  it('loads PNG and JPEG files in name order as greyscale NHWC in [-1, 1], ignoring other files', async () => {
    const d = await loadImageFolder(good, { size: [2, 2], channels: 1, onError: 'stop' });
    expect(d.count).toBe(3);
    expect(d.files.map((f) => basename(f))).toEqual(['a.png', 'b.png', 'c.JPG']);
    expect(d.images.length).toBe(3 * 2 * 2);
    expect(d.skipped).toEqual([]);
    // a: area-averaged 4→2 keeps the white/black halves exactly.
    expect(Array.from(d.images.subarray(0, 4))).toEqual([1, -1, 1, -1]);
    // b: red → luminance 0.299·255.
    expect(d.images[4]).toBeCloseTo((0.299 * 255) / 127.5 - 1, 5);
    // c: mid-grey JPEG (lossy: ±2 levels).
    expect(Math.abs(d.images[8]! - (128 / 127.5 - 1))).toBeLessThan(2 / 127.5);
  });

  it('keeps RGB with channels: 3 and enlarges small images', async () => {
    const d = await loadImageFolder(good, { size: [5, 3], channels: 3, onError: 'stop' });
    expect([d.count, d.height, d.width, d.channels]).toEqual([3, 5, 3, 3]);
    expect(d.images.length).toBe(3 * 5 * 3 * 3);
    const red = d.images.subarray(5 * 3 * 3, 5 * 3 * 3 + 3);
    expect(Array.from(red)).toEqual([1, -1, -1]);
    for (const v of d.images) expect(Math.abs(v)).toBeLessThanOrEqual(1);
  });

  it('skip mode leaves unreadable files out and says why', async () => {
    const d = await loadImageFolder(broken, { size: [2, 2], channels: 1, onError: 'skip' });
    expect(d.count).toBe(1);
    expect(d.skipped.map((s) => basename(s.file))).toEqual(['cut.png', 'zz-bad.png']);
    expect(d.skipped[1]!.reason).toMatch(/not a PNG or JPEG/);
  });

  it('stop mode throws at the first unreadable file, naming it', async () => {
    await expect(loadImageFolder(broken, { size: [2, 2], channels: 1, onError: 'stop' })).rejects.toThrow(
      /cannot read image .*cut\.png/,
    );
  });

  it('throws for an empty folder, a folder with no images and a missing folder', async () => {
    const empty = join(root, 'empty');
    await mkdir(empty);
    await expect(loadImageFolder(empty, { size: [2, 2], channels: 1, onError: 'skip' })).rejects.toThrow(
      /no PNG\/JPEG images in .*empty/,
    );
    await expect(loadImageFolder(join(root, 'nope'), { size: [2, 2], channels: 1, onError: 'skip' })).rejects.toThrow(
      /cannot list .*nope/,
    );
  });

  it('throws when every image is unreadable, even in skip mode', async () => {
    const allBad = join(root, 'all-bad');
    await mkdir(allBad);
    await writeFile(join(allBad, 'x.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0, 1, 2]));
    await expect(loadImageFolder(allBad, { size: [2, 2], channels: 1, onError: 'skip' })).rejects.toThrow(
      /no readable images in .*x\.jpg/,
    );
  });

  it('rejects a bad size', async () => {
    await expect(loadImageFolder(good, { size: [0, 2], channels: 1, onError: 'stop' })).rejects.toThrow(/size/);
  });
});
