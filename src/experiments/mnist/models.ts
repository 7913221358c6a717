import * as tf from '@tensorflow/tfjs-core';
import { DmganCore } from '../../../plugins/dmgan/dmganCore.js';
import { GeneratorEnsemble } from '../../core/ensemble.js';
import type { CriticModule, CriticOutput, GeneratorModule } from '../../core/modules.js';
import { BatchNorm } from '../../core/nn/batchNorm.js';
import { Conv2d, ConvTranspose2d } from '../../core/nn/conv.js';
import { Dense } from '../../core/nn/dense.js';
import { LearnedPrior } from '../../core/prior.js';
import { QHead } from '../../core/qHead.js';
import { Random } from '../../core/random.js';
import { wganLoss } from '../../losses/adversarial.js';

/** The MNIST experiment's models: DMWGAN-PL, DMWGAN (uniform prior), and one WGAN-GP. */
export const MNIST_MODELS = ['dmwgan-pl', 'dmwgan', 'wgan-gp'] as const;
export type MnistModelName = (typeof MNIST_MODELS)[number];

/** Latent size of the reference. */
export const MNIST_LATENT_DIM = 100;
/** Width C of an ensemble member's first layer (1/4 of the single generator's 128). */
export const ENSEMBLE_CHANNELS = 32;
/** Width C of the single WGAN-GP generator. */
export const SINGLE_CHANNELS = 128;

/** Image geometry the models work on (NHWC). */
export interface ImageShape {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

/** MNIST: 28 × 28 greyscale. */
export const MNIST_SHAPE: ImageShape = { height: 28, width: 28, channels: 1 };

function checkShape(shape: ImageShape): void {
  const ok = (v: number): boolean => Number.isInteger(v) && v >= 4 && v % 4 === 0;
  if (!ok(shape.height) || !ok(shape.width)) {
    throw new RangeError(`image size must be a multiple of 4 (two stride-2 layers), got ${shape.height}×${shape.width}`);
  }
  if (shape.channels !== 1 && shape.channels !== 3) throw new RangeError(`channels must be 1 or 3, got ${shape.channels}`);
}

/**
 * Per-channel batch norm on NHWC maps: statistics over batch and positions. Normalising per
 * channel (not per unit) keeps the statistics meaningful for a routed generator that gets
 * only a few samples of a batch (even one: it still has H·W positions per channel).
 */
class ChannelBatchNorm {
  readonly norm: BatchNorm;
  constructor(channels: number, name: string) {
    // Decay 0.99 (not TF1's 0.999): samples are drawn in inference mode after short runs too.
    this.norm = new BatchNorm(channels, { center: true, scale: true, epsilon: 1e-3, decay: 0.99, name });
  }
  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    const [b, h, w, c] = x.shape;
    return tf.reshape(this.norm.apply(tf.reshape(x, [b * h * w, c]), training), [b, h, w, c]);
  }
}

/**
 * DCGAN-like generator: z → dense (H/4)·(W/4)·C → BN → ReLU → convT C/2 (k5 s2 same) → BN →
 * ReLU → convT channels (k5 s2 same) → tanh. Output NHWC in [-1, 1].
 */
export class ConvGenerator implements GeneratorModule {
  readonly #dense: Dense;
  readonly #bn1: ChannelBatchNorm;
  readonly #up1: ConvTranspose2d;
  readonly #bn2: ChannelBatchNorm;
  readonly #up2: ConvTranspose2d;
  readonly #h: number;
  readonly #w: number;
  readonly #c: number;

  constructor(latentDim: number, width: number, shape: ImageShape, rng: Random, name = 'g') {
    checkShape(shape);
    if (!Number.isInteger(width) || width < 2 || width % 2 !== 0) throw new RangeError(`generator width must be an even integer ≥ 2, got ${width}`);
    this.#h = shape.height / 4;
    this.#w = shape.width / 4;
    this.#c = width;
    this.#dense = new Dense(latentDim, this.#h * this.#w * width, rng, { name: `${name}/dense` });
    this.#bn1 = new ChannelBatchNorm(width, `${name}/bn1`);
    this.#up1 = new ConvTranspose2d(width, width / 2, rng, { name: `${name}/convt1` });
    this.#bn2 = new ChannelBatchNorm(width / 2, `${name}/bn2`);
    this.#up2 = new ConvTranspose2d(width / 2, shape.channels, rng, { name: `${name}/convt2` });
  }

  apply(z: tf.Tensor, training: boolean): tf.Tensor {
    const batch = z.shape[0] as number;
    const h0 = tf.reshape(this.#dense.apply(z), [batch, this.#h, this.#w, this.#c]) as tf.Tensor4D;
    const h1 = tf.relu(this.#bn1.apply(h0, training));
    const h2 = tf.relu(this.#bn2.apply(this.#up1.apply(h1), training));
    return tf.tanh(this.#up2.apply(h2));
  }

  get trainableVariables(): tf.Variable[] {
    return [...this.#dense.variables, ...this.#bn1.norm.trainableVariables, ...this.#up1.variables, ...this.#bn2.norm.trainableVariables, ...this.#up2.variables];
  }

  get stateVariables(): tf.Variable[] {
    return [...this.#bn1.norm.stateVariables, ...this.#bn2.norm.stateVariables];
  }

  dispose(): void {
    for (const v of [...this.trainableVariables, ...this.stateVariables]) v.dispose();
  }
}

/**
 * Critic: conv 64 (k5 s2) → LReLU 0.2 → conv 128 (k5 s2) → LReLU → flatten → dense 1. The
 * flattened (H/4)·(W/4)·128 activations are the features the Q head reads. No batch norm
 * (it would break the gradient penalty's per-sample gradients).
 */
export class ConvCritic implements CriticModule {
  readonly #conv1: Conv2d;
  readonly #conv2: Conv2d;
  readonly #out: Dense;
  readonly featureSize: number;

  constructor(shape: ImageShape, rng: Random, name = 'd') {
    checkShape(shape);
    this.#conv1 = new Conv2d(shape.channels, 64, rng, { name: `${name}/conv1` });
    this.#conv2 = new Conv2d(64, 128, rng, { name: `${name}/conv2` });
    this.featureSize = (shape.height / 4) * (shape.width / 4) * 128;
    this.#out = new Dense(this.featureSize, 1, rng, { name: `${name}/score` });
  }

  apply(x: tf.Tensor): CriticOutput {
    const h1 = tf.leakyRelu(this.#conv1.apply(x), 0.2);
    const h2 = tf.leakyRelu(this.#conv2.apply(h1), 0.2);
    const features = tf.reshape(h2, [x.shape[0] as number, this.featureSize]);
    return { score: this.#out.apply(features), features };
  }

  get trainableVariables(): tf.Variable[] {
    return [...this.#conv1.variables, ...this.#conv2.variables, ...this.#out.variables];
  }

  dispose(): void {
    for (const v of this.trainableVariables) v.dispose();
  }
}

/** Options of {@link buildMnistModel}. */
export interface MnistModelOptions {
  /** Generators of the ensemble models (default 20); `wgan-gp` always has one. */
  generators?: number;
  seed?: number;
  latentDim?: number;
  /** Image geometry (default MNIST 28×28×1). */
  shape?: ImageShape;
  /** Override the generator width C (default 32 for ensembles, 128 for `wgan-gp`). */
  generatorWidth?: number;
}

/**
 * Builds DESIGN.md's `mnist` benchmark: n generators z(100) → 7·7·32 → 16 → 1 (or one
 * 7·7·128 → 64 → 1 for `wgan-gp`), the conv critic, Q on its flattened features (dense 128 +
 * BN + LReLU → n), WGAN loss with one-sided GP 10, 5 critic steps per generator step. Each
 * generator has its own batch norms.
 */
export function buildMnistModel(model: MnistModelName, options: MnistModelOptions = {}): DmganCore {
  const seed = options.seed ?? 0;
  const latentDim = options.latentDim ?? MNIST_LATENT_DIM;
  const shape = options.shape ?? MNIST_SHAPE;
  const single = model === 'wgan-gp';
  const n = single ? 1 : (options.generators ?? 20);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`generators must be an integer ≥ 1, got ${n}`);
  const width = options.generatorWidth ?? (single ? SINGLE_CHANNELS : ENSEMBLE_CHANNELS);
  const init = new Random(`mnist-init:${seed}`);
  const generators = Array.from({ length: n }, (_, i) => new ConvGenerator(latentDim, width, shape, init, `g${i}`));
  const critic = new ConvCritic(shape, init);
  const qHead = single ? null : new QHead(critic.featureSize, n, init);
  const prior = new LearnedPrior(n, { mode: model === 'dmwgan-pl' ? 'learned' : 'uniform', seed: `prior:${seed}` });
  return new DmganCore({
    latentDim,
    ensemble: new GeneratorEnsemble(generators),
    critic,
    qHead,
    prior,
    loss: wganLoss({ penalty: 'one-sided', penaltyWeight: 10 }),
    qWeight: single ? 0 : 1,
    discriminatorSteps: 5,
    seed,
  });
}
