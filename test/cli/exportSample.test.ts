import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeModel } from '../../adapters/onnx/proto.js';

// A run's folder is enough: train → export --checkpoint <run> → sample, through the built CLI
// (`npm test` builds before vitest; build with `npx tsc -p tsconfig.build.json` when running alone).
// Slow-ish (a few CLI processes each) but small: 12 MNIST iterations on 64 images, 2 generators.
const CLI = resolve('dist/cli/main.js');

function dmgan(args: string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000, cwd });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const metadata = (file: string): Map<string, string> => new Map(decodeModel(readFileSync(file)).metadataProps.map((p) => [p.key, p.value]));

/** The tiles of a grid written by `dmgan sample`: `cols` × `rows` tiles of `tile` pixels with a 1-pixel gap. */
function tileValues(png: PNG, tile: number, col: number, row: number): number[] {
  const values: number[] = [];
  for (let y = 0; y < tile; y++) {
    for (let x = 0; x < tile; x++) values.push(png.data[((1 + row * (tile + 1) + y) * png.width + 1 + col * (tile + 1) + x) * 4] as number);
  }
  return values;
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'dmgan-export-sample-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('train → export → sample from a run folder', () => {
  it('train mnist (no --checkpoint-every) → export → a PNG grid of 28×28 tiles, by generator, reproducible', { timeout: 300_000 }, () => {
    const train = dmgan(
      ['train', 'mnist', '--iterations', '12', '--train-limit', '64', '--generators', '2', '--batch-size', '8', '--eval-every', '1000', '--eval-samples', '20', '--test-samples', '20', '--backend', 'wasm', '--out', 'mnist'],
      tmp,
    );
    expect(train.status, train.stderr).toBe(0);
    // No periodic checkpoints: the final state alone.
    expect(readdirSync(join(tmp, 'mnist', 'checkpoints'))).toEqual(['final']);

    const exp = dmgan(['export', '--checkpoint', 'mnist', '--out', 'models/mnist.onnx'], tmp);
    expect(exp.status, exp.stderr).toBe(0);
    expect(exp.stdout).toMatch(/mode ids, .*2 generators, iteration 12\n/);
    expect(exp.stdout).toMatch(/\(dmgan train mnist\).*\[28, 28, 1\]/);
    const meta = metadata(join(tmp, 'models', 'mnist.onnx'));
    expect(meta.get('dmgan.trained_by')).toBe('dmgan train mnist');
    expect(meta.get('dmgan.command')).toMatch(/^dmgan train mnist --iterations 12 .*--out mnist$/);
    expect(JSON.parse(meta.get('dmgan.config') ?? '{}')).toMatchObject({ model: 'dmwgan-pl', generators: 2, seed: 0, trainLimit: 64 });
    expect(meta.get('dmgan.iteration')).toBe('12');

    const sample = dmgan(['sample', '--onnx', 'models/mnist.onnx', '--count', '9', '--out', 'grid.png', '--seed', '4'], tmp);
    expect(sample.status, sample.stderr).toBe(0);
    const png = PNG.sync.read(readFileSync(join(tmp, 'grid.png')));
    // 3 × 3 tiles of 28 × 28 with 1-pixel gaps.
    expect([png.width, png.height]).toEqual([3 * 29 + 1, 3 * 29 + 1]);
    for (let t = 0; t < 9; t++) {
      const tile = tileValues(png, 28, t % 3, Math.floor(t / 3));
      expect(new Set(tile).size, `tile ${t}`).toBeGreaterThan(1);
    }
    // The same seed writes the same file; another seed another one.
    expect(dmgan(['sample', '--onnx', 'models/mnist.onnx', '--count', '9', '--out', 'again.png', '--seed', '4'], tmp).status).toBe(0);
    expect(readFileSync(join(tmp, 'again.png')).equals(readFileSync(join(tmp, 'grid.png')))).toBe(true);
    expect(dmgan(['sample', '--onnx', 'models/mnist.onnx', '--count', '9', '--out', 'other.png', '--seed', '5'], tmp).status).toBe(0);
    expect(readFileSync(join(tmp, 'other.png')).equals(readFileSync(join(tmp, 'grid.png')))).toBe(false);

    // One row per generator: 2 rows of 4.
    const rows = dmgan(['sample', '--onnx', 'models/mnist.onnx', '--count', '4', '--by-generator', '--out', 'rows.png'], tmp);
    expect(rows.status, rows.stderr).toBe(0);
    expect(rows.stdout).toMatch(/wrote 8 samples of shape \[28, 28, 1\] .*\(generators 0:4 1:4\)/);
    const byRow = PNG.sync.read(readFileSync(join(tmp, 'rows.png')));
    expect([byRow.width, byRow.height]).toEqual([4 * 29 + 1, 2 * 29 + 1]);

    // One generator, as float32 .npy [count, 28, 28, 1].
    const one = dmgan(['sample', '--onnx', 'models/mnist.onnx', '--count', '3', '--generator', '1', '--out', 'g1.npy'], tmp);
    expect(one.status, one.stderr).toBe(0);
    expect(one.stdout).toMatch(/\(generators 1:3\)/);
    const npy = readFileSync(join(tmp, 'g1.npy'));
    const headerLength = npy.readUInt16LE(8);
    expect(npy.subarray(0, 8).equals(Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]))).toBe(true);
    expect(npy.subarray(10, 10 + headerLength).toString('latin1')).toMatch(/^\{'descr': '<f4', 'fortran_order': False, 'shape': \(3, 28, 28, 1\), \} *\n$/);
    expect((10 + headerLength) % 64).toBe(0);
    expect(npy.length).toBe(10 + headerLength + 3 * 28 * 28 * 4);
  });

  it('train lines (--iterations not a multiple of --checkpoint-every) → export of the final state → sample JSON', { timeout: 300_000 }, () => {
    const train = dmgan(['train', 'lines', '--iterations', '30', '--checkpoint-every', '20', '--eval-every', '30', '--generators', '3', '--backend', 'wasm', '--out', 'lines'], tmp);
    expect(train.status, train.stderr).toBe(0);
    // The periodic checkpoint at 20 rotates as before; the final state (30) is beside it.
    expect(readdirSync(join(tmp, 'lines', 'checkpoints')).sort()).toEqual(['final', 'latest', 'step-20']);

    const exp = dmgan(['export', '--checkpoint', 'lines', '--out', 'lines.onnx'], tmp);
    expect(exp.status, exp.stderr).toBe(0);
    expect(exp.stdout).toMatch(/mode ids, opset 13, stacked-mlp, 3 generators, iteration 30\n/);
    expect(metadata(join(tmp, 'lines.onnx')).get('dmgan.trained_by')).toBe('dmgan train lines');

    const sample = dmgan(['sample', '--onnx', 'lines.onnx', '--count', '6', '--out', 'points.json', '--seed', '1'], tmp);
    expect(sample.status, sample.stderr).toBe(0);
    const data = JSON.parse(readFileSync(join(tmp, 'points.json'), 'utf8')) as { ids: number[]; samples: number[][]; sampleShape: number[] };
    expect(data.sampleShape).toEqual([2]);
    expect(data.ids).toHaveLength(6);
    expect(data.samples.every((p) => p.length === 2 && p.every(Number.isFinite))).toBe(true);
    expect(dmgan(['sample', '--onnx', 'lines.onnx', '--count', '6', '--out', 'points2.json', '--seed', '1'], tmp).status).toBe(0);
    expect(readFileSync(join(tmp, 'points2.json'), 'utf8')).toBe(readFileSync(join(tmp, 'points.json'), 'utf8'));

    const one = dmgan(['sample', '--onnx', 'lines.onnx', '--count', '5', '--generator', '2', '--out', 'g2.json'], tmp);
    expect(one.status, one.stderr).toBe(0);
    expect((JSON.parse(readFileSync(join(tmp, 'g2.json'), 'utf8')) as { ids: number[] }).ids).toEqual([2, 2, 2, 2, 2]);
  });

  it('keeps the rotation: --keep-checkpoints 2 keeps two step-* dirs, and the final state is not one of them', { timeout: 120_000 }, () => {
    const train = dmgan(['train', 'lines', '--iterations', '25', '--checkpoint-every', '5', '--keep-checkpoints', '2', '--eval-every', '25', '--generators', '2', '--backend', 'wasm', '--out', 'rot'], tmp);
    expect(train.status, train.stderr).toBe(0);
    expect(readdirSync(join(tmp, 'rot', 'checkpoints')).sort()).toEqual(['final', 'latest', 'step-20', 'step-25']);
  });

  it('train images → export → sample a PNG grid of the folder\'s size', { timeout: 300_000 }, () => {
    const data = join(tmp, 'pngs');
    mkdirSync(data);
    for (let i = 0; i < 6; i++) {
      const png = new PNG({ width: 8, height: 8 });
      for (let p = 0; p < 64; p++) {
        const v = Math.min(255, 30 * i + 4 * ((p % 8) + Math.floor(p / 8)));
        png.data.set([v, v, v, 255], 4 * p);
      }
      writeFileSync(join(data, `img${i}.png`), PNG.sync.write(png));
    }
    const train = dmgan(['train', 'images', '--data', 'pngs', '--size', '8', '--iterations', '5', '--generators', '2', '--batch-size', '4', '--eval-every', '1000', '--eval-samples', '20', '--backend', 'wasm', '--out', 'imgs'], tmp);
    expect(train.status, train.stderr).toBe(0);
    const exp = dmgan(['export', '--checkpoint', 'imgs', '--out', 'imgs.onnx', '--mode', 'prior'], tmp);
    expect(exp.status, exp.stderr).toBe(0);
    expect(exp.stdout).toMatch(/\(dmgan train images\).*\[8, 8, 1\]/);
    const sample = dmgan(['sample', '--onnx', 'imgs.onnx', '--count', '4', '--out', 'imgs.png'], tmp);
    expect(sample.status, sample.stderr).toBe(0);
    const png = PNG.sync.read(readFileSync(join(tmp, 'imgs.png')));
    expect([png.width, png.height]).toEqual([2 * 9 + 1, 2 * 9 + 1]);
    expect(existsSync(join(tmp, 'imgs', 'checkpoints', 'final', 'manifest.json'))).toBe(true);
  });
});
