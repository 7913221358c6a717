/**
 * A misconfiguration of the public API (models, options, shapes). The message names the
 * culprit (which generator, which layer, which option) and what to do about it.
 *
 * Defined at the bottom layer so that adapters and plugins can throw it; the public API
 * re-exports it (`import { DmganConfigError } from 'dmgan'`).
 */
export class DmganConfigError extends Error {
  override readonly name = 'DmganConfigError';
}
