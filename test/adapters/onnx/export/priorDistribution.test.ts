import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportOnnx } from '../../../../adapters/onnx/export/index.js';
import { Random } from '../../../../src/core/random.js';
import { activateBackend } from '../../../../src/engine/index.js';
import { buildLinesModel } from '../../../../src/experiments/lines/models.js';

// The generator ids an exported prior-mode ensemble draws in onnxruntime, against the prior
// written here (not the exporter's baked table): r = softmax(ζ) with ζ = log p, generators below
// minPrior removed and the rest renormalised. Pearson's χ² over DRAWS ids at α = 0.001.

const DRAWS = 20_000;
const PRIOR = [0.35, 0.1, 0.3, 0.25];
/** χ² quantiles at 1 − 0.001 by degrees of freedom. */
const CHI2_999: Record<number, number> = { 1: 10.828, 2: 13.816, 3: 16.266 };

let dir: string;
beforeAll(async () => {
  await activateBackend('cpu');
  dir = mkdtempSync(join(tmpdir(), 'dmgan-prior-export-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Exports a 4-generator lines model whose prior is PRIOR in prior mode, runs DRAWS draws in onnxruntime and counts the ids. */
async function drawIds(minPrior: number | undefined): Promise<number[]> {
  const core = buildLinesModel('dmwgan-pl', { seed: 2, generators: PRIOR.length });
  const before = tf.memory().numTensors;
  core.prior.load({ ...core.prior.toJSON(), logits: PRIOR.map(Math.log) });
  const path = join(dir, `prior-${String(minPrior)}.onnx`);
  await exportOnnx(core, path, { mode: 'prior', ...(minPrior === undefined ? {} : { minPrior }) });
  expect(tf.memory().numTensors).toBe(before);
  const latentDim = core.latentDim;
  core.dispose();
  const session = await ort.InferenceSession.create(path);
  const rng = new Random(`prior-export-chi2:${String(minPrior)}`);
  const z = Float32Array.from(rng.uniformArray(DRAWS * latentDim, -1, 1));
  const u = Float32Array.from(rng.uniformArray(DRAWS));
  const out = await session.run({ z: new ort.Tensor('float32', z, [DRAWS, latentDim]), u: new ort.Tensor('float32', u, [DRAWS]) });
  await session.release();
  const counts = new Array<number>(PRIOR.length).fill(0);
  for (const id of out.generator?.data as BigInt64Array) counts[Number(id)] = (counts[Number(id)] ?? 0) + 1;
  return counts;
}

/** Pearson's χ² of `counts` against `expected` probabilities, over the cells with expected > 0. */
function chiSquare(counts: readonly number[], expected: readonly number[]): { stat: number; df: number } {
  const n = counts.reduce((a, b) => a + b, 0);
  let stat = 0;
  let cells = 0;
  expected.forEach((p, i) => {
    if (p === 0) return;
    cells += 1;
    stat += ((counts[i] as number) - n * p) ** 2 / (n * p);
  });
  return { stat, df: cells - 1 };
}

describe('prior-mode ONNX export: the ids it draws follow the learned prior', () => {
  it(`without minPrior: every generator, drawn with its prior probability (χ² over ${DRAWS} draws)`, async () => {
    const counts = await drawIds(undefined);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(DRAWS);
    const { stat, df } = chiSquare(counts, PRIOR);
    expect(df).toBe(3);
    expect(stat, `counts ${counts.join(', ')}`).toBeLessThan(CHI2_999[df] as number);
  });

  it(`minPrior 0.2 drops generator 1 (prior 0.1): it is never drawn, the others follow p/(1 − 0.1) (χ² over ${DRAWS} draws)`, async () => {
    const counts = await drawIds(0.2);
    expect(counts[1]).toBe(0);
    const kept = PRIOR.map((p) => (p >= 0.2 ? p : 0));
    const total = kept.reduce((a, b) => a + b, 0);
    const { stat, df } = chiSquare(counts, kept.map((p) => p / total));
    expect(df).toBe(2);
    expect(stat, `counts ${counts.join(', ')}`).toBeLessThan(CHI2_999[df] as number);
    // The test can fail: the same draws are far from the prior left unrenormalised (the dropped mass given to the last kept id).
    const unrenormalised = [PRIOR[0] as number, 0, PRIOR[2] as number, 1 - (PRIOR[0] as number) - (PRIOR[2] as number)];
    expect(chiSquare(counts, unrenormalised).stat).toBeGreaterThan(CHI2_999[2] as number);
  });
});
