import { ContainerModule } from 'inversify';
import type { ResolutionContext } from 'inversify';
import { DmganCore } from '../../plugins/dmgan/dmganCore.js';
import { DmganPlugin, scoped } from '../../plugins/dmgan/dmganPlugin.js';
import { EmaPlugin } from '../../plugins/ema/emaPlugin.js';
import { buildGanParts } from '../api/buildParts.js';
import type { GanParts } from '../api/buildParts.js';
import { DmganConfigError } from '../core/errors.js';
import type { GanDefinition } from '../api/gan.js';
import { dmganOptionsSchema, resolveOptions } from '../api/options.js';
import type { DMGANOptions, ResolvedOptions } from '../api/options.js';
import type { TrainerPlugin } from '../core/trainer/hooks.js';
import { LearnedPrior } from '../core/prior.js';
import { QHead, type QHeadFactory } from '../core/qHead.js';
import { Random } from '../core/random.js';
import { ADVERSARIAL_LOSS_NAMES, adversarialLoss } from '../losses/adversarial.js';
import type { AdversarialLoss } from '../losses/adversarial.js';
import { backendAvailable } from '../engine/backend.js';
import { TOKENS } from './tokens.js';

/** Options of {@link dmganModule}: DMGAN's options, plus the user's GAN when DMGAN trains it. */
export interface DmganModuleOptions extends DMGANOptions {
  /** With a GAN, the module also binds `Gan`, `GanParts` and `Core` (what `withDMGAN` uses). */
  gan?: GanDefinition;
}

/** The default Q head factory: the reference Q head, seeded from the options' seed. */
export function defaultQHeadFactory(options: ResolvedOptions): QHeadFactory {
  if (typeof options.qHead === 'function') return options.qHead;
  const qOptions = options.qHead ?? {};
  return (featureSize, n) => new QHead(featureSize, n, new Random(`dmgan-q:${options.seed}`), qOptions);
}

function resolveLoss(loss: GanDefinition['loss'] | DMGANOptions['loss']): AdversarialLoss {
  if (loss === undefined) return adversarialLoss('wgan-gp');
  return typeof loss === 'string' ? adversarialLoss(loss) : loss;
}

/**
 * An inversify `ContainerModule` with DMGAN's parts, each under its own token ({@link TOKENS}),
 * and the DMGAN {@link TrainerPlugin} under `TOKENS.TrainerPlugin` (multi-injection).
 * Everything is a singleton built on first use, so `rebind` a part before resolving.
 * `withDMGAN` is this module plus a container.
 */
export function dmganModule(options: DmganModuleOptions = {}): ContainerModule {
  if (typeof options !== 'object' || options === null) throw new DmganConfigError(`dmganModule needs an options object { gan?, generators?, … }, got ${String(options)}`);
  const { gan, ...rest } = options;
  const resolved = resolveOptions(rest);
  // The GAN's own loss is not part of the options schema: check it here, not when the engine is first resolved.
  if (gan?.loss !== undefined && !dmganOptionsSchema.shape.loss.safeParse(gan.loss).success) {
    const got = typeof gan.loss === 'string' ? `'${gan.loss}'` : String(gan.loss);
    throw new DmganConfigError(`gan.loss must be one of ${ADVERSARIAL_LOSS_NAMES.join(', ')} or a loss object { discriminatorLoss, generatorLoss }, got ${got}`);
  }
  // The average needs the generators' variables, which only a module with the GAN has.
  if (resolved.ema !== undefined && !gan) {
    throw new DmganConfigError('ema: weight averaging needs the GAN (dmganModule({ gan, ema })); with your own trainer, bind new EmaPlugin({ decay, variables: <generator variables> }) under TOKENS.TrainerPlugin');
  }
  // With a GAN the module builds tensors; tfjs' own error for a missing backend names no fix.
  if (gan && !backendAvailable()) throw new DmganConfigError('no TensorFlow.js backend is registered: call `await initEngine()` before building a DMGAN');
  return new ContainerModule(({ bind }) => {
    bind<ResolvedOptions>(TOKENS.Options).toConstantValue(resolved);
    bind(TOKENS.Backend).toConstantValue(resolved.backend ?? 'auto');
    bind<AdversarialLoss>(TOKENS.Loss).toDynamicValue(() => resolveLoss(gan?.loss ?? resolved.loss)).inSingletonScope();
    bind<LearnedPrior>(TOKENS.Prior).toDynamicValue(() => new LearnedPrior(resolved.generators, resolved.priorOptions)).inSingletonScope();
    bind<QHeadFactory>(TOKENS.QHead).toConstantValue(defaultQHeadFactory(resolved));
    bind<DmganPlugin>(TOKENS.DmganPlugin).toDynamicValue((ctx) => buildPlugin(ctx, resolved, gan)).inSingletonScope();
    bind<TrainerPlugin>(TOKENS.TrainerPlugin).toService(TOKENS.DmganPlugin);
    if (!gan) return;
    bind<GanDefinition>(TOKENS.Gan).toConstantValue(gan);
    bind<GanParts>(TOKENS.GanParts)
      .toDynamicValue(() => scoped(() => buildGanParts(gan, { generators: resolved.generators, featureLayer: resolved.featureLayer, fuse: resolved.fuse })))
      .inSingletonScope();
    // Weight averaging: a second plugin, after the DMGAN one, over the generators' trainable variables.
    const decay = resolved.ema;
    if (decay !== undefined) {
      bind<TrainerPlugin>(TOKENS.TrainerPlugin)
        .toDynamicValue((ctx) => new EmaPlugin({ decay, variables: ctx.get<GanParts>(TOKENS.GanParts).ensemble.trainableVariables }))
        .inSingletonScope();
    }
    bind<DmganCore>(TOKENS.Core).toDynamicValue((ctx) => buildCore(ctx, resolved)).inSingletonScope();
  });
}

// With a GAN the feature width is known, so Q is built now (when some term needs it); without
// one, the plugin builds Q from the factory on the first critic features a trainer shows it.
function buildPlugin(ctx: ResolutionContext, o: ResolvedOptions, gan: GanDefinition | undefined): DmganPlugin {
  const prior = ctx.get<LearnedPrior>(TOKENS.Prior);
  const factory = ctx.get<QHeadFactory>(TOKENS.QHead);
  let qHead: DmganPlugin['qHead'] | QHeadFactory = factory;
  if (gan) {
    const parts = ctx.get<GanParts>(TOKENS.GanParts);
    if (prior.n !== parts.ensemble.size) {
      throw new DmganConfigError(`the prior has n = ${prior.n} but there are ${parts.ensemble.size} generators`);
    }
    qHead = o.qWeight > 0 || prior.mode === 'learned' ? scoped(() => factory(parts.featureSize, parts.ensemble.size)) : null;
  }
  return new DmganPlugin({
    prior,
    qHead,
    qWeight: o.qWeight,
    latent: o.latent,
    seed: o.seed,
    ...(o.optimizers?.q ? { qOptimizer: o.optimizers.q } : {}),
  });
}

function buildCore(ctx: ResolutionContext, o: ResolvedOptions): DmganCore {
  const gan = ctx.get<GanDefinition>(TOKENS.Gan);
  const loss = ctx.get<AdversarialLoss>(TOKENS.Loss);
  const parts = ctx.get<GanParts>(TOKENS.GanParts);
  const plugin = ctx.get<DmganPlugin>(TOKENS.DmganPlugin);
  return new DmganCore({
    latentDim: gan.latentDim,
    ensemble: parts.ensemble,
    critic: parts.critic,
    sampleShape: parts.sampleShape,
    qHead: plugin.qHead,
    prior: plugin.prior,
    plugin,
    // Every plugin bound in the container runs in this engine (the DMGAN plugin first).
    plugins: ctx.getAll<TrainerPlugin>(TOKENS.TrainerPlugin),
    loss,
    qWeight: o.qWeight,
    discriminatorSteps: o.discriminatorSteps,
    latent: o.latent,
    seed: o.seed,
    ...(o.optimizers ? { optimizers: o.optimizers } : {}),
  });
}
