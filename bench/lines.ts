import * as tf from '@tensorflow/tfjs-core';
import { Random } from '../src/core/random.js';
import { sampleLineData } from '../src/metrics/lines/data.js';
import { buildLinesModel, type LineModelName } from '../src/experiments/lines/models.js';
import { measureTraining, soakTraining, type Measurement, type Schedule, type SoakSample } from './measure.js';

/** One configuration of the `lines` workload. */
export interface LinesVariant {
  name: string;
  model: LineModelName;
  generators: number;
  routing: 'fused' | 'routed' | 'masked';
  batch: number;
  /** Closed-form critic and generator-step gradients (default) or autodiff throughout. */
  closedForm?: boolean;
  /** Run on the wasm backend's own kernels (one thread), whatever --kernels says. */
  wasmKernels?: boolean;
}

/** The reference configuration (DESIGN.md `lines`): 10 generators, batch 32, routed. */
export const LINES_DEFAULT: LinesVariant = { name: 'default', model: 'dmwgan-pl', generators: 10, routing: 'fused', batch: 32 };

/** The variants the issue asks for: routing, number of generators, batch size, and the single-generator baseline. */
export function linesVariants(): LinesVariant[] {
  const v: LinesVariant[] = [LINES_DEFAULT];
  v.push({ ...LINES_DEFAULT, name: 'routing=routed (one call per generator)', routing: 'routed' });
  v.push({ ...LINES_DEFAULT, name: 'routing=masked (reference)', routing: 'masked' });
  v.push({ ...LINES_DEFAULT, name: 'gradients=autodiff (no closed forms)', closedForm: false });
  for (const n of [1, 5, 20]) v.push({ ...LINES_DEFAULT, name: `generators=${n}`, generators: n });
  for (const b of [16, 64, 128]) v.push({ ...LINES_DEFAULT, name: `batch=${b}`, batch: b });
  v.push({ name: 'wgan-gp (one 100-128-64-2 generator)', model: 'wgan-gp', generators: 1, routing: 'fused', batch: 32 });
  // The same on wasm's own kernels (batched products on its one-thread loop), for the ratios without onnxruntime.
  v.push({ ...LINES_DEFAULT, name: 'kernels=wasm', wasmKernels: true });
  for (const n of [1, 20]) v.push({ ...LINES_DEFAULT, name: `generators=${n}, kernels=wasm`, generators: n, wasmKernels: true });
  return v;
}

/** Builds the variant's model and times it. */
export function measureLines(variant: LinesVariant, schedule: Schedule): Measurement {
  const core = buildLinesModel(variant.model, { generators: variant.generators, routing: variant.routing, seed: 0, closedFormGradients: variant.closedForm ?? true });
  const rng = new Random('bench-data');
  const batch = () => tf.tensor2d(sampleLineData('balanced', variant.batch, rng).points, [variant.batch, 2]);
  try {
    return measureTraining(core, batch, schedule);
  } finally {
    core.dispose();
  }
}

/** Tensor count, bytes and RSS of the default configuration over a long run. */
export function soakLines(iterations: number, every: number): SoakSample[] {
  const core = buildLinesModel('dmwgan-pl', { seed: 0 });
  const rng = new Random('bench-soak');
  const batch = () => tf.tensor2d(sampleLineData('balanced', 32, rng).points, [32, 2]);
  try {
    return soakTraining(core, batch, iterations, every);
  } finally {
    core.dispose();
  }
}
