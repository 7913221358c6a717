import { readFileSync, statSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '../../src/core/random.js';
import { backendAvailable } from '../../src/engine/backend.js';
import type { CriticModule, CriticOutput, GeneratorModule } from '../../src/core/modules.js';
import { guard, OnnxImportError } from './errors.js';
import { buildGraph } from './graph.js';
import type { OnnxGraph } from './graph.js';
import { MAX_MODEL_BYTES } from './limits.js';
import type { OpContext } from './ops/types.js';
import { decodeModel } from './proto.js';
import { reinitialize } from './reinit.js';
import type { ReinitializeMode } from './reinit.js';
import { isFloat, modelDirOf } from './tensorData.js';
import type { HostTensor } from './tensorData.js';
import { isHost, toTensor } from './values.js';
import type { Value } from './values.js';

/** Options of {@link importOnnx}. */
export interface ImportOnnxOptions {
  /** Initializers become trainable variables (default true); false freezes them. */
  trainable?: boolean;
  /**
   * What BatchNormalization does when run with `training: true`. `'batch-statistics'`
   * (default, like PyTorch train mode) normalises with batch statistics and updates the
   * running statistics; `'inference'` always uses the stored running statistics.
   */
  batchNorm?: 'inference' | 'batch-statistics';
}

/** Options of {@link OnnxModel.run}. */
export interface RunOptions {
  /** Training mode (affects BatchNormalization only). Default false. */
  training?: boolean;
  /** Values to return: graph outputs or any intermediate value name. Default: graph outputs. */
  outputs?: readonly string[];
}

/** Options of {@link OnnxModel.clone}. */
export interface CloneOptions {
  /** false (default): exact copy; true: PyTorch default re-init; `{ noise }`: copy + Gaussian noise. */
  reinitialize?: ReinitializeMode;
  /** Seed for re-initialisation or noise. */
  seed?: number | string;
}

/** What {@link OnnxModel.asCritic} maps to the critic's score and features. */
export interface CriticBinding {
  /** Value name of the score (default: the first graph output). */
  score?: string;
  /** Value name of the features Q reads (default: the second graph output). Flattened to [B, F]. */
  features?: string;
}

let modelCounter = 0;

// asGenerator() modules → their model, so that exportOnnx can find the graph behind a generator.
const generatorSources = new WeakMap<GeneratorModule, OnnxModel>();

/** The {@link OnnxModel} behind a module made by {@link OnnxModel.asGenerator}, if it is one. */
export function onnxModelOf(module: GeneratorModule): OnnxModel | undefined {
  return generatorSources.get(module);
}

/**
 * An imported ONNX graph running on tfjs: differentiable, NCHW at its boundary, with every
 * float initializer held as a `tf.Variable`.
 */
export class OnnxModel {
  readonly #graph: OnnxGraph;
  readonly #options: Required<ImportOnnxOptions>;
  readonly #variables = new Map<string, tf.Variable>();
  readonly #constants = new Map<string, HostTensor>();
  #disposed = false;

  /** @internal Use {@link importOnnx}. */
  constructor(graph: OnnxGraph, options: Required<ImportOnnxOptions>, values?: (name: string, v: HostTensor, trainable: boolean) => Float32Array) {
    this.#graph = graph;
    this.#options = options;
    const prefix = `onnx${++modelCounter}`;
    for (const [name, t] of graph.initializers) {
      if (graph.hostOnly.has(name)) {
        this.#constants.set(name, t);
        continue;
      }
      const trainable = options.trainable && !graph.runningStats.has(name);
      const data = values ? values(name, t, trainable) : Float32Array.from(t.data);
      const initial = tf.tensor(data, [...t.dims], 'float32');
      // tfjs variable names are global: prefix them; `variables` keeps the ONNX names.
      this.#variables.set(name, tf.variable(initial, trainable, `${prefix}/${name}`));
      initial.dispose();
    }
  }

  /** Graph input names, in file order. */
  get inputNames(): string[] {
    return this.#graph.inputs.map((v) => v.name);
  }

  /** Graph output names, in file order. */
  get outputNames(): string[] {
    return this.#graph.outputs.map((v) => v.name);
  }

  /** Every value a node computes, in execution order: names `run`'s `outputs` option accepts. */
  get valueNames(): string[] {
    return this.#graph.nodes.flatMap((n) => n.outputs.filter((o) => o !== ''));
  }

  /** Default-domain opset of the file. */
  get opset(): number {
    return this.#graph.opset;
  }

  /** Every initializer held as a variable, keyed by its ONNX name. */
  get variables(): ReadonlyMap<string, tf.Variable> {
    return this.#variables;
  }

  /** Parameters the optimiser updates (empty when imported with `trainable: false`). */
  get trainableVariables(): tf.Variable[] {
    return [...this.#variables.values()].filter((v) => v.trainable);
  }

  /** BatchNorm running statistics (and frozen parameters): state that checkpoints keep. */
  get stateVariables(): tf.Variable[] {
    return [...this.#variables.values()].filter((v) => !v.trainable);
  }

  /**
   * Runs the graph like an onnxruntime session, but differentiably: feeds and results are
   * tfjs tensors in ONNX layouts (NCHW), keyed by ONNX value names. The caller owns the results.
   */
  run(feeds: Record<string, tf.Tensor>, options: RunOptions = {}): Record<string, tf.Tensor> {
    if (this.#disposed) throw new OnnxImportError('model is disposed');
    const targets = options.outputs ?? this.outputNames;
    this.#checkFeeds(feeds);
    const known = (n: string): boolean =>
      this.#graph.producer.has(n) || this.#variables.has(n) || this.#constants.has(n) || n in feeds;
    for (const t of targets) if (!known(t)) throw new OnnxImportError(`unknown output value "${t}"`);
    const needed = this.#neededNodes(targets);
    const training = options.training ?? false;
    return tf.tidy(() => {
      const env = new Map<string, Value>();
      for (const [k, v] of Object.entries(feeds)) env.set(k, v);
      for (const [k, v] of this.#variables) env.set(k, v);
      for (const [k, v] of this.#constants) env.set(k, v);
      for (const node of this.#graph.nodes) {
        if (!needed.has(node)) continue;
        const args = node.inputs.map((n) => (n === '' ? undefined : env.get(n)));
        const ctx: OpContext = {
          node: node.name,
          attrs: node.attrs,
          opset: this.#graph.opset,
          training,
          batchNorm: this.#options.batchNorm,
          variableAt: (i) => {
            const n = node.inputs[i];
            return n === undefined ? undefined : this.#variables.get(n);
          },
        };
        const results = guard(`${node.opType} failed`, () => node.spec.run(args, ctx), node.name);
        node.outputs.forEach((o, i) => {
          const r = results[i];
          if (o !== '' && r !== undefined) env.set(o, r);
        });
      }
      const out: Record<string, tf.Tensor> = {};
      for (const t of targets) {
        const v = env.get(t);
        if (v === undefined) throw new OnnxImportError(`value "${t}" was not computed`);
        const tensor = toTensor(v);
        // Never hand back a feed or a variable itself: the caller may dispose results.
        out[t] = !isHost(v) && (env.get(t) === feeds[t] || this.#variables.get(t) === v) ? tf.clone(tensor) : tensor;
      }
      return out;
    });
  }

  #checkFeeds(feeds: Record<string, tf.Tensor>): void {
    for (const input of this.#graph.inputs) {
      const t = feeds[input.name];
      if (t === undefined) throw new OnnxImportError(`missing feed for input "${input.name}"`);
      if (t.isDisposed) throw new OnnxImportError(`feed "${input.name}" is disposed`);
      if (input.dims !== undefined) {
        const bad = t.rank !== input.dims.length || input.dims.some((d, i) => d !== null && d !== t.shape[i]);
        if (bad) {
          throw new OnnxImportError(
            `input "${input.name}" expects shape [${input.dims.map((d) => d ?? '?').join(', ')}], got [${t.shape.join(', ')}]`,
          );
        }
      }
      const wantsFloat = input.elemType === 1 || input.elemType === 11;
      if (wantsFloat && t.dtype !== 'float32') {
        throw new OnnxImportError(`input "${input.name}" expects float32, got ${t.dtype}`);
      }
    }
  }

  #neededNodes(targets: readonly string[]): Set<OnnxGraph['nodes'][number]> {
    const needed = new Set<OnnxGraph['nodes'][number]>();
    const stack = [...targets];
    while (stack.length > 0) {
      const v = stack.pop() as string;
      const i = this.#graph.producer.get(v);
      const node = i === undefined ? undefined : this.#graph.nodes[i];
      if (node === undefined || needed.has(node)) continue;
      needed.add(node);
      stack.push(...node.inputs.filter((n) => n !== ''));
    }
    return needed;
  }

  /**
   * A copy with its own variables, for generator factories: exact (default), re-initialised
   * like PyTorch's default init (`reinitialize: true`), or perturbed (`{ noise: σ }`).
   */
  clone(options: CloneOptions = {}): OnnxModel {
    const mode = options.reinitialize ?? false;
    const rng = new Random(options.seed ?? 0);
    const current = new Map<string, HostTensor>();
    for (const [name, v] of this.#variables) {
      current.set(name, { kind: 'host', dtype: 'float32', dims: v.shape, data: v.dataSync() as Float32Array });
    }
    return new OnnxModel(this.#graph, this.#options, (name, t, trainable) =>
      reinitialize(this.#graph, name, current.get(name) ?? t, mode, trainable, rng),
    );
  }

  /** This model as a generator (single input z, single output x). Disposing it disposes the model. */
  asGenerator(): GeneratorModule {
    if (this.#graph.inputs.length !== 1 || this.#graph.outputs.length !== 1) {
      throw new OnnxImportError(`asGenerator needs one input and one output, model has ${this.#graph.inputs.length} and ${this.#graph.outputs.length}`);
    }
    const input = this.inputNames[0] as string;
    const output = this.outputNames[0] as string;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const model = this;
    const generator: GeneratorModule = {
      get trainableVariables() {
        return model.trainableVariables;
      },
      get stateVariables() {
        return model.stateVariables;
      },
      apply: (z, training) => model.run({ [input]: z }, { training, outputs: [output] })[output] as tf.Tensor,
      dispose: () => model.dispose(),
    };
    generatorSources.set(generator, this);
    return generator;
  }

  /** @internal The parsed graph (read by `exportOnnx`, which re-emits it with current weights). */
  get graph(): OnnxGraph {
    return this.#graph;
  }

  /** This model as a critic: `score` and `features` name graph values (outputs or intermediate). */
  asCritic(binding: CriticBinding = {}): CriticModule {
    if (this.#graph.inputs.length !== 1) throw new OnnxImportError(`asCritic needs one input, model has ${this.#graph.inputs.length}`);
    const input = this.inputNames[0] as string;
    const score = binding.score ?? this.outputNames[0];
    const features = binding.features ?? this.outputNames[1];
    if (score === undefined || features === undefined) {
      throw new OnnxImportError('asCritic needs a score and a features value name');
    }
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const model = this;
    return {
      get trainableVariables() {
        return model.trainableVariables;
      },
      get stateVariables() {
        return model.stateVariables;
      },
      apply: (x, training): CriticOutput => {
        const out = model.run({ [input]: x }, { training, outputs: score === features ? [score] : [score, features] });
        const s = out[score] as tf.Tensor;
        const f = score === features ? tf.clone(s) : (out[features] as tf.Tensor);
        if (f.rank === 2) return { score: s, features: f };
        const flat = tf.reshape(f, [f.shape[0] ?? 0, -1]);
        f.dispose();
        return { score: s, features: flat };
      },
      dispose: () => model.dispose(),
    };
  }

  /** Frees every variable. Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const v of this.#variables.values()) v.dispose();
    this.#variables.clear();
  }
}

function readModelFile(path: string): Uint8Array {
  return guard(`cannot read model file "${path}"`, () => {
    const size = statSync(path).size;
    if (size > MAX_MODEL_BYTES) throw new OnnxImportError(`model file "${path}" is ${size} bytes, over the limit`);
    return readFileSync(path);
  });
}

/**
 * Imports an ONNX model (a file path, or the bytes of one) as a trainable tfjs model.
 * Throws {@link OnnxImportError} for anything malformed, hostile or unsupported.
 */
export async function importOnnx(pathOrBytes: string | Uint8Array, options: ImportOnnxOptions = {}): Promise<OnnxModel> {
  if (!backendAvailable()) throw new Error('importOnnx: no TensorFlow.js backend is registered: call `await initEngine()` first');
  const bytes = typeof pathOrBytes === 'string' ? readModelFile(pathOrBytes) : pathOrBytes;
  const modelDir = typeof pathOrBytes === 'string' ? modelDirOf(pathOrBytes) : undefined;
  const resolved: Required<ImportOnnxOptions> = {
    trainable: options.trainable ?? true,
    batchNorm: options.batchNorm ?? 'batch-statistics',
  };
  if (resolved.batchNorm !== 'inference' && resolved.batchNorm !== 'batch-statistics') {
    throw new OnnxImportError(`unknown batchNorm option "${String(resolved.batchNorm)}"`);
  }
  const graph = guard('invalid ONNX model', () => buildGraph(decodeModel(bytes), { modelDir }));
  for (const [name, t] of graph.initializers) {
    if (!graph.hostOnly.has(name) && !isFloat(t.dtype)) throw new OnnxImportError(`initializer "${name}" is not float`);
  }
  return new OnnxModel(graph, resolved);
}
