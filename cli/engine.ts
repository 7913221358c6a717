import { applyKernelChoice, type KernelChoice } from '../adapters/onnxruntime/index.js';
import { activateBackend } from '../src/engine/index.js';
import { type CLI_BACKENDS, UsageError } from './options.js';

/**
 * Activates the backend and places its heavy kernels, turning a failure into a usage error.
 * @returns e.g. `wasm, heavy kernels on onnxruntime (all cores)`.
 */
export async function startEngine(choice: (typeof CLI_BACKENDS)[number], kernels: KernelChoice = 'auto'): Promise<string> {
  let backend: string;
  try {
    backend = (await activateBackend(choice)).backend;
  } catch (error) {
    throw new UsageError(`--backend ${choice}: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    return `${backend}, heavy kernels on ${applyKernelChoice(kernels)}`;
  } catch (error) {
    throw new UsageError(`--kernels ${kernels}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
