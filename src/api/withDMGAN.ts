import * as tf from '@tensorflow/tfjs-core';
import { Container } from 'inversify';
import { dmganModule } from '../di/dmganModule.js';
import { backendAvailable } from '../engine/backend.js';
import { registerEngineFixes } from '../engine/fixes.js';
import { DMGAN } from './dmgan.js';
import { DmganConfigError } from '../core/errors.js';
import type { GanDefinition } from './gan.js';
import type { DMGANOptions } from './options.js';

/**
 * Adds Disconnected Manifold Learning to an existing GAN: `options.generators` generators made
 * from `gan.generator`, a Q head on `gan.discriminator`'s features, a learned prior, and the
 * D/G schedule — with the GAN's own loss (default WGAN with a one-sided gradient penalty).
 *
 * It is `dmganModule({ ...options, gan })` loaded into a fresh inversify container. The
 * backend must be active already (`await initEngine(...)`); `options.backend` asserts which.
 * @throws DmganConfigError naming the culprit for bad options, models or shapes, or when tfjs
 * has no backend at all.
 */
export function withDMGAN(gan: GanDefinition, options: DMGANOptions = {}): DMGAN {
  if (typeof gan !== 'object' || gan === null) throw new DmganConfigError('withDMGAN needs a GAN { latentDim, generator, discriminator, loss? }');
  if (!backendAvailable()) throw new DmganConfigError('no TensorFlow.js backend is registered: call `await initEngine()` before withDMGAN');
  registerEngineFixes();
  const wanted = options.backend;
  if (wanted !== undefined && wanted !== 'auto' && tf.getBackend() !== wanted) {
    throw new DmganConfigError(`backend '${wanted}' was asked for but '${tf.getBackend()}' is active: call await initEngine('${wanted}') before withDMGAN`);
  }
  const container = new Container();
  container.load(dmganModule({ ...options, gan }));
  return DMGAN.fromContainer(container);
}
