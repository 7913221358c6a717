/**
 * Service identifiers of the DMGAN container module. Each part is bound under its own token so
 * that a user can `rebind` one piece (e.g. the prior or the Q head) and keep the rest.
 *
 * | token | bound to |
 * |---|---|
 * | `TrainerPlugin` | every {@link TrainerPlugin} the engine runs, the DMGAN plugin first (multi-injection: `getAll`) |
 * | `DmganPlugin` | the DMGAN plugin itself (`DmganPlugin`) |
 * | `Options` | the validated options (`ResolvedOptions`) |
 * | `Backend` | the backend choice (`BackendChoice`) |
 * | `Loss` | the adversarial loss (`AdversarialLoss`) |
 * | `Prior` | the `LearnedPrior` (singleton) |
 * | `QHead` | a `QHeadFactory` (featureSize, n) → Q head |
 * | `Gan`, `GanParts`, `Core` | only with a `gan`: the user's GAN, its adapted parts, the `DmganCore` |
 */
export const TOKENS = {
  TrainerPlugin: Symbol.for('dmgan.TrainerPlugin'),
  DmganPlugin: Symbol.for('dmgan.DmganPlugin'),
  Options: Symbol.for('dmgan.Options'),
  Backend: Symbol.for('dmgan.Backend'),
  Loss: Symbol.for('dmgan.Loss'),
  Prior: Symbol.for('dmgan.Prior'),
  QHead: Symbol.for('dmgan.QHead'),
  Gan: Symbol.for('dmgan.Gan'),
  GanParts: Symbol.for('dmgan.GanParts'),
  Core: Symbol.for('dmgan.Core'),
} as const;

/** Names of the tokens in {@link TOKENS}. */
export type TokenName = keyof typeof TOKENS;
