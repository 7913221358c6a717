export { initEngine, currentBackend } from './backend.js';
export type { InitEngineOptions } from './backend.js';
export { chooseBackend, NATIVE_PACKAGES } from './chooseBackend.js';
export type { BackendAvailability, BackendChoice, BackendPlan, EngineBackend, NativePackage } from './chooseBackend.js';
export { registerEngineFixes } from './fixes.js';
export { registerGradientFixes, gradientFixes } from './gradients/index.js';
export { registerConv2dBackpropFilterWasm, conv2dBackpropFilterWasmConfig } from './kernels/conv2dBackpropFilterWasm.js';
export { registerUnsortedSegmentSumWasm, unsortedSegmentSumWasmConfig } from './kernels/unsortedSegmentSumWasm.js';
export { matMulFast } from './matmul.js';
