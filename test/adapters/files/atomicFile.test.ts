import { mkdtemp, readFile, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic, writeJsonAtomic } from '../../../adapters/files/atomicFile.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dmgan-atomic-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('writes the file and leaves no temporary file behind', async () => {
    const path = join(dir, 'out.txt');
    await writeFileAtomic(path, 'hello');
    expect(await readFile(path, 'utf8')).toBe('hello');
    expect(await readdir(dir)).toEqual(['out.txt']);
  });

  it('replaces an existing file; accepts bytes and chunk iterables', async () => {
    const path = join(dir, 'out.bin');
    await writeFile(path, 'old');
    await writeFileAtomic(path, new Uint8Array([104, 105]));
    expect(await readFile(path, 'utf8')).toBe('hi');
    await writeFileAtomic(path, ['a', new Uint8Array([98]), 'c']);
    expect(await readFile(path, 'utf8')).toBe('abc');
    async function* chunks(): AsyncGenerator<string> {
      yield 'x';
      yield 'y';
    }
    await writeFileAtomic(path, chunks());
    expect(await readFile(path, 'utf8')).toBe('xy');
    expect(await readdir(dir)).toEqual(['out.bin']);
  });

  it('keeps the old file intact and removes the temporary file when producing the data throws', async () => {
    const path = join(dir, 'keep.txt');
    await writeFile(path, 'old content');
    function* failing(): Generator<string> {
      yield 'partial new content';
      throw new Error('boom');
    }
    await expect(writeFileAtomic(path, failing())).rejects.toThrow('boom');
    expect(await readFile(path, 'utf8')).toBe('old content');
    expect(await readdir(dir)).toEqual(['keep.txt']);
  });

  it('keeps the target intact and cleans up when the final rename fails (target is a directory)', async () => {
    const path = join(dir, 'taken');
    await mkdir(path);
    await writeFile(join(path, 'inside.txt'), 'x');
    // The rename's error (a directory cannot be replaced by a file), naming the target.
    await expect(writeFileAtomic(path, 'data')).rejects.toMatchObject({ code: 'EISDIR', message: `EISDIR: illegal operation on a directory, writing '${path}'` });
    expect(await readdir(dir)).toEqual(['taken']);
    expect(await readFile(join(path, 'inside.txt'), 'utf8')).toBe('x');
  });

  it('fails without creating anything when the directory is missing', async () => {
    const path = join(dir, 'missing', 'out.txt');
    // Named by the target, not the temporary file it was writing first.
    await expect(writeFileAtomic(path, 'data')).rejects.toMatchObject({ code: 'ENOENT', syscall: 'open', message: `ENOENT: no such file or directory, writing '${path}'` });
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('writeJsonAtomic', () => {
  it('writes pretty JSON with a trailing newline', async () => {
    const path = join(dir, 'm.json');
    await writeJsonAtomic(path, { a: 1, b: [0.5, null] });
    const text = await readFile(path, 'utf8');
    expect(text.endsWith('}\n')).toBe(true);
    expect(JSON.parse(text)).toEqual({ a: 1, b: [0.5, null] });
  });

  it('leaves the old file untouched when the value cannot be serialised', async () => {
    const path = join(dir, 'm.json');
    await writeFile(path, '{"old":true}');
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    await expect(writeJsonAtomic(path, cyclic)).rejects.toThrow(TypeError);
    await expect(writeJsonAtomic(path, undefined)).rejects.toThrow(TypeError);
    expect(await readFile(path, 'utf8')).toBe('{"old":true}');
    expect(await readdir(dir)).toEqual(['m.json']);
  });
});
