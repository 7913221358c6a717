import * as tf from '@tensorflow/tfjs-core';
// Register the embedded backends' factories (nothing is initialised until setBackend).
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { registerEngineFixes } from './fixes.js';
import { chooseBackend, NATIVE_PACKAGES, wantsNative } from './chooseBackend.js';
import type { BackendAvailability, BackendChoice, NativePackage } from './chooseBackend.js';

export type { BackendChoice } from './chooseBackend.js';

/** Options of {@link initEngine}. */
export interface InitEngineOptions {
  /**
   * Loads an optional peer package by name (default: dynamic `import`). Tests inject fakes;
   * bundlers may inject a static import map.
   */
  loadModule?: (name: string) => Promise<unknown>;
}

const defaultLoad = (name: string): Promise<unknown> => import(name);

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
 * Prepares tfjs for dmgan and activates a backend.
 *
 * Registers all gradients plus the project's kernel/gradient fixes (idempotent), then
 * activates `choice`: `auto` tries `@tensorflow/tfjs-node-gpu`, `@tensorflow/tfjs-node`
 * (optional peers, loaded dynamically), then `wasm`, then `cpu`. Safe to call repeatedly.
 * @throws for `tensorflow` when neither native package is installed (the message says
 * which to install), or when an explicitly chosen backend fails to initialise.
 * @returns the name of the active backend.
 */
export async function initEngine(
  choice: BackendChoice = 'auto',
  options: InitEngineOptions = {},
): Promise<{ backend: string }> {
  registerEngineFixes();
  const load = options.loadModule ?? defaultLoad;
  const availability: BackendAvailability = wantsNative(choice) ? await probeNative(load) : { native: null };
  const { candidates } = chooseBackend(choice, availability);
  for (const name of candidates) {
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
