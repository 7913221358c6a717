import * as tf from '@tensorflow/tfjs-core';
import { stopOnnxRuntimeConvolutions, useOnnxRuntimeConvolutions, type OnnxRuntimeConvolutionOptions } from './convolutions.js';

/** Where convolutions run: `auto` = onnxruntime when the wasm backend is active and onnxruntime-node loads. */
export const CONVOLUTION_CHOICES = ['auto', 'onnxruntime', 'wasm'] as const;
export type ConvolutionChoice = (typeof CONVOLUTION_CHOICES)[number];

/**
 * Applies a convolution choice to the active backend (call after `initEngine`).
 * @throws when `onnxruntime` is asked for but the backend is not wasm or onnxruntime-node does not load (the message says which).
 * @returns a short description for logs, e.g. `onnxruntime (2 threads)` or `wasm (onnxruntime-node not installed: …)`.
 */
export function applyConvolutionChoice(choice: ConvolutionChoice, options: OnnxRuntimeConvolutionOptions = {}): string {
  const backend = tf.getBackend();
  if (choice === 'wasm' || backend !== 'wasm') {
    stopOnnxRuntimeConvolutions();
    if (choice === 'onnxruntime') throw new Error(`onnxruntime convolutions replace the wasm backend's kernels, but the active backend is ${backend}`);
    return backend;
  }
  const result = useOnnxRuntimeConvolutions(options);
  if (result.active) return `onnxruntime (${options.threads ?? 'all'} threads)`.replace('(all threads)', '(all cores)');
  if (choice === 'onnxruntime') throw new Error(result.reason);
  return `wasm (${result.reason})`;
}
