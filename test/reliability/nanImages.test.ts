import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRunControl } from '../../cli/runControl.js';
import { loadNewestCheckpoint, saveRotatingCheckpoint } from '../../plugins/checkpoint/index.js';
import { NumericalFaultError } from '../../plugins/faults/index.js';
import { activateBackend } from '../../src/engine/index.js';
import { runImageExperiment, type ImageLoopState, type ImageRunConfig } from '../../src/experiments/mnist/run.js';
import { dmgan, poisonCheckpointWeights, snapshot } from './helpers.js';

// The image models on the wasm backend (the pure-JS cpu backend takes seconds per conv step).
let tmp: string;
beforeAll(async () => {
  await activateBackend('wasm');
  tmp = mkdtempSync(join(tmpdir(), 'dmgan-nan-images-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const CONFIG: ImageRunConfig = { model: 'dmwgan-pl', iterations: 8, generators: 2, seed: 4, evalEvery: 1000, evalSamples: 8, gridSamples: 1, batchSize: 4, checkpointEvery: 2 };
const DATA = { images: new Float32Array(16 * 64).map((_, i) => ((i * 7919) % 255) / 127.5 - 1), count: 16, shape: { height: 8, width: 8, channels: 1 } };

function poison(variable: tf.Variable): void {
  const data = Float32Array.from(variable.dataSync() as Float32Array);
  data[0] = NaN;
  variable.assign(tf.tensor(data, variable.shape, 'float32'));
}

describe('numerical faults in the image loop (train mnist / train images)', () => {
  it('a NaN put into a critic weight after the checkpoint at 4 stops the run at 5, named, with the checkpoints untouched', async () => {
    const dir = join(tmp, 'stop');
    let before: Record<string, string> = {};
    const error = await runImageExperiment<null>(CONFIG, DATA, {
      onCheckpoint: async (core, loop) => {
        await saveRotatingCheckpoint(dir, core, { loop });
        if (core.iteration === 4) {
          before = snapshot(dir);
          poison(core.critic.trainableVariables[0] as tf.Variable);
        }
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NumericalFaultError);
    expect((error as Error).message).toMatch(/^numerical fault at iteration 5 \(discriminator step\): weight of '.+' is NaN in parameter group 'discriminator'/);
    expect(snapshot(dir)).toEqual(before);
    const newest = await loadNewestCheckpoint(dir);
    expect(newest.checkpoint.manifest.counters.iteration).toBe(4);
    expect(newest.skipped).toEqual([]);
  });

  it("--on-fault rollback (the CLI's run control): restores the last checkpoint, halves the learning rates, finishes", async () => {
    const out = join(tmp, 'rollback');
    const lines: string[] = [];
    const control = createRunControl<ImageLoopState<null>>({ command: 'train images', out, config: {}, keepCheckpoints: 3, onFault: 'rollback', resumeFrom: null, log: (l) => lines.push(l) });
    let poisoned = false;
    try {
      const result = await runImageExperiment<null>(CONFIG, DATA, {
        ...control.hooks,
        onCheckpoint: async (core, loop) => {
          await control.hooks.onCheckpoint(core, loop);
          if (core.iteration === 4 && !poisoned) {
            poisoned = true;
            poison(core.critic.trainableVariables[0] as tf.Variable);
          }
        },
      });
      expect(result.iterations).toBe(8);
      expect(result.aborted).toBe(false);
    } finally {
      control.dispose();
    }
    expect(lines.join('\n')).toMatch(/numerical fault at iteration 5 [^\n]*\ndmgan: rolled back to .*step-4; learning rates ×0\.5 \(rollback 1 of 3\)$/);
    // Later checkpoints record the lowered rates, so a resume keeps them.
    const newest = await loadNewestCheckpoint(out);
    expect(newest.checkpoint.manifest.counters.iteration).toBe(8);
    expect(newest.checkpoint.manifest.extra).toMatchObject({ command: 'train images', learningRateScale: 0.5 });
  });

  it('CLI: train mnist resuming a checkpoint with a NaN weight stops with the message, exit 3, and leaves the checkpoint untouched', () => {
    const out = join(tmp, 'cli');
    const args = ['train', 'mnist', '--backend', 'wasm', '--generators', '2', '--train-limit', '64', '--batch-size', '8', '--eval-every', '1000', '--eval-samples', '20', '--test-samples', '20', '--checkpoint-every', '4'];
    expect(dmgan([...args, '--iterations', '4', '--out', out]).status).toBe(0);
    poisonCheckpointWeights(join(out, 'checkpoints', 'step-4'));
    const before = snapshot(join(out, 'checkpoints'));
    const r = dmgan([...args, '--iterations', '10', '--resume', out]);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/dmgan: numerical fault at iteration 5 \(discriminator step\): weight of 'g0\/dense.*' is NaN in parameter group 'generator'/);
    expect(r.stderr).toMatch(/training stopped; the newest checkpoint, .*step-4, is untouched/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(snapshot(join(out, 'checkpoints'))).toEqual(before);
  });
});
