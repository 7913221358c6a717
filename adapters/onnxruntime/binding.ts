import { createRequire } from 'node:module';

/** A float32 tensor as onnxruntime hands it over. */
export interface OrtTensor {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

/** One loaded model, run synchronously. */
export interface OrtSyncSession {
  /** Runs the model; `outputs` may hold tensors onnxruntime writes into (no copy). */
  run(inputs: Record<string, OrtTensor>, outputs: Record<string, OrtTensor | null>): Record<string, OrtTensor>;
  dispose(): void;
}

/** What dmgan needs of onnxruntime-node: sessions that run inside a synchronous tfjs kernel. */
export interface OrtRuntime {
  session(model: Uint8Array, threads: number): OrtSyncSession;
  /** A tensor over `data` (shared, not copied). */
  tensor(data: Float32Array, dims: readonly number[]): OrtTensor;
}

interface NativeSession {
  loadModel(buffer: ArrayBufferLike, byteOffset: number, byteLength: number, options: object): void;
  run(feeds: object, fetches: object, options: object): Record<string, OrtTensor>;
  dispose(): void;
}

interface BindingModule {
  binding: { InferenceSession: new () => NativeSession };
  initOrt(): void;
}

let cached: OrtRuntime | Error | undefined;

/**
 * Loads onnxruntime-node's native binding (an optional peer) once. Its public
 * `InferenceSession.run` is asynchronous, but a tfjs kernel must return its result
 * synchronously; the binding underneath runs synchronously, so dmgan uses it directly
 * (pinned by the version test in test/adapters/onnxruntime).
 * @returns the runtime, or the Error that says why it could not load.
 */
export function loadOrtRuntime(): OrtRuntime | Error {
  if (cached !== undefined) return cached;
  try {
    const require = createRequire(import.meta.url);
    const bindingPath = require.resolve('onnxruntime-node/dist/binding.js');
    const { binding, initOrt } = require(bindingPath) as BindingModule;
    // The Tensor class the binding was initialised with (onnxruntime-node's own copy).
    const { Tensor } = createRequire(bindingPath)('onnxruntime-common') as { Tensor: new (type: string, data: Float32Array, dims: readonly number[]) => OrtTensor };
    initOrt();
    cached = {
      session(model, threads) {
        const native = new binding.InferenceSession();
        native.loadModel(model.buffer, model.byteOffset, model.byteLength, {
          intraOpNumThreads: threads,
          interOpNumThreads: 1,
          executionMode: 'sequential',
          graphOptimizationLevel: 'all',
          // Each session owns a thread pool; spinning pools of several sessions would fight
          // over the cores (and with the wasm thread) between calls.
          extra: { session: { intra_op: { allow_spinning: '0' } } },
        });
        return {
          run: (inputs, outputs) => native.run(inputs, outputs, {}),
          dispose: () => native.dispose(),
        };
      },
      tensor: (data, dims) => new Tensor('float32', data, dims),
    };
  } catch (error) {
    cached = error instanceof Error ? error : new Error(String(error));
  }
  return cached;
}
