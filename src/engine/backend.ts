import * as tf from '@tensorflow/tfjs-core';
import { registerEngineFixes } from './fixes.js';
import { chooseBackend, NATIVE_PACKAGES, wantsNative } from './chooseBackend.js';
import type { BackendAvailability, BackendChoice, EngineBackend, NativePackage } from './chooseBackend.js';

export type { BackendChoice } from './chooseBackend.js';

/** Options of {@link activateBackend}. */
export interface ActivateBackendOptions {
  /**
   * Loads an optional peer package by name (default: dynamic `import`). Tests inject fakes;
   * bundlers may inject a static import map.
   */
  loadModule?: (name: string) => Promise<unknown>;
}

const defaultLoad = (name: string): Promise<unknown> => import(name);

/**
 * Loads (and so registers) an embedded backend's package. Never at import time: the wasm
 * package registers itself as tfjs' preferred backend without initialising it, which breaks a
 * user's tfjs code that runs before `initEngine` (`activateBackend`). Literal specifiers, so bundlers see them.
 */
async function loadEmbedded(name: EngineBackend): Promise<void> {
  if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  else if (name === 'cpu') await import('@tensorflow/tfjs-backend-cpu');
}

/** Tries the native packages in order; the first that loads and registers `tensorflow` wins. */
async function probeNative(load: (name: string) => Promise<unknown>): Promise<BackendAvailability> {
  for (const name of NATIVE_PACKAGES) {
    try {
      await load(name);
    } catch {
      continue; // not installed, or its native library failed to load
    }
    if (tf.findBackendFactory('tensorflow') !== null) return { native: name as NativePackage };
  }
  return { native: null };
}

/**
 * Prepares tfjs for dmgan and activates a backend: the engine half of the public `initEngine`
 * (src/api/initEngine.ts), which also decides where the heavy kernels run.
 *
 * Activates `choice`: `auto` tries `@tensorflow/tfjs-node-gpu`, `@tensorflow/tfjs-node`
 * (optional peers), then `wasm`, then `cpu`. Each backend's package is loaded here, when tried,
 * never when dmgan is imported; then all gradients plus the project's kernel/gradient fixes are
 * registered (idempotent). Safe to call repeatedly.
 *
 * Before this call dmgan starts no backend of its own: tensors and models (yours or dmgan's)
 * live on whatever backend tfjs already has, e.g. one you imported; with none registered,
 * `withDMGAN` throws, asking for `await initEngine()`. Tensors made earlier move to the new
 * backend when next used.
 * @throws for `tensorflow` when neither native package is installed (the message says
 * which to install), or when an explicitly chosen backend fails to initialise.
 * @returns the name of the active backend.
 */
export async function activateBackend(
  choice: BackendChoice = 'auto',
  options: ActivateBackendOptions = {},
): Promise<{ backend: string }> {
  const load = options.loadModule ?? defaultLoad;
  const availability: BackendAvailability = wantsNative(choice) ? await probeNative(load) : { native: null };
  const { candidates } = chooseBackend(choice, availability);
  for (const name of candidates) {
    await loadEmbedded(name);
    // After the backend's package: it would overwrite the kernels the fixes replace.
    registerEngineFixes();
    if (tf.getBackend() === name || (await tf.setBackend(name))) {
      await tf.ready();
      return { backend: tf.getBackend() };
    }
  }
  throw new Error(`could not activate backend ${candidates.join(' or ')} (choice '${choice}')`);
}

/** The name of the active tfjs backend (e.g. 'wasm'). */
export function currentBackend(): string {
  return tf.getBackend();
}

/**
 * Whether tfjs has a backend to run on: an active one, or one registered that it starts on
 * first use. Without one tfjs' own error does not say what to do, so callers name `initEngine`.
 */
export function backendAvailable(): boolean {
  const engine = tf.engine();
  return engine.backendName != null || engine.backendNames().length > 0;
}
