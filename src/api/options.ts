import { z } from 'zod';
import type { OptimizerSettings } from '../core/trainer/steps.js';
import type { LearnedPriorOptions } from '../core/prior.js';
import type { QHeadFactory, QHeadOptions } from '../core/qHead.js';
import type { BackendChoice } from '../engine/chooseBackend.js';
import { ADVERSARIAL_LOSS_NAMES, type AdversarialLoss, type AdversarialLossName } from '../losses/adversarial.js';
import { DmganConfigError } from '../core/errors.js';

export type { QHeadFactory } from '../core/qHead.js';

/** Options of `withDMGAN` and `dmganModule`. Every field is optional; defaults are the paper's. */
export interface DMGANOptions {
  /** Number of generators n. Default 10. */
  generators?: number;
  /** `'learned'` (default, DMWGAN-PL), `'uniform'` (DMWGAN), or options of the learned prior. */
  prior?: 'learned' | 'uniform' | LearnedPriorOptions;
  /** λ_Q, weight of Q's cross-entropy in the generator loss. Default 1. */
  qWeight?: number;
  /** Critic steps per generator step. Default 5. */
  discriminatorSteps?: number;
  /** Seeds the latent, id and interpolation streams and the default Q head. Default 0. */
  seed?: number;
  /**
   * The tfjs backend the model must run on. `withDMGAN` is synchronous, so it checks the active
   * backend rather than switching: call `await initEngine(backend)` first. Default: any.
   */
  backend?: BackendChoice;
  /** Adversarial loss when the GAN brings none. Default `'wgan-gp'` (one-sided penalty 10). */
  loss?: AdversarialLossName | AdversarialLoss;
  /** The Q head: options of the default one, or a factory. */
  qHead?: QHeadOptions | QHeadFactory;
  /** Discriminator layer (tfjs-layers) whose output Q reads. Default: the last hidden layer. */
  featureLayer?: string;
  /** Adam settings per part; defaults are the reference's. */
  optimizers?: Partial<OptimizerSettings>;
  /** Latent distribution. Default `'uniform'` U(−1, 1). */
  latent?: 'uniform' | 'normal';
  /**
   * Run identical `MlpGenerator`s as one stacked network (same maths, fewer kernels).
   * Default true; ignored for other generators.
   */
  fuse?: boolean;
  /**
   * Generator weight averaging (Yazıcı et al. 2019): the decay β in (0, 1) of an exponential
   * moving average ema ← β·ema + (1 − β)·w of every trainable generator weight, updated after
   * each generator step (the EMA plugin, `plugins/ema`). Sampling (`DMGAN.sample`), evaluation
   * and ONNX export then use the averaged weights; training never does, so the training
   * trajectory is unchanged. Saved in checkpoints. Typical: 0.999. Default: off (the paper's method).
   */
  ema?: number;
}

const adam = z.object({ learningRate: z.number().positive(), beta1: z.number().min(0).lt(1), beta2: z.number().min(0).lt(1), epsilon: z.number().positive() });
const priorOptions = z.object({
  mode: z.enum(['learned', 'uniform']).optional(),
  entropyWeight: z.number().min(0).optional(),
  entropyDecay: z.number().gt(0).max(1).optional(),
  optimizer: adam.partial().optional(),
  temperature: z.number().positive().optional(),
  seed: z.union([z.number(), z.string()]).optional(),
});

/** The zod schema `withDMGAN` validates its options with. */
export const dmganOptionsSchema = z.strictObject({
  generators: z.number().int().min(1, 'generators must be ≥ 1').optional(),
  prior: z.union([z.literal('learned'), z.literal('uniform'), priorOptions]).optional(),
  qWeight: z.number().min(0).optional(),
  discriminatorSteps: z.number().int().min(0).optional(),
  seed: z.number().int().optional(),
  backend: z.enum(['auto', 'tensorflow', 'wasm', 'cpu']).optional(),
  loss: z.union([z.enum(ADVERSARIAL_LOSS_NAMES), z.custom<AdversarialLoss>(isLoss, 'a loss object needs discriminatorLoss and generatorLoss')]).optional(),
  qHead: z.union([z.custom<QHeadFactory>((v) => typeof v === 'function'), z.object({ hidden: z.number().int().positive().optional(), alpha: z.number().min(0).optional() })]).optional(),
  featureLayer: z.string().min(1).optional(),
  optimizers: z.object({ generator: adam.optional(), discriminator: adam.optional(), q: adam.optional() }).optional(),
  latent: z.enum(['uniform', 'normal']).optional(),
  fuse: z.boolean().optional(),
  ema: z
    .number({ error: (issue) => `ema must be a number in (0, 1), the decay of the generator weight average (e.g. 0.999), got ${describeInput(issue.input)}` })
    .refine((v) => Number.isFinite(v) && v > 0 && v < 1, { error: (issue) => `ema must be a number in (0, 1), the decay of the generator weight average (e.g. 0.999), got ${describeInput(issue.input)}` })
    .optional(),
});

function describeInput(v: unknown): string {
  return typeof v === 'string' ? `'${v}' (a string)` : String(v);
}

function isLoss(v: unknown): v is AdversarialLoss {
  const l = v as AdversarialLoss | null;
  return typeof l === 'object' && l !== null && typeof l.discriminatorLoss === 'function' && typeof l.generatorLoss === 'function';
}

/** Options with defaults filled in. */
export type ResolvedOptions = Required<Pick<DMGANOptions, 'generators' | 'qWeight' | 'discriminatorSteps' | 'seed' | 'latent' | 'fuse'>> &
  Omit<DMGANOptions, 'generators' | 'qWeight' | 'discriminatorSteps' | 'seed' | 'latent' | 'fuse'> & { priorOptions: LearnedPriorOptions };

/** Validates `options` (throwing a {@link DmganConfigError} that names the field) and fills defaults. */
export function resolveOptions(options: DMGANOptions = {}): ResolvedOptions {
  const parsed = dmganOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(options)'}: ${i.message}`).join('; ');
    throw new DmganConfigError(`invalid DMGAN options — ${issues}`);
  }
  const seed = options.seed ?? 0;
  const p = options.prior ?? 'learned';
  const priorOptions: LearnedPriorOptions = typeof p === 'string' ? { mode: p } : { ...p };
  priorOptions.seed ??= `prior:${seed}`;
  return {
    ...options,
    generators: options.generators ?? 10,
    qWeight: options.qWeight ?? 1,
    discriminatorSteps: options.discriminatorSteps ?? 5,
    seed,
    latent: options.latent ?? 'uniform',
    fuse: options.fuse ?? true,
    priorOptions,
  };
}

/** The JSON-safe part of the options (what checkpoints record). Functions and loss objects are dropped. */
export function serialisableOptions(o: ResolvedOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (k === 'priorOptions' || typeof v === 'function' || (k === 'loss' && typeof v !== 'string')) continue;
    out[k] = v;
  }
  return out;
}

