export { buildOnnxExport, exportOnnx, EXPORT_METADATA } from './exportOnnx.js';
export type { ExportOnnxInfo, ExportOnnxOptions } from './exportOnnx.js';
export { bakePrior, idForUniform } from './prior.js';
export type { BakedPrior } from './prior.js';
