import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import type { Conv2DAttrs, Conv2DBackpropFilterAttrs, Conv2DBackpropInputAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { registerEngineFixes } from '../../src/engine/fixes.js';
import { loadOrtRuntime, type OrtRuntime, type OrtSyncSession } from './binding.js';
import { conv2dFilterGradientModel, conv2dInputGradientModel, conv2dModel, type Pads } from './convGraphs.js';

/**
 * tfjs' wasm backend runs convolutions on one thread (XNNPACK, ~13 GMAC/s here); onnxruntime's
 * CPU kernels (MLAS) use every core. These kernels hand the wasm backend's large
 * convolutions — forward, input gradient, kernel gradient — to onnxruntime-node, reading and
 * writing the wasm heap in place, and leave small ones (where a call's fixed cost would
 * dominate) to the kernels they replace.
 */

const BACKEND = 'wasm';
const KERNELS = ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'] as const;
type KernelName = (typeof KERNELS)[number];
type Shape4 = [number, number, number, number];

/** Options of {@link useOnnxRuntimeConvolutions}. */
export interface OnnxRuntimeConvolutionOptions {
  /** onnxruntime's intra-op threads. Default: the machine's available parallelism. */
  threads?: number;
  /** Convolutions with fewer multiply-adds stay on the wasm kernels. Default 4 000 000. */
  minMultiplyAdds?: number;
}

/** How many convolutions went where since {@link useOnnxRuntimeConvolutions}. */
export interface OnnxRuntimeConvolutionStats {
  onnxruntime: number;
  wasm: number;
}

interface WasmHeapBackend {
  typedArrayFromHeap(t: TensorInfo): Float32Array;
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
}

interface State {
  runtime: OrtRuntime;
  threads: number;
  minMultiplyAdds: number;
  sessions: Map<string, OrtSyncSession>;
  replaced: Map<KernelName, KernelConfig>;
  stats: OnnxRuntimeConvolutionStats;
}

let state: State | undefined;

/** A convolution onnxruntime will run: its model (built once per key) and shapes. */
interface Plan {
  key: string;
  build: () => Uint8Array;
  a: TensorInfo;
  b: TensorInfo;
  y: Shape4;
}

function shape4(t: TensorInfo | readonly number[], what: string): Shape4 {
  const s = Array.isArray(t) ? t : (t as TensorInfo).shape;
  if (s.length !== 4) throw new Error(`onnxruntime convolution: ${what} has shape [${s.join(', ')}], expected rank 4`);
  return [s[0], s[1], s[2], s[3]] as Shape4;
}


function conv2dPlan(inputs: tf.NamedTensorInfoMap, attrs: Conv2DAttrs): Plan | null {
  const { x, filter } = inputs as { x: TensorInfo; filter: TensorInfo };
  if (attrs.dataFormat === 'NCHW') return null;
  const xs = shape4(x, 'x');
  const fs = shape4(filter, 'filter');
  const info = tf.backend_util.computeConv2DInfo(xs, fs, attrs.strides, attrs.dilations, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
  const { top, left, bottom, right } = info.padInfo;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw, outHeight: oh, outWidth: ow } = info;
  // Rounding modes ('ceil') can make the last window overhang the padded input: pad it out.
  const extraH = Math.max(0, (oh - 1) * sh + (fs[0] - 1) * dh + 1 - (xs[1] + top + bottom));
  const extraW = Math.max(0, (ow - 1) * sw + (fs[1] - 1) * dw + 1 - (xs[2] + left + right));
  const pads: Pads = [top, left, bottom + extraH, right + extraW];
  const y: Shape4 = [xs[0], oh, ow, fs[3]];
  return {
    key: `Conv2D ${xs} ${fs} ${sh},${sw} ${dh},${dw} ${pads}`,
    build: () => conv2dModel(xs, fs, y, [sh, sw], [dh, dw], pads),
    a: x,
    b: filter,
    y,
  };
}

function inputGradientPlan(inputs: tf.NamedTensorInfoMap, attrs: Conv2DBackpropInputAttrs): Plan | null {
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
  return {
    key: `Conv2DBackpropInput ${ds} ${fs} ${y} ${sh},${sw} ${pads} ${outputPadding}`,
    build: () => conv2dInputGradientModel(ds, fs, y, [sh, sw], pads, outputPadding),
    a: dy,
    b: filter,
    y,
  };
}

function filterGradientPlan(inputs: tf.NamedTensorInfoMap, attrs: Conv2DBackpropFilterAttrs): Plan | null {
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
  return {
    key: `Conv2DBackpropFilter ${xs} ${ds} ${fs} ${sh},${sw} ${pads}`,
    build: () => conv2dFilterGradientModel(xs, ds, fs, [sh, sw], pads),
    a: x,
    b: dy,
    y: fs,
  };
}

/** Multiply-adds of the convolution a plan stands for (all three kernels cost the same). */
function multiplyAdds(name: KernelName, plan: Plan): number {
  const [n, oh, ow, o] = name === 'Conv2D' ? plan.y : name === 'Conv2DBackpropInput' ? plan.a.shape : plan.b.shape;
  const [kh, kw, c] = name === 'Conv2D' ? plan.b.shape : name === 'Conv2DBackpropInput' ? plan.b.shape : plan.y;
  return (n as number) * (oh as number) * (ow as number) * (o as number) * (kh as number) * (kw as number) * (c as number);
}

const planners: Record<KernelName, (inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap) => Plan | null> = {
  Conv2D: (i, a) => conv2dPlan(i, a as unknown as Conv2DAttrs),
  Conv2DBackpropInput: (i, a) => inputGradientPlan(i, a as unknown as Conv2DBackpropInputAttrs),
  Conv2DBackpropFilter: (i, a) => filterGradientPlan(i, a as unknown as Conv2DBackpropFilterAttrs),
};

function kernel(name: KernelName, s: State): KernelFunc {
  const fallback = s.replaced.get(name);
  return (args) => {
    const plan = args.inputs[Object.keys(args.inputs)[0] as string]?.dtype === 'float32' ? planners[name](args.inputs, args.attrs ?? {}) : null;
    if (plan === null || multiplyAdds(name, plan) < s.minMultiplyAdds) {
      if (fallback === undefined) throw new Error(`${name} (wasm): no kernel to fall back to`);
      s.stats.wasm++;
      return fallback.kernelFunc(args);
    }
    let session = s.sessions.get(plan.key);
    if (session === undefined) {
      session = s.runtime.session(plan.build(), s.threads);
      s.sessions.set(plan.key, session);
    }
    const be = args.backend as unknown as WasmHeapBackend;
    // Allocate first: a growing wasm heap would detach views taken before.
    const out = be.makeOutput([...plan.y], 'float32');
    const view = (t: TensorInfo): Float32Array => be.typedArrayFromHeap(t);
    const result = session.run(
      { a: s.runtime.tensor(view(plan.a), plan.a.shape), b: s.runtime.tensor(view(plan.b), plan.b.shape) },
      { y: s.runtime.tensor(view(out), plan.y) },
    );
    const y = result['y'];
    const target = view(out);
    // onnxruntime writes into the pre-allocated output; copy only if it made its own.
    if (y !== undefined && y.data.buffer !== target.buffer) target.set(y.data);
    s.stats.onnxruntime++;
    return out;
  };
}

/**
 * Runs the wasm backend's large convolutions (Conv2D and both its gradients, NHWC, float32)
 * on onnxruntime-node's multi-threaded CPU kernels. onnxruntime-node is an optional peer:
 * when it cannot load, nothing changes and the reason is returned.
 *
 * Results agree with the wasm kernels to float32 rounding (different summation order), and
 * the gradients tfjs builds from these kernels are unchanged, second order included.
 * Idempotent; {@link stopOnnxRuntimeConvolutions} puts the replaced kernels back.
 * @returns `{ active: true }`, or `{ active: false, reason }`.
 */
export function useOnnxRuntimeConvolutions(options: OnnxRuntimeConvolutionOptions = {}): { active: true } | { active: false; reason: string } {
  const threads = options.threads ?? availableParallelism();
  const minMultiplyAdds = options.minMultiplyAdds ?? 4_000_000;
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`useOnnxRuntimeConvolutions: threads must be a positive integer (got ${threads})`);
  if (!(minMultiplyAdds >= 0)) throw new Error(`useOnnxRuntimeConvolutions: minMultiplyAdds must be ≥ 0 (got ${minMultiplyAdds})`);
  if (state !== undefined) {
    state.threads = threads;
    state.minMultiplyAdds = minMultiplyAdds;
    return { active: true };
  }
  const runtime = loadOrtRuntime();
  if (runtime instanceof Error) return { active: false, reason: `onnxruntime-node could not be loaded: ${runtime.message}` };
  registerEngineFixes(); // the kernels replaced (and fallen back to) are the engine's own
  const replaced = new Map<KernelName, KernelConfig>();
  for (const name of KERNELS) {
    const current = tf.getKernel(name, BACKEND);
    if (current !== undefined) replaced.set(name, current);
  }
  const s: State = { runtime, threads, minMultiplyAdds, sessions: new Map(), replaced, stats: { onnxruntime: 0, wasm: 0 } };
  for (const name of KERNELS) {
    if (replaced.has(name)) tf.unregisterKernel(name, BACKEND);
    tf.registerKernel({ kernelName: name, backendName: BACKEND, kernelFunc: kernel(name, s) });
  }
  state = s;
  return { active: true };
}

/** Whether {@link useOnnxRuntimeConvolutions} is in effect, and where convolutions went so far. */
export function onnxRuntimeConvolutions(): ({ active: true; threads: number; minMultiplyAdds: number } & OnnxRuntimeConvolutionStats) | { active: false } {
  return state === undefined ? { active: false } : { active: true, threads: state.threads, minMultiplyAdds: state.minMultiplyAdds, ...state.stats };
}

/** Puts back the wasm kernels {@link useOnnxRuntimeConvolutions} replaced and frees its sessions. */
export function stopOnnxRuntimeConvolutions(): void {
  if (state === undefined) return;
  for (const name of KERNELS) {
    tf.unregisterKernel(name, BACKEND);
    const previous = state.replaced.get(name);
    if (previous !== undefined) tf.registerKernel(previous);
  }
  for (const session of state.sessions.values()) session.dispose();
  state = undefined;
}
