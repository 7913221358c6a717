/**
 * Starts dmgan's engine in a browser: tfjs' wasm backend with dmgan's kernel and gradient fixes,
 * as the CLI's `--backend wasm` (src/engine/backend.ts), without the Node-only parts of the
 * public `initEngine` (onnxruntime-node kernels).
 */
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { activateBackend } from '../../src/engine/backend.js';

/**
 * Points tfjs at the served .wasm files (`base`, a folder URL ending in '/': the build copies
 * them to dist/tfjs/) and activates the wasm backend.
 * @returns the active backend's name ('wasm').
 */
export async function startEngine(base: string): Promise<string> {
  setWasmPaths(base);
  const { backend } = await activateBackend('wasm');
  return backend;
}
