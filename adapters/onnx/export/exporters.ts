import type { GeneratorModule } from '../../../src/core/modules.js';
import { convGeneratorExporter } from './conv.js';
import type { ExportPart, GeneratorExporter } from './exporter.js';
import { onnxGeneratorExporter } from './inline.js';
import { layersGeneratorExporter } from './layers.js';
import { mlpGeneratorExporter } from './mlp.js';

export type { ExportPart, GeneratorExporter } from './exporter.js';

/**
 * What `exportOnnx` can write, one entry per kind of generator module, tried in order. Adding
 * an exportable kind is one exporter (next to its emitter) and one entry here.
 */
export const GENERATOR_EXPORTERS: readonly GeneratorExporter[] = [
  mlpGeneratorExporter,
  onnxGeneratorExporter,
  convGeneratorExporter,
  layersGeneratorExporter,
];

/** The first registered exporter's part for `generator`, or null when none can write it. */
export function exportPartOf(generator: GeneratorModule, exporters: readonly GeneratorExporter[] = GENERATOR_EXPORTERS): ExportPart | null {
  for (const e of exporters) {
    const part = e.part(generator);
    if (part) return part;
  }
  return null;
}
