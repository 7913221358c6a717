export { useOnnxRuntimeConvolutions, onnxRuntimeConvolutions, stopOnnxRuntimeConvolutions } from './convolutions.js';
export type { OnnxRuntimeConvolutionOptions, OnnxRuntimeConvolutionStats } from './convolutions.js';
export { applyConvolutionChoice, CONVOLUTION_CHOICES } from './choose.js';
export type { ConvolutionChoice } from './choose.js';
