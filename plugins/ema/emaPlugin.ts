import * as tf from '@tensorflow/tfjs-core';
import type { EvaluateContext, StateDictOptions, TrainerPlugin } from '../../src/core/trainer/hooks.js';

/**
 * Checks an EMA decay: a finite number strictly between 0 and 1.
 * @param what names the option in the message (`ema`, `--ema`).
 * @throws RangeError naming `what` and the value.
 */
export function checkEmaDecay(decay: unknown, what = 'ema'): number {
  if (typeof decay !== 'number' || !Number.isFinite(decay) || !(decay > 0 && decay < 1)) {
    const got = typeof decay === 'string' ? `'${decay}' (a string)` : String(decay);
    throw new RangeError(`${what} must be a number in (0, 1), the decay of the generator weight average (e.g. 0.999), got ${got}`);
  }
  return decay;
}

/** What {@link EmaPlugin} is built from. */
export interface EmaPluginOptions {
  /** β in ema ← β·ema + (1 − β)·w, in (0, 1); 0.999 is Yazıcı et al.'s usual choice. */
  readonly decay: number;
  /**
   * The variables to average: every trainable variable of the generators
   * (`ensemble.trainableVariables`: per-generator ones of a routed ensemble, or the stacked ones
   * of a fused ensemble). Not the state variables (batch-norm moving statistics): inference with
   * the averaged weights uses the trained model's own (see {@link EmaPlugin}).
   */
  readonly variables: readonly tf.Variable[];
}

/** What {@link EmaPlugin.stateDict} returns. */
export interface EmaPluginState {
  format: 'dmgan.ema/v1';
  decay: number;
  /** Averaging updates so far (generator steps seen). */
  updates: number;
  /** Values averaged (the sum of the variables' sizes). */
  size: number;
  /** The averages, when the trainer does not save {@link EmaPlugin.parameterGroups} itself. */
  average?: number[];
}

let instances = 0;

/**
 * Generator weight averaging (Yazıcı et al., "The Unusual Effectiveness of Averaging in GAN
 * Training", ICLR 2019) as a trainer plugin: after every generator step,
 * ema ← decay·ema + (1 − decay)·w for every trainable generator variable, starting from the
 * weights the generators have when the plugin is built. Training never reads the averages;
 * inference does: the plugin's {@link withInferenceWeights} swaps them into the generator
 * variables for the duration of a call (sampling, evaluation, ONNX export) and puts the trained
 * weights back, also when the call throws.
 *
 * - **One flat average.** The variables are averaged as one float32 vector (per generator step
 *   one concat and three element-wise kernels, plus a data-sharing reshape per variable, whatever
 *   the number of generators), the same for a routed
 *   ensemble of arbitrary generator modules and a fused one (whose variables are stacked).
 *   Generators the prior has dropped cost their share of that update and nothing else.
 * - **State variables are not averaged.** Batch-norm moving statistics are already moving
 *   averages; inference with the averaged weights uses the trained model's current ones (the
 *   simplest choice, like `torch.optim.swa_utils.AveragedModel` without `use_buffers`; they
 *   were gathered under the raw weights, so a batch-norm generator's averaged samples can be
 *   slightly off — re-estimating them is left to the caller).
 * - **Checkpoints.** The average is a variable in {@link parameterGroups} (group `ema`), so
 *   dmgan's checkpoints store it bit for bit; {@link stateDict} holds the decay and the update
 *   count, and the average itself unless the trainer saves tensors itself. Resuming continues
 *   bit-identically.
 */
export class EmaPlugin implements TrainerPlugin {
  readonly name = 'ema';
  readonly decay: number;
  readonly variables: readonly tf.Variable[];
  readonly #sizes: number[];
  readonly #average: tf.Variable;
  readonly #decay: tf.Scalar;
  readonly #rest: tf.Scalar;
  #updates = 0;
  #swapped = false;
  #disposed = false;

  constructor(options: EmaPluginOptions) {
    this.decay = checkEmaDecay(options?.decay);
    const variables = options.variables;
    if (!Array.isArray(variables) || variables.length === 0) throw new RangeError('EmaPlugin: no variables to average (pass the generators\' trainable variables)');
    for (const v of variables) {
      if (v.dtype !== 'float32') throw new RangeError(`EmaPlugin: variable '${v.name}' is ${v.dtype}; only float32 variables can be averaged`);
      if (v.isDisposed) throw new RangeError(`EmaPlugin: variable '${v.name}' is disposed`);
    }
    this.variables = [...variables];
    this.#sizes = this.variables.map((v) => v.size);
    instances += 1;
    this.#average = tf.tidy(() => tf.variable(this.#flatWeights(), false, `dmgan_ema_average_${instances}`));
    this.#decay = tf.keep(tf.scalar(this.decay));
    this.#rest = tf.keep(tf.scalar(1 - this.decay));
  }

  /** Averaging updates so far (one per generator step). */
  get updates(): number {
    return this.#updates;
  }

  /** Number of values averaged (all the variables' sizes). */
  get size(): number {
    return this.#average.size;
  }

  /** After each generator step: ema ← decay·ema + (1 − decay)·w. */
  onGeneratorStepEnd(): void {
    this.update();
  }

  /** One averaging update from the variables' current values (what {@link onGeneratorStepEnd} does). */
  update(): void {
    this.#alive('update');
    if (this.#swapped) throw new Error('EmaPlugin.update: the averaged weights are swapped in (inside withInferenceWeights); training must not run there');
    tf.tidy(() => {
      this.#average.assign(tf.add(tf.mul(this.#average, this.#decay), tf.mul(this.#flatWeights(), this.#rest)));
    });
    this.#updates += 1;
  }

  /**
   * The averaged weights, one tensor per variable (shaped like it, in {@link variables} order).
   * The caller disposes them.
   */
  averagedWeights(): tf.Tensor[] {
    this.#alive('averagedWeights');
    return tf.tidy(() => {
      const parts = this.variables.length === 1 ? [this.#average] : tf.split(this.#average, this.#sizes);
      return parts.map((p, i) => tf.reshape(p, (this.variables[i] as tf.Variable).shape));
    });
  }

  /**
   * Runs `fn` with the averaged weights in the generator variables, then puts the trained
   * weights back (also when `fn` throws). Nested calls run `fn` as it is.
   */
  withInferenceWeights<T>(fn: () => T): T {
    this.#alive('withInferenceWeights');
    if (this.#swapped) return fn();
    const averaged = this.averagedWeights();
    const trained = this.variables.map((v) => tf.clone(v));
    try {
      this.#swapped = true;
      this.variables.forEach((v, i) => v.assign(averaged[i] as tf.Tensor));
      return fn();
    } finally {
      this.variables.forEach((v, i) => v.assign(trained[i] as tf.Tensor));
      this.#swapped = false;
      tf.dispose(averaged);
      tf.dispose(trained);
    }
  }

  /** The decay and the number of updates, for the trainer's evaluation log. */
  evaluate(_ctx: EvaluateContext): Record<string, number> {
    return { decay: this.decay, updates: this.#updates };
  }

  /** The average (one flat float32 variable), saved with the trainer's weights. */
  parameterGroups(): Record<string, readonly tf.Variable[]> {
    return { ema: [this.#average] };
  }

  stateDict(options: StateDictOptions = {}): EmaPluginState {
    return {
      format: 'dmgan.ema/v1',
      decay: this.decay,
      updates: this.#updates,
      size: this.#average.size,
      ...((options.tensors ?? true) ? { average: Array.from(this.#average.dataSync()) } : {}),
    };
  }

  /**
   * Restores what {@link stateDict} returned. The decay and size must match this plugin's (the
   * message names what differs); nothing changes when they do not.
   */
  loadStateDict(state: unknown): void {
    const s = state as Partial<EmaPluginState> | null;
    if (typeof s !== 'object' || s === null || s.format !== 'dmgan.ema/v1') throw new Error(`EmaPlugin.loadStateDict: not an EMA state (format ${JSON.stringify((s as { format?: unknown } | null)?.format ?? null)})`);
    if (s.decay !== this.decay) throw new Error(`EmaPlugin.loadStateDict: the saved average has decay ${String(s.decay)}, this one ${this.decay}`);
    if (s.size !== this.#average.size) throw new Error(`EmaPlugin.loadStateDict: the saved average has ${String(s.size)} values, these generators ${this.#average.size}`);
    if (!Number.isSafeInteger(s.updates) || (s.updates as number) < 0) throw new Error(`EmaPlugin.loadStateDict: bad update count ${String(s.updates)}`);
    if (s.average !== undefined && (!Array.isArray(s.average) || s.average.length !== this.#average.size)) {
      throw new Error(`EmaPlugin.loadStateDict: the saved average has ${Array.isArray(s.average) ? s.average.length : 'no'} values, expected ${this.#average.size}`);
    }
    if (s.average) {
      const values = Float32Array.from(s.average);
      tf.tidy(() => this.#average.assign(tf.tensor1d(values, 'float32')));
    }
    this.#updates = s.updates as number;
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#average.dispose();
    this.#decay.dispose();
    this.#rest.dispose();
  }

  #flatWeights(): tf.Tensor1D {
    const flat = this.variables.map((v) => tf.reshape(v, [-1]) as tf.Tensor1D);
    return flat.length === 1 ? (flat[0] as tf.Tensor1D) : tf.concat(flat);
  }

  #alive(what: string): void {
    if (this.#disposed) throw new Error(`EmaPlugin.${what}: the plugin is disposed`);
  }
}

/** The {@link EmaPlugin} among an engine's plugins, or null when weight averaging is off. */
export function emaPluginOf(plugins: { readonly plugins: readonly TrainerPlugin[] }): EmaPlugin | null {
  return (plugins.plugins.find((p) => p instanceof EmaPlugin) as EmaPlugin | undefined) ?? null;
}
