import { mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Container } from 'inversify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DMGAN, LearnedPrior, dmganModule, exportOnnx, importOnnx, withDMGAN } from '../../src/index.js';
import type { DMGANOptions, GanDefinition, LearnedPriorJSON } from '../../src/index.js';
import { activateBackend } from '../../src/engine/index.js';
import { MlpCritic, MlpGenerator } from '../../src/core/nn/mlp.js';
import { Random } from '../../src/core/random.js';
import type { CheckpointManifest } from '../../plugins/checkpoint/index.js';
import { lineBatches, linesGan } from '../src/api/helpers.js';

/*
 * The library API's bad-input battery (docs/reliability.md, "Bad inputs to the library API").
 * Every row hands one bad input to a public call next to a live model A, and asserts:
 *   - one clear error: its class and a message naming the argument (a specific regex);
 *   - no tensor leaked by the failed call;
 *   - A is exactly as before: its weights, every optimiser's state, the prior's JSON, the
 *     counters and random streams equal those of a twin B (same seed, same models built the
 *     same way) that never saw the bad call — and the next 6 trainSteps (two generator steps:
 *     generators, Q and prior move) give both the same losses and weights, bit for bit, and so
 *     does a sample drawn afterwards (the sampling stream).
 */

const N = 2;
const D = 4;
const SEED = 3;
const OPTIONS: DMGANOptions = { generators: N, seed: SEED, discriminatorSteps: 2 };
const WARM = 2; // steps before the bad call: Adam moments are non-zero, and the next step is a generator step
const AFTER = 6; // steps after it (iterations 3 and 6 are generator steps)
const batches = lineBatches(11, WARM + AFTER + 1, 16);

let tmp: string;
let goodCheckpoint: string; // saved by a DMGAN like A (after WARM steps)
let otherArchitecture: string; // a checkpoint of another architecture (hidden sizes 16, 2)
let threeGenerators: string; // a checkpoint of the same GAN with 3 generators
const rows: string[] = [];

/** A fresh GAN built like the twins' (seed `seed`). */
const freshGan = (seed = SEED, n = N) => linesGan(seed, n, D);
const build = (): { model: DMGAN; gan: GanDefinition } => {
  const { gan, qHead } = freshGan();
  return { model: withDMGAN(gan, { ...OPTIONS, qHead }), gan };
};
const batchTensor = (i: number): tf.Tensor2D => {
  const b = batches[i] as Float32Array;
  return tf.tensor2d(b, [b.length / 2, 2]);
};
const step = (m: DMGAN, i: number) => {
  const real = batchTensor(i);
  try {
    return m.trainStep(real).losses;
  } finally {
    real.dispose();
  }
};

/** Everything a model is: weights (values and shapes), optimisers, prior, counters and streams. */
function stateOf(m: DMGAN) {
  return {
    weights: m.core.allVariables().map((v) => ({ shape: v.shape, values: Array.from(v.dataSync()) })),
    optimizers: Object.fromEntries(Object.entries(m.core.optimizers).map(([k, o]) => [k, o.state()])),
    prior: m.prior.toJSON(),
    counters: m.core.counters(),
  };
}

/** Variables of a GAN built by `linesGan` (to free it after a refused call). */
function ganVariables(gan: GanDefinition, n = N): tf.Variable[] {
  const gens = Array.from({ length: n }, (_, i) => (gan.generator as (i: number) => MlpGenerator)(i)).filter(Boolean);
  return [...gens.flatMap((g) => [...g.trainableVariables]), ...(gan.discriminator as MlpCritic).trainableVariables];
}

/** What a bad call gets to work with. */
interface Ctx {
  /** The live model (twin A). */
  model: DMGAN;
  /** A's GAN definition (its discriminator is A's own critic). */
  gan: GanDefinition;
  /** Registers tensors/variables the case made, freed after the call (before the leak check). */
  own(...xs: (tf.Tensor | tf.Tensor[])[]): void;
}

interface Case {
  where: string;
  input: string;
  act: (ctx: Ctx) => unknown;
  expect: RegExp;
  /** Steps before the bad call (default WARM). */
  warm?: number;
}

const c = (where: string, input: string, act: (ctx: Ctx) => unknown, expected: RegExp, warm?: number): Case => ({ where, input, act, expect: expected, ...(warm === undefined ? {} : { warm }) });

// Inputs made inside a case (the ctx frees them after the call).
const tensorOf = (ctx: Ctx, values: number[], shape: number[], dtype: 'float32' | 'int32' | 'bool' = 'float32') => {
  const t = tf.tensor(values, shape, dtype);
  ctx.own(t);
  return t;
};
const disposedBatch = () => {
  const t = tf.tensor2d([0, 1, 1, 0], [2, 2]);
  t.dispose();
  return t;
};
/** A fresh lines GAN whose variables the ctx frees afterwards, with `edit` applied to it. */
const badGan = (ctx: Ctx, edit: (gan: GanDefinition, init: Random) => GanDefinition, seed = 21): GanDefinition => {
  const { gan } = freshGan(seed);
  ctx.own(ganVariables(gan));
  const init = new Random(`bad:${seed}`);
  const edited = edit(gan, init);
  return edited;
};
const wrap = (gan: GanDefinition, options: DMGANOptions = {}) => withDMGAN(gan, { ...OPTIONS, ...options });
/** A plain { apply, trainableVariables } generator (exportOnnx has no exporter for it). */
const plainGenerator = (ctx: Ctx, i: number) => {
  const w = tf.tidy(() => tf.variable(tf.randomUniform([D, 2], -1, 1, 'float32', 100 + i)));
  ctx.own(w);
  return { apply: (z: tf.Tensor) => tf.matMul(z as tf.Tensor2D, w), trainableVariables: [w] };
};
const corrupt = (dir: string, edit: (m: CheckpointManifest) => unknown): string => {
  const out = join(tmp, `edited-${Math.random().toString(36).slice(2)}`);
  mkdirSync(out);
  for (const f of ['manifest.json']) writeFileSync(join(out, f), readFileSync(join(dir, f)));
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as CheckpointManifest;
  for (const f of [m.files.weights.name, m.files.optimizers.name]) writeFileSync(join(out, f), readFileSync(join(dir, f)));
  writeFileSync(join(out, 'manifest.json'), JSON.stringify(edit(m) ?? m));
  return out;
};
/** The GAN handed to DMGAN.load: fresh generators, but A's own critic (a load that wrote before failing would corrupt A). */
const loadGan = (ctx: Ctx, n = N): GanDefinition => {
  const { gan } = freshGan(31, n);
  const gens = Array.from({ length: n }, (_, i) => (gan.generator as (i: number) => MlpGenerator)(i));
  ctx.own(gens.flatMap((g) => [...g.trainableVariables]), [...(gan.discriminator as MlpCritic).trainableVariables]);
  return { ...gan, discriminator: ctx.gan.discriminator };
};
const priorJSON = (ctx: Ctx, edit: (j: LearnedPriorJSON) => unknown): LearnedPriorJSON => edit(structuredClone(ctx.model.prior.toJSON())) as LearnedPriorJSON;

const CASES: Case[] = [
  // withDMGAN: the GAN's models (a fresh GAN; A must not notice)
  c('withDMGAN', 'latentDim 5, the generators take 4', (ctx) => wrap(badGan(ctx, (g) => ({ ...g, latentDim: 5 }))), /^DmganConfigError: generator 0 failed on a latent batch \[2, 5\] \(does it take inputs of size latentDim = 5\?\)/),
  c('withDMGAN', 'latentDim 0', (ctx) => wrap(badGan(ctx, (g) => ({ ...g, latentDim: 0 }))), /^DmganConfigError: latentDim must be an integer ≥ 1, got 0$/),
  c('withDMGAN', 'generator 1 outputs [3], generator 0 [2]', (ctx) =>
    wrap(badGan(ctx, (g, init) => {
      const odd = new MlpGenerator({ sizes: [D, 8, 3], activation: 'relu', name: 'odd' }, init);
      ctx.own([...odd.trainableVariables]);
      return { ...g, generator: (i: number) => (i === 1 ? odd : (g.generator as (i: number) => MlpGenerator)(i)) };
    })), /^DmganConfigError: generator 1 outputs samples of shape \[3\], generator 0 outputs \[2\]: all generators must agree$/),
  c('withDMGAN', 'a factory for 2 generators asked for 3', (ctx) => wrap(badGan(ctx, (g) => g), { generators: 3 }), /^DmganConfigError: generator 2: the factory returned undefined/),
  c('withDMGAN', 'a critic whose score is [B, 2]', (ctx) =>
    wrap(badGan(ctx, (g, init) => {
      const critic = new MlpCritic({ sizes: [2, 16, 2], activation: 'leakyRelu', name: 'wide' }, init);
      ctx.own([...critic.trainableVariables]);
      return { ...g, discriminator: critic };
    })), /^DmganConfigError: discriminator: the score has shape \[2, 2\] for a batch of 2; it must be \[B, 1\]/),
  c('withDMGAN', 'a critic whose features are rank 1', (ctx) =>
    wrap(badGan(ctx, (g) => {
      const w = tf.tidy(() => tf.variable(tf.ones([2, 1])));
      ctx.own(w);
      return { ...g, discriminator: { trainableVariables: [w], apply: (x: tf.Tensor) => ({ score: tf.matMul(x as tf.Tensor2D, w), features: tf.sum(x, 1) }) } };
    })), /^DmganConfigError: discriminator gives no usable feature output for the Q head/),
  c('withDMGAN', 'a disposed generator', (ctx) =>
    wrap(badGan(ctx, (g) => {
      (g.generator as (i: number) => MlpGenerator)(1).dispose();
      return g;
    })), /^DmganConfigError: generator 1: variable '.+' is disposed/),
  c('withDMGAN', 'a disposed discriminator', (ctx) =>
    wrap(badGan(ctx, (g) => {
      (g.discriminator as MlpCritic).dispose();
      return g;
    })), /^DmganConfigError: discriminator: variable '.+' is disposed/),
  c('withDMGAN', 'the models of a disposed DMGAN', () => {
    const { gan, qHead } = freshGan(41);
    withDMGAN(gan, { ...OPTIONS, qHead }).dispose();
    return wrap(gan);
  }, /^DmganConfigError: generator 0: variable '.+' is disposed/),
  c('withDMGAN', 'a discriminator that is no model ({})', (ctx) => wrap(badGan(ctx, (g) => ({ ...g, discriminator: {} as never }))), /^DmganConfigError: discriminator is not a LayersModel, an ONNX model or a \{ apply, trainableVariables \} object$/),
  c('withDMGAN', "gan.loss 'lsgan'", (ctx) => wrap(badGan(ctx, (g) => ({ ...g, loss: 'lsgan' as never }))), /^DmganConfigError: gan\.loss must be one of wgan-gp, .* or a loss object \{ discriminatorLoss, generatorLoss \}, got 'lsgan'$/),
  c('withDMGAN', "{ backend: 'wasm' } while cpu is active", (ctx) => wrap(badGan(ctx, (g) => g), { backend: 'wasm' }), /^DmganConfigError: backend 'wasm' was asked for but 'cpu' is active: call await initEngine\('wasm'\) before withDMGAN$/),
  c('withDMGAN', '{ prior: { entropyDecay: 2 } }', (ctx) => wrap(badGan(ctx, (g) => g), { prior: { entropyDecay: 2 } }), /^DmganConfigError: invalid DMGAN options — prior\.entropyDecay: Too big: expected number to be <=1$/),
  c('withDMGAN', '{ seed: 1.5 }', (ctx) => wrap(badGan(ctx, (g) => g), { seed: 1.5 }), /^DmganConfigError: invalid DMGAN options — seed: Invalid input: expected int, received number$/),
  c('trainStep', "a DMGAN built with { backend: 'cpu' }, while wasm is active", async (ctx) => {
    const { gan, qHead } = freshGan(71);
    const m = withDMGAN(gan, { ...OPTIONS, qHead, backend: 'cpu' });
    await activateBackend('wasm');
    try {
      return m.trainStep(tensorOf(ctx, [0, 1, 1, 0], [2, 2]));
    } finally {
      await activateBackend('cpu');
      m.dispose();
    }
  }, /^DmganConfigError: trainStep: this DMGAN was built for backend 'cpu' but 'wasm' is active: call await initEngine\('cpu'\) first$/),
  // trainStep on A (the next step would be a generator step)
  c('trainStep', 'samples of shape [3] (generator step next)', (ctx) => ctx.model.trainStep(tensorOf(ctx, [0, 1, 2, 3, 4, 5], [2, 3])), /^InvalidBatchError: the real batch has samples of shape \[3\], the generators make \[2\]$/),
  c('trainStep', 'samples of shape [3] (critic step next)', (ctx) => ctx.model.trainStep(tensorOf(ctx, [0, 1, 2, 3, 4, 5], [2, 3])), /^InvalidBatchError: the real batch has samples of shape \[3\], the generators make \[2\]$/, 3),
  c('trainStep', 'samples of shape [2, 1]', (ctx) => ctx.model.trainStep(tensorOf(ctx, [0, 1, 2, 3], [2, 2, 1])), /^InvalidBatchError: the real batch has samples of shape \[2, 1\], the generators make \[2\]$/),
  c('trainStep', 'NaN in the batch', (ctx) => ctx.model.trainStep(tensorOf(ctx, [0, 1, 2, NaN], [2, 2])), /^InvalidBatchError: the real batch holds 1 non-finite values \(first: NaN in sample 1\)$/),
  c('trainStep', '-Infinity in the batch', (ctx) => ctx.model.trainStep(tensorOf(ctx, [-Infinity, 1, 2, 3], [2, 2])), /^InvalidBatchError: the real batch holds 1 non-finite values \(first: -Infinity in sample 0\)$/),
  c('trainStep', 'an int32 batch', (ctx) => ctx.model.trainStep(tensorOf(ctx, [0, 1, 1, 0], [2, 2], 'int32')), /^InvalidBatchError: the real batch has dtype int32; expected float32$/),
  c('trainStep', 'a bool batch', (ctx) => ctx.model.trainStep(tensorOf(ctx, [0, 1, 1, 0], [2, 2], 'bool')), /^InvalidBatchError: the real batch has dtype bool; expected float32$/),
  c('trainStep', 'an empty batch [0, 2]', (ctx) => ctx.model.trainStep(tensorOf(ctx, [], [0, 2])), /^InvalidBatchError: the real batch is empty \(shape \[0, 2\]\)$/),
  c('trainStep', 'a disposed tensor', (ctx) => ctx.model.trainStep(disposedBatch()), /^InvalidBatchError: trainStep: the real batch tensor is disposed$/),
  c('trainStep', 'a rank-1 tensor', (ctx) => ctx.model.trainStep(tensorOf(ctx, [0, 1], [2])), /^DmganConfigError: trainStep needs a batch tensor \[B, \.\.\.\] of real samples$/),
  c('trainStep', 'null', (ctx) => ctx.model.trainStep(null as never), /^DmganConfigError: trainStep needs a batch tensor \[B, \.\.\.\] of real samples$/),
  // sample on A (the sampling stream must not move)
  c('sample', 'count 0', (ctx) => ctx.model.sample(0), /^RangeError: sample: count must be an integer ≥ 1, got 0$/),
  c('sample', 'count -3', (ctx) => ctx.model.sample(-3), /^RangeError: sample: count must be an integer ≥ 1, got -3$/),
  c('sample', 'count 2.5', (ctx) => ctx.model.sample(2.5), /^RangeError: sample: count must be an integer ≥ 1, got 2\.5$/),
  c('sample', 'count NaN', (ctx) => ctx.model.sample(NaN), /^RangeError: sample: count must be an integer ≥ 1, got NaN$/),
  c('sample', 'generator 2 of 2', (ctx) => ctx.model.sample(4, { generator: 2 }), /^RangeError: generator must be an integer in \[0, 2\), got 2$/),
  c('sample', 'generator -1', (ctx) => ctx.model.sample(4, { generator: -1 }), /^RangeError: generator must be an integer in \[0, 2\), got -1$/),
  c('sample', 'generator 0.5', (ctx) => ctx.model.sample(4, { generator: 0.5 }), /^RangeError: generator must be an integer in \[0, 2\), got 0\.5$/),
  // posterior on A
  c('posterior', 'samples of shape [3]', (ctx) => ctx.model.posterior(tensorOf(ctx, [0, 1, 2, 3, 4, 5], [2, 3])), /^InvalidBatchError: posterior: the samples have shape \[3\], the generators make \[2\]$/),
  c('posterior', 'samples of shape [3], batchStatistics', (ctx) => ctx.model.posterior(tensorOf(ctx, [0, 1, 2, 3, 4, 5], [2, 3]), { batchStatistics: true }), /^InvalidBatchError: posterior: the samples have shape \[3\], the generators make \[2\]$/),
  c('posterior', 'a rank-1 tensor', (ctx) => ctx.model.posterior(tensorOf(ctx, [0, 1], [2])), /^DmganConfigError: posterior needs a batch tensor \[B, \.\.\.\] of samples$/),
  c('posterior', 'a disposed tensor', (ctx) => ctx.model.posterior(disposedBatch()), /^InvalidBatchError: posterior: the samples tensor is disposed$/),
  c('posterior', 'NaN in the samples', (ctx) => ctx.model.posterior(tensorOf(ctx, [NaN, 1, 2, 3], [2, 2]), { batchStatistics: true }), /^InvalidBatchError: posterior: the batch of samples holds 1 non-finite values \(first: NaN in sample 0\)$/),
  // save from A
  c('save', 'onto an existing file', (ctx) => {
    const f = join(tmp, 'a-file');
    writeFileSync(f, 'x');
    return ctx.model.save(f);
  }, /^CheckpointError: cannot write a checkpoint to .*a-file: .*EEXIST/),
  c('save', 'into a folder under a file (unwritable)', (ctx) => {
    const f = join(tmp, 'b-file');
    writeFileSync(f, 'x');
    return ctx.model.save(join(f, 'ckpt'));
  }, /^CheckpointError: cannot write a checkpoint to .*b-file\/ckpt: .*ENOTDIR/),
  c('save', "an empty path ''", (ctx) => ctx.model.save(''), /^DmganConfigError: save needs a folder path \(a non-empty string\), got ''$/),
  c('save', 'a number instead of a path', (ctx) => ctx.model.save(42 as never), /^DmganConfigError: save needs a folder path \(a non-empty string\), got 42$/),
  // DMGAN.load into A's critic (a load that wrote before failing would corrupt A)
  c('DMGAN.load', "another model's checkpoint (hidden sizes 16, 2)", (ctx) => DMGAN.load(otherArchitecture, loadGan(ctx)), /^CheckpointError: checkpoint has \d+ variables, the model has \d+: different architecture or options$|^CheckpointError: checkpoint variable \d+ \(.+\) has shape \[.*\], the model's \(.+\) has \[.*\]$/),
  c('DMGAN.load', 'a checkpoint of 3 generators, a factory for 2', (ctx) => DMGAN.load(threeGenerators, loadGan(ctx)), /^DmganConfigError: generator 2: the factory returned undefined/),
  c('DMGAN.load', 'a truncated weights file', (ctx) => {
    const dir = corrupt(goodCheckpoint, () => undefined);
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as CheckpointManifest;
    truncateSync(join(dir, m.files.weights.name), 100);
    return DMGAN.load(dir, loadGan(ctx));
  }, /^CheckpointError: .*weights-[0-9a-f]{16}\.bin has 100 bytes, the manifest says \d+ \(truncated checkpoint\)$/),
  c('DMGAN.load', 'a missing folder', (ctx) => DMGAN.load(join(tmp, 'nowhere'), loadGan(ctx)), /^CheckpointError: no readable checkpoint in .*nowhere: ENOENT/),
  c('DMGAN.load', 'a prior of n = 3 in a 2-generator checkpoint', (ctx) =>
    DMGAN.load(corrupt(goodCheckpoint, (m) => ({ ...m, prior: new LearnedPrior(3).toJSON() })), loadGan(ctx)), /^CheckpointError: .*: the checkpoint's prior has n = 3 but its options say generators: 2$/),
  c('DMGAN.load', 'a prior with 3 logits but the Adam state of 2', (ctx) =>
    DMGAN.load(corrupt(goodCheckpoint, (m) => ({ ...m, prior: { ...m.prior, n: 3, logits: [0, 0, 0] } })), loadGan(ctx)), /^CheckpointError: .*: the checkpoint's prior cannot be restored: LearnedPrior: saved optimizerState must be \{ step, m, v \} with 3 finite moments each \(v ≥ 0\)$/),
  c('DMGAN.load', 'a file instead of a folder', (ctx) => {
    const f = join(tmp, 'c-file');
    writeFileSync(f, 'x');
    return DMGAN.load(f, loadGan(ctx));
  }, /^CheckpointError: no readable checkpoint in .*c-file: ENOTDIR/),
  c('DMGAN.load', 'a GAN that is not an object', () => DMGAN.load(goodCheckpoint, null as never), /^DmganConfigError: DMGAN\.load needs a GAN \{ latentDim, generator, discriminator, loss\? \}$/),
  // LearnedPrior: a new one, or A's own through load()
  c('LearnedPrior', 'new LearnedPrior(0)', () => new LearnedPrior(0), /^RangeError: LearnedPrior: n must be an integer ≥ 1, got 0$/),
  c('LearnedPrior', 'new LearnedPrior(2.5)', () => new LearnedPrior(2.5), /^RangeError: LearnedPrior: n must be an integer ≥ 1, got 2\.5$/),
  c('LearnedPrior', '{ temperature: 0 }', () => new LearnedPrior(2, { temperature: 0 }), /^RangeError: LearnedPrior: temperature must be > 0, got 0$/),
  c('LearnedPrior', '{ entropyDecay: 0 }', () => new LearnedPrior(2, { entropyDecay: 0 }), /^RangeError: LearnedPrior: entropyDecay must be in \(0, 1\], got 0$/),
  c('LearnedPrior', '{ entropyWeight: NaN }', () => new LearnedPrior(2, { entropyWeight: NaN }), /^RangeError: LearnedPrior: entropyWeight must be ≥ 0, got NaN$/),
  c('LearnedPrior', 'fromJSON of another format', (ctx) => LearnedPrior.fromJSON(priorJSON(ctx, (j) => ({ ...j, format: 'dmgan.prior/v0' }))), /^Error: LearnedPrior: unknown saved format dmgan\.prior\/v0$/),
  c('LearnedPrior', 'fromJSON(null)', () => LearnedPrior.fromJSON(null as never), /^Error: LearnedPrior: unknown saved format undefined$/),
  c('LearnedPrior', 'fromJSON with 3 logits for n = 2', (ctx) => LearnedPrior.fromJSON(priorJSON(ctx, (j) => ({ ...j, logits: [0, 0, 0] }))), /^Error: LearnedPrior: 3 saved logits for n = 2$/),
  c('LearnedPrior', "A's prior.load of a prior with n = 3", (ctx) => ctx.model.prior.load(new LearnedPrior(3).toJSON()), /^Error: LearnedPrior\.load: the saved prior has n = 3, this one 2$/),
  c('LearnedPrior', "A's prior.load of a JSON whose optimizerState is null", (ctx) => ctx.model.prior.load({ ...ctx.model.prior.toJSON(), optimizerState: null as never }), /^Error: LearnedPrior: saved optimizerState must be \{ step, m, v \} with 2 finite moments each \(v ≥ 0\)$/),
  c('LearnedPrior', "A's prior.load of NaN logits", (ctx) => ctx.model.prior.load({ ...ctx.model.prior.toJSON(), logits: [0, Number.NaN] }), /^Error: LearnedPrior: saved logits must be finite numbers, got \[0, NaN\]$/),
  c('LearnedPrior', "A's prior.load of another temperature", (ctx) => ctx.model.prior.load(new LearnedPrior(2, { temperature: 2 }).toJSON()), /^Error: LearnedPrior\.load: saved temperature = 2, this prior's = 1$/),
  // exportOnnx
  c('exportOnnx', 'plain { apply, trainableVariables } generators', (ctx) => {
    const critic = new MlpCritic({ sizes: [2, 16, 1], activation: 'leakyRelu', name: 'pc' }, new Random('plain'));
    const m = withDMGAN({ latentDim: D, generator: (i) => plainGenerator(ctx, i), discriminator: critic }, { ...OPTIONS });
    return exportOnnx(m, join(tmp, 'plain.onnx')).finally(() => m.dispose());
  }, /^TypeError: exportOnnx: generator 0 is .*, which cannot be exported \(supported: .*\)$/),
  c('exportOnnx', "A with { mode: 'latent' }", (ctx) => exportOnnx(ctx.model, join(tmp, 'x.onnx'), { mode: 'latent' as never }), /^RangeError: exportOnnx: mode must be 'ids' or 'prior', got 'latent'$/),
  c('exportOnnx', "A with { mode: 'prior', minPrior: 1.5 }", (ctx) => exportOnnx(ctx.model, join(tmp, 'x.onnx'), { mode: 'prior', minPrior: 1.5 }), /^RangeError: exportOnnx: minPrior must be in \[0, 1\], got 1\.5$/),
  c('exportOnnx', "A with { minPrior: 0.1 } in mode 'ids'", (ctx) => exportOnnx(ctx.model, join(tmp, 'x.onnx'), { minPrior: 0.1 }), /^RangeError: exportOnnx: minPrior needs mode 'prior'$/),
  c('exportOnnx', 'a plain object', () => exportOnnx({} as never, join(tmp, 'x.onnx')), /^TypeError: exportOnnx: expected a DMGAN or a DmganCore, got /),
  // importOnnx
  c('importOnnx', '64 random bytes', () => importOnnx(Uint8Array.from({ length: 64 }, (_, i) => (i * 97 + 13) % 256)), /^OnnxImportError: cannot parse ONNX ModelProto \(truncated or corrupted protobuf\): /),
  c('importOnnx', 'a folder', () => importOnnx(tmp), /^OnnxImportError: cannot read model file ".*": EISDIR/),
  // dmganModule / fromContainer
  c('dmganModule', '{ generators: -1 }', () => dmganModule({ generators: -1 }), /^DmganConfigError: invalid DMGAN options — generators: generators must be ≥ 1$/),
  c('dmganModule', "{ latent: 'cauchy' }", () => dmganModule({ latent: 'cauchy' as never }), /^DmganConfigError: invalid DMGAN options — latent: Invalid option: expected one of "uniform"\|"normal"$/),
  c('dmganModule', 'null', () => dmganModule(null as never), /^DmganConfigError: dmganModule needs an options object \{ gan\?, generators\?, … \}, got null$/),
  c('dmganModule', '{ gan: {} } resolved through DMGAN.fromContainer', () => {
    const container = new Container();
    container.load(dmganModule({ gan: {} as never }));
    return DMGAN.fromContainer(container);
  }, /^DmganConfigError: latentDim must be an integer ≥ 1, got undefined$/),
  c('dmganModule', 'DMGAN.fromContainer of an empty container', () => DMGAN.fromContainer(new Container()), /^DmganConfigError: the container has no DMGAN core: load dmganModule\(\{ gan, \.\.\. \}\) with your GAN$/),
  // a disposed DMGAN (another one; A lives on)
  c('DMGAN', 'trainStep on a disposed DMGAN', (ctx) => {
    const { gan, qHead } = freshGan(61);
    const m = withDMGAN(gan, { ...OPTIONS, qHead });
    m.dispose();
    return m.trainStep(tensorOf(ctx, [0, 1, 1, 0], [2, 2]));
  }, /^DmganConfigError: trainStep: this DMGAN is disposed$/),
  c('DMGAN', 'sample on a disposed DMGAN', () => {
    const { gan, qHead } = freshGan(62);
    const m = withDMGAN(gan, { ...OPTIONS, qHead });
    m.dispose();
    return m.sample(4);
  }, /^DmganConfigError: sample: this DMGAN is disposed$/),
];

/** Runs `f` and returns the error it throws (or rejects with) as `Name: message`. */
async function thrown(f: () => unknown): Promise<string> {
  let result: unknown;
  try {
    result = await f();
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message}`;
  }
  if (result instanceof DMGAN) result.dispose();
  if (result instanceof tf.Tensor) result.dispose();
  return '(no error)';
}

describe('the library API refuses bad input and leaves the model as it was', () => {
  beforeAll(async () => {
    await activateBackend('cpu');
    tmp = mkdtempSync(join(tmpdir(), 'dmgan-api-battery-'));
    goodCheckpoint = join(tmp, 'good');
    const { model } = build();
    for (let i = 0; i < WARM; i++) step(model, i);
    await model.save(goodCheckpoint);
    model.dispose();
    otherArchitecture = join(tmp, 'other');
    const init = new Random('other');
    const other = withDMGAN(
      { latentDim: D, generator: (i) => new MlpGenerator({ sizes: [D, 16, 2], activation: 'relu', name: `o${i}` }, init), discriminator: new MlpCritic({ sizes: [2, 16, 1], activation: 'leakyRelu', name: 'od' }, init) },
      OPTIONS,
    );
    await other.save(otherArchitecture);
    other.dispose();
    threeGenerators = join(tmp, 'three');
    const three = withDMGAN(freshGan(SEED, 3).gan, { ...OPTIONS, generators: 3 });
    await three.save(threeGenerators);
    three.dispose();
  });
  afterAll(() => {
    rmSync(tmp, { recursive: true, force: true });
    // The table in docs/reliability.md ("Bad inputs to the library API").
    if (process.env.DMGAN_PRINT_ROWS) console.log(rows.join('\n'));
  });

  it('covers at least 30 kinds of bad input', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
    expect(new Set(CASES.map((k) => `${k.where}|${k.input}`)).size).toBe(CASES.length);
  });

  it('a GAN whose models were made on another backend (wasm) is not refused: tfjs moves them, and it trains as the twin made on cpu', async () => {
    await activateBackend('wasm');
    let onWasm: ReturnType<typeof freshGan>;
    try {
      onWasm = freshGan();
    } finally {
      await activateBackend('cpu');
    }
    const a = withDMGAN(onWasm.gan, { ...OPTIONS, qHead: onWasm.qHead });
    const b = build().model;
    try {
      for (let i = 0; i < AFTER; i++) expect(step(a, i)).toEqual(step(b, i));
      expect(stateOf(a)).toEqual(stateOf(b));
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it.each(CASES)('$where: $input', async (k) => {
    const a = build();
    const b = build();
    const owned: tf.Tensor[] = [];
    try {
      const warm = k.warm ?? WARM;
      for (let i = 0; i < warm; i++) expect(step(a.model, i)).toEqual(step(b.model, i));
      const tensorsBefore = tf.memory().numTensors;
      const message = await thrown(() =>
        k.act({
          model: a.model,
          gan: a.gan,
          own: (...xs) => owned.push(...xs.flat()),
        }),
      );
      for (const t of owned) if (!t.isDisposed) t.dispose();
      rows.push(`| ${k.where} | ${k.input} | ${message.replaceAll(tmp, '…').replaceAll('|', '\\|')} |`);
      expect(message).toMatch(k.expect);
      expect(tf.memory().numTensors, 'tensors left behind by the refused call').toBe(tensorsBefore);
      // A is exactly B: now, over the next steps (generator steps included), and when sampling.
      expect(stateOf(a.model)).toEqual(stateOf(b.model));
      for (let i = warm; i < warm + AFTER; i++) expect(step(a.model, i)).toEqual(step(b.model, i));
      expect(stateOf(a.model)).toEqual(stateOf(b.model));
      const [sa, sb] = [a.model.sample(8), b.model.sample(8)];
      expect(Array.from(sa.samples.dataSync())).toEqual(Array.from(sb.samples.dataSync()));
      expect(sa.ids).toEqual(sb.ids);
      sa.samples.dispose();
      sb.samples.dispose();
    } finally {
      for (const t of owned) if (!t.isDisposed) t.dispose();
      a.model.dispose();
      b.model.dispose();
    }
  });
});
