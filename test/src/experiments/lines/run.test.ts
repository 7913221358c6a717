import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { StepLosses } from '../../../../src/core/trainer/steps.js';
import { activateBackend } from '../../../../src/engine/backend.js';
import { runLinesExperiment } from '../../../../src/experiments/lines/run.js';
import type { LinesRunConfig } from '../../../../src/experiments/lines/run.js';

const SHORT: LinesRunConfig = { dataset: 'balanced', model: 'dmwgan-pl', iterations: 60, evalEvery: 30, evalSamples: 500, logEvery: 10, seed: 3 };

async function lossesOf(config: LinesRunConfig): Promise<Array<[number, StepLosses]>> {
  const seen: Array<[number, StepLosses]> = [];
  await runLinesExperiment(config, { onLosses: (i, l) => seen.push([i, l]) });
  return seen;
}

describe('runLinesExperiment', () => {
  beforeAll(async () => {
    await activateBackend('wasm');
  });

  it('trains, evaluates periodically and disposes every tensor', async () => {
    const before = tf.memory().numTensors;
    const progress: number[] = [];
    const evaluated: number[] = [];
    const result = await runLinesExperiment(SHORT, {
      onProgress: (i) => progress.push(i),
      onEvaluate: (r) => {
        evaluated.push(r.iteration);
      },
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(result.iterations).toBe(60);
    expect(result.aborted).toBe(false);
    expect(result.backend).toBe('wasm');
    expect(evaluated).toEqual([30, 60]);
    expect(result.history.map((r) => r.iteration)).toEqual([30, 60]);
    expect(progress).toHaveLength(60);
    for (const r of result.history) {
      expect(Number.isFinite(r.energy_distance)).toBe(true);
      expect(Number.isFinite(r.off_manifold_rate)).toBe(true);
      expect(r.elapsed_s).toBeGreaterThanOrEqual(0);
      expect(r.prior).toHaveLength(10);
    }
    expect(result.metrics.energy_distance).toBe(result.history[1]?.energy_distance);
    expect(result.samples.points).toHaveLength(1000);
    expect(result.samples.ids).toHaveLength(500);
    expect(result.real).toHaveLength(1000);
    expect(result.ms_per_iteration).toBeGreaterThan(0);
  });

  it('gives the same losses for the same seed, both step kinds included', async () => {
    const a = await lossesOf(SHORT);
    const b = await lossesOf(SHORT);
    expect(a.length).toBeGreaterThan(0);
    expect(b).toEqual(a);
    expect(a.some(([, l]) => l.discriminator !== undefined)).toBe(true);
    expect(a.some(([, l]) => l.generator !== undefined)).toBe(true);
    for (const [, l] of a) for (const v of Object.values(l)) expect(Number.isFinite(v)).toBe(true);
  });

  it('stops at the next step when aborted and still evaluates what was trained', async () => {
    const controller = new AbortController();
    const before = tf.memory().numTensors;
    const result = await runLinesExperiment(
      { ...SHORT, iterations: 1000, evalEvery: 500 },
      { signal: controller.signal, onProgress: (i) => i === 12 && controller.abort() },
    );
    expect(result.aborted).toBe(true);
    expect(result.iterations).toBe(12);
    expect(result.history.map((r) => r.iteration)).toEqual([12]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
