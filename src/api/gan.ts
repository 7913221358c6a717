import type { DiscriminatorModel, GeneratorModel } from '../../adapters/registry/index.js';
import type { AdversarialLoss, AdversarialLossName } from '../losses/adversarial.js';

/**
 * A generator dmgan can train: tfjs-layers, ONNX-imported, hand-written, or an engine module
 * (the union of what the registered model kinds take; see `MODEL_KINDS` in adapters/registry).
 */
export type GeneratorLike = GeneratorModel;

/** A discriminator dmgan can train; it must expose hidden features for the Q head. */
export type DiscriminatorLike = DiscriminatorModel;

/** The user's GAN, as `withDMGAN` takes it. */
export interface GanDefinition {
  /** Size d of the latent z the generators take ([B, d]). */
  readonly latentDim: number;
  /**
   * A factory `(index) => model` called once per generator, or one model: it becomes generator
   * 0 and is re-created from its config with fresh weights for the others (ONNX: re-initialised clones).
   */
  readonly generator: GeneratorLike | ((index: number) => GeneratorLike);
  /** The discriminator (critic). Trained in place; its features feed the Q head. */
  readonly discriminator: DiscriminatorLike;
  /** The GAN's own loss (kept), or a built-in one by name. Default `'wgan-gp'`. */
  readonly loss?: AdversarialLoss | AdversarialLossName;
}
