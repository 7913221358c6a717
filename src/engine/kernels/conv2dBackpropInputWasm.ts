import * as tf from '@tensorflow/tfjs-core';
import type { Conv2DBackpropInputAttrs, KernelBackend, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { replacementKernel, runKernel, view, type ComposingBackend } from './runKernel.js';
import { phaseAxes, phaseSelection, type PhaseAxis } from './transposedConvPhases.js';

const BACKEND = 'wasm';


/** dy rows/columns of one phase's correlation window, zero-padded where they leave dy. */
function phaseWindow(be: ComposingBackend, dy: TensorInfo, rows: PhaseAxis, cols: PhaseAxis, temps: TensorInfo[]): TensorInfo {
  const [b, oh, ow, o] = dy.shape as [number, number, number, number];
  const r0 = Math.max(0, rows.start);
  const c0 = Math.max(0, cols.start);
  const r1 = Math.min(oh, rows.start + rows.length);
  const c1 = Math.min(ow, cols.start + cols.length);
  let win = dy;
  if (r0 !== 0 || c0 !== 0 || r1 !== oh || c1 !== ow) {
    win = runKernel(BACKEND, 'Slice', be, { x: dy }, { begin: [0, r0, c0, 0], size: [b, r1 - r0, c1 - c0, o] });
    temps.push(win);
  }
  const paddings = [[0, 0], [r0 - rows.start, rows.start + rows.length - r1], [c0 - cols.start, cols.start + cols.length - c1], [0, 0]];
  if (paddings.every(([a, z]) => a === 0 && z === 0)) return win;
  const padded = runKernel(BACKEND, 'PadV2', be, { x: win }, { paddings, constantValue: 0 });
  temps.push(padded);
  return padded;
}

/**
 * dx = the transposed convolution of dy, as s_h·s_w stride-1 'valid' XNNPACK Conv2Ds, one per
 * output phase, interleaved (see transposedConvPhases.ts). The phases' kernels come from one
 * product with a 0/1 matrix: wasm's Reverse and StridedSlice are generic loops (~6 ms each on
 * a 5·5·64·128 kernel), a small matmul is not.
 */
const conv2dBackpropInput: KernelFunc = (args) => {
  const { inputs, backend, attrs } = args;
  const dy = inputs['dy'];
  const filter = inputs['filter'];
  if (dy === undefined || filter === undefined) throw new Error('Conv2DBackpropInput: needs dy and filter');
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as Conv2DBackpropInputAttrs;
  if (dataFormat === 'NCHW') return replacement.callOriginal(args, 'NCHW data'); // tfjs' plain loop
  const be = backend as unknown as ComposingBackend & KernelBackend;
  const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape as [number, number, number, number], strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const { batchSize: b, inHeight: h, inWidth: w, inChannels: i, outChannels: o, filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  // dy's own size, not the one computed from the attributes: tfjs' Conv2D gradient drops
  // dimRoundingMode, so with 'ceil' dy has a row more than the attributes say. All of dy counts.
  const rowAxes = phaseAxes(h, kh, sh, info.padInfo.top, dy.shape[1] as number);
  const colAxes = phaseAxes(w, kw, sw, info.padInfo.left, dy.shape[2] as number);
  const rowsPerPhase = Math.ceil(h / sh);
  const colsPerPhase = Math.ceil(w / sw);
  const { blocks, total, select } = phaseSelection(rowAxes, colAxes, kh, kw);
  const zeros = (shape: number[]): TensorInfo => runKernel(BACKEND, 'Fill', be, {}, { shape, value: 0, dtype: 'float32' });
  if (blocks.length === 0) return zeros([b, h, w, i]);

  const temps: TensorInfo[] = [];
  try {
    const selectInfo: TensorInfo = { dataId: be.write(select, [1, total, kh * kw], 'float32'), shape: [1, total, kh * kw], dtype: 'float32' };
    temps.push(selectInfo);
    const gathered = runKernel(BACKEND, 'BatchMatMul', be, { a: selectInfo, b: view(filter, [1, kh * kw, i * o]) }, { transposeA: false, transposeB: false });
    temps.push(gathered);
    const taps = runKernel(BACKEND, 'Transpose', be, { x: view(gathered, [total, i, o]) }, { perm: [0, 2, 1] }); // [taps, O, I]
    temps.push(taps);

    const phases: TensorInfo[][] = rowAxes.map(() => colAxes.map(() => undefined as unknown as TensorInfo));
    for (const { row, col, offset, rows, cols } of blocks) {
      const n = rows.taps * cols.taps;
      let kernel = taps;
      if (n !== total) {
        kernel = runKernel(BACKEND, 'Slice', be, { x: taps }, { begin: [offset, 0, 0], size: [n, o, i] });
        temps.push(kernel);
      }
      const x = phaseWindow(be, dy, rows, cols, temps);
      let y = runKernel(BACKEND, 'Conv2D', be, { x, filter: view(kernel, [rows.taps, cols.taps, o, i]) }, { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1] });
      if (rows.count < rowsPerPhase || cols.count < colsPerPhase) {
        temps.push(y);
        y = runKernel(BACKEND, 'PadV2', be, { x: y }, { paddings: [[0, 0], [0, rowsPerPhase - rows.count], [0, colsPerPhase - cols.count], [0, 0]], constantValue: 0 });
      }
      (phases[row] as TensorInfo[])[col] = y;
    }
    phases.forEach((r) => r.forEach((t, c) => {
      if (t === undefined) r[c] = zeros([b, rowsPerPhase, colsPerPhase, i]);
    }));
    if (sh === 1 && sw === 1) return (phases[0] as TensorInfo[])[0] as TensorInfo;
    for (const r of phases) temps.push(...r);

    // [B·U·V, s_w, I] per phase row, then [B·U, s_h, V·s_w·I] = [B, U·s_h, V·s_w, I].
    const concat = (parts: TensorInfo[], shape: number[]): TensorInfo => {
      if (parts.length === 1) return parts[0] as TensorInfo;
      const out = runKernel(BACKEND, 'Concat', be, parts.map((p) => view(p, shape)), { axis: 1 });
      temps.push(out);
      return out;
    };
    const rowsOfPhases = phases.map((r) => concat(r, [b * rowsPerPhase * colsPerPhase, 1, i]));
    const all = concat(rowsOfPhases, [b * rowsPerPhase, 1, colsPerPhase * sw * i]);
    const full = [b, rowsPerPhase * sh, colsPerPhase * sw, i];
    if (full[1] === h && full[2] === w) {
      temps.splice(temps.indexOf(all), 1);
      return view(all, full);
    }
    return runKernel(BACKEND, 'Slice', be, { x: view(all, full) }, { begin: [0, 0, 0, 0], size: [b, h, w, i] });
  } finally {
    for (const t of temps) be.disposeData(t.dataId);
  }
};

const replacement = replacementKernel(BACKEND, 'Conv2DBackpropInput', conv2dBackpropInput);

/** Kernel config replacing tfjs 4.22's wasm `Conv2DBackpropInput` for NHWC data. */
export const conv2dBackpropInputWasmConfig = replacement.config;

/**
 * Puts {@link conv2dBackpropInputWasmConfig} in place of the wasm backend's own kernel (kept
 * for NCHW), once per process. Idempotent; does nothing until the wasm package is loaded.
 * @returns true when this call registered it.
 */
export function registerConv2dBackpropInputWasm(): boolean {
  return replacement.register();
}
