import { ConvGenerator, type ChannelBatchNorm } from '../../../src/core/nn/convGan.js';
import type { ConvTranspose2d } from '../../../src/core/nn/conv.js';
import { attr, transposeHost, type GraphBuilder } from './builder.js';
import type { GeneratorExporter } from './exporter.js';

/**
 * Explicit ONNX ConvTranspose padding of a tfjs transposed conv with input side `n`: tfjs
 * computes it as the input gradient of a conv2d whose input is the output (side `out`);
 * 'same' pads that conv by `max((⌈out/s⌉ − 1)·s + k − out, 0)`, the smaller half first. ONNX
 * then gives `s·(n − 1) + output_padding + k − begin − end`, so output_padding makes up the rest.
 */
export function transposedConvPads(n: number, k: number, s: number, padding: 'same' | 'valid'): { begin: number; end: number; outputPadding: number; out: number } {
  const out = padding === 'same' ? n * s : (n - 1) * s + k;
  const total = padding === 'same' ? Math.max((Math.ceil(out / s) - 1) * s + k - out, 0) : 0;
  const begin = Math.floor(total / 2);
  const end = total - begin;
  const outputPadding = out - (s * (n - 1) + k - total);
  if (outputPadding < 0 || outputPadding >= s) throw new Error(`exportOnnx: a ${k}×${k} stride-${s} '${padding}' transposed conv has no ONNX form (output_padding ${outputPadding})`);
  return { begin, end, outputPadding, out };
}

/** NCHW `x` [B, in, n, n'] through `layer` (tfjs 'same'/'valid' semantics, bias included). */
function emitConvTranspose(b: GraphBuilder, prefix: string, layer: ConvTranspose2d, x: string, side: { height: number; width: number }): { y: string; height: number; width: number } {
  const [k, kw, out, inp] = layer.kernel.shape as [number, number, number, number];
  if (k !== kw) throw new Error(`exportOnnx: ${prefix} has a ${k}×${kw} kernel; only square kernels are written`);
  const s = layer.stride;
  const h = transposedConvPads(side.height, k, s, layer.padding);
  const w = transposedConvPads(side.width, k, s, layer.padding);
  // tfjs keeps transposed-conv kernels as [k, k, out, in]; ONNX ConvTranspose wants [in, out, k, k].
  const kernel = transposeHost(layer.kernel.dataSync() as Float32Array, [k, k, out, inp], [3, 2, 0, 1]);
  const weight = b.floatConst(`${prefix}/kernel`, kernel.shape, kernel.data);
  const inputs = [x, weight];
  if (layer.bias) inputs.push(b.floatConst(`${prefix}/bias`, [out], layer.bias.dataSync() as Float32Array));
  const y = b.op('ConvTranspose', inputs, [
    attr.ints('kernel_shape', [k, k]),
    attr.ints('strides', [s, s]),
    attr.ints('pads', [h.begin, w.begin, h.end, w.end]),
    attr.ints('output_padding', [h.outputPadding, w.outputPadding]),
    attr.ints('dilations', [1, 1]),
    attr.int('group', 1),
  ]);
  return { y, height: h.out, width: w.out };
}

/** Inference-mode (moving statistics) BatchNormalization of NCHW `x`. */
function emitBatchNorm(b: GraphBuilder, prefix: string, bn: ChannelBatchNorm, x: string): string {
  const { norm } = bn;
  const c = norm.size;
  const scale = norm.gamma ? (norm.gamma.dataSync() as Float32Array) : new Float32Array(c).fill(1);
  const shift = norm.beta ? (norm.beta.dataSync() as Float32Array) : new Float32Array(c);
  return b.op(
    'BatchNormalization',
    [
      x,
      b.floatConst(`${prefix}/gamma`, [c], scale),
      b.floatConst(`${prefix}/beta`, [c], shift),
      b.floatConst(`${prefix}/moving_mean`, [c], norm.movingMean.dataSync() as Float32Array),
      b.floatConst(`${prefix}/moving_variance`, [c], norm.movingVariance.dataSync() as Float32Array),
    ],
    [attr.float('epsilon', bn.epsilon)],
  );
}

/**
 * One {@link ConvGenerator} in inference mode: `z` [B, d] → MatMul + bias → Reshape NHWC
 * [B, h, w, C] → Transpose NCHW → BatchNormalization → Relu → ConvTranspose → BatchNormalization
 * → Relu → ConvTranspose → Tanh → Transpose back, so the output is NHWC [B, H, W, channels] as
 * the tfjs module gives it.
 */
export function emitConvGenerator(b: GraphBuilder, g: ConvGenerator, prefix: string, z: string): string {
  const { dense, bn1, up1, bn2, up2, start } = g.layers;
  let h = b.op('MatMul', [z, b.floatConst(`${prefix}/dense/kernel`, [dense.inputSize, dense.outputSize], dense.kernel.dataSync() as Float32Array)]);
  if (dense.bias) h = b.op('Add', [h, b.floatConst(`${prefix}/dense/bias`, [dense.outputSize], dense.bias.dataSync() as Float32Array)]);
  h = b.op('Reshape', [h, b.int64Const(`${prefix}/shape`, [4], [-1, start.height, start.width, start.channels])]);
  h = b.op('Transpose', [h], [attr.ints('perm', [0, 3, 1, 2])]);
  h = b.op('Relu', [emitBatchNorm(b, `${prefix}/bn1`, bn1, h)]);
  const a = emitConvTranspose(b, `${prefix}/convt1`, up1, h, start);
  h = b.op('Relu', [emitBatchNorm(b, `${prefix}/bn2`, bn2, a.y)]);
  const c = emitConvTranspose(b, `${prefix}/convt2`, up2, h, a);
  return b.op('Transpose', [b.op('Tanh', [c.y])], [attr.ints('perm', [0, 2, 3, 1])]);
}

/** The project's {@link ConvGenerator}s (MNIST and image-folder models): one sub-graph each. */
export const convGeneratorExporter: GeneratorExporter = {
  name: 'ConvGenerator',
  part(g) {
    if (!(g instanceof ConvGenerator)) return null;
    return { emit: (b, prefix, z) => emitConvGenerator(b, g, prefix, z) };
  },
};
