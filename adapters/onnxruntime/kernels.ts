import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import type { Conv2DAttrs, Conv2DBackpropFilterAttrs, Conv2DBackpropInputAttrs, FusedConv2DAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { registerEngineFixes } from '../../src/engine/fixes.js';
import { GROUPED_MLP, type GroupedMlpAttrs } from '../../src/engine/kernels/groupedMlp.js';
import { loadOrtRuntime, type OrtRuntime, type OrtSyncSession, type OrtTensor } from './binding.js';
import {
  batchMatMulModel,
  conv2dFilterGradientIm2colModel,
  conv2dFilterGradientModel,
  conv2dIm2colModel,
  conv2dInputGradientIm2colModel,
  conv2dInputGradientModel,
  conv2dModel,
  FUSED_CONV_ACTIVATIONS,
  fusedConv2dModel,
  groupedMlpModel,
  IM2COL_MAX_ELEMENTS,
  patchElements,
  type FusedConvActivation,
  type Pads,
  type Windows,
} from './kernelGraphs.js';

/**
 * Two things the wasm backend does slowly, onnxruntime's CPU kernels (MLAS) do fast:
 * convolutions (XNNPACK on one thread, ~13 GMAC/s here; MLAS uses every core, ~3× faster) and
 * batched matrix products with a batch > 1 (a plain loop on wasm, ~1 GMAC/s; a fused
 * ensemble's generator layers are exactly that). These kernels hand such calls to
 * onnxruntime-node, reading and writing the wasm heap in place, and leave small ones (where a
 * call's fixed cost of ~35 µs would dominate) to the kernels they replace.
 */

const BACKEND = 'wasm';
const KERNELS = ['Conv2D', 'FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'BatchMatMul', GROUPED_MLP] as const;
type KernelName = (typeof KERNELS)[number];
type Shape4 = [number, number, number, number];

/**
 * Break-even sizes measured here: onnxruntime costs ~35 µs per call plus its compute; a wasm
 * convolution runs at ~13 GMAC/s (break-even ≈ 0.7 M multiply-adds), a wasm batched product at
 * ~1 GMAC/s (≈ 40 k).
 */
const DEFAULT_MIN_MULTIPLY_ADDS: Record<KernelName, number> = {
  Conv2D: 1_000_000,
  FusedConv2D: 1_000_000,
  Conv2DBackpropInput: 1_000_000,
  Conv2DBackpropFilter: 1_000_000,
  BatchMatMul: 50_000,
  // A fused ensemble's whole forward pass: several wasm kernels per layer against one call.
  DmganGroupedMlp: 50_000,
};

/**
 * A single (unbatched) product stays on wasm below this size: its fast cases (an inner dimension
 * as large as the output, as in the project's own critics) beat onnxruntime's per-call cost.
 */
const SINGLE_PRODUCT_MIN_MULTIPLY_ADDS = 1_000_000;

/**
 * Sessions kept (least recently used dropped first). A training run needs a handful of shapes,
 * but evaluation batches follow the prior, so over a long run new shapes keep coming.
 */
const MAX_SESSIONS = 64;

/** Calls smaller than this run single-threaded (measured: a fused 20-generator line forward takes 60 µs on one thread, 86 on two). */
const PARALLEL_MULTIPLY_ADDS = 5_000_000;

/** Options of {@link useOnnxRuntimeKernels}. */
export interface OnnxRuntimeKernelOptions {
  /** onnxruntime's intra-op threads for large calls (≥ 5 M multiply-adds; smaller ones use one). Default: the machine's available parallelism. */
  threads?: number;
  /** Calls with fewer multiply-adds stay on the wasm kernels. Default: per kernel, the break-even size (1 M for convolutions, 50 k for batched products). */
  minMultiplyAdds?: number;
  /**
   * Convolutions whose patch matrix (batch · output pixels · kernel size) has at most this many
   * elements run as one matrix product (im2col: faster, that much extra memory), larger ones as
   * onnxruntime's Conv. Default 32 M (128 MB); 0 always uses Conv.
   */
  maxPatchElements?: number;
}

/** How many calls went where since {@link useOnnxRuntimeKernels}. */
export interface OnnxRuntimeKernelStats {
  onnxruntime: number;
  wasm: number;
}

interface WasmHeapBackend {
  typedArrayFromHeap(t: TensorInfo): Float32Array;
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  disposeData(dataId: object): boolean;
}

interface State {
  runtime: OrtRuntime;
  threads: number;
  minMultiplyAdds: number | undefined;
  maxPatchElements: number;
  /** Per plan key; null where onnxruntime refused the model (the wasm kernel runs it from then on). */
  sessions: Map<string, OrtSyncSession | null>;
  replaced: Map<KernelName, KernelConfig>;
  stats: OnnxRuntimeKernelStats;
}

let state: State | undefined;

/** A call onnxruntime will run: its model (built once per key), operands and output shape, and size. */
interface Plan {
  key: string;
  build: () => Uint8Array;
  /** Fed in order as a, b (two inputs) or i0, i1, … (see kernelGraphs.ts). */
  inputs: TensorInfo[];
  y: number[];
  multiplyAdds: number;
}

function shape4(t: TensorInfo | readonly number[], what: string): Shape4 {
  const s = Array.isArray(t) ? t : (t as TensorInfo).shape;
  if (s.length !== 4) throw new Error(`onnxruntime convolution: ${what} has shape [${s.join(', ')}], expected rank 4`);
  return [s[0], s[1], s[2], s[3]] as Shape4;
}

/** A convolution as onnxruntime runs it: ONNX Conv's pads, strides and output shape, its windows, and whether its patch matrix fits im2col. */
function convGeometry(xs: Shape4, fs: Shape4, attrs: Conv2DAttrs, maxPatch: number) {
  const info = tf.backend_util.computeConv2DInfo(xs, fs, attrs.strides, attrs.dilations, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
  const { top, left, bottom, right } = info.padInfo;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw, outHeight: oh, outWidth: ow } = info;
  // Rounding modes ('ceil') can make the last window overhang the padded input: pad it out.
  const extraH = Math.max(0, (oh - 1) * sh + (fs[0] - 1) * dh + 1 - (xs[1] + top + bottom));
  const extraW = Math.max(0, (ow - 1) * sw + (fs[1] - 1) * dw + 1 - (xs[2] + left + right));
  const pads: Pads = [top, left, bottom + extraH, right + extraW];
  const y: Shape4 = [xs[0], oh, ow, fs[3]];
  const strides: [number, number] = [sh, sw];
  const dilations: [number, number] = [dh, dw];
  const win: Windows = { kernel: [fs[0], fs[1]], strides, dilations, pads, out: [oh, ow] };
  return { pads, y, strides, dilations, win, im2col: patchElements(xs, win) <= maxPatch, multiplyAdds: xs[0] * oh * ow * fs[3] * fs[0] * fs[1] * fs[2] };
}

function conv2dPlan(inputs: tf.NamedTensorInfoMap, attrs: Conv2DAttrs, maxPatch: number): Plan | null {
  const { x, filter } = inputs as { x: TensorInfo; filter: TensorInfo };
  if (attrs.dataFormat === 'NCHW') return null;
  const xs = shape4(x, 'x');
  const fs = shape4(filter, 'filter');
  const { pads, y, strides, dilations, win, im2col, multiplyAdds } = convGeometry(xs, fs, attrs, maxPatch);
  return {
    key: `Conv2D ${xs} ${fs} ${strides} ${dilations} ${pads} ${im2col}`,
    build: () => (im2col ? conv2dIm2colModel(xs, fs, false, y, win, 'linear', 0) : conv2dModel(xs, fs, y, strides, dilations, pads)),
    inputs: [x, filter],
    y,
    multiplyAdds,
  };
}

/** tfjs-layers' Conv2D with a bias (and any fusable activation but prelu) runs as FusedConv2D. */
function fusedConv2dPlan(inputs: tf.NamedTensorInfoMap, attrs: FusedConv2DAttrs, maxPatch: number): Plan | null {
  const { x, filter, bias, preluActivationWeights } = inputs as { x: TensorInfo; filter: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo };
  const activation = attrs.activation as FusedConvActivation;
  if (attrs.dataFormat === 'NCHW' || preluActivationWeights != null || !FUSED_CONV_ACTIVATIONS.includes(activation)) return null;
  const xs = shape4(x, 'x');
  const fs = shape4(filter, 'filter');
  if (bias != null && (bias.shape.length !== 1 || bias.shape[0] !== fs[3])) return null; // let tfjs' kernel report it
  const { pads, y, strides, dilations, win, im2col, multiplyAdds } = convGeometry(xs, fs, attrs, maxPatch);
  const alpha = attrs.leakyreluAlpha ?? 0.2;
  const hasBias = bias != null;
  return {
    key: `FusedConv2D ${xs} ${fs} ${hasBias} ${strides} ${dilations} ${pads} ${activation} ${alpha} ${im2col}`,
    build: () => (im2col ? conv2dIm2colModel(xs, fs, hasBias, y, win, activation, alpha) : fusedConv2dModel(xs, fs, hasBias, y, strides, dilations, pads, activation, alpha)),
    inputs: hasBias ? [x, filter, bias] : [x, filter],
    y,
    multiplyAdds,
  };
}

function inputGradientPlan(inputs: tf.NamedTensorInfoMap, attrs: Conv2DBackpropInputAttrs, maxPatch: number): Plan | null {
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  if (attrs.dataFormat === 'NCHW') return null;
  const ds = shape4(dy, 'dy');
  const fs = shape4(filter, 'filter');
  const xs = shape4(attrs.inputShape, 'inputShape');
  const info = tf.backend_util.computeConv2DInfo(xs, fs, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
  const { top, left } = info.padInfo;
  const { strideHeight: sh, strideWidth: sw } = info;
  // ConvTranspose's size is s·(oh − 1) + k − top − bottom + output_padding; make it H (dy's own oh).
  const overH = sh * (ds[1] - 1) + fs[0] - top - xs[1];
  const overW = sw * (ds[2] - 1) + fs[1] - left - xs[2];
  const outputPadding: [number, number] = [Math.max(0, -overH), Math.max(0, -overW)];
  if (outputPadding[0] >= sh || outputPadding[1] >= sw) return null; // not a shape ConvTranspose accepts
  const pads: Pads = [top, left, Math.max(0, overH), Math.max(0, overW)];
  const y: Shape4 = [xs[0], xs[1], xs[2], xs[3]];
  // Stride 1: a correlation of dy with the flipped kernel, as one matrix product when it fits.
  const full: Pads = [fs[0] - 1 - top, fs[1] - 1 - left, xs[1] + fs[0] - 1 - ds[1] - (fs[0] - 1 - top), xs[2] + fs[1] - 1 - ds[2] - (fs[1] - 1 - left)];
  const win: Windows = { kernel: [fs[0], fs[1]], strides: [1, 1], dilations: [1, 1], pads: full, out: [xs[1], xs[2]] };
  const im2col = sh === 1 && sw === 1 && full.every((p) => p >= 0) && patchElements([ds[0], ds[1], ds[2], ds[3]], win) <= maxPatch;
  return {
    key: `Conv2DBackpropInput ${ds} ${fs} ${y} ${sh},${sw} ${pads} ${outputPadding} ${im2col}`,
    build: () => (im2col ? conv2dInputGradientIm2colModel(ds, fs, y, win) : conv2dInputGradientModel(ds, fs, y, [sh, sw], pads, outputPadding)),
    inputs: [dy, filter],
    y,
    multiplyAdds: ds[0] * ds[1] * ds[2] * ds[3] * fs[0] * fs[1] * fs[2],
  };
}

function filterGradientPlan(inputs: tf.NamedTensorInfoMap, attrs: Conv2DBackpropFilterAttrs, maxPatch: number): Plan | null {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  if (attrs.dataFormat === 'NCHW') return null;
  const xs = shape4(x, 'x');
  const ds = shape4(dy, 'dy');
  const fs = shape4(attrs.filterShape, 'filterShape');
  const info = tf.backend_util.computeConv2DInfo(xs, fs, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
  const { top, left, bottom, right } = info.padInfo;
  const { strideHeight: sh, strideWidth: sw } = info;
  const extraH = Math.max(0, (ds[1] - 1) * sh + fs[0] - (xs[1] + top + bottom));
  const extraW = Math.max(0, (ds[2] - 1) * sw + fs[1] - (xs[2] + left + right));
  const pads: Pads = [top, left, bottom + extraH, right + extraW];
  const win: Windows = { kernel: [fs[0], fs[1]], strides: [sh, sw], dilations: [1, 1], pads, out: [ds[1], ds[2]] };
  const im2col = patchElements(xs, win) <= maxPatch;
  return {
    key: `Conv2DBackpropFilter ${xs} ${ds} ${fs} ${sh},${sw} ${pads} ${im2col}`,
    build: () => (im2col ? conv2dFilterGradientIm2colModel(xs, ds, fs, win) : conv2dFilterGradientModel(xs, ds, fs, [sh, sw], pads)),
    inputs: [x, dy],
    y: fs,
    multiplyAdds: ds[0] * ds[1] * ds[2] * ds[3] * fs[0] * fs[1] * fs[2],
  };
}

/** A fused ensemble's padded forward pass (src/engine/kernels/groupedMlp.ts). */
function groupedMlpPlan(inputs: tf.NamedTensorInfoMap, attrs: GroupedMlpAttrs): Plan | null {
  const x = inputs['x'];
  if (x === undefined || x.shape.length !== 3) return null;
  const operands: TensorInfo[] = [x];
  let macs = 0;
  let width = x.shape[2] as number;
  for (let l = 0; l < attrs.layers; l++) {
    const w = inputs[`w${l}`];
    const b = inputs[`b${l}`];
    if (w === undefined || b === undefined || w.shape.length !== 3 || w.shape[1] !== width) return null;
    operands.push(w, b);
    macs += (x.shape[0] as number) * (x.shape[1] as number) * width * (w.shape[2] as number);
    width = w.shape[2] as number;
  }
  const y = [x.shape[0] as number, x.shape[1] as number, width];
  const shapes = operands.map((t) => t.shape);
  return {
    key: `${GROUPED_MLP} ${shapes.map((sh) => `[${sh}]`).join(' ')} ${attrs.activation} ${attrs.outputActivation} ${attrs.alpha}`,
    build: () => groupedMlpModel(shapes, y, attrs.activation, attrs.outputActivation, attrs.alpha),
    inputs: operands,
    y,
    multiplyAdds: macs,
  };
}

/**
 * Products with equal batch dimensions. Batched ones (> 1) are a plain loop on wasm; single ones
 * are often slower on wasm than on onnxruntime (measured [8,6272]·[100,6272]ᵀ, a tfjs-layers
 * Dense layer's input gradient: 3 ms against 0.24), so they move from
 * {@link SINGLE_PRODUCT_MIN_MULTIPLY_ADDS} on.
 */
function batchMatMulPlan(inputs: tf.NamedTensorInfoMap, attrs: { transposeA: boolean; transposeB: boolean }): Plan | null {
  const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
  const rank = a.shape.length;
  if (rank < 2 || b.shape.length !== rank) return null;
  const batch = a.shape.slice(0, -2);
  if (!batch.every((d, i) => d === b.shape[i])) return null;
  const count = batch.reduce((p, d) => p * d, 1);
  const [a0, a1] = a.shape.slice(-2) as [number, number];
  const [b0, b1] = b.shape.slice(-2) as [number, number];
  const [m, k] = attrs.transposeA ? [a1, a0] : [a0, a1];
  const [k2, n] = attrs.transposeB ? [b1, b0] : [b0, b1];
  if (k !== k2) return null; // let tfjs' kernel report the mismatch
  const y = [...batch, m, n];
  const multiplyAdds = count * m * n * k;
  // A transposed left operand: wasm's explicit transpose and plain product beat onnxruntime's
  // MatMul here (measured [8,100]ᵀ·[8,6272]: 0.6 ms against 6 ms, a memory-bound product).
  if (count === 1 && (multiplyAdds < SINGLE_PRODUCT_MIN_MULTIPLY_ADDS || attrs.transposeA)) return null;
  return {
    key: `BatchMatMul ${a.shape} ${b.shape} ${attrs.transposeA} ${attrs.transposeB}`,
    build: () => batchMatMulModel(a.shape, b.shape, y, attrs.transposeA, attrs.transposeB),
    inputs: [a, b],
    y,
    multiplyAdds,
  };
}

const planners: Record<KernelName, (inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap, maxPatch: number) => Plan | null> = {
  Conv2D: (i, a, m) => conv2dPlan(i, a as unknown as Conv2DAttrs, m),
  FusedConv2D: (i, a, m) => fusedConv2dPlan(i, a as unknown as FusedConv2DAttrs, m),
  Conv2DBackpropInput: (i, a, m) => inputGradientPlan(i, a as unknown as Conv2DBackpropInputAttrs, m),
  Conv2DBackpropFilter: (i, a, m) => filterGradientPlan(i, a as unknown as Conv2DBackpropFilterAttrs, m),
  BatchMatMul: (i, a) => batchMatMulPlan(i, a as unknown as { transposeA: boolean; transposeB: boolean }),
  DmganGroupedMlp: (i, a) => groupedMlpPlan(i, a as unknown as GroupedMlpAttrs),
};

function kernel(name: KernelName, s: State): KernelFunc {
  const fallback = s.replaced.get(name);
  const onWasm: KernelFunc = (args) => {
    if (fallback === undefined) throw new Error(`${name} (wasm): no kernel to fall back to`);
    s.stats.wasm++;
    return fallback.kernelFunc(args);
  };
  return (args) => {
    // Optional inputs (FusedConv2D's bias and prelu weights) are present but undefined when unused.
    const plan = Object.values(args.inputs).every((t) => t == null || t.dtype === 'float32') ? planners[name](args.inputs, args.attrs ?? {}, s.maxPatchElements) : null;
    if (plan === null || plan.multiplyAdds < (s.minMultiplyAdds ?? DEFAULT_MIN_MULTIPLY_ADDS[name])) return onWasm(args);
    let session = s.sessions.get(plan.key);
    if (session !== undefined) {
      s.sessions.delete(plan.key); // re-inserted below: Map order is recency order
    } else {
      try {
        // Waking a pool thread costs tens of µs: small calls run on the calling thread alone.
        session = s.runtime.session(plan.build(), plan.multiplyAdds >= PARALLEL_MULTIPLY_ADDS ? s.threads : 1);
      } catch {
        session = null; // a shape onnxruntime does not take: wasm's kernel, now and for later calls
      }
      for (const [key, old] of s.sessions) {
        if (s.sessions.size < MAX_SESSIONS) break;
        old?.dispose();
        s.sessions.delete(key);
      }
    }
    s.sessions.set(plan.key, session);
    if (session === null) return onWasm(args);
    const be = args.backend as unknown as WasmHeapBackend;
    // Allocate first: a growing wasm heap would detach views taken before.
    const out = be.makeOutput(plan.y, 'float32');
    const view = (t: TensorInfo): Float32Array => be.typedArrayFromHeap(t);
    const names = plan.inputs.length === 2 ? ['a', 'b'] : plan.inputs.map((_, i) => `i${i}`);
    const feeds: Record<string, OrtTensor> = {};
    plan.inputs.forEach((t, i) => {
      feeds[names[i] as string] = s.runtime.tensor(view(t), t.shape);
    });
    try {
      const y = session.run(feeds, { y: s.runtime.tensor(view(out), plan.y) })['y'];
      const target = view(out);
      // onnxruntime writes into the pre-allocated output; copy only if it made its own.
      if (y !== undefined && y.data.buffer !== target.buffer) target.set(y.data);
    } catch (error) {
      be.disposeData(out.dataId);
      throw new Error(`${name} on onnxruntime (${plan.key}): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    s.stats.onnxruntime++;
    return out;
  };
}

/**
 * Runs the wasm backend's large convolutions (Conv2D and both its gradients, NHWC, float32),
 * batched matrix products (batch > 1) and fused ensemble forward passes (`DmganGroupedMlp`)
 * on onnxruntime-node's CPU kernels.
 * onnxruntime-node is an optional peer: when it cannot load, or the wasm backend is not loaded
 * yet (`initEngine`), nothing changes and the reason is returned.
 *
 * Results agree with the wasm kernels to float32 rounding (different summation order), and
 * the gradients tfjs builds from these kernels are unchanged, second order included.
 * Idempotent (a second call updates the options); {@link stopOnnxRuntimeKernels} puts the
 * replaced kernels back.
 * @returns `{ active: true }`, or `{ active: false, reason }`.
 */
export function useOnnxRuntimeKernels(options: OnnxRuntimeKernelOptions = {}): { active: true } | { active: false; reason: string } {
  const threads = options.threads ?? availableParallelism();
  const minMultiplyAdds = options.minMultiplyAdds;
  const maxPatchElements = options.maxPatchElements ?? IM2COL_MAX_ELEMENTS;
  if (!(maxPatchElements >= 0)) throw new Error(`useOnnxRuntimeKernels: maxPatchElements must be ≥ 0 (got ${maxPatchElements})`);
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`useOnnxRuntimeKernels: threads must be a positive integer (got ${threads})`);
  if (minMultiplyAdds !== undefined && !(minMultiplyAdds >= 0)) throw new Error(`useOnnxRuntimeKernels: minMultiplyAdds must be ≥ 0 (got ${minMultiplyAdds})`);
  if (state !== undefined) {
    if (state.threads !== threads) {
      for (const session of state.sessions.values()) session?.dispose();
      state.sessions.clear();
    }
    state.threads = threads;
    state.minMultiplyAdds = minMultiplyAdds;
    state.maxPatchElements = maxPatchElements;
    return { active: true };
  }
  // Kernels registered before the wasm package loads would be overwritten by its own.
  if (tf.findBackendFactory(BACKEND) === null) return { active: false, reason: "the wasm backend is not loaded: call `await initEngine('wasm')` first" };
  const runtime = loadOrtRuntime();
  if (runtime instanceof Error) return { active: false, reason: `onnxruntime-node could not be loaded: ${runtime.message}` };
  registerEngineFixes(); // the kernels replaced (and fallen back to) are the engine's own
  const replaced = new Map<KernelName, KernelConfig>();
  for (const name of KERNELS) {
    const current = tf.getKernel(name, BACKEND);
    if (current !== undefined) replaced.set(name, current);
  }
  const s: State = { runtime, threads, minMultiplyAdds, maxPatchElements, sessions: new Map(), replaced, stats: { onnxruntime: 0, wasm: 0 } };
  for (const name of KERNELS) {
    if (replaced.has(name)) tf.unregisterKernel(name, BACKEND);
    tf.registerKernel({ kernelName: name, backendName: BACKEND, kernelFunc: kernel(name, s) });
  }
  state = s;
  return { active: true };
}

/** Whether {@link useOnnxRuntimeKernels} is in effect, and where the calls went so far. */
export function onnxRuntimeKernels(): ({ active: true; threads: number; sessions: number } & OnnxRuntimeKernelStats) | { active: false } {
  return state === undefined ? { active: false } : { active: true, threads: state.threads, sessions: state.sessions.size, ...state.stats };
}

/** Puts back the wasm kernels {@link useOnnxRuntimeKernels} replaced and frees its sessions. */
export function stopOnnxRuntimeKernels(): void {
  if (state === undefined) return;
  for (const name of KERNELS) {
    tf.unregisterKernel(name, BACKEND);
    const previous = state.replaced.get(name);
    if (previous !== undefined) tf.registerKernel(previous);
  }
  for (const session of state.sessions.values()) session?.dispose();
  state = undefined;
}
