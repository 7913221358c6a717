import * as tf from '@tensorflow/tfjs-core';
import { adaptCritic, adaptGenerator, fuseGenerators, generatorRecreator, MODEL_KINDS } from '../../adapters/registry/index.js';
import type { ModelKind } from '../../adapters/registry/index.js';
import { GeneratorEnsemble } from '../core/ensemble.js';
import type { EnsembleModule } from '../core/ensemble.js';
import { DmganConfigError } from '../core/errors.js';
import type { CriticModule, GeneratorModule } from '../core/modules.js';
import type { GanDefinition, GeneratorLike } from './gan.js';

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

/** The n raw generator models: the factory's, or the given model plus n − 1 fresh copies. */
function generatorModels(gan: GanDefinition, n: number, kinds: readonly ModelKind[]): GeneratorLike[] {
  const g = gan.generator;
  if (typeof g === 'function') {
    const models: GeneratorLike[] = [];
    for (let i = 0; i < n; i++) {
      const m = (g as (index: number) => GeneratorLike | null | undefined)(i);
      if (m === undefined || m === null) {
        models.forEach(disposeModel);
        throw new DmganConfigError(`generator ${i}: the factory returned ${String(m)} (generators: ${n} calls it with every index 0…${n - 1})`);
      }
      models.push(m);
    }
    const seen = new Set<unknown>();
    models.forEach((m, i) => {
      if (seen.has(m)) throw new DmganConfigError(`generator factory returned the same model object for index ${i} as for an earlier index: each generator needs its own weights`);
      seen.add(m);
    });
    return models;
  }
  if (n === 1) return [g];
  const recreate = generatorRecreator(g, kinds);
  if (recreate) return [g, ...Array.from({ length: n - 1 }, (_, i) => recreate(i + 1) as GeneratorLike)];
  throw new DmganConfigError(
    `a single hand-written generator cannot be re-created ${n} times; pass a factory (index) => model (each with its own variables), or generators: 1`,
  );
}

/**
 * Turns the user's GAN into an ensemble and a critic, checking shapes with one probe pass
 * (zeros, inference mode: no statistics or random streams move). Models are recognised and
 * wrapped by the registered model kinds (`options.kinds`, default `MODEL_KINDS`).
 */
export function buildGanParts(gan: GanDefinition, options: { generators: number; featureLayer?: string; fuse: boolean; kinds?: readonly ModelKind[] }): GanParts {
  const kinds = options.kinds ?? MODEL_KINDS;
  const d = gan.latentDim;
  if (!Number.isInteger(d) || d < 1) throw new DmganConfigError(`latentDim must be an integer ≥ 1, got ${d}`);
  if (!Number.isInteger(options.generators) || options.generators < 1) {
    throw new DmganConfigError(`generators must be an integer ≥ 1, got ${options.generators}`);
  }
  const raw = generatorModels(gan, options.generators, kinds);
  let modules: GeneratorModule[];
  let critic: CriticModule & { featureSize?: number };
  let probed: { sampleShape: number[]; featureSize: number };
  try {
    modules = raw.map((m, i) => adaptGenerator(m, { what: `generator ${i}`, latentDim: d }, kinds));
    critic = adaptCritic(gan.discriminator, { what: 'discriminator', featureLayer: options.featureLayer }, kinds);
    modules.forEach((m, i) => checkAlive(m, `generator ${i}`));
    checkAlive(critic, 'discriminator');
    probed = probe(modules, critic, d);
  } catch (e) {
    // Free the generators made here (factory products, re-created copies); the user's own objects stay.
    raw.forEach((m, i) => {
      if (i > 0 || typeof gan.generator === 'function') disposeModel(m);
    });
    throw e;
  }
  const { sampleShape, featureSize } = probed;
  const ensemble = (options.fuse ? fuseGenerators(raw, kinds) : null) ?? new GeneratorEnsemble(modules);
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
    if (!(out.score instanceof tf.Tensor) || out.score.shape.join(',') !== '2,1') {
      const got = out.score instanceof tf.Tensor ? shapeText(out.score.shape) : String(out.score);
      throw new DmganConfigError(`discriminator: the score has shape ${got} for a batch of 2; it must be [B, 1] (one score per sample)`);
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

/** Refuses a model whose variables are disposed (tfjs would fail in the probe with an unrelated message). */
function checkAlive(m: { trainableVariables: readonly tf.Variable[]; stateVariables?: readonly tf.Variable[] }, what: string): void {
  for (const v of [...m.trainableVariables, ...(m.stateVariables ?? [])]) {
    if (v.isDisposed) throw new DmganConfigError(`${what}: variable '${v.name}' is disposed (a model of a disposed DMGAN? build fresh models)`);
  }
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
