export { buildOnnxExport, exportOnnx, EXPORT_METADATA } from './exportOnnx.js';
export type { Exportable, ExportOnnxInfo, ExportOnnxOptions, ExportSource } from './exportOnnx.js';
export { exportPartOf, GENERATOR_EXPORTERS } from './exporters.js';
export type { ExportPart, GeneratorExporter, StackedLayer, StackedMlp } from './exporter.js';
export { bakePrior, idForUniform } from './prior.js';
export type { BakedPrior } from './prior.js';
export { emitLayersModel, layersGeneratorExporter, LayersExportError, SUPPORTED_LAYERS } from './layers.js';
