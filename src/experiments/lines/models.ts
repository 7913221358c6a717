import { DmganCore } from '../../../plugins/dmgan/dmganCore.js';
import { EmaPlugin } from '../../../plugins/ema/emaPlugin.js';
import { GeneratorEnsemble, MaskedEnsemble, type EnsembleModule } from '../../core/ensemble.js';
import { FusedMlpEnsemble } from '../../core/fusedMlpEnsemble.js';
import { MlpCritic, MlpGenerator } from '../../core/nn/mlp.js';
import { LearnedPrior } from '../../core/prior.js';
import { QHead } from '../../core/qHead.js';
import { Random } from '../../core/random.js';
import { wganLoss } from '../../losses/adversarial.js';

/** The line experiment's models: the paper's DMWGAN-PL, DMWGAN (uniform prior), and one WGAN-GP. */
export const LINE_MODELS = ['dmwgan-pl', 'dmwgan', 'wgan-gp'] as const;
export type LineModelName = (typeof LINE_MODELS)[number];

/** Options of {@link buildLinesModel}. */
export interface LinesModelOptions {
  /** Number of generators (ensemble models only). Default 10. */
  generators?: number;
  seed?: number;
  /** Latent size; the reference's is 100. */
  latentDim?: number;
  /**
   * How samples reach generators. `'fused'` (default): the identical MLPs run as one stacked,
   * batched network, each on its own samples; `'routed'`: one network call per generator on its
   * own samples; `'masked'`: the reference's every-generator-on-every-sample with a one-hot mask
   * (n× the compute). The maths is the same; only cost differs.
   */
  routing?: 'fused' | 'routed' | 'masked';
  /**
   * Closed-form critic and generator-step gradients (default true) or autodiff throughout
   * (false; the same maths, several times the kernels).
   */
  closedFormGradients?: boolean;
  /** Generator weight averaging: the EMA decay in (0, 1) (`EmaPlugin`). Default off. */
  ema?: number;
}

/**
 * `{ plugins: [EmaPlugin] }` over the ensemble's trainable variables when `decay` is given (the
 * experiments' `ema` option), else nothing: spread into `DmganCoreParts`.
 */
export function emaPlugins(decay: number | undefined, ensemble: EnsembleModule): { plugins?: EmaPlugin[] } {
  return decay === undefined ? {} : { plugins: [new EmaPlugin({ decay, variables: ensemble.trainableVariables })] };
}

/** Latent size of the reference. */
export const LINES_LATENT_DIM = 100;

/**
 * Builds the reference configuration: generators z(100) → 32 → 16 → 2 (ReLU) each, or one
 * 100 → 128 → 64 → 2 for `wgan-gp`; critic 2 → 64 → 128 → 1 (leaky ReLU 0.2); Q on the
 * critic's 128-d hidden layer; one-sided GP 10; 5 critic steps per generator step.
 */
export function buildLinesModel(model: LineModelName, options: LinesModelOptions = {}): DmganCore {
  const seed = options.seed ?? 0;
  const latentDim = options.latentDim ?? LINES_LATENT_DIM;
  const single = model === 'wgan-gp';
  const n = single ? 1 : (options.generators ?? 10);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`generators must be an integer ≥ 1, got ${n}`);
  const init = new Random(`lines-init:${seed}`);
  const genSizes = single ? [latentDim, 128, 64, 2] : [latentDim, 32, 16, 2];
  const generators = Array.from({ length: n }, (_, i) => new MlpGenerator({ sizes: genSizes, activation: 'relu', name: `g${i}` }, init));
  const critic = new MlpCritic({ sizes: [2, 64, 128, 1], activation: 'leakyRelu', name: 'd' }, init);
  const qHead = single ? null : new QHead(128, n, init);
  const prior = new LearnedPrior(n, { mode: model === 'dmwgan-pl' ? 'learned' : 'uniform', seed: `prior:${seed}` });
  const ensemble = makeEnsemble(generators, options.routing ?? 'fused');
  return new DmganCore({
    latentDim,
    ensemble,
    ...emaPlugins(options.ema, ensemble),
    critic,
    sampleShape: [2],
    qHead,
    prior,
    loss: wganLoss({ penalty: 'one-sided', penaltyWeight: 10 }),
    qWeight: single ? 0 : 1,
    discriminatorSteps: 5,
    seed,
    closedFormGradients: options.closedFormGradients ?? true,
  });
}

function makeEnsemble(generators: MlpGenerator[], routing: 'fused' | 'routed' | 'masked'): EnsembleModule {
  if (routing === 'fused') return FusedMlpEnsemble.fromGenerators(generators);
  const routed = new GeneratorEnsemble(generators);
  return routing === 'masked' ? new MaskedEnsemble(routed) : routed;
}
