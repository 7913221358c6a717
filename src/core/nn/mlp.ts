import type * as tf from '@tensorflow/tfjs-core';
import { DmganConfigError } from '../errors.js';
import type { CriticForward, CriticModule, CriticOutput, GeneratorModule, WassersteinGradients, WassersteinGradientsInput } from '../modules.js';
import type { Random } from '../random.js';
import { activate, type ActivationName } from './activations.js';
import { Dense } from './dense.js';
import { mlpForwardWithInputGradient, mlpWassersteinGradients, negativeSlope } from './mlpWasserstein.js';

/** Layer sizes and activations of a multilayer perceptron. */
export interface MlpSpec {
  /** Sizes from input to output, e.g. [100, 32, 16, 2]. */
  sizes: readonly number[];
  /** Activation between hidden layers. */
  activation: ActivationName;
  /** Activation on the output (default linear). */
  outputActivation?: ActivationName;
  name?: string;
}

function buildLayers(spec: MlpSpec, rng: Random): Dense[] {
  if (spec.sizes.length < 2) throw new Error(`MLP needs at least an input and an output size, got [${spec.sizes.join(', ')}]`);
  const layers: Dense[] = [];
  for (let i = 0; i + 1 < spec.sizes.length; i++) {
    layers.push(new Dense(spec.sizes[i] as number, spec.sizes[i + 1] as number, rng, { name: `${spec.name ?? 'mlp'}/dense_${i}` }));
  }
  return layers;
}

/** An MLP generator z → x. */
export class MlpGenerator implements GeneratorModule {
  readonly layers: readonly Dense[];
  readonly #spec: MlpSpec;

  constructor(spec: MlpSpec, rng: Random) {
    this.#spec = spec;
    this.layers = buildLayers(spec, rng);
  }

  get spec(): MlpSpec {
    return this.#spec;
  }

  apply(z: tf.Tensor): tf.Tensor {
    let h: tf.Tensor = z;
    this.layers.forEach((layer, i) => {
      h = layer.apply(h);
      const last = i === this.layers.length - 1;
      h = activate(h, last ? (this.#spec.outputActivation ?? 'linear') : this.#spec.activation);
    });
    return h;
  }

  get trainableVariables(): tf.Variable[] {
    return this.layers.flatMap((l) => l.variables);
  }

  dispose(): void {
    for (const v of this.trainableVariables) v.dispose();
  }
}

/** An MLP critic whose last hidden layer is the feature the Q head reads. */
export class MlpCritic implements CriticModule {
  readonly layers: readonly Dense[];
  readonly #spec: MlpSpec;

  constructor(spec: MlpSpec, rng: Random) {
    // The score feeds the adversarial loss as it is (a WGAN critic's is unbounded; the GAN losses take logits).
    if ((spec.outputActivation ?? 'linear') !== 'linear') {
      throw new DmganConfigError(`MlpCritic: the score is linear, outputActivation '${spec.outputActivation}' would be ignored (leave it out)`);
    }
    this.#spec = spec;
    this.layers = buildLayers(spec, rng);
  }

  apply(x: tf.Tensor): CriticOutput {
    let h: tf.Tensor = x;
    for (let i = 0; i + 1 < this.layers.length; i++) {
      h = activate((this.layers[i] as Dense).apply(h), this.#spec.activation);
    }
    const score = (this.layers[this.layers.length - 1] as Dense).apply(h);
    return { score, features: h };
  }

  /** Closed-form WGAN-GP gradients when the hidden activation is piecewise linear (relu, leakyRelu, linear) and samples are vectors; else null. */
  wassersteinGradients(input: WassersteinGradientsInput): WassersteinGradients | null {
    const slope = negativeSlope(this.#spec.activation);
    if (slope === undefined || input.real.rank !== 2) return null;
    return mlpWassersteinGradients(this.layers, slope, input);
  }

  /** Forward pass with a closed-form input gradient (piecewise-linear activations, vector samples); else null. */
  closedFormForward(sampleRank: number): ((x: tf.Tensor) => CriticForward) | null {
    const slope = negativeSlope(this.#spec.activation);
    if (slope === undefined || sampleRank !== 2) return null;
    return (x) => mlpForwardWithInputGradient(this.layers, slope, x);
  }

  get trainableVariables(): tf.Variable[] {
    return this.layers.flatMap((l) => l.variables);
  }

  dispose(): void {
    for (const v of this.trainableVariables) v.dispose();
  }
}
