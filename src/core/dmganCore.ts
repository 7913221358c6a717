import * as tf from '@tensorflow/tfjs-core';
import { gradientPenalty } from '../losses/gradientPenalty.js';
import type { AdversarialLoss } from '../losses/adversarial.js';
import type { AdamOptions } from './adamState.js';
import { routeIds, type EnsembleModule } from './ensemble.js';
import type { CriticModule } from './modules.js';
import type { LearnedPrior } from './prior.js';
import type { QHeadModule } from './qHead.js';
import { VariableAdam } from './optim/variableAdam.js';
import { checkRealBatch, countNonFinite, firstNonFinite, InvalidBatchError, NumericalFaultError, type ParameterGroup } from './faults.js';
import { Random, type RandomState } from './random.js';

/** Optimiser settings of the three trained parts; defaults are the reference's. */
export interface OptimizerSettings {
  generator: AdamOptions;
  discriminator: AdamOptions;
  q: AdamOptions;
}

/** The reference settings: G and D Adam(2e-4, 0.5, 0.5), Q Adam(2e-4, 0.9, 0.999), ε = 1e-8 (TF1). */
export const REFERENCE_OPTIMIZERS: OptimizerSettings = {
  generator: { learningRate: 2e-4, beta1: 0.5, beta2: 0.5, epsilon: 1e-8 },
  discriminator: { learningRate: 2e-4, beta1: 0.5, beta2: 0.5, epsilon: 1e-8 },
  q: { learningRate: 2e-4, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
};

/** Everything one DMWGAN(-PL) training engine is made of. */
export interface DmganCoreParts {
  latentDim: number;
  ensemble: EnsembleModule;
  critic: CriticModule;
  /** The Q head; null trains a plain (ensemble) GAN with no mutual-information term. */
  qHead: QHeadModule | null;
  prior: LearnedPrior;
  loss: AdversarialLoss;
  /** λ_Q, weight of Q's cross-entropy in the generator loss. Default 1. */
  qWeight?: number;
  /** Critic updates per generator update. Default 5. */
  discriminatorSteps?: number;
  optimizers?: Partial<OptimizerSettings>;
  /** Latent distribution: U(−1, 1) as the reference (default) or N(0, 1). */
  latent?: 'uniform' | 'normal';
  seed?: number;
  /**
   * Use closed-form gradients where the parts offer them (default true): the critic's WGAN-GP
   * step, and in generator steps the critic's input gradient and Q's cross-entropy. False always
   * uses autodiff (the reference path the tests compare with). Same maths, up to rounding.
   */
  closedFormGradients?: boolean;
}

/** Losses of one iteration, as numbers. */
export interface StepLosses {
  /** Critic loss including the weighted gradient penalty (critic steps). */
  discriminator?: number;
  /** The unweighted gradient penalty (critic steps). */
  gradientPenalty?: number;
  /** Adversarial generator loss (generator steps). */
  generator?: number;
  /** Q's cross-entropy on generated samples (generator steps). */
  q?: number;
  /** The prior's loss CE − λ_H κ^t H(r) (generator steps). */
  prior?: number;
}

/** What one iteration did. */
export interface StepResult {
  /** 1-based iteration number, counting critic and generator steps alike (as the reference). */
  iteration: number;
  kind: 'discriminator' | 'generator';
  /** Present when the caller asked for losses to be read back. */
  losses: StepLosses | null;
}

/** Step counters and random streams: the engine's state besides weights and optimisers. */
export interface DmganCoreCounters {
  iteration: number;
  generatorSteps: number;
  rng: { latent: RandomState; alpha: RandomState; ids: RandomState };
}

/**
 * The DMWGAN-PL training engine: one iteration of the critic/generator schedule at a time.
 *
 * Critic step: D minimises the adversarial loss (+ gradient penalty) on a real batch and a
 * batch drawn from the ensemble with ids from the prior. Generator step: the generators
 * minimise the adversarial loss plus λ_Q·CE(Q(x), c); Q minimises the same cross-entropy; the
 * prior takes one step from Q's posteriors on the real batch — all from the same parameters.
 */
export class DmganCore {
  readonly latentDim: number;
  readonly ensemble: EnsembleModule;
  readonly critic: CriticModule;
  readonly qHead: QHeadModule | null;
  readonly prior: LearnedPrior;
  readonly loss: AdversarialLoss;
  readonly qWeight: number;
  readonly discriminatorSteps: number;
  readonly latent: 'uniform' | 'normal';
  /** Whether steps may use the parts' closed-form gradients (see {@link DmganCoreParts}). */
  readonly closedFormGradients: boolean;
  readonly optimizers: { generator: VariableAdam; discriminator: VariableAdam; q: VariableAdam };
  readonly optimizerSettings: OptimizerSettings;
  #iteration = 0;
  #generatorSteps = 0;
  #latentRng: Random;
  #alphaRng: Random;
  #idsRng: Random;
  // Public sampling draws from its own stream, so sampling mid-training never shifts training.
  readonly #sampleRng: Random;

  constructor(parts: DmganCoreParts) {
    this.latentDim = parts.latentDim;
    this.ensemble = parts.ensemble;
    this.critic = parts.critic;
    this.qHead = parts.qHead;
    this.prior = parts.prior;
    this.loss = parts.loss;
    this.qWeight = parts.qWeight ?? 1;
    this.discriminatorSteps = parts.discriminatorSteps ?? 5;
    this.latent = parts.latent ?? 'uniform';
    this.closedFormGradients = parts.closedFormGradients ?? true;
    if (!Number.isInteger(this.discriminatorSteps) || this.discriminatorSteps < 0) {
      throw new RangeError(`discriminatorSteps must be an integer ≥ 0, got ${this.discriminatorSteps}`);
    }
    if (!(this.qWeight >= 0)) throw new RangeError(`qWeight must be ≥ 0, got ${this.qWeight}`);
    if (this.prior.n !== this.ensemble.size) {
      throw new RangeError(`the prior has n = ${this.prior.n} but the ensemble has ${this.ensemble.size} generators`);
    }
    this.optimizerSettings = { ...REFERENCE_OPTIMIZERS, ...parts.optimizers };
    this.optimizers = {
      generator: new VariableAdam(this.ensemble.trainableVariables, this.optimizerSettings.generator, 'generator'),
      discriminator: new VariableAdam(this.critic.trainableVariables, this.optimizerSettings.discriminator, 'discriminator'),
      q: new VariableAdam(this.qHead?.trainableVariables ?? [], this.optimizerSettings.q, 'q'),
    };
    const root = new Random(`dmgan-core:${parts.seed ?? 0}`);
    this.#latentRng = root.fork('latent');
    this.#alphaRng = root.fork('alpha');
    this.#idsRng = root.fork('ids');
    this.#sampleRng = root.fork('sample');
  }

  /** Iterations done so far (critic and generator steps). */
  get iteration(): number {
    return this.#iteration;
  }

  /** Generator steps done so far. */
  get generatorSteps(): number {
    return this.#generatorSteps;
  }

  /** Whether the next iteration is a generator step. */
  get nextIsGeneratorStep(): boolean {
    return this.#iteration % (this.discriminatorSteps + 1) === this.discriminatorSteps;
  }

  /**
   * One iteration: a critic step or, every (discriminatorSteps + 1)-th, a generator step.
   * @param real a batch of real samples [B, ...] (consumed by both kinds of step).
   * @param readLosses read the losses back to numbers (a device sync); off on the hot path.
   * @throws InvalidBatchError for an empty, non-float32 or non-finite batch, or one whose
   *   sample shape differs from the generators'.
   * @throws NumericalFaultError when a weight, gradient or the prior's input is NaN/±Infinity;
   *   it names the iteration, the step's losses and every non-finite weight. Nothing of the
   *   failing step is applied to the weights, optimisers or counters.
   */
  step(real: tf.Tensor, readLosses = true): StepResult {
    checkRealBatch(real);
    const kind = this.nextIsGeneratorStep ? 'generator' : 'discriminator';
    let losses: StepLosses | null;
    try {
      losses = kind === 'generator' ? this.#generatorStep(real, readLosses) : this.#criticStep(real, readLosses);
    } catch (error) {
      if (!(error instanceof NumericalFaultError)) throw error;
      const weights = this.nonFiniteWeights();
      const first = weights[0];
      const fault = error.with({ iteration: this.#iteration + 1, step: kind, weights });
      // A bad gradient or loss is a symptom when some weight is already non-finite: name that weight's group as the cause.
      if (!first || error.details.kind === 'weight') throw fault;
      throw fault.with({ kind: 'weight', group: first.group, name: first.name, value: first.value, count: first.count, via: `${error.details.kind} of '${error.details.name}' in group '${error.details.group}'` });
    }
    this.#iteration += 1;
    return { iteration: this.#iteration, kind, losses };
  }

  /** Draws latents [count, d] from the latent distribution. */
  sampleLatents(count: number, rng: Random = this.#latentRng): tf.Tensor2D {
    const n = count * this.latentDim;
    const values = this.latent === 'uniform' ? rng.uniformArray(n, -1, 1) : rng.normalArray(n);
    return tf.tensor2d(values, [count, this.latentDim]);
  }

  /**
   * Draws `count` samples: ids from the prior (or all from `generator`), grouped by generator.
   * Returns the samples and each sample's generator id. Ids and latents come from `options.rng`,
   * else from a sampling stream of the engine's own that training never reads.
   */
  generate(count: number, options: { generator?: number; training?: boolean; rng?: Random } = {}): { samples: tf.Tensor; ids: Int32Array } {
    const rng = options.rng ?? this.#sampleRng;
    return this.#generateWith(count, options.generator, options.training ?? false, rng, rng);
  }

  /**
   * Q's posteriors Q(c | x) of a batch of samples, [B, n] with rows summing to 1. Nothing is
   * updated and no random stream is read. By default Q's batch norm uses its moving statistics
   * (inference mode; they average with decay 0.999 per generator step, so they lag early in
   * training). With `batchStatistics` it normalises with the batch's own statistics, as the
   * prior's update reads Q on a batch of real data: averaged over real batches this is the
   * paper's "empirical prior", the distribution the prior's cross-entropy pulls r(c; ζ) towards.
   * @returns null for an engine without a Q head.
   * @throws InvalidBatchError for a batch the critic cannot take (as {@link step}).
   */
  posteriors(x: tf.Tensor, options: { batchStatistics?: boolean } = {}): tf.Tensor2D | null {
    const qHead = this.qHead;
    if (!qHead) return null;
    checkRealBatch(x);
    const batchStatistics = options.batchStatistics ?? false;
    // The critic always runs in inference mode: a user's critic may have layers (dropout) that draw randomness when training.
    return tf.tidy(() => tf.softmax(qHead.apply(this.critic.apply(x, false).features, batchStatistics, false)));
  }

  #generateWith(count: number, generator: number | undefined, training: boolean, latentRng: Random, idsRng: Random): { samples: tf.Tensor; ids: Int32Array } {
    let ids: Int32Array;
    if (generator !== undefined) {
      const g = generator;
      if (!Number.isInteger(g) || g < 0 || g >= this.ensemble.size) {
        throw new RangeError(`generator must be an integer in [0, ${this.ensemble.size}), got ${g}`);
      }
      ids = new Int32Array(count).fill(g);
    } else {
      ids = this.prior.sample(count, idsRng);
    }
    const routing = routeIds(ids, this.ensemble.size);
    // Nothing differentiates through these (critic steps, sampling): the ensemble may fuse its layers.
    const samples = tf.tidy(() => {
      const z = this.sampleLatents(count, latentRng);
      return this.ensemble.sampleGrouped?.(z, routing.counts, training) ?? this.ensemble.generateGrouped(z, routing.counts, training);
    });
    return { samples, ids: routing.ids };
  }

  #criticStep(real: tf.Tensor, readLosses: boolean): StepLosses | null {
    const batch = real.shape[0] as number;
    const penalty = this.loss.gradientPenalty;
    return tidyValue(() => {
      const { samples: fake } = this.#generateWith(batch, undefined, true, this.#latentRng, this.#idsRng);
      if (fake.shape.slice(1).join(',') !== real.shape.slice(1).join(',')) {
        throw new InvalidBatchError(`the real batch has samples of shape [${real.shape.slice(1).join(', ')}], the generators make [${fake.shape.slice(1).join(', ')}]`);
      }
      const alpha = penalty ? tf.tensor2d(this.#alphaRng.uniformArray(batch), [batch, 1]) : null;
      let gp: tf.Scalar | null = null;
      const vars = this.critic.trainableVariables;
      const closedForm =
        this.closedFormGradients && penalty && alpha && this.loss.wasserstein && this.critic.wassersteinGradients
          ? this.critic.wassersteinGradients({ real, fake, alpha, penalty })
          : null;
      if (closedForm) gp = closedForm.penalty;
      const { value, grads } = closedForm ? { value: closedForm.loss, grads: closedForm.grads } : tf.variableGrads(() => {
        const realScore = this.critic.apply(real, true).score;
        const fakeScore = this.critic.apply(fake, true).score;
        let total = this.loss.discriminatorLoss(realScore, fakeScore);
        if (penalty && alpha) {
          // Kept past variableGrads' own scope so it can be reported; freed below. (gradientPenalty
          // aligns the [B, 1] alpha with image batches itself.)
          gp = tf.keep(gradientPenalty((x: tf.Tensor) => this.critic.apply(x, true).score, real, fake, alpha, penalty.mode));
          total = tf.add(total, tf.mul(gp as tf.Scalar, penalty.weight));
        }
        return total;
      }, vars as tf.Variable[]);
      withLossesOnFault(() => this.optimizers.discriminator.applyGradients(grads), () => ({ discriminator: value, gradientPenalty: gp }));
      const gpValue = gp ? readAndFree(gp, readLosses) : undefined;
      if (!readLosses) return null;
      const out: StepLosses = { discriminator: value.dataSync()[0] as number };
      if (gpValue !== undefined) out.gradientPenalty = gpValue;
      return out;
    });
  }

  #generatorStep(real: tf.Tensor, readLosses: boolean): StepLosses | null {
    const batch = real.shape[0] as number;
    // One generator has nothing to tell apart: Q's cross-entropy is identically 0.
    const qHead = this.ensemble.size > 1 ? this.qHead : null;
    return tidyValue(() => {
      // The prior's posteriors come from the current critic and Q, before this step's updates.
      let priorSums: Float32Array | null = null;
      if (qHead && this.prior.mode === 'learned') {
        priorSums = tf.tidy(() => {
          const logits = qHead.apply(this.critic.apply(real, true).features, true, false);
          return tf.sum(tf.softmax(logits), 0).dataSync() as Float32Array;
        });
      }
      const ids = this.prior.sample(batch, this.#idsRng);
      const routing = routeIds(ids, this.ensemble.size);
      const z = this.sampleLatents(batch);
      const labels = qHead ? tf.oneHot(tf.tensor1d(routing.ids, 'int32'), this.ensemble.size) : null;
      const gVars = this.ensemble.trainableVariables;
      const qVars = qHead ? [...qHead.trainableVariables] : [];
      let advLoss: tf.Scalar | null = null;
      let qLoss: tf.Scalar | null = null;
      const closed = this.#closedFormGeneratorGradients(real.rank, z, routing.counts, labels, qHead);
      const { grads } = closed ?? tf.variableGrads(() => {
        const fake = this.ensemble.generateGrouped(z, routing.counts, true);
        const { score, features } = this.critic.apply(fake, true);
        const adv = this.loss.generatorLoss(score);
        advLoss = tf.keep(adv);
        if (!qHead || !labels || this.qWeight === 0) return adv;
        const ce = tf.losses.softmaxCrossEntropy(labels, qHead.apply(features, true)) as tf.Scalar;
        qLoss = tf.keep(ce);
        return tf.add(adv, tf.mul(ce, this.qWeight)) as tf.Scalar;
      }, [...gVars, ...qVars] as tf.Variable[]);
      if (closed) {
        advLoss = closed.adversarial;
        qLoss = closed.q;
      }
      const lossesNow = (): Record<string, tf.Scalar | null> => ({ generator: advLoss, q: qLoss });
      try {
        withLossesOnFault(() => this.optimizers.generator.applyGradients(grads), lossesNow);
        if (qHead && this.qWeight > 0) {
          // ∂(adv + λ·CE)/∂Q = λ·∂CE/∂Q: Q descends its own cross-entropy.
          const qGrads: tf.NamedTensorMap = closed?.qGrads ?? {};
          if (!closed) {
            for (const v of qVars) {
              const g = grads[v.name];
              if (g) qGrads[v.name] = this.qWeight === 1 ? g : tf.div(g, this.qWeight);
            }
          }
          withLossesOnFault(() => this.optimizers.q.applyGradients(qGrads), lossesNow);
        }
      } finally {
        if (closed?.qGrads) tf.dispose(Object.values(closed.qGrads));
      }
      let priorLoss: number | undefined;
      if (priorSums) {
        const bad = firstNonFinite(priorSums);
        if (bad >= 0) throw new NumericalFaultError({ kind: 'loss', group: 'prior', name: 'posteriors on real data', value: priorSums[bad] as number, count: countNonFinite(priorSums) });
        priorLoss = this.prior.update({ columnSums: priorSums, batchSize: batch }).loss;
      } else {
        // A uniform prior still counts its steps (κ^t) so a later switch to learning is consistent.
        priorLoss = this.prior.update({ columnSums: new Float64Array(this.prior.n).fill(batch / this.prior.n), batchSize: batch }).loss;
      }
      this.#generatorSteps += 1;
      const advValue = advLoss ? readAndFree(advLoss, readLosses) : undefined;
      const qValue = qLoss ? readAndFree(qLoss, readLosses) : undefined;
      if (!readLosses) return null;
      const out: StepLosses = { prior: priorLoss };
      if (advValue !== undefined) out.generator = advValue;
      if (qValue !== undefined) out.q = qValue;
      return out;
    });
  }

  /**
   * Generator-step gradients with the critic and Q differentiated in closed form, when both
   * offer it (piecewise-linear MLP critic, the built-in Q head) and the loss is Wasserstein:
   * their part of the loss becomes one custom-gradient op of the generated batch, so autodiff
   * records only the generators. Q's gradients are of its own cross-entropy (as the Q optimiser
   * takes them). Null when it does not apply. The returned losses and Q gradients are kept
   * (they outlive the custom op's scope): the caller frees them.
   */
  #closedFormGeneratorGradients(sampleRank: number, z: tf.Tensor2D, counts: ArrayLike<number>, labels: tf.Tensor | null, qHead: QHeadModule | null): { grads: tf.NamedTensorMap; adversarial: tf.Scalar; q: tf.Scalar | null; qGrads: tf.NamedTensorMap | null } | null {
    if (!this.closedFormGradients || this.loss.wasserstein !== true) return null;
    const useQ = qHead !== null && labels !== null && this.qWeight > 0;
    if (useQ && !qHead.crossEntropyGradients) return null;
    const forward = this.critic.closedFormForward?.(sampleRank) ?? null;
    if (!forward) return null;
    let adversarial: tf.Scalar | null = null;
    let q: tf.Scalar | null = null;
    let qGrads: tf.NamedTensorMap | null = null;
    // Runs with the tape paused (inside a custom op): plain ops only, gradients by hand.
    const criticAndQ = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
      const b = x.shape[0] as number;
      const fwd = forward(x);
      const adv = this.loss.generatorLoss(fwd.score);
      let total: tf.Scalar = adv;
      let dFeatures: tf.Tensor | null = null;
      if (useQ && qHead.crossEntropyGradients) {
        const ce = qHead.crossEntropyGradients(fwd.features, labels);
        q = tf.keep(ce.loss);
        qGrads = Object.fromEntries(Object.entries(ce.grads).map(([k, g]) => [k, tf.keep(g)]));
        dFeatures = this.qWeight === 1 ? ce.dFeatures : tf.mul(ce.dFeatures, this.qWeight);
        total = tf.add(adv, tf.mul(ce.loss, this.qWeight));
      }
      adversarial = tf.keep(adv);
      // Wasserstein generator loss −mean(score): d/dscore = −1/B per sample.
      save([fwd.inputGradient(tf.fill(fwd.score.shape, -1 / b), dFeatures)]);
      return { value: total, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, saved[0] as tf.Tensor) };
    });
    const { grads } = tf.variableGrads(() => criticAndQ(this.ensemble.generateGrouped(z, counts, true)) as tf.Scalar, this.ensemble.trainableVariables as tf.Variable[]);
    if (adversarial === null) throw new Error('unreachable: the custom op did not run');
    return { grads, adversarial, q, qGrads };
  }

  /** Counters and random-stream positions, for checkpoints. */
  counters(): DmganCoreCounters {
    return {
      iteration: this.#iteration,
      generatorSteps: this.#generatorSteps,
      rng: { latent: this.#latentRng.state(), alpha: this.#alphaRng.state(), ids: this.#idsRng.state() },
    };
  }

  /** Restores what {@link counters} returned. */
  loadCounters(c: DmganCoreCounters): void {
    this.#iteration = c.iteration;
    this.#generatorSteps = c.generatorSteps;
    this.#latentRng = new Random({ state: c.rng.latent });
    this.#alphaRng = new Random({ state: c.rng.alpha });
    this.#idsRng = new Random({ state: c.rng.ids });
  }

  /**
   * Every variable holding NaN/±Infinity, with its parameter group (a diagnosis for fault
   * reports: reads all weights, so only called once something is already wrong).
   */
  nonFiniteWeights(): Array<{ group: ParameterGroup; name: string; count: number; value: number }> {
    const groups: Array<[ParameterGroup, readonly tf.Variable[]]> = [
      ['generator', [...this.ensemble.trainableVariables, ...this.ensemble.stateVariables]],
      ['discriminator', [...this.critic.trainableVariables, ...(this.critic.stateVariables ?? [])]],
      ['q', [...(this.qHead?.trainableVariables ?? []), ...(this.qHead?.stateVariables ?? [])]],
    ];
    const found: Array<{ group: ParameterGroup; name: string; count: number; value: number }> = [];
    for (const [group, vars] of groups) {
      for (const v of vars) {
        const values = v.dataSync() as Float32Array;
        const count = countNonFinite(values);
        if (count > 0) found.push({ group, name: v.name, count, value: values[firstNonFinite(values)] as number });
      }
    }
    return found;
  }

  /** Every variable the engine trains or keeps as state. */
  allVariables(): tf.Variable[] {
    return [
      ...this.ensemble.trainableVariables,
      ...this.ensemble.stateVariables,
      ...this.critic.trainableVariables,
      ...(this.critic.stateVariables ?? []),
      ...(this.qHead?.trainableVariables ?? []),
      ...(this.qHead?.stateVariables ?? []),
    ];
  }

  dispose(): void {
    this.ensemble.dispose();
    this.critic.dispose();
    this.qHead?.dispose();
    for (const o of Object.values(this.optimizers)) o.dispose();
  }
}

/** Reads a kept scalar (when asked) and frees it. */
function readAndFree(t: tf.Tensor, read = true): number | undefined {
  const v = read ? (t.dataSync()[0] as number) : undefined;
  t.dispose();
  return v;
}

/** Runs `fn` in a tfjs scope that frees every tensor it made; returns its plain-value result. */
function tidyValue<T>(fn: () => T): T {
  let out: T | undefined;
  tf.tidy(() => {
    out = fn();
  });
  return out as T;
}

// Runs an optimiser step; if it reports a numerical fault, attaches the step's losses (read now: the fault path only).
function withLossesOnFault(apply: () => void, losses: () => Record<string, tf.Tensor | null | undefined>): void {
  try {
    apply();
  } catch (error) {
    if (!(error instanceof NumericalFaultError)) throw error;
    const read: Record<string, number> = {};
    for (const [name, t] of Object.entries(losses())) {
      if (t && !t.isDisposed) read[name] = t.dataSync()[0] as number;
    }
    throw error.with({ losses: read });
  }
}
