export { useOnnxRuntimeKernels, onnxRuntimeKernels, stopOnnxRuntimeKernels } from './kernels.js';
export type { OnnxRuntimeKernelOptions, OnnxRuntimeKernelStats } from './kernels.js';
export { applyKernelChoice, KERNEL_CHOICES } from './choose.js';
export type { KernelChoice } from './choose.js';
