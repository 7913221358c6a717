import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNewestCheckpoint, restoreCheckpoint, saveRotatingCheckpoint } from '../../../plugins/checkpoint/index.js';
import type { NumericalFaultError } from '../../../src/core/faults.js';
import { activateBackend } from '../../../src/engine/index.js';
import { buildLinesModel } from '../../../src/experiments/lines/models.js';
import { runExperiment } from '../../../src/experiments/runner.js';
import type { Experiment, LoopState, RunHooks } from '../../../src/experiments/runner.js';

// A new experiment is one declaration: data (with a position of its own), engine, evaluation.
// Here: 8 points per batch, taken in turn from 40 fixed ones (the cursor is the position) plus
// jitter from the data stream; evaluation: the mean x of 16 samples drawn on the evaluation stream.
type Position = { cursor: number };
type Rec = { iteration: number; meanX: number; elapsed_s: number };
type State = LoopState<Position, Rec>;

function toy(): Experiment<Position, Rec, number, number> {
  const points = Float32Array.from({ length: 80 }, (_, i) => Math.sin(i * 0.7));
  let cursor = 0;
  return {
    streams: { data: 'toy-data:1', eval: 'toy-eval:1' },
    build: () => buildLinesModel('dmwgan-pl', { generators: 2, seed: 1 }),
    data: {
      next: (rng) => {
        const jitter = rng.uniformArray(16, -0.01, 0.01);
        const out = new Float32Array(16);
        for (let k = 0; k < 16; k++) out[k] = (points[(2 * cursor + k) % 80] as number) + (jitter[k] as number);
        cursor = (cursor + 8) % 40;
        return tf.tensor2d(out, [8, 2]);
      },
      position: () => ({ cursor }),
      seek: (p, what) => {
        if (!Number.isSafeInteger(p.cursor) || p.cursor < 0 || p.cursor >= 40) throw new RangeError(`${what}: cursor ${p.cursor} is outside the 40 points`);
        cursor = p.cursor;
      },
    },
    evaluate: async (core, at) => {
      const { samples } = core.generate(16, { training: false, rng: at.rng });
      const v = samples.dataSync();
      samples.dispose();
      let sum = 0;
      for (let i = 0; i < 16; i++) sum += v[2 * i] as number;
      return { record: { iteration: at.iteration, meanX: sum / 16, elapsed_s: at.elapsed() }, detail: sum };
    },
    finish: (core) => core.iteration,
  };
}

const SCHEDULE = { iterations: 30, evalEvery: 10, logEvery: 5, yieldEvery: 5, checkpointEvery: 12 };
const numbers = (history: readonly Rec[]) => history.map(({ iteration, meanX }) => ({ iteration, meanX }));

let tmp: string;
beforeAll(async () => {
  await activateBackend('cpu');
  tmp = mkdtempSync(join(tmpdir(), 'dmgan-runner-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('runExperiment (the one experiment loop)', () => {
  it('trains, evaluates on schedule, checkpoints the data position and disposes every tensor', async () => {
    const before = tf.memory().numTensors;
    const states: State[] = [];
    const result = await runExperiment(toy(), SCHEDULE, { onCheckpoint: async (_core, state) => void states.push(state) });
    expect(tf.memory().numTensors).toBe(before);
    expect(result.history.map((r) => r.iteration)).toEqual([10, 20, 30]);
    expect(result.final.record).toBe(result.history[2]);
    expect(result.finished).toBe(30);
    expect(result.iterations).toBe(30);
    expect(result.aborted).toBe(false);
    expect(states.map((s) => [s.iteration, s.cursor, s.history.length])).toEqual([
      [12, (12 * 8) % 40, 1],
      [24, (24 * 8) % 40, 2],
    ]);
  });

  it('resumes from a checkpoint exactly as the uninterrupted run, and rolls back a fault to the same trajectory', async () => {
    const whole = await runExperiment(toy(), SCHEDULE);

    const dir = join(tmp, 'split');
    await runExperiment(toy(), { ...SCHEDULE, iterations: 12 }, { onCheckpoint: async (core, loop) => void (await saveRotatingCheckpoint(dir, core, { loop })) });
    const resumeHook: RunHooks<State, Rec>['resume'] = async (core) => {
      const { checkpoint } = await loadNewestCheckpoint(dir);
      restoreCheckpoint(core, checkpoint);
      return (checkpoint.manifest.extra as { loop: State }).loop;
    };
    const resumed = await runExperiment(toy(), SCHEDULE, { resume: resumeHook });
    expect(numbers(resumed.history)).toEqual(numbers(whole.history));
    expect(resumed.final.detail).toBe(whole.final.detail);

    // A NaN put into a critic weight right after the checkpoint at 12: rolled back to it, same data position and streams.
    const faultDir = join(tmp, 'fault');
    let poisoned = false;
    const faults: NumericalFaultError[] = [];
    const rolledBack = await runExperiment(toy(), SCHEDULE, {
      onCheckpoint: async (core, loop) => {
        await saveRotatingCheckpoint(faultDir, core, { loop });
        if (core.iteration === 12 && !poisoned) {
          poisoned = true;
          const w = core.critic.trainableVariables[0] as tf.Variable;
          const values = Float32Array.from(w.dataSync() as Float32Array);
          values[0] = NaN;
          w.assign(tf.tensor(values, w.shape, 'float32'));
        }
      },
      onFault: async (error, core) => {
        faults.push(error);
        const { checkpoint } = await loadNewestCheckpoint(faultDir);
        restoreCheckpoint(core, checkpoint);
        return (checkpoint.manifest.extra as { loop: State }).loop;
      },
    });
    expect(faults).toHaveLength(1);
    expect(faults[0]?.message).toMatch(/^numerical fault at iteration 13 /);
    expect(numbers(rolledBack.history)).toEqual(numbers(whole.history));
  });

  it('hands the final state to onFinish once, before the final evaluation, and not when aborted', async () => {
    const finals: State[] = [];
    // 30 iterations, checkpoints at 12 and 24: the final state (30) is not a checkpoint's.
    const result = await runExperiment(toy(), { ...SCHEDULE, evalEvery: 7 }, { onFinish: async (core, state) => void finals.push({ ...state, iteration: core.iteration }) });
    expect(finals.map((s) => [s.iteration, s.cursor, s.history.length])).toEqual([[30, (30 * 8) % 40, 4]]);
    expect(result.history.map((r) => r.iteration)).toEqual([7, 14, 21, 28, 30]);
    const stop = new AbortController();
    stop.abort();
    const aborted: State[] = [];
    const stopped = await runExperiment(toy(), SCHEDULE, { signal: stop.signal, onFinish: async (_core, state) => void aborted.push(state) });
    expect(stopped.aborted).toBe(true);
    expect(aborted).toEqual([]);
  });

  it('refuses a loop state whose data position does not fit, naming where it came from', async () => {
    const before = tf.memory().numTensors;
    const bad = runExperiment(toy(), SCHEDULE, {
      resume: async (core) => ({ iteration: core.iteration, trainMs: 0, dataRng: { c: 1, s0: 0.1, s1: 0.2, s2: 0.3 }, cursor: 99, evalRng: { c: 1, s0: 0.1, s1: 0.2, s2: 0.3 }, history: [] }),
    });
    await expect(bad).rejects.toThrow(/^resume: cursor 99 is outside the 40 points$/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('checks its schedule', async () => {
    await expect(runExperiment(toy(), { ...SCHEDULE, evalEvery: 0 })).rejects.toThrow(/^evalEvery must be a positive integer, got 0$/);
    await expect(runExperiment(toy(), { ...SCHEDULE, checkpointEvery: -1 })).rejects.toThrow(/^checkpointEvery must be a non-negative integer, got -1$/);
  });
});
