/**
 * A misconfiguration of the public API (models, options, shapes). The message names the
 * culprit (which generator, which layer, which option) and what to do about it.
 */
export class DmganConfigError extends Error {
  override readonly name = 'DmganConfigError';
}
