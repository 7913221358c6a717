import * as tf from '@tensorflow/tfjs-core';
import type { AdamOptions } from '../../src/core/adamState.js';
import { routeIds } from '../../src/core/ensemble.js';
import { countNonFinite, firstNonFinite, NumericalFaultError, withLossesOnFault } from '../../src/core/faults.js';
import { VariableAdam, type VariableAdamState } from '../../src/core/optim/variableAdam.js';
import { countEffectiveGenerators, priorEntropy } from '../../src/core/effectiveGenerators.js';
import type { LearnedPrior, LearnedPriorJSON } from '../../src/core/prior.js';
import type { QHeadFactory, QHeadModule } from '../../src/core/qHead.js';
import { Random, type RandomState } from '../../src/core/random.js';
import type {
  EvaluateContext,
  GeneratorLossContext,
  GeneratorLossGradientContext,
  GeneratorSelection,
  GeneratorStepBeginContext,
  GeneratorStepContext,
  LossTermGradients,
  SelectGeneratorsContext,
  StateDictOptions,
  TrainerPlugin,
} from '../../src/core/trainer/hooks.js';
import { REFERENCE_OPTIMIZERS } from '../../src/core/trainer/steps.js';
import { drawLatents, trainingStreams, type LatentDistribution } from '../../src/core/trainer/streams.js';

/** What {@link DmganPlugin} is built from (the container module supplies these). */
export interface DmganPluginParts {
  prior: LearnedPrior;
  /**
   * The Q head; or a factory, called on the first critic features the plugin sees (for
   * trainers that do not know their feature width up front); or null for none (one generator,
   * or a uniform prior with λ_Q = 0).
   */
  qHead: QHeadModule | QHeadFactory | null;
  /** λ_Q. Default 1. */
  qWeight?: number;
  latent?: LatentDistribution;
  /** Seeds the plugin's own id and latent streams, used when a trainer hands it none. */
  seed?: number;
  /** Adam of the Q head. Default the reference's (2e-4, 0.9, 0.999). */
  qOptimizer?: AdamOptions;
}

/** What {@link DmganPlugin.stateDict} returns. */
export interface DmganPluginState {
  format: 'dmgan.plugin/v1';
  prior: LearnedPriorJSON;
  rng: { ids: RandomState; latent: RandomState };
  /** Null without a Q head; weights and optimiser absent when the trainer saves them itself. */
  q: { featureSize: number; variables?: number[][]; optimizer?: VariableAdamState } | null;
}

/**
 * The DMWGAN-PL maths, once, as a trainer plugin: generator ids from the learned prior (and
 * latents), λ_Q·CE(Q(features), c) added to the generator loss (by autodiff or in closed
 * form), Q trained on the same cross-entropy and one prior step from Q's posteriors on the
 * real batch after each generator step, evaluation figures, and state for checkpoints.
 * dmgan's own trainer (`withDMGAN`, the CLI) and third-party trainers run this same plugin.
 */
export class DmganPlugin implements TrainerPlugin {
  readonly name = 'dmgan';
  readonly #prior: LearnedPrior;
  readonly #qFactory: QHeadFactory | null;
  readonly #qWeight: number;
  readonly #latent: LatentDistribution;
  readonly #qOptions: AdamOptions;
  #q: QHeadModule | null = null;
  #qAdam: VariableAdam | null = null;
  #featureSize = 0;
  #idsRng: Random;
  #latentRng: Random;
  /** Q's posteriors on this step's real batch, summed over samples, taken at the step's start. */
  #realSums: Float32Array | null = null;
  /** Q's loss and gradients from this step's closed-form term, for its update. */
  #closedForm: { loss: tf.Scalar; grads: tf.NamedTensorMap } | null = null;

  constructor(parts: DmganPluginParts) {
    this.#prior = parts.prior;
    this.#qWeight = parts.qWeight ?? 1;
    if (!(this.#qWeight >= 0)) throw new RangeError(`qWeight must be ≥ 0, got ${this.#qWeight}`);
    this.#latent = parts.latent ?? 'uniform';
    this.#qOptions = parts.qOptimizer ?? REFERENCE_OPTIMIZERS.q;
    this.#qFactory = typeof parts.qHead === 'function' ? parts.qHead : null;
    if (parts.qHead !== null && typeof parts.qHead !== 'function') this.#q = parts.qHead;
    this.#qAdam = new VariableAdam(this.#q?.trainableVariables ?? [], this.#qOptions, 'q');
    const streams = trainingStreams(parts.seed ?? 0);
    this.#latentRng = streams.latent;
    this.#idsRng = streams.ids;
  }

  /** The learned prior r(c). */
  get prior(): LearnedPrior {
    return this.#prior;
  }

  /** The Q head (null until a factory-built one has seen features, or without one). */
  get qHead(): QHeadModule | null {
    return this.#q;
  }

  /** λ_Q. */
  get qWeight(): number {
    return this.#qWeight;
  }

  selectGenerators(ctx: SelectGeneratorsContext): GeneratorSelection {
    const n = this.#prior.n;
    if (ctx.generators !== n) throw new RangeError(`the trainer has ${ctx.generators} generators, the prior has n = ${n}`);
    const ids = ctx.generator === undefined ? this.#prior.sample(ctx.batchSize, ctx.random?.ids ?? this.#idsRng) : new Int32Array(ctx.batchSize).fill(ctx.generator);
    const routing = routeIds(ids, n);
    return { ...routing, latents: drawLatents(ctx.random?.latents ?? this.#latentRng, ctx.batchSize, ctx.latentDim, this.#latent) };
  }

  generatorLossTerm(ctx: GeneratorLossContext): tf.Scalar | undefined {
    const q = this.#termHead(ctx.features);
    if (!q) return undefined;
    return tf.mul(this.#crossEntropy(q.apply(ctx.features, true), ctx.ids), this.#qWeight) as tf.Scalar;
  }

  /** Offered while Q has a closed-form cross-entropy (or there is no term to compute). */
  get generatorLossGradients(): ((ctx: GeneratorLossGradientContext) => LossTermGradients | null) | undefined {
    if (!this.#hasTerm) return this.#closedFormTerm;
    const q = this.#q;
    return q?.crossEntropyGradients ? this.#closedFormTerm : undefined;
  }

  readonly #closedFormTerm = (ctx: GeneratorLossGradientContext): LossTermGradients | null => {
    const q = this.#termHead(ctx.features);
    if (!q?.crossEntropyGradients) return null;
    this.#dropClosedForm();
    const ce = q.crossEntropyGradients(ctx.features, tf.oneHot(tf.tensor1d(ctx.ids, 'int32'), this.#prior.n));
    this.#closedForm = { loss: tf.keep(ce.loss), grads: Object.fromEntries(Object.entries(ce.grads).map(([k, g]) => [k, tf.keep(g)])) };
    const w = this.#qWeight;
    return { value: tf.mul(ce.loss, w) as tf.Scalar, dFeatures: w === 1 ? ce.dFeatures : tf.mul(ce.dFeatures, w) };
  };

  onGeneratorStepBegin(ctx: GeneratorStepBeginContext): void {
    this.#dropClosedForm();
    // The prior's posteriors come from the critic and Q as they are before this step's updates.
    // Checked here, before the generators' update: a fault leaves every weight as it was.
    this.#realSums = this.#readsRealData ? finitePosteriorSums(this.#posteriorSums(ctx.realFeatures)) : null;
  }

  onGeneratorStepEnd(ctx: GeneratorStepContext): Record<string, number> {
    // Before Q's update, for trainers that do not call onGeneratorStepBegin.
    const sums = this.#realSums ?? (this.#readsRealData ? finitePosteriorSums(this.#posteriorSums(ctx.realFeatures)) : null);
    this.#realSums = null;
    const out: Record<string, number> = {};
    const q = this.#hasTerm && this.#ensureQ(ctx.fakeFeatures) ? this.#updateQ(ctx) : undefined;
    if (q !== undefined) out.q = q;
    if (sums) {
      out.prior = this.#prior.update({ columnSums: sums, batchSize: ctx.realFeatures.shape[0] as number }).loss;
    } else {
      // A uniform prior still counts its steps (κ^t) so a later switch to learning is consistent.
      const batch = ctx.ids.length;
      out.prior = this.#prior.update({ columnSums: new Float64Array(this.#prior.n).fill(batch / this.#prior.n), batchSize: batch }).loss;
    }
    return out;
  }

  /**
   * Q's posteriors Q(c | x) [B, n] from critic features, with Q's moving batch-norm statistics or
   * (`batchStatistics`) the batch's own, as the prior's update reads real data. Null without Q.
   */
  posteriors(features: tf.Tensor, batchStatistics = false): tf.Tensor2D | null {
    const q = this.#q;
    if (!q) return null;
    return tf.tidy(() => tf.softmax(q.apply(features, batchStatistics, false)));
  }

  /**
   * The prior's figures: `effective_generators` (entries r > 1/(2n)), `prior_entropy` H(r) in
   * nats and `prior_perplexity` exp(H(r)) (n for uniform, 1 for one-hot); see
   * src/core/effectiveGenerators.ts.
   */
  evaluate(_ctx: EvaluateContext): Record<string, number> {
    const p = this.#prior.probabilities();
    const entropy = priorEntropy(p);
    return {
      effective_generators: countEffectiveGenerators(p),
      prior_entropy: entropy,
      prior_perplexity: Math.exp(entropy),
    };
  }

  parameterGroups(): Record<string, readonly tf.Variable[]> {
    const q = this.#q;
    return q ? { q: [...q.trainableVariables, ...(q.stateVariables ?? [])] } : {};
  }

  optimizers(): Record<string, VariableAdam> {
    return this.#qAdam ? { q: this.#qAdam } : {};
  }

  stateDict(options: StateDictOptions = {}): DmganPluginState {
    const q = this.#q;
    const tensors = options.tensors ?? true;
    return {
      format: 'dmgan.plugin/v1',
      prior: this.#prior.toJSON(),
      rng: { ids: this.#idsRng.state(), latent: this.#latentRng.state() },
      q: q && this.#qAdam
        ? tensors
          ? { featureSize: this.#featureSize, variables: q.trainableVariables.concat(q.stateVariables ?? []).map((v) => Array.from(v.dataSync())), optimizer: this.#qAdam.state() }
          : { featureSize: this.#featureSize }
        : null,
    };
  }

  /**
   * Restores {@link stateDict}'s output. All or nothing: the state is checked whole (prior,
   * random streams, Q's width, weights and optimiser) before anything is written, and a Q head
   * built from the factory for the check is kept only if the whole state loads.
   */
  loadStateDict(state: unknown): void {
    const s = state as DmganPluginState;
    if (s?.format !== 'dmgan.plugin/v1') throw new Error(`DmganPlugin.loadStateDict: unknown format ${String(s?.format)}`);
    if (s.prior.n !== this.#prior.n) throw new RangeError(`checkpoint prior has n = ${s.prior.n}, this plugin's has ${this.#prior.n}`);
    if (s.q && this.#q && this.#featureSize !== 0 && s.q.featureSize !== this.#featureSize) {
      throw new RangeError(`checkpoint Q head reads ${s.q.featureSize} features per sample, this plugin's reads ${this.#featureSize}`);
    }
    const idsRng = new Random({ state: s.rng.ids });
    const latentRng = new Random({ state: s.rng.latent });
    const saved = s.q;
    const built = saved && !this.#q ? this.#create(saved.featureSize) : null;
    try {
      const q = built?.q ?? this.#q;
      const adam = built?.adam ?? this.#qAdam;
      const target = saved && q && adam ? { saved, adam, vars: q.trainableVariables.concat(q.stateVariables ?? []) } : null;
      if (target?.saved.variables) checkVariableValues(target.saved.variables, target.vars);
      if (target?.saved.optimizer) target.adam.checkState(target.saved.optimizer);
      this.#prior.load(s.prior);
      if (built) this.#install(built);
      else if (saved) this.#featureSize = saved.featureSize;
      this.#idsRng = idsRng;
      this.#latentRng = latentRng;
      if (target) {
        const { variables, optimizer } = target.saved;
        if (variables) tf.tidy(() => target.vars.forEach((v, i) => v.assign(tf.tensor(variables[i] as number[], v.shape, 'float32'))));
        if (optimizer) target.adam.loadState(optimizer);
      }
    } catch (err) {
      built?.q.dispose();
      throw err;
    }
  }

  /** Frees Q, its optimiser and anything held between hooks. Idempotent. */
  dispose(): void {
    this.#dropClosedForm();
    this.#q?.dispose();
    this.#qAdam?.dispose();
    this.#q = null;
    this.#qAdam = null;
  }

  /** Whether generator steps add Q's term: one generator has nothing to tell apart (CE ≡ 0). */
  get #hasTerm(): boolean {
    return this.#qWeight > 0 && this.#prior.n > 1 && (this.#q !== null || this.#qFactory !== null);
  }

  /** Whether the prior's update reads Q on real data. */
  get #readsRealData(): boolean {
    return this.#prior.mode === 'learned' && this.#prior.n > 1 && (this.#q !== null || this.#qFactory !== null);
  }

  #termHead(features: tf.Tensor): QHeadModule | null {
    return this.#hasTerm ? this.#ensureQ(features) : null;
  }

  #posteriorSums(realFeatures: tf.Tensor): Float32Array {
    const q = this.#ensureQ(realFeatures) as QHeadModule;
    return tf.tidy(() => tf.sum(tf.softmax(q.apply(realFeatures, true, false)), 0).dataSync() as Float32Array);
  }

  /** One Adam step of Q on its cross-entropy: the closed-form gradients of this step's term, or autodiff on the generated features. */
  #updateQ(ctx: GeneratorStepContext): number | undefined {
    const q = this.#q as QHeadModule;
    const { loss, grads } = this.#closedForm ?? this.#crossEntropyGradients(q, ctx.fakeFeatures, ctx.ids);
    this.#closedForm = null;
    try {
      withLossesOnFault(() => (this.#qAdam as VariableAdam).applyGradients(grads), () => ({ q: loss }));
      return ctx.readLosses === false ? undefined : (loss.dataSync()[0] as number);
    } finally {
      tf.dispose([loss, ...Object.values(grads)]);
    }
  }

  #crossEntropyGradients(q: QHeadModule, features: tf.Tensor, ids: Int32Array): { loss: tf.Scalar; grads: tf.NamedTensorMap } {
    const { value, grads } = tf.variableGrads(() => this.#crossEntropy(q.apply(features, true, false), ids), [...q.trainableVariables] as tf.Variable[]);
    return { loss: value, grads };
  }

  #crossEntropy(logits: tf.Tensor2D, ids: Int32Array): tf.Scalar {
    return tf.tidy(() => tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(ids, 'int32'), this.#prior.n), logits) as tf.Scalar);
  }

  #dropClosedForm(): void {
    if (!this.#closedForm) return;
    tf.dispose([this.#closedForm.loss, ...Object.values(this.#closedForm.grads)]);
    this.#closedForm = null;
  }

  #ensureQ(features: tf.Tensor): QHeadModule | null {
    const size = features.shape.slice(1).reduce((a, b) => a * b, 1);
    if (this.#q) {
      if (this.#featureSize !== 0 && size !== this.#featureSize) throw new RangeError(`critic features have ${size} values per sample, the Q head was built for ${this.#featureSize}`);
      this.#featureSize = size;
      return this.#q;
    }
    return this.#qFactory ? this.#build(size) : null;
  }

  #build(featureSize: number): QHeadModule {
    const built = this.#create(featureSize);
    this.#install(built);
    return built.q;
  }

  /** A Q head from the factory and its optimiser, not yet this plugin's. */
  #create(featureSize: number): BuiltQ {
    if (!this.#qFactory) throw new Error('this DmganPlugin has no Q head factory');
    const factory = this.#qFactory;
    const q = scoped(() => factory(featureSize, this.#prior.n));
    return { q, adam: new VariableAdam(q.trainableVariables, this.#qOptions, 'q'), featureSize };
  }

  #install(built: BuiltQ): void {
    this.#qAdam?.dispose();
    this.#q = built.q;
    this.#qAdam = built.adam;
    this.#featureSize = built.featureSize;
  }
}

interface BuiltQ {
  q: QHeadModule;
  adam: VariableAdam;
  featureSize: number;
}

/** Refuses saved Q weights that do not match Q's variables one for one, naming the first that does not. */
function checkVariableValues(values: unknown, vars: readonly tf.Variable[]): void {
  if (!Array.isArray(values) || values.length !== vars.length) {
    throw new RangeError(`checkpoint Q head has ${Array.isArray(values) ? values.length : String(values)} variables, this plugin's has ${vars.length}`);
  }
  vars.forEach((v, i) => {
    const a: unknown = values[i];
    if (!Array.isArray(a) || a.length !== v.size) {
      throw new RangeError(`checkpoint Q variable ${i} (${v.name}) must be ${v.size} numbers, got ${Array.isArray(a) ? `${a.length} entries` : String(a)}`);
    }
    const j = a.findIndex((x) => typeof x !== 'number');
    if (j >= 0) throw new RangeError(`checkpoint Q variable ${i} (${v.name}): entry ${j} is not a number (${String(a[j])})`);
  });
}

/** Column sums of Q's posteriors on real data, refused (a fault of the prior's input) when any is NaN or ±Infinity. */
function finitePosteriorSums(sums: Float32Array): Float32Array {
  const bad = firstNonFinite(sums);
  if (bad >= 0) throw new NumericalFaultError({ kind: 'loss', group: 'prior', name: 'posteriors on real data', value: sums[bad] as number, count: countNonFinite(sums) });
  return sums;
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
