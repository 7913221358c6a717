import { activationOps } from './activation.js';
import { convOps } from './conv.js';
import { mathOps } from './math.js';
import { normalizationOps } from './normalization.js';
import { resizeOps } from './resize.js';
import { selectOps } from './select.js';
import { shapeOps } from './shape.js';
import type { OpSpec } from './types.js';

/** Every supported op of the default ONNX domain, by op_type. */
export const OPS: ReadonlyMap<string, OpSpec> = new Map(
  Object.entries({ ...mathOps, ...activationOps, ...convOps, ...normalizationOps, ...shapeOps, ...resizeOps, ...selectOps }),
);
