import { DmganCore } from '../../../plugins/dmgan/dmganCore.js';
import { emaPlugins } from '../lines/models.js';
import { GeneratorEnsemble } from '../../core/ensemble.js';
import { ConvCritic, ConvGenerator, type ImageShape } from '../../core/nn/convGan.js';
import { LearnedPrior } from '../../core/prior.js';
import { QHead } from '../../core/qHead.js';
import { Random } from '../../core/random.js';
import { wganLoss } from '../../losses/adversarial.js';

// The convolutional modules live in L0 (src/core/nn/convGan.ts), where the ONNX export can see them.
export { ConvCritic, ConvGenerator } from '../../core/nn/convGan.js';
export type { ImageShape } from '../../core/nn/convGan.js';

/** The MNIST experiment's models: DMWGAN-PL, DMWGAN (uniform prior), and one WGAN-GP. */
export const MNIST_MODELS = ['dmwgan-pl', 'dmwgan', 'wgan-gp'] as const;
export type MnistModelName = (typeof MNIST_MODELS)[number];

/** Latent size of the reference. */
export const MNIST_LATENT_DIM = 100;
/** Width C of an ensemble member's first layer (1/4 of the single generator's 128). */
export const ENSEMBLE_CHANNELS = 32;
/** Width C of the single WGAN-GP generator. */
export const SINGLE_CHANNELS = 128;

/** MNIST: 28 × 28 greyscale. */
export const MNIST_SHAPE: ImageShape = { height: 28, width: 28, channels: 1 };

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
  /** Generator weight averaging: the EMA decay in (0, 1) (`EmaPlugin`). Default off. */
  ema?: number;
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
  const ensemble = new GeneratorEnsemble(generators);
  return new DmganCore({
    latentDim,
    ensemble,
    ...emaPlugins(options.ema, ensemble),
    critic,
    sampleShape: [shape.height, shape.width, shape.channels],
    qHead,
    prior,
    loss: wganLoss({ penalty: 'one-sided', penaltyWeight: 10 }),
    qWeight: single ? 0 : 1,
    discriminatorSteps: 5,
    seed,
  });
}
