export { importOnnx, OnnxModel } from './importOnnx.js';
export type { CloneOptions, CriticBinding, ImportOnnxOptions, RunOptions } from './importOnnx.js';
export { OnnxImportError } from './errors.js';
export { decodeModel, decodeTensor, encodeModel } from './proto.js';
export type { ModelProto, TensorProto } from './proto.js';
export { tensorFromProto } from './tensorData.js';
export type { HostTensor } from './tensorData.js';
