import { activateBackend, type ActivateBackendOptions, type BackendChoice } from '../engine/index.js';
import { applyKernelChoice, KERNEL_CHOICES, type KernelChoice } from '../../adapters/onnxruntime/index.js';

/** Options of {@link initEngine}. */
export interface InitEngineOptions extends ActivateBackendOptions {
  /**
   * Where the wasm backend's heavy kernels (convolutions and their gradients, batched matrix
   * products) run: `auto` (default) = onnxruntime-node's multi-threaded CPU kernels when that
   * optional peer is installed, else wasm's own; `onnxruntime` insists (throws if it cannot);
   * `wasm` keeps tfjs' single-threaded kernels. Other backends ignore it.
   */
  kernels?: KernelChoice;
  /** onnxruntime's threads for large calls. Default: every available core. */
  threads?: number;
}

/** What {@link initEngine} set up. */
export interface EngineInfo {
  /** The active tfjs backend, e.g. `wasm`. */
  backend: string;
  /**
   * Where the heavy kernels run, e.g. `onnxruntime (all cores)`, `wasm (onnxruntime-node could
   * not be loaded: …)`, or the backend's name when it is not wasm.
   */
  kernels: string;
}

/**
 * Prepares tfjs for dmgan: activates a backend (`auto`: tfjs-node-gpu, tfjs-node, then wasm,
 * then cpu; each package is loaded here, never on import) with dmgan's kernel and gradient
 * fixes, and on wasm hands the heavy kernels to onnxruntime-node when it is installed.
 * Safe to call again (e.g. with other `kernels`).
 * @throws for a backend that cannot be activated, `kernels: 'onnxruntime'` that cannot be
 * honoured, or an unknown `kernels` value (each message names the cause).
 */
export async function initEngine(choice: BackendChoice = 'auto', options: InitEngineOptions = {}): Promise<EngineInfo> {
  const kernels = options.kernels ?? 'auto';
  if (!(KERNEL_CHOICES as readonly string[]).includes(kernels)) {
    throw new RangeError(`initEngine: kernels must be ${KERNEL_CHOICES.join(', ')} (got '${String(kernels)}')`);
  }
  const { backend } = await activateBackend(choice, options);
  const where = applyKernelChoice(kernels, options.threads === undefined ? {} : { threads: options.threads });
  return { backend, kernels: where };
}
