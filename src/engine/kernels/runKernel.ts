import * as tf from '@tensorflow/tfjs-core';
import type { DataId, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

/** The part of a tfjs backend that kernels composed of other kernels rely on. */
export interface ComposingBackend {
  disposeData(dataId: DataId): boolean;
}

/**
 * Runs another kernel of `backendName` directly: no tensors are made, so nothing is taped and
 * the caller frees what it gets with `backend.disposeData` (making tensors inside a kernel
 * would break the gradient tape).
 */
export function runKernel(backendName: string, name: string, backend: ComposingBackend, inputs: Record<string, TensorInfo> | TensorInfo[], attrs: object = {}): TensorInfo {
  const kernel = tf.getKernel(name, backendName);
  if (kernel === undefined) throw new Error(`${backendName} backend lacks kernel ${name}`);
  const out = kernel.kernelFunc({ inputs: inputs as tf.NamedTensorInfoMap, backend, attrs: attrs as tf.NamedAttrMap });
  if (Array.isArray(out)) throw new Error(`kernel ${name} returned several outputs`);
  return out;
}

/** The same data read with another shape of the same size (no kernel, no copy). */
export function view(t: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: t.dataId, shape, dtype: t.dtype };
}

/** A project kernel put in place of a backend's own, which stays callable for the cases it leaves. */
export interface ReplacementKernel {
  readonly config: KernelConfig;
  /** Registers {@link config} in place of the current kernel, once per process, once its backend is loaded. @returns true when this call did. */
  register(): boolean;
  /** Runs the replaced kernel (`why`: what made the replacement hand over, for the error when there is none). */
  callOriginal(args: Parameters<KernelFunc>[0], why: string): ReturnType<KernelFunc>;
}

/**
 * Wraps `kernelFunc` as the replacement of `kernelName` on `backendName`. Once registered the
 * slot is left alone (it may by then hold a kernel that wraps this one, e.g. onnxruntime's). The
 * replaced kernel's setup runs on its first use: a backend sets up only the kernels registered
 * when it starts. Nothing is registered before the backend's package is loaded: loading it
 * would overwrite the replacement.
 */
export function replacementKernel(backendName: string, kernelName: string, kernelFunc: KernelFunc): ReplacementKernel {
  const config: KernelConfig = { kernelName, backendName, kernelFunc };
  let original: KernelConfig | undefined;
  let registered = false;
  let originalReady = false;
  return {
    config,
    register() {
      if (registered || tf.findBackendFactory(backendName) === null) return false;
      registered = true;
      const current = tf.getKernel(kernelName, backendName);
      if (current?.kernelFunc === kernelFunc) return false;
      if (current !== undefined) {
        original = current;
        tf.unregisterKernel(kernelName, backendName);
      }
      tf.registerKernel(config);
      return true;
    },
    callOriginal(args, why) {
      if (original === undefined) throw new Error(`${kernelName} (${backendName}): ${why} needs tfjs' own kernel, which is missing`);
      if (!originalReady) void original.setupFunc?.(args.backend);
      originalReady = true;
      return original.kernelFunc(args);
    },
  };
}
