import * as tf from '@tensorflow/tfjs-core';
import type { GeneratorModule } from './modules.js';

/** Sample ids sorted by generator, with the size of each generator's group. */
export interface Routing {
  /** Generator id of every sample, in group order (all of generator 0 first, …). */
  ids: Int32Array;
  /** counts[g] = number of samples routed to generator g. */
  counts: Int32Array;
}

/** Samples per generator; rejects ids outside [0, n), naming the position. */
function countIds(ids: ArrayLike<number>, n: number): Int32Array {
  const counts = new Int32Array(n);
  for (let i = 0; i < ids.length; i++) {
    const g = ids[i] as number;
    if (!(Number.isInteger(g) && g >= 0 && g < n)) throw new RangeError(`generator id ${g} at position ${i} is outside [0, ${n})`);
    counts[g] = (counts[g] as number) + 1;
  }
  return counts;
}

/** Groups ids by generator (a counting sort): the batch order the routed ensemble computes in. */
export function routeIds(ids: ArrayLike<number>, n: number): Routing {
  const counts = countIds(ids, n);
  const sorted = new Int32Array(ids.length);
  let k = 0;
  for (let g = 0; g < n; g++) for (let c = 0; c < (counts[g] as number); c++) sorted[k++] = g;
  return { ids: sorted, counts };
}

/** For ids in caller order: the grouped order, its inverse, and group sizes. */
export function groupOrder(ids: ArrayLike<number>, n: number): { order: Int32Array; inverse: Int32Array; counts: Int32Array } {
  const counts = countIds(ids, n);
  const offsets = new Int32Array(n);
  for (let g = 1; g < n; g++) offsets[g] = (offsets[g - 1] as number) + (counts[g - 1] as number);
  const order = new Int32Array(ids.length);
  const inverse = new Int32Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const g = ids[i] as number;
    const k = offsets[g] as number;
    offsets[g] = k + 1;
    order[k] = i;
    inverse[i] = k;
  }
  return { order, inverse, counts };
}

/** What the training engine needs of a set of generators, fused or not. */
export interface EnsembleModule {
  /** Number of generators n. */
  readonly size: number;
  /** Samples for latents whose rows are grouped by generator, group g having counts[g] rows. */
  generateGrouped(z: tf.Tensor2D, counts: ArrayLike<number>, training: boolean): tf.Tensor;
  /**
   * The same samples as {@link generateGrouped}, for callers that need no gradient through
   * them (a critic step's fakes): may run one fused kernel instead of several per layer.
   */
  sampleGrouped?(z: tf.Tensor2D, counts: ArrayLike<number>, training: boolean): tf.Tensor;
  /** Samples for arbitrary latents and ids, in the caller's order. */
  generate(z: tf.Tensor2D, ids: ArrayLike<number>, training: boolean): tf.Tensor;
  readonly trainableVariables: readonly tf.Variable[];
  readonly stateVariables: readonly tf.Variable[];
  dispose(): void;
}

/**
 * A collection of generators G_1..G_n sampled as one: x = G_c(z).
 *
 * Each generator computes only the samples routed to it (the reference runs every generator on
 * the whole batch and keeps one output per sample with a one-hot mask, n times the work).
 */
export class GeneratorEnsemble implements EnsembleModule {
  readonly generators: readonly GeneratorModule[];

  constructor(generators: readonly GeneratorModule[]) {
    if (generators.length < 1) throw new RangeError(`a generator ensemble needs at least 1 generator, got ${generators.length}`);
    this.generators = generators;
  }

  get size(): number {
    return this.generators.length;
  }

  /**
   * Samples for latents already grouped by generator: rows of `z` follow `routing.ids`
   * (as {@link routeIds} orders them). No gather or scatter is needed.
   */
  generateGrouped(z: tf.Tensor2D, counts: ArrayLike<number>, training: boolean): tf.Tensor {
    const active: number[] = [];
    for (let g = 0; g < this.size; g++) if ((counts[g] as number) > 0) active.push(g);
    if (active.length === 1) return (this.generators[active[0] as number] as GeneratorModule).apply(z, training);
    const parts = tf.split(z, active.map((g) => counts[g] as number), 0);
    const outputs = active.map((g, i) => (this.generators[g] as GeneratorModule).apply(parts[i] as tf.Tensor, training));
    return tf.concat(outputs, 0);
  }

  /**
   * Samples for arbitrary latents and ids, in the caller's order: each generator runs on the
   * rows routed to it, and the outputs are put back in place.
   */
  generate(z: tf.Tensor2D, ids: ArrayLike<number>, training: boolean): tf.Tensor {
    const batch = z.shape[0];
    if (ids.length !== batch) throw new RangeError(`generate: ${ids.length} generator ids for a batch of ${batch} latents`);
    return tf.tidy(() => {
      const { order, inverse, counts } = groupOrder(ids, this.size);
      const grouped = this.generateGrouped(tf.gather(z, tf.tensor1d(order, 'int32')) as tf.Tensor2D, counts, training);
      return tf.gather(grouped, tf.tensor1d(inverse, 'int32'));
    });
  }

  /**
   * The reference's masked routing: every generator on the whole batch, each sample's output
   * selected by a one-hot mask. n× the compute; kept to check the routed path and to benchmark.
   */
  generateMasked(z: tf.Tensor2D, ids: ArrayLike<number>, training: boolean): tf.Tensor {
    return tf.tidy(() => {
      const mask = tf.cast(tf.oneHot(tf.tensor1d(Array.from(ids), 'int32'), this.size), 'float32');
      let out: tf.Tensor | null = null;
      this.generators.forEach((gen, g) => {
        const y = gen.apply(z, training);
        const m = tf.reshape(tf.slice(mask, [0, g], [-1, 1]), [-1, ...y.shape.slice(1).map(() => 1)]);
        const term = tf.mul(y, m);
        out = out ? tf.add(out, term) : term;
      });
      return out as unknown as tf.Tensor;
    });
  }

  get trainableVariables(): tf.Variable[] {
    return this.generators.flatMap((g) => [...g.trainableVariables]);
  }

  get stateVariables(): tf.Variable[] {
    return this.generators.flatMap((g) => [...(g.stateVariables ?? [])]);
  }

  dispose(): void {
    for (const g of this.generators) g.dispose();
  }
}

/**
 * The reference implementation's routing as an ensemble: every generator runs on the whole
 * batch and a one-hot mask keeps each sample's own output (n× the compute). For benchmarks and
 * for checking the routed paths; train with {@link GeneratorEnsemble} or a fused ensemble.
 */
export class MaskedEnsemble implements EnsembleModule {
  constructor(readonly inner: GeneratorEnsemble) {}

  get size(): number {
    return this.inner.size;
  }

  generateGrouped(z: tf.Tensor2D, counts: ArrayLike<number>, training: boolean): tf.Tensor {
    const ids: number[] = [];
    for (let g = 0; g < this.size; g++) for (let c = 0; c < (counts[g] as number); c++) ids.push(g);
    return this.inner.generateMasked(z, ids, training);
  }

  generate(z: tf.Tensor2D, ids: ArrayLike<number>, training: boolean): tf.Tensor {
    return this.inner.generateMasked(z, ids, training);
  }

  get trainableVariables(): tf.Variable[] {
    return this.inner.trainableVariables;
  }

  get stateVariables(): tf.Variable[] {
    return this.inner.stateVariables;
  }

  dispose(): void {
    this.inner.dispose();
  }
}
