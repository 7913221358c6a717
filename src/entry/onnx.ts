/**
 * `dmgan/onnx` — ONNX in and out, and onnxruntime-node as the wasm backend's heavy kernels.
 *
 * {@link importOnnx} turns an ONNX file into a trainable tfjs model ({@link OnnxModel});
 * {@link exportOnnx} / {@link buildOnnxExport} write a trained ensemble as one ONNX file, with
 * one exporter per kind of generator module ({@link GENERATOR_EXPORTERS}) and the metadata
 * keys it writes ({@link EXPORT_METADATA}). {@link applyKernelChoice} and
 * {@link useOnnxRuntimeKernels} run large convolutions and batched products on
 * onnxruntime-node (an optional peer) when training on wasm. See adapters/onnx/README.md.
 * @packageDocumentation
 */

// Import.
export { importOnnx, OnnxModel, OnnxImportError } from '../../adapters/onnx/index.js';
export type { CloneOptions, CriticBinding, ImportOnnxOptions, RunOptions } from '../../adapters/onnx/index.js';

// Export.
export { exportOnnx, buildOnnxExport, EXPORT_METADATA, GENERATOR_EXPORTERS, exportPartOf } from '../../adapters/onnx/export/index.js';
export type {
  BakedPrior,
  Exportable,
  ExportOnnxInfo,
  ExportOnnxOptions,
  ExportPart,
  ExportSource,
  GeneratorExporter,
  StackedLayer,
  StackedMlp,
} from '../../adapters/onnx/export/index.js';

// onnxruntime-node kernels for the wasm backend.
export { useOnnxRuntimeKernels, onnxRuntimeKernels, stopOnnxRuntimeKernels, applyKernelChoice, KERNEL_CHOICES } from '../../adapters/onnxruntime/index.js';
export type { KernelChoice, OnnxRuntimeKernelOptions, OnnxRuntimeKernelStats } from '../../adapters/onnxruntime/index.js';
