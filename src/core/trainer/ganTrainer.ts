import * as tf from '@tensorflow/tfjs-core';
import type { AdversarialLoss } from '../../losses/adversarial.js';
import type { AdamOptions } from '../adamState.js';
import { routeIds, type EnsembleModule } from '../ensemble.js';
import { checkRealBatch, countNonFinite, firstNonFinite, InvalidBatchError, NumericalFaultError, withLossesOnFault, type ParameterGroup } from '../faults.js';
import type { CriticModule } from '../modules.js';
import { VariableAdam } from '../optim/variableAdam.js';
import { Random, type RandomState } from '../random.js';
import { autodiffGradients, closedFormGradients, type GradientStrategy } from './gradients.js';
import type { GeneratorSelection, TrainerPlugin } from './hooks.js';
import { PluginList } from './pluginList.js';
import { REFERENCE_OPTIMIZERS, type StepLosses, type StepResult } from './steps.js';
import { drawLatents, trainingStreams, type LatentDistribution } from './streams.js';

/** What a {@link GanTrainer} trains, and how. */
export interface GanTrainerParts {
  latentDim: number;
  ensemble: EnsembleModule;
  critic: CriticModule;
  loss: AdversarialLoss;
  /** Plugins called at every hook, in order (the DMGAN plugin among them for DMWGAN). */
  plugins?: readonly TrainerPlugin[];
  /** Critic updates per generator update. Default 5. */
  discriminatorSteps?: number;
  /** Adam of the generators and the critic; defaults are the reference's. */
  optimizers?: { generator?: AdamOptions; discriminator?: AdamOptions };
  /** Latent distribution when no plugin selects latents: U(−1, 1) (default) or N(0, 1). */
  latent?: LatentDistribution;
  /** Seeds the random streams ({@link trainingStreams}). Default 0. */
  seed?: number;
  /**
   * Use closed-form gradients where the parts offer them (default true; see
   * {@link closedFormGradients}). False always uses autodiff. Same maths, up to rounding.
   */
  closedFormGradients?: boolean;
  /**
   * Shape of one generated sample, when the builder knows it. Real batches are checked against
   * it before a step draws anything; without it the trainer learns it from its first batch.
   */
  sampleShape?: readonly number[];
}

/** Step counters and random streams: the trainer's state besides weights and optimisers. */
export interface GanTrainerCounters {
  iteration: number;
  generatorSteps: number;
  rng: { latent: RandomState; alpha: RandomState; ids: RandomState };
}

/** A variable holding NaN/±Infinity, with its parameter group. */
export interface NonFiniteWeight {
  group: ParameterGroup;
  name: string;
  count: number;
  value: number;
}

/**
 * A generic GAN trainer: one iteration of the critic/generator schedule at a time, with the
 * plugins called at their hooks. Critic step: the critic minimises the adversarial loss (and
 * gradient penalty) on a real batch and a generated batch whose generator ids and latents a
 * plugin selects. Generator step: the generators minimise the adversarial loss plus every
 * plugin's loss term; then the plugins update what they own. Optimisers, the schedule, random
 * streams and numerical faults are the trainer's; everything method-specific is a plugin's.
 */
export class GanTrainer {
  readonly latentDim: number;
  readonly ensemble: EnsembleModule;
  readonly critic: CriticModule;
  readonly loss: AdversarialLoss;
  readonly plugins: PluginList;
  readonly discriminatorSteps: number;
  readonly latent: LatentDistribution;
  /** How steps are differentiated (chosen once, here). */
  readonly gradients: GradientStrategy;
  readonly #adam: { generator: VariableAdam; discriminator: VariableAdam };
  #iteration = 0;
  #generatorSteps = 0;
  #latentRng: Random;
  #alphaRng: Random;
  #idsRng: Random;
  readonly #sampleRng: Random;
  #sampleShape: readonly number[] | null;

  constructor(parts: GanTrainerParts) {
    this.latentDim = parts.latentDim;
    this.ensemble = parts.ensemble;
    this.critic = parts.critic;
    this.loss = parts.loss;
    this.plugins = new PluginList(parts.plugins ?? []);
    this.discriminatorSteps = parts.discriminatorSteps ?? 5;
    this.latent = parts.latent ?? 'uniform';
    if (!Number.isInteger(this.discriminatorSteps) || this.discriminatorSteps < 0) {
      throw new RangeError(`discriminatorSteps must be an integer ≥ 0, got ${this.discriminatorSteps}`);
    }
    const gradientParts = { ensemble: this.ensemble, critic: this.critic, loss: this.loss, plugins: this.plugins };
    this.gradients = (parts.closedFormGradients ?? true) && this.loss.wasserstein === true ? closedFormGradients(gradientParts) : autodiffGradients(gradientParts);
    this.#adam = {
      generator: new VariableAdam(this.ensemble.trainableVariables, parts.optimizers?.generator ?? REFERENCE_OPTIMIZERS.generator, 'generator'),
      discriminator: new VariableAdam(this.critic.trainableVariables, parts.optimizers?.discriminator ?? REFERENCE_OPTIMIZERS.discriminator, 'discriminator'),
    };
    const streams = trainingStreams(parts.seed ?? 0);
    this.#latentRng = streams.latent;
    this.#alphaRng = streams.alpha;
    this.#idsRng = streams.ids;
    this.#sampleRng = streams.sample;
    this.#sampleShape = parts.sampleShape ? [...parts.sampleShape] : null;
  }

  /** Shape of one generated sample (null until known: given by the builder or seen in a first batch). */
  get sampleShape(): readonly number[] | null {
    return this.#sampleShape;
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

  /** Every optimiser, by name: the generators', the critic's, then the plugins'. */
  get optimizers(): Readonly<Record<string, VariableAdam>> {
    return { ...this.#adam, ...this.plugins.optimizers() };
  }

  /**
   * One iteration: a critic step or, every (discriminatorSteps + 1)-th, a generator step.
   * @param real a batch of real samples [B, ...] (consumed by both kinds of step).
   * @param readLosses read the losses back to numbers (a device sync); off on the hot path.
   * @throws InvalidBatchError for an empty, non-float32 or non-finite batch, or one whose
   *   sample shape differs from the generators'.
   * @throws NumericalFaultError when a weight, gradient or a plugin's input is NaN/±Infinity;
   *   it names the iteration, the step's losses and every non-finite weight. Nothing of the
   *   failing update is applied.
   */
  step(real: tf.Tensor, readLosses = true): StepResult {
    checkRealBatch(real);
    // Before anything is drawn: a refused batch must leave the random streams where they were.
    this.checkSampleShape(real, 'the real batch has samples of shape');
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

  /**
   * Draws `count` samples (inference mode unless `training`): generator ids and latents as the
   * plugins select them (or all from `generator`), grouped by generator. Ids and latents come
   * from `options.rng`, else from a sampling stream of the trainer's own that training never reads.
   * The generators run with the plugins' inference weights ({@link PluginList.withInferenceWeights}:
   * the EMA plugin's averages when it runs) unless `rawWeights` asks for the trained ones.
   */
  generate(count: number, options: { generator?: number; training?: boolean; rng?: Random; rawWeights?: boolean } = {}): { samples: tf.Tensor; ids: Int32Array } {
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`generate: count must be an integer ≥ 1, got ${count}`);
    const rng = options.rng ?? this.#sampleRng;
    const g = options.generator;
    if (g !== undefined && (!Number.isInteger(g) || g < 0 || g >= this.ensemble.size)) {
      throw new RangeError(`generator must be an integer in [0, ${this.ensemble.size}), got ${g}`);
    }
    const run = (): { samples: tf.Tensor; ids: Int32Array } => this.#generate(count, 'sample', options.training ?? false, rng, rng, g);
    return options.rawWeights === true ? run() : this.plugins.withInferenceWeights(run);
  }

  /**
   * Throws an {@link InvalidBatchError} when `x`'s samples are not the shape the generators make
   * (`${what} [got], the generators make [want]`); nothing when that shape is not known yet.
   */
  checkSampleShape(x: tf.Tensor, what: string): void {
    const want = this.#sampleShape;
    const got = x.shape.slice(1);
    if (want && got.join(',') !== want.join(',')) throw new InvalidBatchError(`${what} [${got.join(', ')}], the generators make [${want.join(', ')}]`);
  }

  /** The critic's features of a batch, in inference mode (what plugins such as Q read). */
  features(x: tf.Tensor): tf.Tensor {
    checkRealBatch(x);
    // Inference mode: a user's critic may have layers (dropout) that draw randomness when training.
    return tf.tidy(() => this.critic.apply(x, false).features);
  }

  #select(phase: 'discriminator' | 'generator' | 'sample', count: number, idsRng: Random, latentRng: Random, generator?: number): GeneratorSelection {
    const n = this.ensemble.size;
    const ctx = { batchSize: count, latentDim: this.latentDim, generators: n, phase, random: { ids: idsRng, latents: latentRng }, ...(generator === undefined ? {} : { generator }) };
    const chosen = this.plugins.selectGenerators(ctx);
    if (chosen) return chosen;
    const ids = generator === undefined ? idsRng.categorical(new Float64Array(n).fill(1), count) : new Int32Array(count).fill(generator);
    return { ...routeIds(ids, n), latents: drawLatents(latentRng, count, this.latentDim, this.latent) };
  }

  #generate(count: number, phase: 'discriminator' | 'sample', training: boolean, idsRng: Random, latentRng: Random, generator?: number): { samples: tf.Tensor; ids: Int32Array } {
    const selection = this.#select(phase, count, idsRng, latentRng, generator);
    try {
      // Nothing differentiates through these (critic steps, sampling): the ensemble may fuse its layers.
      const samples = tf.tidy(() => this.ensemble.sampleGrouped?.(selection.latents, selection.counts, training) ?? this.ensemble.generateGrouped(selection.latents, selection.counts, training));
      return { samples, ids: selection.ids };
    } finally {
      selection.latents.dispose();
    }
  }

  #criticStep(real: tf.Tensor, readLosses: boolean): StepLosses | null {
    const batch = real.shape[0] as number;
    const losses = tidyValue(() => {
      const { samples: fake } = this.#generate(batch, 'discriminator', true, this.#idsRng, this.#latentRng);
      this.#sampleShape ??= fake.shape.slice(1);
      this.checkSampleShape(real, 'the real batch has samples of shape');
      const alpha = this.loss.gradientPenalty ? tf.tensor2d(this.#alphaRng.uniformArray(batch), [batch, 1]) : null;
      const { value, penalty, grads } = this.gradients.critic({ real, fake, alpha });
      withLossesOnFault(() => this.#adam.discriminator.applyGradients(grads), () => ({ discriminator: value, gradientPenalty: penalty }));
      const gpValue = penalty ? readAndFree(penalty, readLosses) : undefined;
      if (!readLosses) return null;
      const out: StepLosses = { discriminator: value.dataSync()[0] as number };
      if (gpValue !== undefined) out.gradientPenalty = gpValue;
      return out;
    });
    this.plugins.onDiscriminatorStepEndSync({ iteration: this.#iteration + 1, ...(losses ? { losses: { ...losses } } : {}) });
    return losses;
  }

  #generatorStep(real: tf.Tensor, readLosses: boolean): StepLosses | null {
    const batch = real.shape[0] as number;
    const iteration = this.#iteration + 1;
    let realFeatures: tf.Tensor | null = null;
    // Computed only if a plugin reads them, and kept across the plugins' own scopes.
    const features = (): tf.Tensor => (realFeatures ??= tf.tidy(() => tf.keep(this.critic.apply(real, true).features)));
    try {
      return tidyValue(() => {
        this.plugins.onGeneratorStepBegin({ iteration, batchSize: batch, get realFeatures() { return features(); } });
        const selection = this.#select('generator', batch, this.#idsRng, this.#latentRng);
        const { grads, adversarial, fakeFeatures } = this.gradients.generator({ latents: selection.latents, counts: selection.counts, ids: selection.ids, sampleRank: real.rank });
        const lossesNow = (): Record<string, tf.Scalar> => ({ generator: adversarial });
        withLossesOnFault(() => this.#adam.generator.applyGradients(grads), lossesNow);
        let logged: Record<string, number> = {};
        withLossesOnFault(() => {
          logged = this.plugins.onGeneratorStepEndSync({ iteration, get realFeatures() { return features(); }, fakeFeatures, ids: selection.ids, readLosses });
        }, lossesNow);
        this.#generatorSteps += 1;
        const advValue = readAndFree(adversarial, readLosses);
        fakeFeatures.dispose();
        if (!readLosses) return null;
        const out: StepLosses = {};
        if (advValue !== undefined) out.generator = advValue;
        this.reportPluginLosses(logged, out);
        return out;
      });
    } finally {
      (realFeatures as tf.Tensor | null)?.dispose();
    }
  }

  /** Puts the plugins' generator-step losses (keyed `plugin/name`) into a step's losses. */
  protected reportPluginLosses(logged: Readonly<Record<string, number>>, out: StepLosses): void {
    Object.assign(out, logged);
  }

  /** Counters and random-stream positions, for checkpoints. */
  counters(): GanTrainerCounters {
    return {
      iteration: this.#iteration,
      generatorSteps: this.#generatorSteps,
      rng: { latent: this.#latentRng.state(), alpha: this.#alphaRng.state(), ids: this.#idsRng.state() },
    };
  }

  /** Restores what {@link counters} returned. */
  loadCounters(c: GanTrainerCounters): void {
    this.#iteration = c.iteration;
    this.#generatorSteps = c.generatorSteps;
    this.#latentRng = new Random({ state: c.rng.latent });
    this.#alphaRng = new Random({ state: c.rng.alpha });
    this.#idsRng = new Random({ state: c.rng.ids });
  }

  /** Every variable, by parameter group: the generators', the critic's, then the plugins'. */
  parameterGroups(): Array<[ParameterGroup, readonly tf.Variable[]]> {
    return [
      ['generator', [...this.ensemble.trainableVariables, ...this.ensemble.stateVariables]],
      ['discriminator', [...this.critic.trainableVariables, ...(this.critic.stateVariables ?? [])]],
      ...this.plugins.parameterGroups(),
    ];
  }

  /**
   * Every variable holding NaN/±Infinity, with its parameter group (a diagnosis for fault
   * reports: reads all weights, so only called once something is already wrong).
   */
  nonFiniteWeights(): NonFiniteWeight[] {
    const found: NonFiniteWeight[] = [];
    for (const [group, vars] of this.parameterGroups()) {
      for (const v of vars) {
        const values = v.dataSync() as Float32Array;
        const count = countNonFinite(values);
        if (count > 0) found.push({ group, name: v.name, count, value: values[firstNonFinite(values)] as number });
      }
    }
    return found;
  }

  /** Every variable the trainer and its plugins train or keep as state. */
  allVariables(): tf.Variable[] {
    return this.parameterGroups().flatMap(([, vars]) => vars);
  }

  /** Frees the models, the optimisers and the plugins. */
  dispose(): void {
    this.ensemble.dispose();
    this.critic.dispose();
    for (const o of Object.values(this.#adam)) o.dispose();
    this.plugins.dispose();
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
