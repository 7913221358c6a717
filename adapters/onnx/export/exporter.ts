import type { ActivationName } from '../../../src/core/nn/activations.js';
import type { GeneratorModule } from '../../../src/core/modules.js';
import type { GraphBuilder } from './builder.js';

/** One layer of stacked weights: kernel [n, in, out] and bias [n, out], row-major. */
export interface StackedLayer {
  readonly kernel: Float32Array;
  readonly bias: Float32Array;
  readonly inputs: number;
  readonly outputs: number;
}

/** The layers and activations of n same-shaped MLP generators. */
export interface StackedMlp {
  readonly n: number;
  readonly layers: readonly StackedLayer[];
  readonly activation: ActivationName;
  readonly outputActivation: ActivationName;
}

/** One generator of the ensemble, ready to be written into the exported graph. */
export interface ExportPart {
  /** The opset the part is written in (an imported graph's own); undefined: any. */
  readonly opset?: number;
  /** Writes `z` [B, latentDim] → this generator's samples under `prefix`; returns the output's name. */
  emit(b: GraphBuilder, prefix: string, z: string): string;
  /**
   * Optional: the part as one MLP of a stack. When every generator of an ensemble has a
   * `stack` with the same `key`, the export gathers stacked weights by id (each sample runs
   * through its own generator only) instead of writing one sub-graph per generator.
   */
  readonly stack?: {
    readonly key: string;
    layers(): StackedLayer[];
    readonly activation: ActivationName;
    readonly outputActivation: ActivationName;
  };
}

/** Knows how to write one kind of generator module into an ONNX graph. */
export interface GeneratorExporter {
  /** How errors list this kind among the supported ones (e.g. `MlpGenerator`). */
  readonly name: string;
  /** The part for `generator`, or null when the generator is not of this exporter's kind. */
  part(generator: GeneratorModule): ExportPart | null;
}
