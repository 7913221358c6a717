import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { layersModelOf } from '../../tfjs/layersGenerator.js';
import { attr, transposeHost, type GraphBuilder } from './builder.js';
import type { AttributeProto } from '../proto.js';
import type { GeneratorExporter } from './exporter.js';

/*
 * tfjs-layers generators → ONNX. The graph carries tfjs' own layout (NHWC, channels last), so
 * Reshape, Flatten, Permute, Concatenate axes and the output mean exactly what they mean in tfjs:
 * input `z` [B, latent] → output [B, …the model's output shape] (e.g. [B, H, W, C]), the same
 * array `model.predict(z)` gives. Only Conv / ConvTranspose / Resize (NCHW in ONNX) are wrapped
 * in Transposes; back-to-back convolutions share them (see `toNchw`). Batch norm is written in
 * its inference form (moving statistics), as the engine's `apply(z, false)` runs it.
 */

type Shape = readonly (number | null)[];
type Config = Record<string, unknown>;

/** What a writer gets: the layer, its input values (names) and static shapes, and the builder. */
interface LayerCall {
  readonly b: GraphBuilder;
  readonly layer: tfl.layers.Layer;
  readonly config: Config;
  /** Prefix for this layer's initializers. */
  readonly name: string;
  readonly inputs: readonly string[];
  readonly inShapes: readonly Shape[];
  readonly outShape: Shape;
  readonly nchw: Map<string, string>;
}

type Writer = (c: LayerCall) => string;

/** Thrown for what the export cannot express; the planner lets it through unchanged. */
export class LayersExportError extends TypeError {}

function fail(c: LayerCall, why: string): never {
  throw new LayersExportError(`exportOnnx: layer '${c.layer.name}' (${c.layer.getClassName()}) ${why}`);
}

/** A weight of the layer by its property (`kernel`, `gamma`, …), or null when the layer has none. */
function weight(c: LayerCall, prop: string): { data: Float32Array; shape: number[] } | null {
  const v = (c.layer as unknown as Record<string, tfl.LayerVariable | null | undefined>)[prop];
  if (!v) return null;
  const t = v.read() as tf.Tensor;
  return { data: t.dataSync() as Float32Array, shape: t.shape };
}

function required(c: LayerCall, prop: string): { data: Float32Array; shape: number[] } {
  return weight(c, prop) ?? fail(c, `has no ${prop} weight (is the model built?)`);
}

/** NHWC value → NCHW, reusing the NCHW value it came from when it was a conv's output. */
function toNchw(c: LayerCall, x: string): string {
  return c.nchw.get(x) ?? c.b.op('Transpose', [x], [attr.ints('perm', [0, 3, 1, 2])]);
}

function fromNchw(c: LayerCall, y: string): string {
  const x = c.b.op('Transpose', [y], [attr.ints('perm', [0, 2, 3, 1])]);
  c.nchw.set(x, y);
  return x;
}

/** tfjs activation identifiers (as `getConfig()` serialises them) → ONNX. */
function activation(c: LayerCall, x: string, name: unknown): string {
  const b = c.b;
  switch (name) {
    case undefined:
    case null:
    case 'linear':
      return x;
    case 'relu':
      return b.op('Relu', [x]);
    case 'relu6':
      return b.op('Clip', [x, b.floatConst('zero', [], [0]), b.floatConst('six', [], [6])]);
    case 'elu':
      return b.op('Elu', [x], [attr.float('alpha', 1)]);
    case 'selu':
      // tfjs' constants (ONNX's defaults are these, rounded to float32 alike).
      return b.op('Selu', [x], [attr.float('alpha', 1.6732632423543772), attr.float('gamma', 1.0507009873554805)]);
    case 'softplus':
      return b.op('Softplus', [x]);
    case 'tanh':
      return b.op('Tanh', [x]);
    case 'sigmoid':
      return b.op('Sigmoid', [x]);
    case 'softmax':
      return b.op('Softmax', [x], [attr.int('axis', -1)]);
    default:
      return fail(c, `has activation '${String(name)}', which cannot be exported (supported: ${ACTIVATIONS.join(', ')})`);
  }
}

const ACTIVATIONS = ['linear', 'relu', 'relu6', 'elu', 'selu', 'softplus', 'tanh', 'sigmoid', 'softmax'];

function pair(v: unknown): [number, number] {
  return Array.isArray(v) ? [v[0] as number, (v[1] ?? v[0]) as number] : [v as number, v as number];
}

function channelsLast(c: LayerCall): void {
  const format = c.config.dataFormat;
  if (format !== undefined && format !== 'channelsLast') fail(c, `uses dataFormat '${String(format)}'; only channelsLast is exported`);
}

function spatial(c: LayerCall): [number, number] {
  const s = c.inShapes[0] as Shape;
  if (s.length !== 4 || typeof s[1] !== 'number' || typeof s[2] !== 'number') fail(c, `needs a static [B, H, W, C] input, got [${s.join(', ')}]`);
  return [s[1], s[2]];
}

/** tfjs (= TensorFlow) padding of a convolution: 'same' puts the odd pixel at the end. */
function convPads(c: LayerCall, kernel: [number, number], strides: [number, number], dilation: [number, number]): number[] {
  const padding = c.config.padding;
  if (padding === 'valid') return [0, 0, 0, 0];
  if (padding !== 'same') fail(c, `uses padding '${String(padding)}'; only 'valid' and 'same' are exported`);
  const size = spatial(c);
  const begin: number[] = [];
  const end: number[] = [];
  for (let i = 0; i < 2; i++) {
    const [n, k, s, d] = [size[i] as number, kernel[i] as number, strides[i] as number, dilation[i] as number];
    const total = Math.max((Math.ceil(n / s) - 1) * s + (k - 1) * d + 1 - n, 0);
    begin.push(Math.floor(total / 2));
    end.push(total - Math.floor(total / 2));
  }
  return [...begin, ...end];
}

const stringAttr = (name: string, value: string): AttributeProto => ({ name, type: 3, s: new TextEncoder().encode(value) }) as unknown as AttributeProto;

/** The layer's bias as an initializer name (a Conv/ConvTranspose `B` input), or none. */
function bias(c: LayerCall): string[] {
  const w = c.config.useBias === false ? null : weight(c, 'bias');
  return w ? [c.b.floatConst(`${c.name}/bias`, [w.data.length], w.data)] : [];
}

/** Conv2D, DepthwiseConv2D and SeparableConv2D: one ONNX Conv (two for separable) in NCHW. */
function conv(kind: 'conv' | 'depthwise' | 'separable'): Writer {
  return (c) => {
    channelsLast(c);
    const strides = pair(c.config.strides ?? 1);
    const dilation = pair(c.config.dilationRate ?? 1);
    const inChannels = (c.inShapes[0] as Shape)[3] as number;
    let w: { data: Float32Array; shape: number[] };
    let group = 1;
    if (kind === 'conv') {
      const k = required(c, 'kernel');
      w = transposeHost(k.data, k.shape, [3, 2, 0, 1]); // [kh, kw, in, out] → [out, in, kh, kw]
    } else {
      // [kh, kw, in, mult] → [in·mult, 1, kh, kw]: output channel c·mult + m, as TensorFlow orders them.
      const k = required(c, 'depthwiseKernel');
      const t = transposeHost(k.data, k.shape, [2, 3, 0, 1]);
      w = { data: t.data, shape: [(k.shape[2] as number) * (k.shape[3] as number), 1, k.shape[0] as number, k.shape[1] as number] };
      group = inChannels;
    }
    const kernel: [number, number] = [w.shape[2] as number, w.shape[3] as number];
    const attrs = [
      attr.ints('kernel_shape', kernel),
      attr.ints('strides', strides),
      attr.ints('dilations', dilation),
      attr.ints('pads', convPads(c, kernel, strides, dilation)),
      attr.int('group', group),
    ];
    const x = toNchw(c, c.inputs[0] as string);
    const kernelValue = c.b.floatConst(`${c.name}/kernel`, w.shape, w.data);
    let y: string;
    if (kind === 'separable') {
      const p = required(c, 'pointwiseKernel');
      const pw = transposeHost(p.data, p.shape, [3, 2, 0, 1]);
      y = c.b.op('Conv', [x, kernelValue], attrs);
      y = c.b.op('Conv', [y, c.b.floatConst(`${c.name}/pointwise_kernel`, pw.shape, pw.data), ...bias(c)], [attr.ints('kernel_shape', [1, 1])]);
    } else {
      y = c.b.op('Conv', [x, kernelValue, ...bias(c)], attrs);
    }
    return activation(c, fromNchw(c, y), c.config.activation);
  };
}

/**
 * Conv2DTranspose as tfjs computes it: `conv2dTranspose` to an output of H·s ('same') or
 * H·s + max(k − s, 0) ('valid'), the adjoint of a convolution whose 'same' padding puts
 * floor(total/2) first. ONNX pads are those of that convolution; output_padding adds what the
 * pads leave short (s − k when k < s). tfjs' layer ignores dilationRate, so does the export.
 */
const convTranspose: Writer = (c) => {
  channelsLast(c);
  const k = required(c, 'kernel'); // [kh, kw, out, in]
  const kernel: [number, number] = [k.shape[0] as number, k.shape[1] as number];
  const strides = pair(c.config.strides ?? 1);
  const size = spatial(c);
  const same = c.config.padding === 'same';
  if (!same && c.config.padding !== 'valid') fail(c, `uses padding '${String(c.config.padding)}'; only 'valid' and 'same' are exported`);
  const begin: number[] = [];
  const end: number[] = [];
  const outputPadding: number[] = [];
  for (let i = 0; i < 2; i++) {
    const [n, kk, s] = [size[i] as number, kernel[i] as number, strides[i] as number];
    const target = same ? n * s : n * s + Math.max(kk - s, 0);
    const total = same ? Math.max(kk - s, 0) : 0;
    begin.push(Math.floor(total / 2));
    end.push(total - Math.floor(total / 2));
    outputPadding.push(target - ((n - 1) * s + kk - total));
  }
  const w = transposeHost(k.data, k.shape, [3, 2, 0, 1]); // → [in, out, kh, kw]
  const attrs = [attr.ints('kernel_shape', kernel), attr.ints('strides', strides), attr.ints('pads', [...begin, ...end]), attr.ints('output_padding', outputPadding)];
  const y = c.b.op('ConvTranspose', [toNchw(c, c.inputs[0] as string), c.b.floatConst(`${c.name}/kernel`, w.shape, w.data), ...bias(c)], attrs);
  return activation(c, fromNchw(c, y), c.config.activation);
};

/** Per-feature constants shaped to broadcast over `axes` of the input (batch dim left out). */
function featureDims(c: LayerCall, axes: readonly number[]): number[] {
  const s = c.inShapes[0] as Shape;
  return s.slice(1).map((d, i) => (axes.includes(i + 1) ? (d as number) : 1));
}

function normAxes(c: LayerCall, axis: unknown): number[] {
  const rank = (c.inShapes[0] as Shape).length;
  return (Array.isArray(axis) ? axis : [axis ?? -1]).map((a: number) => (a < 0 ? a + rank : a));
}

/** Inference batch norm: (x − moving mean)·γ/√(moving var + ε) + β, the factor folded on the host. */
const batchNorm: Writer = (c) => {
  const axes = normAxes(c, c.config.axis);
  // tfjs' cpu kernel cycles the statistics over the flat input, i.e. over the last axis whatever
  // `axis` says, so another axis has no well-defined tfjs output to match.
  if (axes[0] !== (c.inShapes[0] as Shape).length - 1) fail(c, `normalises axis ${String(c.config.axis)}; only the last (channels) axis is exported`);
  const dims = featureDims(c, axes);
  const mean = required(c, 'movingMean').data;
  const variance = required(c, 'movingVariance').data;
  const gamma = weight(c, 'gamma')?.data;
  const beta = weight(c, 'beta')?.data;
  const eps = (c.config.epsilon as number | undefined) ?? 1e-3;
  const factor = Array.from(variance, (v, i) => (gamma ? (gamma[i] as number) : 1) / Math.sqrt(v + eps));
  let y = c.b.op('Mul', [c.b.op('Sub', [c.inputs[0] as string, c.b.floatConst(`${c.name}/moving_mean`, dims, mean)]), c.b.floatConst(`${c.name}/factor`, dims, factor)]);
  if (beta) y = c.b.op('Add', [y, c.b.floatConst(`${c.name}/beta`, dims, beta)]);
  return y;
};

/** Layer norm over `axis` (ReduceMean with axes as an attribute: opsets 13–17). */
const layerNorm: Writer = (c) => {
  const b = c.b;
  const axes = normAxes(c, c.config.axis);
  const dims = featureDims(c, axes);
  const x = c.inputs[0] as string;
  const d = b.op('Sub', [x, b.op('ReduceMean', [x], [attr.ints('axes', axes)])]);
  const variance = b.op('ReduceMean', [b.op('Mul', [d, d])], [attr.ints('axes', axes)]);
  const eps = (c.config.epsilon as number | undefined) ?? 1e-3;
  let y = b.op('Div', [d, b.op('Sqrt', [b.op('Add', [variance, b.floatConst('eps', [], [eps])])])]);
  const gamma = c.config.scale === false ? null : weight(c, 'gamma');
  const beta = c.config.center === false ? null : weight(c, 'beta');
  if (gamma) y = b.op('Mul', [y, b.floatConst(`${c.name}/gamma`, dims, gamma.data)]);
  if (beta) y = b.op('Add', [y, b.floatConst(`${c.name}/beta`, dims, beta.data)]);
  return y;
};

const dense: Writer = (c) => {
  const k = required(c, 'kernel');
  const y = c.b.op('MatMul', [c.inputs[0] as string, c.b.floatConst(`${c.name}/kernel`, k.shape, k.data)]);
  const [b] = bias(c);
  return activation(c, b === undefined ? y : c.b.op('Add', [y, b]), c.config.activation);
};

/**
 * UpSampling2D: tfjs resizes with alignCorners = false and halfPixelCenters = false, i.e. the
 * source coordinate is dst / scale ('asymmetric'); nearest takes its floor.
 */
const upSampling: Writer = (c) => {
  channelsLast(c);
  const [sh, sw] = pair(c.config.size ?? 2);
  const bilinear = c.config.interpolation === 'bilinear';
  const scales = c.b.floatConst(`${c.name}/scales`, [4], [1, 1, sh, sw]);
  const mode = bilinear ? [stringAttr('mode', 'linear')] : [stringAttr('mode', 'nearest'), stringAttr('nearest_mode', 'floor')];
  const y = c.b.op('Resize', [toNchw(c, c.inputs[0] as string), '', scales], [...mode, stringAttr('coordinate_transformation_mode', 'asymmetric')]);
  return fromNchw(c, y);
};

function margins(c: LayerCall, v: unknown): [[number, number], [number, number]] {
  if (typeof v === 'number') return [[v, v], [v, v]];
  const [h, w] = v as [unknown, unknown];
  return [pair(h), pair(w)];
}

const zeroPadding: Writer = (c) => {
  channelsLast(c);
  const [[t, bo], [l, r]] = margins(c, c.config.padding ?? 1);
  return c.b.op('Pad', [c.inputs[0] as string, c.b.int64Const(`${c.name}/pads`, [8], [0, t, l, 0, 0, bo, r, 0])]);
};

const cropping: Writer = (c) => {
  channelsLast(c);
  const [[t, bo], [l, r]] = margins(c, c.config.cropping ?? 0);
  const [h, w] = spatial(c);
  const b = c.b;
  return b.op('Slice', [c.inputs[0] as string, b.int64Const('starts', [2], [t, l]), b.int64Const('ends', [2], [h - bo, w - r]), b.int64Const('axes', [2], [1, 2])]);
};

const reshape: Writer = (c) => {
  const rest = c.outShape.slice(1);
  if (rest.some((d) => typeof d !== 'number')) fail(c, `has a dynamic output shape [${c.outShape.join(', ')}]`);
  return c.b.op('Reshape', [c.inputs[0] as string, c.b.int64Const('shape', [rest.length + 1], [-1, ...(rest as number[])])]);
};

function fold(op: string): Writer {
  return (c) => c.inputs.slice(1).reduce((acc, x) => c.b.op(op, [acc, x]), c.inputs[0] as string);
}

const identity: Writer = (c) => c.inputs[0] as string;

/** Every exportable layer class (tfjs `getClassName()`) and how it is written. */
const WRITERS: Record<string, Writer> = {
  Dense: dense,
  Conv2D: conv('conv'),
  Conv2DTranspose: convTranspose,
  DepthwiseConv2D: conv('depthwise'),
  SeparableConv2D: conv('separable'),
  BatchNormalization: batchNorm,
  LayerNormalization: layerNorm,
  Reshape: reshape,
  Flatten: (c) => c.b.op('Flatten', [c.inputs[0] as string], [attr.int('axis', 1)]),
  Permute: (c) => c.b.op('Transpose', [c.inputs[0] as string], [attr.ints('perm', [0, ...(c.config.dims as number[])])]),
  UpSampling2D: upSampling,
  ZeroPadding2D: zeroPadding,
  Cropping2D: cropping,
  Concatenate: (c) => c.b.op('Concat', [...c.inputs], [attr.int('axis', normAxes(c, c.config.axis ?? -1)[0] as number)]),
  Add: fold('Add'),
  Multiply: fold('Mul'),
  Activation: (c) => activation(c, c.inputs[0] as string, c.config.activation),
  ReLU: (c) => {
    const max = c.config.maxValue;
    if (typeof max !== 'number') return c.b.op('Relu', [c.inputs[0] as string]);
    return c.b.op('Clip', [c.inputs[0] as string, c.b.floatConst('zero', [], [0]), c.b.floatConst(`${c.name}/max`, [], [max])]);
  },
  LeakyReLU: (c) => c.b.op('LeakyRelu', [c.inputs[0] as string], [attr.float('alpha', (c.config.alpha as number | undefined) ?? 0.3)]),
  ELU: (c) => c.b.op('Elu', [c.inputs[0] as string], [attr.float('alpha', (c.config.alpha as number | undefined) ?? 1)]),
  PReLU: (c) => {
    const a = required(c, 'alpha'); // shaped like the input without batch, 1 on shared axes: broadcasts as is
    return c.b.op('PRelu', [c.inputs[0] as string, c.b.floatConst(`${c.name}/alpha`, a.shape, a.data)]);
  },
  Softmax: (c) => c.b.op('Softmax', [c.inputs[0] as string], [attr.int('axis', normAxes(c, c.config.axis ?? -1)[0] as number)]),
  // Inference-time identities (the engine exports generators as apply(z, false) runs them).
  Dropout: identity,
  SpatialDropout1D: identity,
  GaussianNoise: identity,
  GaussianDropout: identity,
  AlphaDropout: identity,
};

/** The layer classes the export can write (for error messages and docs). */
export const SUPPORTED_LAYERS: readonly string[] = Object.keys(WRITERS);

interface InboundNode {
  readonly inputTensors: readonly tfl.SymbolicTensor[];
}

/**
 * Writes `model` (one input, one output) under `prefix`, its input wired to `z`; returns the
 * output's name. Walks the symbolic graph from the output, so Sequential and functional models
 * (skip connections, merges) take the same path; each tfjs tensor becomes one ONNX value.
 */
export function emitLayersModel(b: GraphBuilder, model: tfl.LayersModel, prefix: string, z: string): string {
  if (b.opset < 13 || b.opset > 17) throw new LayersExportError(`exportOnnx: tfjs-layers generators are written in opsets 13–17, this export is opset ${b.opset}`);
  const input = model.inputs[0] as tfl.SymbolicTensor;
  const values = new Map<number, string>([[input.id, z]]);
  const nchw = new Map<string, string>();
  const visit = (t: tfl.SymbolicTensor): string => {
    const known = values.get(t.id);
    if (known !== undefined) return known;
    const layer = t.sourceLayer;
    const node = layer.inboundNodes[t.nodeIndex] as unknown as InboundNode;
    const inputs = node.inputTensors.map(visit);
    const write = WRITERS[layer.getClassName()];
    const call: LayerCall = {
      b,
      layer,
      config: layer.getConfig() as Config,
      name: `${prefix}/${layer.name}`,
      inputs,
      inShapes: node.inputTensors.map((x) => x.shape),
      outShape: t.shape,
      nchw,
    };
    if (!write) fail(call, `cannot be exported (supported layers: ${SUPPORTED_LAYERS.join(', ')})`);
    const out = write(call);
    values.set(t.id, out);
    return out;
  };
  return visit(model.outputs[0] as tfl.SymbolicTensor);
}

/** Generators adapted from tfjs-layers models (Sequential or functional), by their layers. */
export const layersGeneratorExporter: GeneratorExporter = {
  name: 'tfjs-layers models (Sequential or functional)',
  part(g) {
    const model = layersModelOf(g);
    if (!model) return null;
    return { emit: (b, prefix, z) => emitLayersModel(b, model, prefix, z) };
  },
};
