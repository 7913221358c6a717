import { readFileSync, writeFileSync, mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNewestCheckpoint, restoreCheckpoint, saveRotatingCheckpoint } from '../../plugins/checkpoint/index.js';
import type { CheckpointManifest } from '../../plugins/checkpoint/index.js';
import { checkFiniteLosses, NumericalFaultError } from '../../plugins/faults/index.js';
import type { DmganCore } from '../../plugins/dmgan/dmganCore.js';
import { activateBackend } from '../../src/engine/index.js';
import { runLinesExperiment, type LinesLoopState, type LinesRunConfig } from '../../src/experiments/lines/run.js';
import { dmgan, snapshot } from './helpers.js';

let tmp: string;
beforeAll(async () => {
  await activateBackend('cpu');
  tmp = mkdtempSync(join(tmpdir(), 'dmgan-nan-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const CONFIG: LinesRunConfig = { dataset: 'balanced', model: 'dmwgan-pl', generators: 4, seed: 3, iterations: 60, evalEvery: 100_000, evalSamples: 100, checkpointEvery: 10 };

// Sets one value of a variable to `value`.
function poison(variable: tf.Variable, value = NaN): void {
  const data = Float32Array.from(variable.dataSync() as Float32Array);
  data[0] = value;
  variable.assign(tf.tensor(data, variable.shape, 'float32'));
}

async function runPoisoned(dir: string, pick: (core: DmganCore) => tf.Variable, onFault?: (e: NumericalFaultError, core: DmganCore) => Promise<LinesLoopState | null>) {
  let before: Record<string, string> = {};
  let injected = false;
  const run = runLinesExperiment(CONFIG, {
    onCheckpoint: async (core, loop) => {
      await saveRotatingCheckpoint(dir, core, { loop });
      if (core.iteration === 20 && !injected) {
        before = snapshot(dir);
        injected = true;
        poison(pick(core));
      }
    },
    ...(onFault ? { onFault } : {}),
  });
  return { run, before: () => before };
}

describe('numerical faults', () => {
  it('a NaN put into a discriminator weight is caught at the next step, named, and the previous checkpoint stays intact', async () => {
    const dir = join(tmp, 'd');
    const { run, before } = await runPoisoned(dir, (core) => core.critic.trainableVariables[0] as tf.Variable);
    const error = (await run.catch((e: unknown) => e)) as NumericalFaultError;
    expect(error).toBeInstanceOf(NumericalFaultError);
    expect(error.message).toMatch(/^numerical fault at iteration 21 \(discriminator step\): weight of '.+' is NaN in parameter group 'discriminator'/);
    expect(error.message).toMatch(/losses: discriminator = NaN/);
    expect(error.details).toMatchObject({ iteration: 21, group: 'discriminator', kind: 'weight' });
    // Untouched: same files, same sizes and times; and it loads.
    expect(snapshot(dir)).toEqual(before());
    const newest = await loadNewestCheckpoint(dir);
    expect(newest.checkpoint.manifest.counters.iteration).toBe(20);
    expect(newest.skipped).toEqual([]);
  });

  it('a NaN in a generator weight names the generator group (surfacing as the critic gradient)', async () => {
    const dir = join(tmp, 'g');
    const { run } = await runPoisoned(dir, (core) => core.ensemble.trainableVariables[0] as tf.Variable);
    const error = (await run.catch((e: unknown) => e)) as NumericalFaultError;
    expect(error.message).toMatch(/^numerical fault at iteration 21 \(discriminator step\): weight of '.+' is NaN in parameter group 'generator' \(surfaced as the gradient of/);
  });

  it('an Infinity is caught as well', async () => {
    const poisonedInf = await runLinesExperiment(CONFIG, {
      onCheckpoint: async (core) => {
        if (core.iteration === 30) poison(core.critic.trainableVariables[2] as tf.Variable, Infinity);
      },
    }).catch((e: unknown) => e);
    expect((poisonedInf as Error).message).toMatch(/iteration 31 .*weight of '.+' is Infinity in parameter group 'discriminator'/);
  });

  it('rollback: restores the last checkpoint, lowers the learning rates and finishes', async () => {
    const dir = join(tmp, 'rollback');
    let rollbacks = 0;
    const { run } = await runPoisoned(dir, (core) => core.critic.trainableVariables[0] as tf.Variable, async (_e, core) => {
      rollbacks += 1;
      const { checkpoint } = await loadNewestCheckpoint(dir);
      restoreCheckpoint(core, checkpoint);
      for (const name of ['generator', 'discriminator', 'q'] as const) core.optimizers[name].setLearningRate(core.optimizerSettings[name].learningRate / 2);
      return (checkpoint.manifest.extra as { loop: LinesLoopState }).loop;
    });
    const result = await run;
    expect(rollbacks).toBe(1);
    expect(result.iterations).toBe(60);
    expect(result.aborted).toBe(false);
    expect(Number.isFinite(result.metrics.energy_distance)).toBe(true);
  });

  it('a non-finite loss is named with its group', () => {
    expect(() => checkFiniteLosses(7, 'generator', { generator: 1, q: NaN, prior: 0.5 })).toThrow(
      "numerical fault at iteration 7 (generator step): loss 'q' is NaN in parameter group 'q'; losses: generator = 1, q = NaN, prior = 0.5",
    );
  });

  it('CLI: resuming a checkpoint with a NaN weight stops with the message, exit 3, and leaves the checkpoint untouched', () => {
    const out = join(tmp, 'cli');
    expect(dmgan(['train', 'lines', '--backend', 'cpu', '--generators', '4', '--iterations', '12', '--checkpoint-every', '6', '--eval-every', '1000', '--out', out]).status).toBe(0);
    // Poison step-12's weights and re-seal the manifest, as a diverged run would have written them.
    const ck = join(out, 'checkpoints', 'step-12');
    const manifestPath = join(ck, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as CheckpointManifest;
    const bytes = readFileSync(join(ck, manifest.files.weights.name));
    new DataView(bytes.buffer, bytes.byteOffset).setFloat32(0, NaN, true);
    const sha = createHash('sha256').update(bytes).digest('hex');
    unlinkSync(join(ck, manifest.files.weights.name));
    manifest.files.weights = { name: `weights-${sha.slice(0, 16)}.bin`, bytes: bytes.byteLength, sha256: sha };
    writeFileSync(join(ck, manifest.files.weights.name), bytes);
    writeFileSync(manifestPath, JSON.stringify(manifest));
    const before = snapshot(out + '/checkpoints');
    const r = dmgan(['train', 'lines', '--backend', 'cpu', '--generators', '4', '--iterations', '30', '--checkpoint-every', '6', '--eval-every', '1000', '--resume', out]);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/dmgan: numerical fault at iteration 13 \(discriminator step\): weight of '.+' is NaN in parameter group 'generator'/);
    expect(r.stderr).toMatch(/training stopped; the newest checkpoint, .*step-12, is untouched/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(snapshot(out + '/checkpoints')).toEqual(before);
  });
});
