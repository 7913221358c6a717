import type * as tfl from '@tensorflow/tfjs-layers';

/** Whether `x` is a tfjs-layers `LayersModel` (duck-typed, so any tfjs-layers copy works). */
export function isLayersModel(x: unknown): x is tfl.LayersModel {
  if (typeof x !== 'object' || x === null) return false;
  const m = x as Record<string, unknown>;
  return typeof m.getLayer === 'function' && typeof m.apply === 'function' && 'trainableWeights' in m && typeof m.getConfig === 'function';
}

/**
 * Whether `x` is an inference-only model: a tfjs-converter `GraphModel` (or anything with
 * `predict`/`execute` but no trainable variables), which dmgan cannot train.
 */
export function isInferenceOnly(x: unknown): boolean {
  if (typeof x !== 'object' || x === null || isLayersModel(x)) return false;
  const m = x as Record<string, unknown>;
  const runs = typeof m.predict === 'function' || typeof m.execute === 'function' || typeof m.executeAsync === 'function';
  return runs && !('trainableVariables' in m);
}

/** The error text for an inference-only model in a training role. */
export function inferenceOnlyMessage(what: string, x: unknown): string {
  const kind = (x as { constructor?: { name?: string } })?.constructor?.name ?? 'object';
  return (
    `${what} is an inference-only model (${kind}): a tfjs GraphModel or similar has no trainable variables. ` +
    'Pass a tfjs-layers LayersModel (tf.loadLayersModel), an ONNX model from importOnnx(), or a plain { apply, trainableVariables } object.'
  );
}
