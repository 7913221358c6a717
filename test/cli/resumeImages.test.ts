import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { exportCommand } from '../../cli/export.js';
import { UsageError } from '../../cli/options.js';
import { trainImagesCommand } from '../../cli/trainImages.js';
import { trainMnistCommand } from '../../cli/trainMnist.js';
import { loadNewestCheckpoint } from '../../plugins/checkpoint/index.js';
import type { CheckpointManifest } from '../../plugins/checkpoint/index.js';
import { activateBackend } from '../../src/engine/index.js';
import type { ImageLoopState } from '../../src/experiments/mnist/run.js';

// Tiny budgets: 64 MNIST images, batch 8 (an epoch is 8 iterations, so a checkpoint at 6 is mid-epoch), 2 generators.
const MNIST = { model: 'dmwgan-pl', generators: '2', seed: '1', evalEvery: '4', evalSamples: '20', batchSize: '8', backend: 'wasm', trainLimit: '64', testSamples: '20', classifierWait: '0' };

let dir: string;
beforeAll(async () => {
  await activateBackend('wasm');
  dir = await mkdtemp(join(tmpdir(), 'dmgan-resume-images-'));
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterAll(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

/** Every evaluation of `metrics.jsonl`, without the wall-clock field. */
async function history(out: string): Promise<Array<Record<string, unknown>>> {
  const text = await readFile(join(out, 'metrics.jsonl'), 'utf8');
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const { elapsed_s: _elapsed, ...rest } = JSON.parse(line) as Record<string, unknown>;
      return rest;
    });
}

/** `metrics.json` without timing and the command line (which differ between any two runs). */
async function finalMetrics(out: string): Promise<Record<string, unknown>> {
  const m = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8')) as Record<string, unknown>;
  for (const k of ['ms_per_iteration', 'cpu_ms_per_iteration', 'command']) delete m[k];
  return m;
}

/** The content hashes of a checkpoint's weights (batch-norm statistics included) and optimiser moments. */
async function hashes(checkpointDir: string): Promise<string[]> {
  const m = JSON.parse(await readFile(join(checkpointDir, 'manifest.json'), 'utf8')) as CheckpointManifest;
  return [m.files.weights.sha256, m.files.optimizers.sha256];
}

describe('dmgan train mnist --checkpoint-every / --resume', () => {
  it('continues a stopped run exactly as an uninterrupted one (same evaluations, final metrics, weights and optimiser state)', async () => {
    const whole = join(dir, 'whole');
    const split = join(dir, 'split');
    expect(await trainMnistCommand({ ...MNIST, iterations: '12', checkpointEvery: '6', out: whole }, 'test')).toBe(0);
    expect(await trainMnistCommand({ ...MNIST, iterations: '6', checkpointEvery: '6', out: split }, 'test')).toBe(0);
    // The stopped run's checkpoint is mid-epoch: the data order and position travel with it.
    const { checkpoint } = await loadNewestCheckpoint(split);
    const loop = (checkpoint.manifest.extra as { loop: ImageLoopState<unknown> }).loop;
    expect(loop.iteration).toBe(6);
    expect(loop.order).toHaveLength(64);
    expect(loop.cursor).toBe(48);
    expect(loop.history.map((h) => h.iteration)).toEqual([4]);
    // Batch-norm moving statistics of every generator are in the engine checkpoint.
    expect(checkpoint.manifest.variables.map((v) => v.name).filter((n) => /^g\d+\/bn\d\/moving_(mean|variance)/.test(n))).toHaveLength(2 * 2 * 2);

    expect(await trainMnistCommand({ ...MNIST, iterations: '12', checkpointEvery: '6', resume: split }, 'test')).toBe(0);
    const wholeHistory = await history(whole);
    expect(wholeHistory.map((h) => h.iteration)).toEqual([4, 8, 12]);
    expect(await history(split)).toEqual(wholeHistory);
    // Numbers of the final evaluation: the prior and every metric, per generator too.
    const final = await finalMetrics(whole);
    expect(typeof final['fid']).toBe('number');
    expect(await finalMetrics(split)).toEqual(final);
    expect(await hashes(join(split, 'checkpoints', 'step-12'))).toEqual(await hashes(join(whole, 'checkpoints', 'step-12')));
  });

  it('refuses a checkpoint of a run with other options (naming them) or of another command', async () => {
    const split = join(dir, 'split');
    await expect(trainMnistCommand({ ...MNIST, iterations: '20', model: 'dmwgan', resume: split }, 'test')).rejects.toThrow(
      /^--resume .*split: options differ from the checkpointed run: --model was dmwgan-pl, now dmwgan$/,
    );
    await expect(trainMnistCommand({ ...MNIST, iterations: '20', seed: '2', trainLimit: '32', resume: split }, 'test')).rejects.toThrow(
      /options differ from the checkpointed run: --seed was 1, now 2; --train-limit was 64, now 32$/,
    );
    await expect(trainImagesCommand({ ...MNIST, iterations: '20', data: dir, size: '8', channels: '1', onError: 'skip', resume: split }, 'test')).rejects.toThrow(
      /the checkpoint was not written by 'dmgan train images' \(it is a 'dmgan train mnist' checkpoint\)$/,
    );
    // `dmgan export` rebuilds the MNIST model from what the checkpoint records (the run's newest state, its final one).
    expect(await exportCommand({ checkpoint: split, out: join(dir, 'x.onnx'), mode: 'ids' })).toBe(0);
  });
});

describe('dmgan train images --checkpoint-every / --resume', () => {
  let data: string;
  const IMAGES = { model: 'dmwgan-pl', generators: '2', seed: '3', evalEvery: '3', evalSamples: '20', batchSize: '4', backend: 'wasm', size: '8', channels: '1', onError: 'skip' };
  beforeAll(async () => {
    data = join(dir, 'pngs');
    await mkdir(data);
    // Ten 10×10 greyscale PNGs: a diagonal ramp at ten brightnesses.
    for (let i = 0; i < 10; i++) {
      const png = new PNG({ width: 10, height: 10 });
      for (let p = 0; p < 100; p++) {
        const v = Math.min(255, 20 * i + 6 * ((p % 10) + Math.floor(p / 10)));
        png.data.set([v, v, v, 255], 4 * p);
      }
      await writeFile(join(data, `img${i}.png`), PNG.sync.write(png));
    }
  });

  it('continues a run from its checkpoint exactly, and refuses a folder that changed', async () => {
    const whole = join(dir, 'images-whole');
    const split = join(dir, 'images-split');
    expect(await trainImagesCommand({ ...IMAGES, iterations: '9', checkpointEvery: '4', data, out: whole }, 'test')).toBe(0);
    expect(await trainImagesCommand({ ...IMAGES, iterations: '5', checkpointEvery: '4', data, out: split }, 'test')).toBe(0);
    // Resumes from step-4 (the run ended at 5 without a checkpoint there): 4 batches of 4 from an epoch of 10.
    const { dir: from, checkpoint } = await loadNewestCheckpoint(split);
    expect(from).toBe(join(split, 'checkpoints', 'step-4'));
    expect((checkpoint.manifest.extra as { loop: ImageLoopState<null> }).loop.cursor).toBe(6);
    expect(await trainImagesCommand({ ...IMAGES, iterations: '9', checkpointEvery: '4', data, resume: split }, 'test')).toBe(0);
    expect(await history(split)).toEqual(await history(whole));
    expect((await history(whole)).map((h) => h.iteration)).toEqual([3, 6, 9]);
    const final = await finalMetrics(whole);
    expect(await finalMetrics(split)).toEqual(final);
    expect(await hashes(join(split, 'checkpoints', 'step-8'))).toEqual(await hashes(join(whole, 'checkpoints', 'step-8')));

    await expect(trainImagesCommand({ ...IMAGES, iterations: '12', size: '12', data, resume: split }, 'test')).rejects.toThrow(/options differ from the checkpointed run: --size was 8, now 12$/);
    await writeFile(join(data, 'extra.png'), PNG.sync.write(new PNG({ width: 10, height: 10 })));
    const changed = trainImagesCommand({ ...IMAGES, iterations: '12', data, resume: split }, 'test');
    await expect(changed).rejects.toThrow(UsageError);
    await expect(changed).rejects.toThrow(/the checkpointed run trained on 10 images, --data .*pngs gives 11 now$/);
  });
});
