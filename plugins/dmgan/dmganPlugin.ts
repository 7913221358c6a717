import * as tf from '@tensorflow/tfjs-core';
import type { AdamOptions } from '../../src/core/adamState.js';
import { REFERENCE_OPTIMIZERS } from '../../src/core/dmganCore.js';
import { routeIds } from '../../src/core/ensemble.js';
import { VariableAdam } from '../../src/core/optim/variableAdam.js';
import type { VariableAdamState } from '../../src/core/optim/variableAdam.js';
import { LearnedPrior } from '../../src/core/prior.js';
import type { LearnedPriorJSON } from '../../src/core/prior.js';
import type { QHeadModule } from '../../src/core/qHead.js';
import { Random } from '../../src/core/random.js';
import type { RandomState } from '../../src/core/random.js';
import type { QHeadFactory } from '../../src/api/options.js';
import type {
  EvaluateContext,
  GeneratorLossContext,
  GeneratorSelection,
  GeneratorStepContext,
  SelectGeneratorsContext,
  TrainerPlugin,
} from '../../src/di/trainerPlugin.js';

/** What {@link DmganPlugin} is built from (the container module supplies these). */
export interface DmganPluginParts {
  prior: LearnedPrior;
  qHead: QHeadFactory;
  /** λ_Q. Default 1. */
  qWeight?: number;
  latent?: 'uniform' | 'normal';
  seed?: number;
  /** Adam of the Q head. Default the reference's (2e-4, 0.9, 0.999). */
  qOptimizer?: AdamOptions;
}

/** What {@link DmganPlugin.stateDict} returns. */
export interface DmganPluginState {
  format: 'dmgan.plugin/v1';
  prior: LearnedPriorJSON;
  rng: { ids: RandomState; latent: RandomState };
  /** Null until the Q head has been built (first loss term). */
  q: { featureSize: number; variables: number[][]; optimizer: VariableAdamState } | null;
}

/**
 * DMWGAN-PL for someone else's training loop. The trainer keeps its generators, critic and
 * loss; the plugin draws generator ids from the prior (and latents), adds λ_Q·CE(Q(features), c)
 * to the generator loss, and after each generator step trains Q on the same cross-entropy and
 * takes one prior step from Q's posteriors on the real batch — the maths of `DmganCore`.
 * A trainer that drives it with the same models and seed reproduces `withDMGAN`'s losses
 * exactly (tested in `test/plugins/dmgan/parity.test.ts`).
 */
export class DmganPlugin implements TrainerPlugin {
  readonly name = 'dmgan';
  #prior: LearnedPrior;
  readonly #qFactory: QHeadFactory;
  readonly #qWeight: number;
  readonly #latent: 'uniform' | 'normal';
  readonly #qOptions: AdamOptions;
  #q: QHeadModule | null = null;
  #qAdam: VariableAdam | null = null;
  #featureSize = 0;
  #idsRng: Random;
  #latentRng: Random;

  constructor(parts: DmganPluginParts) {
    this.#prior = parts.prior;
    this.#qFactory = parts.qHead;
    this.#qWeight = parts.qWeight ?? 1;
    this.#latent = parts.latent ?? 'uniform';
    this.#qOptions = parts.qOptimizer ?? REFERENCE_OPTIMIZERS.q;
    // The same streams as DmganCore with this seed (forked in its order), so a trainer that
    // drives this plugin can reproduce the engine's run exactly.
    const root = new Random(`dmgan-core:${parts.seed ?? 0}`);
    this.#latentRng = root.fork('latent');
    root.fork('alpha');
    this.#idsRng = root.fork('ids');
  }

  /** The learned prior r(c). */
  get prior(): LearnedPrior {
    return this.#prior;
  }

  /** The Q head, once built (it is built on the first loss term, when the feature width is known). */
  get qHead(): QHeadModule | null {
    return this.#q;
  }

  selectGenerators(ctx: SelectGeneratorsContext): GeneratorSelection {
    if (ctx.generators !== this.#prior.n) throw new RangeError(`the trainer has ${ctx.generators} generators, the prior has n = ${this.#prior.n}`);
    const routing = routeIds(this.#prior.sample(ctx.batchSize, this.#idsRng), this.#prior.n);
    const count = ctx.batchSize * ctx.latentDim;
    const values = this.#latent === 'uniform' ? this.#latentRng.uniformArray(count, -1, 1) : this.#latentRng.normalArray(count);
    return { ...routing, latents: tf.tensor2d(values, [ctx.batchSize, ctx.latentDim]) };
  }

  generatorLossTerm(ctx: GeneratorLossContext): tf.Scalar | undefined {
    if (this.#qWeight === 0) return undefined;
    const q = this.#ensureQ(ctx.features);
    const ce = this.#crossEntropy(q.apply(ctx.features, true), ctx.ids);
    return tf.mul(ce, this.#qWeight) as tf.Scalar;
  }

  async onGeneratorStepEnd(ctx: GeneratorStepContext): Promise<Record<string, number>> {
    const q = this.#ensureQ(ctx.fakeFeatures);
    // Posteriors on real data come from Q before its own update (as the reference).
    const sums = this.#prior.mode === 'learned'
      ? tf.tidy(() => tf.sum(tf.softmax(q.apply(ctx.realFeatures, true, false)), 0).dataSync() as Float32Array)
      : new Float64Array(this.#prior.n).fill(ctx.realFeatures.shape[0] as number / this.#prior.n);
    let qLoss = NaN;
    if (this.#qWeight > 0) {
      tf.tidy(() => {
        const fake = tf.clone(ctx.fakeFeatures);
        const { value, grads } = tf.variableGrads(() => this.#crossEntropy(q.apply(fake, true, false), ctx.ids), [...q.trainableVariables] as tf.Variable[]);
        (this.#qAdam as VariableAdam).applyGradients(grads);
        qLoss = value.dataSync()[0] as number;
      });
    }
    const prior = this.#prior.update({ columnSums: sums, batchSize: ctx.realFeatures.shape[0] as number });
    return { q: qLoss, prior: prior.loss };
  }

  evaluate(_ctx: EvaluateContext): Record<string, number> {
    const p = this.#prior.probabilities();
    return { effective_generators: this.#prior.activeGenerators(0.05).length, prior_entropy: -p.reduce((s, x) => s + (x > 0 ? x * Math.log(x) : 0), 0) };
  }

  stateDict(): DmganPluginState {
    return {
      format: 'dmgan.plugin/v1',
      prior: this.#prior.toJSON(),
      rng: { ids: this.#idsRng.state(), latent: this.#latentRng.state() },
      q: this.#q && this.#qAdam
        ? { featureSize: this.#featureSize, variables: this.#q.trainableVariables.concat(this.#q.stateVariables ?? []).map((v) => Array.from(v.dataSync())), optimizer: this.#qAdam.state() }
        : null,
    };
  }

  loadStateDict(state: unknown): void {
    const s = state as DmganPluginState;
    if (s?.format !== 'dmgan.plugin/v1') throw new Error(`DmganPlugin.loadStateDict: unknown format ${String(s?.format)}`);
    if (s.prior.n !== this.#prior.n) throw new RangeError(`checkpoint prior has n = ${s.prior.n}, this plugin's has ${this.#prior.n}`);
    this.#prior = LearnedPrior.fromJSON(s.prior);
    this.#idsRng = new Random({ state: s.rng.ids });
    this.#latentRng = new Random({ state: s.rng.latent });
    if (s.q) {
      const q = this.#build(s.q.featureSize);
      const vars = q.trainableVariables.concat(q.stateVariables ?? []);
      tf.tidy(() => vars.forEach((v, i) => v.assign(tf.tensor(s.q?.variables[i] ?? [], v.shape, 'float32'))));
      (this.#qAdam as VariableAdam).loadState(s.q.optimizer);
    }
  }

  dispose(): void {
    this.#q?.dispose();
    this.#qAdam?.dispose();
    this.#q = null;
    this.#qAdam = null;
  }

  #crossEntropy(logits: tf.Tensor2D, ids: Int32Array): tf.Scalar {
    return tf.tidy(() => tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(ids, 'int32'), this.#prior.n), logits) as tf.Scalar);
  }

  #ensureQ(features: tf.Tensor): QHeadModule {
    const size = features.shape.slice(1).reduce((a, b) => a * b, 1);
    if (this.#q) {
      if (size !== this.#featureSize) throw new RangeError(`critic features have ${size} values per sample, the Q head was built for ${this.#featureSize}`);
      return this.#q;
    }
    return this.#build(size);
  }

  #build(featureSize: number): QHeadModule {
    if (this.#q && this.#featureSize === featureSize) return this.#q;
    this.dispose();
    const q = scoped(() => this.#qFactory(featureSize, this.#prior.n));
    this.#q = q;
    this.#featureSize = featureSize;
    this.#qAdam = new VariableAdam(q.trainableVariables, this.#qOptions);
    return q;
  }
}

/** Runs `build` in a tfjs scope (intermediates freed, variables kept); returns its result. */
export function scoped<T>(build: () => T): T {
  tf.engine().startScope();
  try {
    return build();
  } finally {
    tf.engine().endScope();
  }
}
