import * as tf from '@tensorflow/tfjs-core';
import { EXPORT_METADATA } from './exported.js';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DMGAN_VERSION } from '../../../src/core/version.js';
import { writeFileAtomic } from '../../files/atomicFile.js';
import { GeneratorEnsemble, MaskedEnsemble, type EnsembleModule } from '../../../src/core/ensemble.js';
import { FusedMlpEnsemble } from '../../../src/core/fusedMlpEnsemble.js';
import type { LearnedPriorJSON } from '../../../src/core/prior.js';
import { encodeModel, type ModelProto } from '../proto.js';
import { attr, ElemType, GraphBuilder, valueInfo } from './builder.js';
import type { ExportPart, StackedLayer, StackedMlp } from './exporter.js';
import { exportPartOf, GENERATOR_EXPORTERS } from './exporters.js';
import { emitStackedMlp } from './mlp.js';
import { bakePrior, emitPriorIds, type BakedPrior } from './prior.js';

/**
 * What an export reads of a trained model. A `DmganCore` is one; a `DMGAN` holds one as
 * `core`. Structural, so that this adapter knows neither class.
 */
export interface ExportSource {
  readonly ensemble: EnsembleModule;
  readonly latentDim: number;
  /** The latent distribution's name (written into the metadata). */
  readonly latent: string;
  /** The prior whose sampling distribution the 'prior' mode bakes in. */
  readonly prior: { toJSON(): LearnedPriorJSON };
  /**
   * The trainer's plugins (a `DmganCore`'s): the export reads the weights inside their
   * `withInferenceWeights`, so with weight averaging on the file holds the averaged weights.
   */
  readonly plugins?: { withInferenceWeights<T>(fn: () => T): T };
}

/** What {@link exportOnnx} takes: an {@link ExportSource} (a `DmganCore`), or an object holding one as `core` (a `DMGAN`). */
export type Exportable = ExportSource | { readonly core: ExportSource };

/** Options of {@link exportOnnx}. */
export interface ExportOnnxOptions {
  /**
   * `'ids'` (default): inputs `z` [B, latent] (float) and `generator` [B] (int64) → `x`.
   * `'prior'`: inputs `z` and `u` [B] (uniform in [0, 1)) → `x` and `generator` (int64), ids
   * drawn by the learned prior's cumulative distribution baked into the graph.
   */
  mode?: 'ids' | 'prior';
  /** Prior mode: drop generators whose prior is below this and renormalise. Default 0 (keep all). */
  minPrior?: number;
  /** Written as the model's producer_name. Default 'dmgan'. */
  producerName?: string;
  /**
   * More `metadata_props` (e.g. what trained the model), after dmgan's own
   * ({@link EXPORT_METADATA}); a key that repeats one of those is refused.
   */
  metadata?: Readonly<Record<string, string>>;
  /**
   * Write the trained weights even when a plugin chooses others for inference (the EMA plugin's
   * averages, used by default). Default false.
   */
  rawWeights?: boolean;
}

/** What an export wrote (or, from {@link buildOnnxExport}, would write). */
export interface ExportOnnxInfo {
  readonly mode: 'ids' | 'prior';
  readonly opset: number;
  readonly latentDim: number;
  /** Shape of one sample. */
  readonly sampleShape: number[];
  /** Generators in the ensemble. */
  readonly generators: number;
  /** How the generators were written: stacked MLP weights gathered by id, or per-generator sub-graphs. */
  readonly layout: 'stacked-mlp' | 'per-generator';
  /** Prior mode: the baked prior (kept ids, renormalised probabilities, float32 thresholds). */
  readonly prior: BakedPrior | null;
  readonly inputNames: string[];
  readonly outputNames: string[];
}

export { EXPORT_METADATA } from './exported.js';

/** The default opset when no imported graph dictates one. */
const DEFAULT_OPSET = 13;
/** Where (the per-generator selection) needs opset 9. */
const MIN_OPSET = 9;

type Plan = { kind: 'stacked'; mlp: StackedMlp } | { kind: 'per-generator'; parts: ExportPart[] };

function describe(g: unknown): string {
  const name = (g as { constructor?: { name?: string } } | null)?.constructor?.name;
  return name && name !== 'Object' ? name : 'a plain { apply, trainableVariables } object';
}

function readStacked(kernels: readonly tf.Variable[], biases: readonly tf.Variable[]): StackedLayer[] {
  return kernels.map((k, l) => ({
    kernel: k.dataSync() as Float32Array,
    bias: (biases[l] as tf.Variable).dataSync() as Float32Array,
    inputs: k.shape[1] as number,
    outputs: k.shape[2] as number,
  }));
}

/** n parts of one stack key → one stacked MLP: per layer, the generators' weights one after another. */
function stackParts(stacks: readonly NonNullable<ExportPart['stack']>[]): StackedMlp {
  const per = stacks.map((s) => s.layers());
  const first = stacks[0] as NonNullable<ExportPart['stack']>;
  const layers = (per[0] as StackedLayer[]).map((l0, l) => {
    const kernel = new Float32Array(stacks.length * l0.kernel.length);
    const bias = new Float32Array(stacks.length * l0.bias.length);
    per.forEach((layers, g) => {
      kernel.set((layers[l] as StackedLayer).kernel, g * l0.kernel.length);
      bias.set((layers[l] as StackedLayer).bias, g * l0.bias.length);
    });
    return { kernel, bias, inputs: l0.inputs, outputs: l0.outputs };
  });
  return { n: stacks.length, layers, activation: first.activation, outputActivation: first.outputActivation };
}

/** Decides how to write the ensemble; throws naming the first generator no registered exporter can write. */
function plan(ensemble: EnsembleModule): Plan {
  if (ensemble instanceof FusedMlpEnsemble) {
    return { kind: 'stacked', mlp: { n: ensemble.size, layers: readStacked(ensemble.kernels, ensemble.biases), activation: ensemble.activation, outputActivation: ensemble.outputActivation } };
  }
  if (ensemble instanceof MaskedEnsemble) return plan(ensemble.inner);
  if (!(ensemble instanceof GeneratorEnsemble)) {
    throw new TypeError(`exportOnnx: unsupported ensemble type ${describe(ensemble)} (supported: FusedMlpEnsemble, GeneratorEnsemble, MaskedEnsemble)`);
  }
  const parts = ensemble.generators.map((g, i) => {
    const part = exportPartOf(g);
    if (part) return part;
    throw new TypeError(
      `exportOnnx: generator ${i} is ${describe(g)}, which cannot be exported (supported: ${GENERATOR_EXPORTERS.map((e) => e.name).join(', ')}, or a FusedMlpEnsemble)`,
    );
  });
  const stacks = parts.flatMap((p) => (p.stack ? [p.stack] : []));
  if (stacks.length === parts.length && new Set(stacks.map((s) => s.key)).size === 1) return { kind: 'stacked', mlp: stackParts(stacks) };
  return { kind: 'per-generator', parts };
}

function opsetOf(p: Plan): number {
  if (p.kind === 'stacked') return DEFAULT_OPSET;
  const opsets = new Set(p.parts.flatMap((part) => (part.opset === undefined ? [] : [part.opset])));
  if (opsets.size > 1) throw new Error(`exportOnnx: the ONNX generators use different opsets (${[...opsets].join(', ')}); one exported graph needs one`);
  const opset = opsets.size === 1 ? ([...opsets][0] as number) : DEFAULT_OPSET;
  if (opset < MIN_OPSET) throw new Error(`exportOnnx: the ONNX generators use opset ${opset}; export needs opset ${MIN_OPSET} or newer (Where)`);
  return opset;
}

/**
 * Every generator on the whole batch, then each sample keeps its own generator's output:
 * `Where(ids == g)` per generator and a sum over generators (the unselected terms are exact zeros,
 * and Where never multiplies, so a non-finite output of another generator cannot leak in).
 */
function emitPerGenerator(b: GraphBuilder, parts: readonly ExportPart[], z: string, ids: string, sampleRank: number): string {
  const outputs = parts.map((part, g) => part.emit(b, `g${g}`, z));
  const stacked = b.op('Concat', outputs.map((y) => b.unsqueeze(y, [0])), [attr.int('axis', 0)]);
  const gids = b.int64Const('generator_ids', [parts.length, 1], parts.map((_, g) => g));
  let mask = b.op('Equal', [b.unsqueeze(ids, [0]), gids]);
  if (sampleRank > 0) mask = b.unsqueeze(mask, Array.from({ length: sampleRank }, (_, k) => k + 2));
  const zero = b.floatConst('zero', [], [0]);
  return b.reduceSum(b.op('Where', [mask, stacked, zero]), [0], false);
}

function isSource(x: unknown): x is ExportSource {
  if (typeof x !== 'object' || x === null) return false;
  const m = x as Partial<Record<keyof ExportSource, unknown>>;
  const prior = m.prior as { toJSON?: unknown } | undefined;
  const ensemble = m.ensemble as { generate?: unknown } | undefined;
  return typeof m.latentDim === 'number' && typeof m.latent === 'string' && typeof ensemble?.generate === 'function' && typeof prior?.toJSON === 'function';
}

function sourceOf(model: Exportable): ExportSource {
  const core = (model as { core?: unknown } | null)?.core;
  if (isSource(core)) return core;
  if (isSource(model)) return model;
  throw new TypeError(`exportOnnx: expected a DMGAN or a DmganCore, got ${describe(model)}`);
}

function samplingProbabilities(core: ExportSource): number[] {
  const json = core.prior.toJSON();
  // The distribution `prior.sample` draws from: softmax(ζ / T).
  const t = json.options.temperature;
  const m = Math.max(...json.logits.map((l) => l / t));
  const e = json.logits.map((l) => Math.exp(l / t - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/**
 * Builds the ONNX model of a trained ensemble in memory (see {@link exportOnnx}); nothing is
 * written. Reads the current weights; leaves no tensors behind.
 */
export function buildOnnxExport(model: Exportable, options: ExportOnnxOptions = {}): { model: ModelProto; bytes: Uint8Array; info: ExportOnnxInfo } {
  const core = sourceOf(model);
  const build = (): { model: ModelProto; bytes: Uint8Array; info: ExportOnnxInfo } => buildFrom(core, options);
  const plugins = core.plugins;
  return options.rawWeights === true || typeof plugins?.withInferenceWeights !== 'function' ? build() : plugins.withInferenceWeights(build);
}

function buildFrom(core: ExportSource, options: ExportOnnxOptions): { model: ModelProto; bytes: Uint8Array; info: ExportOnnxInfo } {
  const mode = options.mode ?? 'ids';
  if (mode !== 'ids' && mode !== 'prior') throw new RangeError(`exportOnnx: mode must be 'ids' or 'prior', got '${String(mode)}'`);
  const minPrior = options.minPrior ?? 0;
  if (!(minPrior >= 0 && minPrior <= 1)) throw new RangeError(`exportOnnx: minPrior must be in [0, 1], got ${minPrior}`);
  if (options.minPrior !== undefined && mode !== 'prior') throw new RangeError(`exportOnnx: minPrior needs mode 'prior'`);
  const reserved = new Set<string>(Object.values(EXPORT_METADATA));
  for (const [key, value] of Object.entries(options.metadata ?? {})) {
    if (reserved.has(key)) throw new RangeError(`exportOnnx: metadata key '${key}' is dmgan's own`);
    if (typeof value !== 'string') throw new TypeError(`exportOnnx: metadata '${key}' must be a string, got ${typeof value}`);
  }
  const ensemble = core.ensemble;
  const latentDim = core.latentDim;
  const sampleShape = tf.tidy(() => ensemble.generate(tf.zeros([1, latentDim]) as tf.Tensor2D, [0], false).shape.slice(1));
  const p = plan(ensemble);
  const opset = opsetOf(p);
  const b = new GraphBuilder(opset);

  const z = b.claim('z');
  const inputs = [valueInfo(z, ElemType.FLOAT, [null, latentDim])];
  const outputs = [];
  let ids: string;
  let prior: BakedPrior | null = null;
  if (mode === 'ids') {
    ids = b.claim('generator');
    inputs.push(valueInfo(ids, ElemType.INT64, [null]));
  } else {
    const u = b.claim('u');
    inputs.push(valueInfo(u, ElemType.FLOAT, [null]));
    prior = bakePrior(samplingProbabilities(core), minPrior);
    ids = emitPriorIds(b, prior, u, b.claim('generator'));
  }
  const x = b.claim('x');
  const y = p.kind === 'stacked' ? emitStackedMlp(b, p.mlp, z, ids) : emitPerGenerator(b, p.parts, z, ids, sampleShape.length);
  b.op('Identity', [y], [], x);
  outputs.push(valueInfo(x, ElemType.FLOAT, [null, ...sampleShape]));
  if (mode === 'prior') outputs.push(valueInfo('generator', ElemType.INT64, [null]));

  const metadata: Record<string, string> = {
    [EXPORT_METADATA.format]: 'dmgan.onnx/v1',
    [EXPORT_METADATA.mode]: mode,
    [EXPORT_METADATA.latentDim]: String(latentDim),
    [EXPORT_METADATA.latent]: core.latent,
    [EXPORT_METADATA.generators]: String(ensemble.size),
    [EXPORT_METADATA.prior]: JSON.stringify(samplingProbabilities(core)),
    [EXPORT_METADATA.version]: DMGAN_VERSION,
    ...options.metadata,
  };
  const proto = {
    irVersion: opset <= 18 ? 8 : 10,
    producerName: options.producerName ?? 'dmgan',
    producerVersion: '0.1.0',
    opsetImport: [{ domain: '', version: opset }],
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    graph: { name: 'dmgan_ensemble', node: b.nodes, initializer: b.initializers, input: inputs, output: outputs },
  } as unknown as ModelProto;
  const info: ExportOnnxInfo = {
    mode,
    opset,
    latentDim,
    sampleShape,
    generators: ensemble.size,
    layout: p.kind === 'stacked' ? 'stacked-mlp' : 'per-generator',
    prior,
    inputNames: inputs.map((v) => v.name),
    outputNames: outputs.map((v) => v.name),
  };
  return { model: proto, bytes: encodeModel(proto), info };
}

/**
 * Writes one ONNX file that samples from the trained ensemble of `model` (a `DMGAN` or its
 * `DmganCore`), for onnxruntime and other ONNX runtimes. The file is written atomically.
 *
 * Supported generators: `FusedMlpEnsemble` and `MlpGenerator`s (stacked weights gathered by id:
 * each sample runs through its own generator only), and generators imported with `importOnnx`
 * (their graphs inlined with the trained weights; every generator runs on the batch and each
 * sample keeps its own generator's output), and tfjs-layers models (written layer by layer, NHWC
 * as tfjs returns them; `export/layers.ts`). Anything else throws naming the generator.
 */
export async function exportOnnx(model: Exportable, path: string, options: ExportOnnxOptions = {}): Promise<ExportOnnxInfo> {
  const { bytes, info } = buildOnnxExport(model, options);
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, bytes);
  return info;
}
