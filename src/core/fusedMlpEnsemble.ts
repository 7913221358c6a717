import * as tf from '@tensorflow/tfjs-core';
import { matMulFast } from '../engine/matmul.js';
import { groupedMlpForward } from '../engine/kernels/groupedMlp.js';
import { groupOrder, type EnsembleModule } from './ensemble.js';
import { activate, type ActivationName } from './nn/activations.js';
import type { MlpGenerator } from './nn/mlp.js';
import { uniqueName } from './nn/dense.js';

/** Largest selection matrix (entries) built for a training batch; past it rows are gathered. */
const SELECTION_MATMUL_LIMIT = 1 << 20;

/**
 * An ensemble of same-shaped MLP generators stored as stacked weights [n, in, out], so the whole
 * ensemble runs as one batched matrix product per layer instead of n small ones.
 *
 * Routing is kept: samples are grouped by generator and padded to the largest group, so each
 * generator sees only its own samples (plus padding rows whose outputs are dropped and whose
 * gradients are zero). On small MLPs this trades a little arithmetic for n× fewer kernel calls,
 * which is where the time goes. Same maths as {@link GeneratorEnsemble} over the same MLPs.
 */
export class FusedMlpEnsemble implements EnsembleModule {
  readonly size: number;
  readonly kernels: tf.Variable[];
  readonly biases: tf.Variable[];
  readonly #activation: ActivationName;
  readonly #outputActivation: ActivationName;
  readonly sizes: readonly number[];

  private constructor(kernels: tf.Variable[], biases: tf.Variable[], sizes: readonly number[], activation: ActivationName, outputActivation: ActivationName) {
    this.kernels = kernels;
    this.biases = biases;
    this.sizes = sizes;
    this.size = kernels[0]?.shape[0] ?? 0;
    this.#activation = activation;
    this.#outputActivation = outputActivation;
  }

  /**
   * Stacks the weights of `generators` (all with the same layer sizes and activations) into one
   * fused ensemble. The source generators are disposed.
   */
  static fromGenerators(generators: readonly MlpGenerator[]): FusedMlpEnsemble {
    const first = generators[0];
    if (!first) throw new RangeError('a generator ensemble needs at least 1 generator, got 0');
    const spec = first.spec;
    const output = (s: MlpGenerator['spec']): ActivationName => s.outputActivation ?? 'linear';
    generators.forEach((g, i) => {
      const difference =
        g.spec.sizes.join(',') !== spec.sizes.join(',')
          ? `layer sizes [${g.spec.sizes.join(', ')}], generator 0 has [${spec.sizes.join(', ')}]`
          : g.spec.activation !== spec.activation
            ? `activation '${g.spec.activation}', generator 0 has '${spec.activation}'`
            : output(g.spec) !== output(spec)
              ? `output activation '${output(g.spec)}', generator 0 has '${output(spec)}'`
              : null;
      if (difference !== null) throw new Error(`generator ${i} has ${difference}: fused ensembles need identical MLPs`);
    });
    const kernels: tf.Variable[] = [];
    const biases: tf.Variable[] = [];
    for (let l = 0; l + 1 < spec.sizes.length; l++) {
      const k = tf.tidy(() => tf.stack(generators.map((g) => (g.layers[l] as MlpGenerator['layers'][number]).kernel)));
      const b = tf.tidy(() =>
        tf.stack(generators.map((g) => tf.reshape((g.layers[l] as MlpGenerator['layers'][number]).bias as tf.Tensor, [1, -1]))),
      );
      kernels.push(tf.variable(k, true, uniqueName(`ensemble/layer_${l}/kernel`)));
      biases.push(tf.variable(b, true, uniqueName(`ensemble/layer_${l}/bias`)));
      k.dispose();
      b.dispose();
    }
    for (const g of generators) g.dispose();
    return new FusedMlpEnsemble(kernels, biases, spec.sizes, spec.activation, output(spec));
  }

  /** Samples for latents grouped by generator (rows follow the group order of `counts`). */
  generateGrouped(z: tf.Tensor2D, counts: ArrayLike<number>, training: boolean): tf.Tensor {
    void training; // no batch statistics in a plain MLP
    return this.#grouped(z, counts, (h) => this.#layers(h, (l) => this.kernels[l] as tf.Tensor, (l) => this.biases[l] as tf.Tensor));
  }

  /**
   * {@link generateGrouped} without a gradient: the padded layers run as one
   * `DmganGroupedMlp` kernel when nothing is being recorded (same kernels inside on wasm/cpu,
   * one onnxruntime call with adapters/onnxruntime), op by op otherwise.
   */
  sampleGrouped(z: tf.Tensor2D, counts: ArrayLike<number>, training: boolean): tf.Tensor {
    void training;
    const attrs = { activation: this.#activation, outputActivation: this.#outputActivation, alpha: 0.2 };
    return this.#grouped(z, counts, (h) => groupedMlpForward(h, this.kernels, this.biases, attrs) ?? this.#layers(h, (l) => this.kernels[l] as tf.Tensor, (l) => this.biases[l] as tf.Tensor));
  }

  #grouped(z: tf.Tensor2D, counts: ArrayLike<number>, layers: (padded: tf.Tensor) => tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const active: number[] = [];
      for (let g = 0; g < this.size; g++) if ((counts[g] as number) > 0) active.push(g);
      if (active.length === 1) return this.#applyOne(active[0] as number, z);
      const width = Math.max(...active.map((g) => counts[g] as number));
      // Row i of the grouped batch sits at keepIndex[i] of the padded layout.
      const keepIndex = new Int32Array(z.shape[0]);
      let k = 0;
      for (let g = 0; g < this.size; g++) {
        for (let j = 0; j < (counts[g] as number); j++) keepIndex[k++] = g * width + j;
      }
      const rows = z.shape[0];
      const h = layers(tf.reshape(this.#padRows(z, keepIndex, this.size * width), [this.size, width, -1]));
      const flat = tf.reshape(h, [this.size * width, -1]);
      if (rows * this.size * width > SELECTION_MATMUL_LIMIT) return tf.gather(flat, tf.tensor1d(keepIndex, 'int32'));
      // Pick rows with a 0/1 matrix product: exact, cheaper than GatherV2 on wasm, and its
      // gradient needs no UnsortedSegmentSum.
      const select = new Float32Array(rows * this.size * width);
      for (let i = 0; i < rows; i++) select[i * this.size * width + (keepIndex[i] as number)] = 1;
      return tf.matMul(tf.tensor2d(select, [rows, this.size * width]), flat);
    });
  }

  /**
   * Grouped rows → the padded layout [n·width, d] (grouped row i goes to slot keepIndex[i]);
   * padding rows are zero. A 0/1 matrix product copies rows exactly (x·1 + Σ 0·y = x) and is
   * ~10× cheaper than GatherV2 on wasm at these sizes; large batches gather instead.
   */
  #padRows(z: tf.Tensor2D, keepIndex: Int32Array, padded: number): tf.Tensor {
    const rows = z.shape[0];
    const source = new Int32Array(padded).fill(-1);
    keepIndex.forEach((slot, i) => {
      source[slot] = i;
    });
    if (rows * padded > SELECTION_MATMUL_LIMIT) {
      // Padding reads row 0; its outputs are dropped and get no gradient.
      return tf.gather(z, tf.tensor1d(source.map((r) => Math.max(r, 0)), 'int32'));
    }
    const select = new Float32Array(padded * rows);
    source.forEach((r, i) => {
      if (r >= 0) select[i * rows + r] = 1;
    });
    return tf.matMul(tf.tensor2d(select, [padded, rows]), z);
  }

  /** Samples for arbitrary latents and ids, in the caller's order. */
  generate(z: tf.Tensor2D, ids: ArrayLike<number>, training: boolean): tf.Tensor {
    return tf.tidy(() => {
      const { order, inverse, counts } = groupOrder(ids, this.size);
      const grouped = this.generateGrouped(tf.gather(z, tf.tensor1d(order, 'int32')) as tf.Tensor2D, counts, training);
      return tf.gather(grouped, tf.tensor1d(inverse, 'int32'));
    });
  }

  #applyOne(g: number, z: tf.Tensor): tf.Tensor {
    const pick = (v: tf.Variable) => tf.squeeze(tf.slice(v, [g], [1]), [0]);
    return this.#layers(z, (l) => pick(this.kernels[l] as tf.Variable), (l) => pick(this.biases[l] as tf.Variable));
  }

  #layers(x: tf.Tensor, kernel: (l: number) => tf.Tensor, bias: (l: number) => tf.Tensor): tf.Tensor {
    let h = x;
    const last = this.kernels.length - 1;
    for (let l = 0; l <= last; l++) {
      h = tf.add(matMulFast(h, kernel(l)), bias(l));
      h = activate(h, l === last ? this.#outputActivation : this.#activation);
    }
    return h;
  }

  /** Activation between hidden layers (read by the ONNX exporter). */
  get activation(): ActivationName {
    return this.#activation;
  }

  /** Activation on the output (read by the ONNX exporter). */
  get outputActivation(): ActivationName {
    return this.#outputActivation;
  }

  get trainableVariables(): tf.Variable[] {
    return this.kernels.flatMap((k, l) => [k, this.biases[l] as tf.Variable]);
  }

  get stateVariables(): tf.Variable[] {
    return [];
  }

  dispose(): void {
    for (const v of this.trainableVariables) v.dispose();
  }
}
