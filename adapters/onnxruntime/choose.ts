import * as tf from '@tensorflow/tfjs-core';
import { stopOnnxRuntimeKernels, useOnnxRuntimeKernels, type OnnxRuntimeKernelOptions } from './kernels.js';

/**
 * Where the wasm backend's heavy kernels (large convolutions, batched products) run: `auto` =
 * onnxruntime when the wasm backend is active and onnxruntime-node loads.
 */
export const KERNEL_CHOICES = ['auto', 'onnxruntime', 'wasm'] as const;
export type KernelChoice = (typeof KERNEL_CHOICES)[number];

/**
 * Applies a kernel choice to the active backend (call after `initEngine`).
 * @throws when `onnxruntime` is asked for but the backend is not wasm or onnxruntime-node does not load (the message says which).
 * @returns a short description for logs, e.g. `onnxruntime (2 threads)` or `wasm (onnxruntime-node not installed: …)`.
 */
export function applyKernelChoice(choice: KernelChoice, options: OnnxRuntimeKernelOptions = {}): string {
  const backend = tf.getBackend();
  if (choice === 'wasm' || backend !== 'wasm') {
    stopOnnxRuntimeKernels();
    if (choice === 'onnxruntime') throw new Error(`onnxruntime kernels replace the wasm backend's, but the active backend is ${backend}`);
    return backend;
  }
  const result = useOnnxRuntimeKernels(options);
  if (result.active) return `onnxruntime (${options.threads === undefined ? 'all cores' : `${options.threads} thread${options.threads === 1 ? '' : 's'}`})`;
  if (choice === 'onnxruntime') throw new Error(result.reason);
  return `wasm (${result.reason})`;
}
