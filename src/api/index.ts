export { withDMGAN } from './withDMGAN.js';
export { DMGAN } from './dmgan.js';
export type { DMGANSamples, TrainStepResult } from './dmgan.js';
export { DmganConfigError } from '../core/errors.js';
export { dmganOptionsSchema, resolveOptions } from './options.js';
export type { DMGANOptions, QHeadFactory, ResolvedOptions } from './options.js';
export type { DiscriminatorLike, GanDefinition, GeneratorLike } from './gan.js';
export { buildGanParts } from './buildParts.js';
export type { GanParts } from './buildParts.js';
