// Side effect first: tfjs-layers' node bundle registers every tfjs gradient config. Ours
// must be registered after it, or they would be overwritten.
import '@tensorflow/tfjs-layers';
import { registerGradientFixes } from './gradients/index.js';
import { installLeanClone } from './leanClone.js';
import { registerBatchMatMulWasm } from './kernels/batchMatMulWasm.js';
import { registerConv2dBackpropFilterWasm } from './kernels/conv2dBackpropFilterWasm.js';
import { registerConv2dBackpropInputWasm } from './kernels/conv2dBackpropInputWasm.js';
import { registerGroupedMlp } from './kernels/groupedMlp.js';
import { registerLeakyReluWasm } from './kernels/leakyReluWasm.js';
import { registerUnsortedSegmentSumWasm } from './kernels/unsortedSegmentSumWasm.js';

/**
 * Makes the tfjs engine fit for WGAN-GP: all gradients registered, second-order-correct
 * activation and comparison gradients, the wasm kernels `Conv2DBackpropFilter`,
 * `UnsortedSegmentSum` (gather's gradient), a phase-split `Conv2DBackpropInput` and the
 * grouped-MLP forward kernel, a faster wasm LeakyRelu and BatchMatMul (transposed operands), and the engine's clone without an Identity kernel.
 * Idempotent and cheap; call it before building losses that need second-order gradients.
 */
export function registerEngineFixes(): void {
  registerGradientFixes();
  registerConv2dBackpropFilterWasm();
  registerConv2dBackpropInputWasm();
  registerGroupedMlp();
  registerLeakyReluWasm();
  registerBatchMatMulWasm();
  registerUnsortedSegmentSumWasm();
  installLeanClone();
}
