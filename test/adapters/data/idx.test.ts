import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseIdx, readIdxFile } from '../../../adapters/data/idx.js';

/** Builds an IDX ubyte file: header for `dims`, then `data` (defaults to the right size). */
function idx(dims: number[], data?: number[], magicOverride?: number): Uint8Array {
  const header = new DataView(new ArrayBuffer(4 + 4 * dims.length));
  header.setUint32(0, magicOverride ?? 0x0800 + dims.length);
  dims.forEach((d, i) => header.setUint32(4 + 4 * i, d));
  const body = data ?? Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => i % 256);
  return new Uint8Array([...new Uint8Array(header.buffer), ...body]);
}

describe('parseIdx', () => {
  it('reads dims and bytes of a well-formed file (magic 2051 = 3-D ubyte)', () => {
    const parsed = parseIdx(idx([2, 2, 3]), 'x', 2051);
    expect(parsed.dims).toEqual([2, 2, 3]);
    expect(Array.from(parsed.data)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('rejects a wrong magic number, naming the file and both numbers', () => {
    expect(() => parseIdx(idx([3], [1, 2, 3]), 'labels.idx', 2051)).toThrow(
      /labels\.idx: magic number 2049 .* expected 2051/,
    );
  });

  it('rejects a truncated body, saying how many bytes were needed', () => {
    const full = idx([2, 28, 28]);
    expect(() => parseIdx(full.subarray(0, full.length - 10), 'imgs', 2051)).toThrow(
      /imgs: truncated: dimensions \[2, 28, 28\] need 1584 bytes, file has 1574/,
    );
  });

  it('rejects a truncated header and trailing bytes', () => {
    expect(() => parseIdx(idx([5, 5]).subarray(0, 6), 'h')).toThrow(/h: truncated header/);
    expect(() => parseIdx(new Uint8Array([...idx([2], [1, 2]), 0]), 't')).toThrow(/t: has trailing bytes/);
    expect(() => parseIdx(new Uint8Array([0, 0]), 's')).toThrow(/s: 2 bytes is too short/);
  });

  it('rejects element types other than unsigned byte', () => {
    expect(() => parseIdx(idx([1], [0], 0x0d01), 'f')).toThrow(/f: element type 0xd is not supported/);
  });
});

describe('readIdxFile', () => {
  const dirP = mkdtemp(join(tmpdir(), 'dmgan-idx-'));
  afterAll(async () => rm(await dirP, { recursive: true, force: true }));

  it('reads from disk and names a missing file', async () => {
    const dir = await dirP;
    const file = join(dir, 'ok-idx1-ubyte');
    await writeFile(file, idx([3], [7, 2, 1]));
    expect(Array.from((await readIdxFile(file, 2049)).data)).toEqual([7, 2, 1]);
    await expect(readIdxFile(join(dir, 'missing'))).rejects.toThrow(/missing: cannot read/);
  });
});
