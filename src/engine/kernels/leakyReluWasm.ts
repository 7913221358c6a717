import type { KernelFunc, LeakyReluAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { replacementKernel, runKernel, type ComposingBackend } from './runKernel.js';

const BACKEND = 'wasm';


/**
 * leakyRelu(x) = x · step(x, α): the same products as tfjs' `x < 0 ? α·x : x` (x·1 = x, and
 * NaN, ±∞ and −0 come out alike), as two fast wasm kernels. tfjs' wasm LeakyRelu takes 4.4 ms
 * on the MNIST critic's 64×14×14×64 activations (5 ns per element); these two take ~1 ms.
 */
const leakyRelu: KernelFunc = (args) => {
  const x = args.inputs['x'];
  if (x === undefined) throw new Error('LeakyRelu: needs x');
  if (x.dtype !== 'float32') return replacement.callOriginal(args, `dtype ${x.dtype}`);
  const { alpha } = args.attrs as unknown as LeakyReluAttrs;
  const be = args.backend as unknown as ComposingBackend;
  const slope: TensorInfo = runKernel(BACKEND, 'Step', be, { x }, { alpha });
  try {
    return runKernel(BACKEND, 'Multiply', be, { a: x, b: slope });
  } finally {
    be.disposeData(slope.dataId);
  }
};

const replacement = replacementKernel(BACKEND, 'LeakyRelu', leakyRelu);

/** Kernel config replacing tfjs 4.22's wasm `LeakyRelu` for float32 data (tfjs' own keeps other dtypes). */
export const leakyReluWasmConfig = replacement.config;

/** Puts {@link leakyReluWasmConfig} in place of the wasm backend's own kernel, once per process. */
export function registerLeakyReluWasm(): boolean {
  return replacement.register();
}
