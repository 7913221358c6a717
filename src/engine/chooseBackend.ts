/** Which compute backend to run on. `auto` prefers tensorflow → wasm → cpu. */
export type BackendChoice = 'auto' | 'tensorflow' | 'wasm' | 'cpu';

/** The tfjs backend names dmgan can activate. */
export type EngineBackend = 'tensorflow' | 'wasm' | 'cpu';

/** npm packages that provide the native `tensorflow` backend, most preferred first. */
export const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

/** One of {@link NATIVE_PACKAGES}. */
export type NativePackage = (typeof NATIVE_PACKAGES)[number];

/** What is installed: the native package that loaded and registered `tensorflow`, if any. */
export interface BackendAvailability {
  /** The package that provides the `tensorflow` backend, or null when none loaded. */
  readonly native: NativePackage | null;
}

/** Backends to try in order; the first one that activates wins. */
export interface BackendPlan {
  readonly candidates: readonly EngineBackend[];
}

/**
 * Pure selection logic behind `initEngine`.
 * @throws when `tensorflow` is asked for and no native package is available.
 */
export function chooseBackend(choice: BackendChoice, availability: BackendAvailability): BackendPlan {
  switch (choice) {
    case 'auto':
      return { candidates: availability.native !== null ? ['tensorflow', 'wasm', 'cpu'] : ['wasm', 'cpu'] };
    case 'tensorflow':
      if (availability.native === null) {
        throw new Error(
          "backend 'tensorflow' needs a native TensorFlow.js package: run " +
            '`npm install @tensorflow/tfjs-node` (CPU) or `npm install @tensorflow/tfjs-node-gpu` (CUDA), ' +
            "or use backend 'auto', 'wasm' or 'cpu'",
        );
      }
      return { candidates: ['tensorflow'] };
    case 'wasm':
      return { candidates: ['wasm'] };
    case 'cpu':
      return { candidates: ['cpu'] };
    default: {
      const never: never = choice;
      throw new Error(`unknown backend choice: ${String(never)}`);
    }
  }
}

/** Whether a choice needs the native packages probed at all. */
export function wantsNative(choice: BackendChoice): boolean {
  return choice === 'auto' || choice === 'tensorflow';
}
