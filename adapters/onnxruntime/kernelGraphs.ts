import { attr, ElemType, GraphBuilder, valueInfo } from '../onnx/export/builder.js';
import { encodeModel, type ModelProto } from '../onnx/proto.js';
import { GROUPED_MLP_ACTIVATIONS } from '../../src/engine/kernels/groupedMlp.js';

/**
 * One-node ONNX models for the tfjs kernels dmgan runs on onnxruntime: the three convolution
 * kernels on NHWC data, and batched matrix products. tfjs keeps
 * activations NHWC and kernels [kh, kw, in, out]; ONNX wants NCHW and [out, in, kh, kw], so
 * each model transposes its inputs and output itself (onnxruntime does that in a fraction of
 * the convolution's time). Inputs are named `a` and `b`, the output `y`.
 */

type Shape4 = readonly [number, number, number, number];
type Shape = readonly number[];

/** Padding as [top, left, bottom, right], the order of ONNX `pads`. */
export type Pads = readonly [number, number, number, number];

const OPSET = 17;
const TO_NCHW = [0, 3, 1, 2];
const TO_NHWC = [0, 2, 3, 1];
const KERNEL_TO_OIHW = [3, 2, 0, 1]; // [kh, kw, in, out] → [out, in, kh, kw]

function model(b: GraphBuilder, a: Shape, bShape: Shape, y: Shape): Uint8Array {
  return modelWithInputs(b, [a, bShape], y);
}

/** Inputs are named i0, i1, … except in two-input models (a, b). */
function modelWithInputs(b: GraphBuilder, inputs: readonly Shape[], y: Shape): Uint8Array {
  const names = inputs.length === 2 ? ['a', 'b'] : inputs.map((_, i) => `i${i}`);
  const proto = {
    irVersion: 8,
    producerName: 'dmgan-conv',
    opsetImport: [{ domain: '', version: OPSET }],
    graph: {
      name: 'conv',
      node: b.nodes,
      initializer: b.initializers,
      input: inputs.map((shape, i) => valueInfo(names[i] as string, ElemType.FLOAT, shape)),
      output: [valueInfo('y', ElemType.FLOAT, y)],
    },
  } as unknown as ModelProto;
  return encodeModel(proto);
}

function builder(): GraphBuilder {
  const b = new GraphBuilder(OPSET);
  b.claim('a');
  b.claim('b');
  b.claim('y');
  return b;
}

/** y = conv2d(a, b): a [N, H, W, C], b [kh, kw, C, O] → y [N, oh, ow, O]. */
export function conv2dModel(a: Shape4, filter: Shape4, y: Shape4, strides: readonly [number, number], dilations: readonly [number, number], pads: Pads): Uint8Array {
  const b = builder();
  const x = b.op('Transpose', ['a'], [attr.ints('perm', TO_NCHW)]);
  const w = b.op('Transpose', ['b'], [attr.ints('perm', KERNEL_TO_OIHW)]);
  const c = b.op('Conv', [x, w], [attr.ints('strides', [...strides]), attr.ints('dilations', [...dilations]), attr.ints('pads', [...pads])]);
  b.op('Transpose', [c], [attr.ints('perm', TO_NHWC)], 'y');
  return model(b, a, filter, y);
}

/** tfjs' fusable activations onnxruntime runs after a convolution (prelu, with its weights, is left to wasm). */
export const FUSED_CONV_ACTIVATIONS = ['linear', 'relu', 'relu6', 'leakyrelu', 'sigmoid', 'elu'] as const;
export type FusedConvActivation = (typeof FUSED_CONV_ACTIVATIONS)[number];

/**
 * y = activation(conv2d(i0, i1) + i2): tfjs' FusedConv2D. Inputs i0 = x [N, H, W, C],
 * i1 = filter [kh, kw, C, O], and i2 = bias [O] when `bias` is true (then named a, b without it).
 */
export function fusedConv2dModel(
  a: Shape4,
  filter: Shape4,
  bias: boolean,
  y: Shape4,
  strides: readonly [number, number],
  dilations: readonly [number, number],
  pads: Pads,
  activation: FusedConvActivation,
  alpha: number,
): Uint8Array {
  const b = new GraphBuilder(OPSET);
  const names = bias ? [b.claim('i0'), b.claim('i1'), b.claim('i2')] : [b.claim('a'), b.claim('b')];
  b.claim('y');
  const x = b.op('Transpose', [names[0] as string], [attr.ints('perm', TO_NCHW)]);
  const w = b.op('Transpose', [names[1] as string], [attr.ints('perm', KERNEL_TO_OIHW)]);
  const convInputs = bias ? [x, w, names[2] as string] : [x, w];
  let h = b.op('Conv', convInputs, [attr.ints('strides', [...strides]), attr.ints('dilations', [...dilations]), attr.ints('pads', [...pads])]);
  if (activation !== 'linear') h = applyActivation(b, h, activation, alpha, b.fresh('act'));
  b.op('Transpose', [h], [attr.ints('perm', TO_NHWC)], 'y');
  return modelWithInputs(b, bias ? [a, filter, [filter[3]]] : [a, filter], y);
}

/**
 * Convolutions as one matrix product over the whole batch (im2col): the kh·kw shifted windows of
 * the padded NHWC input, concatenated along channels, are the rows' patches. onnxruntime's Conv
 * multiplies image by image, which is slow when an image has few output pixels (measured:
 * 32×4×4×128 → 256, k5: Conv 24 ms, im2col 7 ms; 32×7×7×64 → 128 stride 2: 6.5 against 1.6).
 * `IM2COL_MAX_ELEMENTS` bounds the patch matrix; larger calls use Conv.
 */
export const IM2COL_MAX_ELEMENTS = 32 * 2 ** 20;

/** Geometry of a convolution's windows: kernel size, strides, dilations, pads and output size. */
export interface Windows {
  readonly kernel: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly dilations: readonly [number, number];
  readonly pads: Pads;
  readonly out: readonly [number, number];
}

/** Elements of the patch matrix of `x` [N, H, W, C] under `win`. */
export function patchElements(x: Shape4, win: Windows): number {
  return x[0] * win.out[0] * win.out[1] * win.kernel[0] * win.kernel[1] * x[3];
}

/** [N, oh, ow, kh·kw·C]: the patches of `x` (NHWC), ordered (i, j, c) like a [kh, kw, C, O] kernel's rows. */
function patches(b: GraphBuilder, x: string, win: Windows): string {
  const [top, left, bottom, right] = win.pads;
  const padded = top + left + bottom + right > 0 ? b.op('Pad', [x, b.int64Const('pads', [8], [0, top, left, 0, 0, bottom, right, 0])]) : x;
  const [kh, kw] = win.kernel;
  const [sh, sw] = win.strides;
  const [dh, dw] = win.dilations;
  const [oh, ow] = win.out;
  const axes = b.int64Const('axes', [2], [1, 2]);
  const steps = b.int64Const('steps', [2], [sh, sw]);
  const windows: string[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const starts = b.int64Const('starts', [2], [i * dh, j * dw]);
      const ends = b.int64Const('ends', [2], [i * dh + (oh - 1) * sh + 1, j * dw + (ow - 1) * sw + 1]);
      windows.push(b.op('Slice', [padded, starts, ends, axes, steps]));
    }
  }
  return windows.length === 1 ? (windows[0] as string) : b.op('Concat', windows, [attr.int('axis', 3)]);
}

/** y = activation(conv2d(x, w) + bias) as patches × kernel; inputs as {@link fusedConv2dModel}'s. */
export function conv2dIm2colModel(a: Shape4, filter: Shape4, bias: boolean, y: Shape4, win: Windows, activation: FusedConvActivation, alpha: number): Uint8Array {
  const b = new GraphBuilder(OPSET);
  const names = bias ? [b.claim('i0'), b.claim('i1'), b.claim('i2')] : [b.claim('a'), b.claim('b')];
  b.claim('y');
  const cols = patches(b, names[0] as string, win);
  const w = b.op('Reshape', [names[1] as string, b.int64Const('shape', [2], [filter[0] * filter[1] * filter[2], filter[3]])]);
  const last = activation === 'linear' && !bias;
  let h = b.op('MatMul', [cols, w], [], last ? 'y' : undefined);
  if (bias) h = b.op('Add', [h, names[2] as string], [], activation === 'linear' ? 'y' : undefined);
  if (activation !== 'linear') applyActivation(b, h, activation, alpha, 'y');
  return modelWithInputs(b, bias ? [a, filter, [filter[3]]] : [a, filter], y);
}

function applyActivation(b: GraphBuilder, h: string, activation: Exclude<FusedConvActivation, 'linear'>, alpha: number, output: string): string {
  switch (activation) {
    case 'relu': return b.op('Relu', [h], [], output);
    case 'relu6': return b.op('Clip', [h, b.floatConst('zero', [], [0]), b.floatConst('six', [], [6])], [], output);
    case 'leakyrelu': return b.op('LeakyRelu', [h], [attr.float('alpha', alpha)], output);
    case 'sigmoid': return b.op('Sigmoid', [h], [], output);
    case 'elu': return b.op('Elu', [h], [], output);
  }
}

/** The kernel gradient of conv2d as patchesᵀ × dy: a = x [N, H, W, C], b = dy [N, oh, ow, O] → y [kh, kw, C, O]. */
export function conv2dFilterGradientIm2colModel(a: Shape4, dyShape: Shape4, y: Shape4, win: Windows): Uint8Array {
  const b = builder();
  const rows = a[0] * win.out[0] * win.out[1];
  const k = y[0] * y[1] * y[2];
  const cols = b.op('Reshape', [patches(b, 'a', win), b.int64Const('rows', [2], [rows, k])]);
  const dy = b.op('Reshape', ['b', b.int64Const('dy', [2], [rows, y[3]])]);
  const product = b.op('MatMul', [b.op('Transpose', [cols], [attr.ints('perm', [1, 0])]), dy]);
  b.op('Reshape', [product, b.int64Const('shape', [4], [...y])], [], 'y');
  return model(b, a, dyShape, y);
}

/**
 * The input gradient of a stride-1 conv2d: the correlation of dy (padded kh − 1 − top before,
 * `win.pads` after) with the kernel flipped in space and its channels swapped, as patches ×
 * kernel. a = dy [N, oh, ow, O], b = w [kh, kw, C, O] → y [N, H, W, C].
 */
export function conv2dInputGradientIm2colModel(a: Shape4, filter: Shape4, y: Shape4, win: Windows): Uint8Array {
  const b = builder();
  const cols = patches(b, 'a', win);
  const flipped = b.op('Slice', ['b', b.int64Const('starts', [2], [-1, -1]), b.int64Const('ends', [2], [-(2 ** 31), -(2 ** 31)]), b.int64Const('axes', [2], [0, 1]), b.int64Const('steps', [2], [-1, -1])]);
  const swapped = b.op('Transpose', [flipped], [attr.ints('perm', [0, 1, 3, 2])]); // [kh, kw, O, C]
  const w = b.op('Reshape', [swapped, b.int64Const('shape', [2], [filter[0] * filter[1] * filter[3], filter[2]])]);
  b.op('MatMul', [cols, w], [], 'y');
  return model(b, a, filter, y);
}

/**
 * y = the input gradient of conv2d(·, b) at a: a [N, oh, ow, O], b [kh, kw, I, O] →
 * y [N, H, W, I], as ONNX ConvTranspose (whose weight layout [O, I, kh, kw] is the same
 * permutation of tfjs' kernel as Conv's). `outputPadding` adds rows/columns at the end.
 */
export function conv2dInputGradientModel(a: Shape4, filter: Shape4, y: Shape4, strides: readonly [number, number], pads: Pads, outputPadding: readonly [number, number]): Uint8Array {
  const b = builder();
  const dy = b.op('Transpose', ['a'], [attr.ints('perm', TO_NCHW)]);
  const w = b.op('Transpose', ['b'], [attr.ints('perm', KERNEL_TO_OIHW)]);
  const attrs = [attr.ints('strides', [...strides]), attr.ints('pads', [...pads])];
  if (outputPadding[0] > 0 || outputPadding[1] > 0) attrs.push(attr.ints('output_padding', [...outputPadding]));
  const c = b.op('ConvTranspose', [dy, w], attrs);
  b.op('Transpose', [c], [attr.ints('perm', TO_NHWC)], 'y');
  return model(b, a, filter, y);
}

/**
 * y = the kernel gradient of conv2d: a = x [N, H, W, C], b = dy [N, oh, ow, O] →
 * y [kh, kw, C, O]. dW[i,j,c,o] = Σ_{n,p,q} xpad[n, p·s + i, q·s + j, c] · dy[n,p,q,o]: read x as
 * C images of N channels and dy as O filters of N channels, and that is a stride-1 Conv
 * with dilation = the original stride, cut to the kernel size.
 */
export function conv2dFilterGradientModel(a: Shape4, dyShape: Shape4, y: Shape4, strides: readonly [number, number], pads: Pads): Uint8Array {
  const b = builder();
  const x = b.op('Transpose', ['a'], [attr.ints('perm', [3, 0, 1, 2])]); // [C, N, H, W]
  const dy = b.op('Transpose', ['b'], [attr.ints('perm', [3, 0, 1, 2])]); // [O, N, oh, ow]
  const c = b.op('Conv', [x, dy], [attr.ints('dilations', [...strides]), attr.ints('pads', [...pads])]); // [C, O, ≥kh, ≥kw]
  const [kh, kw] = y;
  const cut = b.op('Slice', [c, b.int64Const('starts', [2], [0, 0]), b.int64Const('ends', [2], [kh, kw]), b.int64Const('axes', [2], [2, 3])]);
  b.op('Transpose', [cut], [attr.ints('perm', [2, 3, 0, 1])], 'y');
  return model(b, a, dyShape, y);
}

/**
 * y = matmul(a, b) over equal batch dimensions, either operand transposed in its last two
 * axes first (tfjs' BatchMatMul attributes).
 */
export function batchMatMulModel(a: readonly number[], bShape: readonly number[], y: readonly number[], transposeA: boolean, transposeB: boolean): Uint8Array {
  const b = builder();
  const swap = (rank: number): number[] => [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];
  const left = transposeA ? b.op('Transpose', ['a'], [attr.ints('perm', swap(a.length))]) : 'a';
  const right = transposeB ? b.op('Transpose', ['b'], [attr.ints('perm', swap(bShape.length))]) : 'b';
  b.op('MatMul', [left, right], [], 'y');
  return model(b, a, bShape, y);
}

/**
 * y = n stacked MLPs on a padded batch: inputs i0 = x [n, rows, d0], then per layer l the
 * kernel [n, d_l, d_l+1] and bias [n, 1, d_l+1]; hidden layers use `activation`, the last
 * `outputActivation`. tfjs' Elu and Selu use ONNX's default constants (alpha 1; 1.67…, 1.05…).
 */
export function groupedMlpModel(shapes: readonly Shape[], y: Shape, activation: string, outputActivation: string, alpha: number): Uint8Array {
  const b = new GraphBuilder(OPSET);
  const inputs = shapes.map((_, i) => b.claim(`i${i}`));
  b.claim('y');
  const layers = (shapes.length - 1) / 2;
  let h = inputs[0] as string;
  for (let l = 0; l < layers; l++) {
    const last = l === layers - 1;
    const product = b.op('MatMul', [h, inputs[1 + 2 * l] as string]);
    // The tfjs kernel names of these activations are also their ONNX operator names.
    const name = last ? outputActivation : activation;
    const act = (GROUPED_MLP_ACTIVATIONS as Record<string, string | null>)[name];
    if (act === undefined) throw new Error(`groupedMlpModel: unknown activation ${name}`);
    h = b.op('Add', [product, inputs[2 + 2 * l] as string], [], last && act === null ? 'y' : undefined);
    if (act !== null) h = b.op(act, [h], act === 'LeakyRelu' ? [attr.float('alpha', alpha)] : [], last ? 'y' : undefined);
  }
  return modelWithInputs(b, shapes, y);
}
