import * as tf from '@tensorflow/tfjs-core';
import { isPlainModel, plainCritic, plainGenerator } from '../../adapters/functions/plainModels.js';
import type { PlainCritic, PlainGenerator } from '../../adapters/functions/plainModels.js';
import { inferenceOnlyMessage, isInferenceOnly, isLayersModel } from '../../adapters/tfjs/detect.js';
import { layersCritic } from '../../adapters/tfjs/layersCritic.js';
import { declaredInputSize, layersGenerator, recreateLayersModel } from '../../adapters/tfjs/layersGenerator.js';
import { OnnxModel } from '../../adapters/onnx/importOnnx.js';
import { GeneratorEnsemble } from '../core/ensemble.js';
import type { EnsembleModule } from '../core/ensemble.js';
import { FusedMlpEnsemble } from '../core/fusedMlpEnsemble.js';
import type { CriticModule, GeneratorModule } from '../core/modules.js';
import { MlpGenerator } from '../core/nn/mlp.js';
import { DmganConfigError } from './errors.js';
import type { DiscriminatorLike, GanDefinition, GeneratorLike } from './gan.js';

/** The engine-facing parts made from a user's GAN. */
export interface GanParts {
  ensemble: EnsembleModule;
  critic: CriticModule;
  /** Width of the critic features the Q head reads. */
  featureSize: number;
  /** Shape of one generated sample (from the probe pass). */
  sampleShape: number[];
}

const shapeText = (s: readonly (number | null)[]): string => `[${s.map((d) => d ?? '?').join(', ')}]`;

function adaptGenerator(model: GeneratorLike, latentDim: number, what: string): GeneratorModule {
  if (isInferenceOnly(model)) throw new DmganConfigError(inferenceOnlyMessage(what, model));
  if (isLayersModel(model)) {
    const size = declaredInputSize(model);
    if (size !== null && size !== latentDim) {
      throw new DmganConfigError(`${what} (${model.name}) takes inputs of size ${size}, but latentDim is ${latentDim}`);
    }
    return layersGenerator(model, what);
  }
  if (model instanceof OnnxModel) {
    if (model.trainableVariables.length === 0) throw new DmganConfigError(`${what} is an ONNX model imported with trainable: false; import it with trainable: true to train it`);
    return model.asGenerator();
  }
  if (isPlainModel(model)) return plainGenerator(model as PlainGenerator, what);
  throw new DmganConfigError(`${what} is not a LayersModel, an ONNX model or a { apply, trainableVariables } object`);
}

function adaptCritic(model: DiscriminatorLike, featureLayer: string | undefined): CriticModule & { featureSize?: number } {
  const what = 'discriminator';
  if (isInferenceOnly(model)) throw new DmganConfigError(inferenceOnlyMessage(what, model));
  if (isLayersModel(model)) return layersCritic(model, featureLayer === undefined ? {} : { featureLayer });
  if (model instanceof OnnxModel) {
    if (model.trainableVariables.length === 0) throw new DmganConfigError(`${what} is an ONNX model imported with trainable: false; import it with trainable: true to train it`);
    if (model.outputNames.length < 2 && featureLayer === undefined) {
      throw new DmganConfigError(`${what} (ONNX) has one output; name the value Q should read with the featureLayer option (values: ${model.valueNames.join(', ')})`);
    }
    return model.asCritic(featureLayer === undefined ? {} : { features: featureLayer });
  }
  if (isPlainModel(model)) return plainCritic(model as PlainCritic, what);
  throw new DmganConfigError(`${what} is not a LayersModel, an ONNX model or a { apply, trainableVariables } object`);
}

/** The n raw generator models: the factory's, or the given model plus n − 1 fresh copies. */
function generatorModels(gan: GanDefinition, n: number): GeneratorLike[] {
  const g = gan.generator;
  if (typeof g === 'function') {
    const models = Array.from({ length: n }, (_, i) => (g as (index: number) => GeneratorLike)(i));
    const seen = new Set<unknown>();
    models.forEach((m, i) => {
      if (seen.has(m)) throw new DmganConfigError(`generator factory returned the same model object for index ${i} as for an earlier index: each generator needs its own weights`);
      seen.add(m);
    });
    return models;
  }
  if (n === 1) return [g];
  if (isLayersModel(g)) return [g, ...Array.from({ length: n - 1 }, () => recreateLayersModel(g))];
  if (g instanceof OnnxModel) return [g, ...Array.from({ length: n - 1 }, (_, i) => g.clone({ reinitialize: true, seed: `dmgan-clone:${i + 1}` }))];
  throw new DmganConfigError(
    `a single hand-written generator cannot be re-created ${n} times; pass a factory (index) => model (each with its own variables), or generators: 1`,
  );
}

/**
 * Turns the user's GAN into an ensemble and a critic, checking shapes with one probe pass
 * (zeros, inference mode: no statistics or random streams move).
 */
export function buildGanParts(gan: GanDefinition, options: { generators: number; featureLayer?: string; fuse: boolean }): GanParts {
  const d = gan.latentDim;
  if (!Number.isInteger(d) || d < 1) throw new DmganConfigError(`latentDim must be an integer ≥ 1, got ${d}`);
  if (!Number.isInteger(options.generators) || options.generators < 1) {
    throw new DmganConfigError(`generators must be an integer ≥ 1, got ${options.generators}`);
  }
  const raw = generatorModels(gan, options.generators);
  let modules: GeneratorModule[];
  let critic: CriticModule & { featureSize?: number };
  let probed: { sampleShape: number[]; featureSize: number };
  try {
    modules = raw.map((m, i) => adaptGenerator(m, d, `generator ${i}`));
    critic = adaptCritic(gan.discriminator, options.featureLayer);
    probed = probe(modules, critic, d);
  } catch (e) {
    // Free the generators made here (factory products, re-created copies); the user's own objects stay.
    raw.forEach((m, i) => {
      if (i > 0 || typeof gan.generator === 'function') disposeModel(m);
    });
    throw e;
  }
  const { sampleShape, featureSize } = probed;
  const fusable = options.fuse && raw.every((m) => m instanceof MlpGenerator) && new Set(raw.map((m) => mlpShape(m as MlpGenerator))).size === 1;
  const ensemble = fusable ? FusedMlpEnsemble.fromGenerators(raw as MlpGenerator[]) : new GeneratorEnsemble(modules);
  return { ensemble, critic, featureSize, sampleShape };
}

function probe(generators: readonly GeneratorModule[], critic: CriticModule & { featureSize?: number }, d: number): { sampleShape: number[]; featureSize: number } {
  return tf.tidy(() => {
    const z = tf.zeros([2, d]);
    let first: number[] | null = null;
    let firstSample: tf.Tensor | null = null;
    generators.forEach((g, i) => {
      let y: tf.Tensor;
      try {
        y = g.apply(z, false);
      } catch (e) {
        throw new DmganConfigError(`generator ${i} failed on a latent batch [2, ${d}] (does it take inputs of size latentDim = ${d}?): ${(e as Error).message}`, { cause: e });
      }
      const shape = y.shape.slice(1);
      if (first === null) {
        first = shape;
        firstSample = y;
      } else if (shape.join(',') !== first.join(',')) {
        throw new DmganConfigError(`generator ${i} outputs samples of shape ${shapeText(shape)}, generator 0 outputs ${shapeText(first)}: all generators must agree`);
      }
    });
    let out;
    try {
      out = critic.apply(firstSample as unknown as tf.Tensor, false);
    } catch (e) {
      throw new DmganConfigError(`discriminator failed on generated samples of shape ${shapeText(first ?? [])}: ${(e as Error).message}`, { cause: e });
    }
    const f = out.features;
    if (!f || f.rank < 2) {
      throw new DmganConfigError('discriminator gives no usable feature output for the Q head: return { score, features } with features [B, F] (layers models: name the layer with the featureLayer option)');
    }
    const featureSize = f.shape.slice(1).reduce((a, b) => a * b, 1);
    if (critic.featureSize !== undefined && critic.featureSize !== featureSize) {
      throw new DmganConfigError(`discriminator declares featureSize ${critic.featureSize} but its features have ${featureSize} values per sample`);
    }
    return { sampleShape: first as unknown as number[], featureSize };
  });
}

function mlpShape(g: MlpGenerator): string {
  const s = g.spec;
  return `${s.sizes.join(',')}|${s.activation}|${s.outputActivation ?? 'linear'}`;
}

function disposeModel(m: GeneratorLike): void {
  try {
    const model = m as { dispose?: () => void; trainableVariables?: readonly tf.Variable[]; stateVariables?: readonly tf.Variable[] };
    if (model.dispose) model.dispose();
    else for (const v of [...(model.trainableVariables ?? []), ...(model.stateVariables ?? [])]) if (!v.isDisposed) v.dispose();
  } catch {
    // already disposed or not disposable
  }
}
