import * as tf from '@tensorflow/tfjs-core';
import type { Conv2DBackpropFilterAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { runKernel, type ComposingBackend } from './runKernel.js';

const BACKEND = 'wasm';
const run = (name: string, backend: ComposingBackend, inputs: Record<string, TensorInfo>, attrs: object): TensorInfo => runKernel(BACKEND, name, backend, inputs, attrs);

/**
 * dW[i,j,c,k] = Σ_{n,p,q} xpad[n, p·s_h + i, q·s_w + j, c] · dy[n,p,q,k].
 * Read x as a batch of C_in images with N channels, and dy as a filter with N input and
 * C_out output channels: that sum is a 'valid' Conv2D with dilation = the original stride.
 */
const conv2dBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const x = inputs['x'];
  const dy = inputs['dy'];
  if (x === undefined || dy === undefined) throw new Error('Conv2DBackpropFilter: needs x and dy');
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as Conv2DBackpropFilterAttrs;
  if (dataFormat !== undefined && dataFormat !== 'NHWC') {
    throw new Error(`Conv2DBackpropFilter (wasm): dataFormat ${dataFormat} unsupported, use NHWC`);
  }
  const be = backend as ComposingBackend;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  const { top, bottom, left, right } = info.padInfo;
  const [fh, fw, cIn, cOut] = filterShape;
  const { strideHeight: sh, strideWidth: sw } = info;
  const [, h, w] = x.shape as [number, number, number, number];
  const [, outHeight, outWidth] = dy.shape as [number, number, number, number];
  // Rounding modes ('ceil') can make the last window overhang the padded input: pad it out.
  const extraH = Math.max(0, (outHeight - 1) * sh + fh - (h + top + bottom));
  const extraW = Math.max(0, (outWidth - 1) * sw + fw - (w + left + right));

  const temps: TensorInfo[] = [];
  try {
    const padded = run('PadV2', be, { x }, {
      paddings: [[0, 0], [top, bottom + extraH], [left, right + extraW], [0, 0]],
      constantValue: 0,
    });
    temps.push(padded);
    const xT = run('Transpose', be, { x: padded }, { perm: [3, 1, 2, 0] }); // [C_in, Hp, Wp, N]
    temps.push(xT);
    const dyT = run('Transpose', be, { x: dy }, { perm: [1, 2, 0, 3] }); // [H', W', N, C_out]
    temps.push(dyT);
    const conv = run('Conv2D', be, { x: xT, filter: dyT }, {
      strides: [1, 1],
      pad: 'valid',
      dataFormat: 'NHWC',
      dilations: [sh, sw],
    }); // [C_in, ≥fh, ≥fw, C_out]
    temps.push(conv);
    const sliced = run('Slice', be, { x: conv }, { begin: [0, 0, 0, 0], size: [cIn, fh, fw, cOut] });
    temps.push(sliced);
    return run('Transpose', be, { x: sliced }, { perm: [1, 2, 0, 3] }); // [fh, fw, C_in, C_out]
  } finally {
    for (const t of temps) be.disposeData(t.dataId);
  }
};

/** Kernel config for `Conv2DBackpropFilter` on the wasm backend (missing in tfjs 4.22). */
export const conv2dBackpropFilterWasmConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: BACKEND,
  kernelFunc: conv2dBackpropFilter,
};

/**
 * Registers {@link conv2dBackpropFilterWasmConfig} unless a wasm `Conv2DBackpropFilter`
 * already exists (ours, or a future tfjs release's). Safe before the backend initialises.
 * @returns true when this call registered it.
 */
export function registerConv2dBackpropFilterWasm(): boolean {
  if (tf.getKernel('Conv2DBackpropFilter', BACKEND) !== undefined) return false;
  tf.registerKernel(conv2dBackpropFilterWasmConfig);
  return true;
}
