import * as tf from '@tensorflow/tfjs-core';

// tfjs types the custom-gradient function as variadic; ours take (input, kernel, save).
type CustomGradFn = Parameters<typeof tf.customGrad>[0];

/** Padding of a convolution, as tfjs names it. */
export type FastConvPadding = 'same' | 'valid';

/** Output size and leading pad of a 1-D convolution axis, as TF computes them. */
function axisGeometry(size: number, k: number, stride: number, padding: FastConvPadding): { out: number; before: number } {
  if (padding === 'same') {
    const out = Math.ceil(size / stride);
    return { out, before: Math.floor(Math.max((out - 1) * stride + k - size, 0) / 2) };
  }
  return { out: Math.floor((size - k) / stride) + 1, before: 0 };
}

/** Kernel gradient of a convolution: tfjs' Conv2DBackpropFilter kernel (wasm: the engine's). */
function filterGradient(x: tf.Tensor, dy: tf.Tensor, filterShape: readonly number[], stride: number, padding: FastConvPadding): tf.Tensor4D {
  // The public op is not exported by tfjs-core; run the kernel.
  const attrs = { strides: [stride, stride], pad: padding, dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: [...filterShape] };
  return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

/** The transposed convolution computed as a stride-1 'valid' Conv2D on the dilated, padded dy. */
function transposedConvValue(dy: tf.Tensor4D, kernel: tf.Tensor4D, inShape: readonly [number, number], stride: number, padding: FastConvPadding): tf.Tensor4D {
  const [kh, kw] = kernel.shape;
  const [b, oh, ow, o] = dy.shape;
  const [h, w] = inShape;
  const gh = axisGeometry(h, kh, stride, padding);
  const gw = axisGeometry(w, kw, stride, padding);
  if (gh.out !== oh || gw.out !== ow) throw new Error(`transposedConv2d: dy is ${oh}×${ow}, expected ${gh.out}×${gw.out} for input ${h}×${w}`);
  let up: tf.Tensor4D = dy;
  if (stride > 1) {
    const z = tf.pad(tf.reshape(dy, [b, oh, 1, ow, 1, o]), [[0, 0], [0, 0], [0, stride - 1], [0, 0], [0, stride - 1], [0, 0]]);
    up = tf.reshape(z, [b, oh * stride, ow * stride, o]);
  }
  // up has (oh−1)·s + 1 meaningful rows followed by s − 1 zero rows.
  const top = kh - 1 - gh.before;
  const left = kw - 1 - gw.before;
  const bottom = h + kh - 1 - top - oh * stride;
  const right = w + kw - 1 - left - ow * stride;
  if (bottom < 0 || right < 0) {
    up = tf.slice(up, [0, 0, 0, 0], [b, oh * stride + Math.min(bottom, 0), ow * stride + Math.min(right, 0), o]);
  }
  const padded = tf.pad(up, [[0, 0], [top, Math.max(bottom, 0)], [left, Math.max(right, 0)], [0, 0]]);
  const flipped = tf.transpose(tf.reverse(kernel, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
  return tf.conv2d(padded, flipped, 1, 'valid');
}

/**
 * The input gradient of a convolution (= a transposed convolution, `tf.conv2dTranspose`)
 * computed with Conv2D: dy is dilated by the stride, padded, and convolved with the kernel
 * flipped in space and with its channel axes swapped. Its own gradients are the forward
 * convolution (for dy) and Conv2DBackpropFilter (for the kernel), as tfjs defines them.
 *
 * Why: the wasm backend's Conv2DBackpropInput kernel is a plain loop, several times slower
 * than its XNNPACK Conv2D.
 *
 * @param dy [B, oh, ow, O] — gradient at the convolution's output.
 * @param kernel [k, k, I, O] — the forward convolution's kernel.
 * @param inShape [h, w] of the forward input.
 * @returns [B, h, w, I].
 */
export function transposedConv2d(dy: tf.Tensor4D, kernel: tf.Tensor4D, inShape: readonly [number, number], stride: number, padding: FastConvPadding): tf.Tensor4D {
  const op = tf.customGrad(((dyIn: tf.Tensor, kIn: tf.Tensor, save: tf.GradSaveFunc) => {
    save([dyIn, kIn]);
    return {
      value: transposedConvValue(dyIn as tf.Tensor4D, kIn as tf.Tensor4D, inShape, stride, padding),
      gradFunc: (ddx: tf.Tensor, saved: tf.Tensor[]) => {
        const [dys, ks] = saved as [tf.Tensor4D, tf.Tensor4D];
        return [fastConv2d(ddx as tf.Tensor4D, ks, stride, padding), filterGradient(ddx, dys, ks.shape, stride, padding)];
      },
    };
  }) as unknown as CustomGradFn);
  return op(dy, kernel) as tf.Tensor4D;
}

/**
 * `tf.conv2d` (NHWC) whose input gradient is computed by {@link transposedConv2d} (Conv2D
 * kernels only, itself differentiable the same way, so second-order gradients — the gradient
 * penalty — also avoid Conv2DBackpropInput). The kernel gradient is tfjs' own.
 */
export function fastConv2d(x: tf.Tensor4D, kernel: tf.Tensor4D, stride: number, padding: FastConvPadding): tf.Tensor4D {
  const [, h, w] = x.shape;
  const op = tf.customGrad(((xIn: tf.Tensor, kIn: tf.Tensor, save: tf.GradSaveFunc) => {
    save([xIn, kIn]);
    return {
      value: tf.conv2d(xIn as tf.Tensor4D, kIn as tf.Tensor4D, stride, padding),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ks] = saved as [tf.Tensor4D, tf.Tensor4D];
        return [
          transposedConv2d(dy as tf.Tensor4D, ks, [h, w], stride, padding),
          filterGradient(xs, dy, ks.shape, stride, padding),
        ];
      },
    };
  }) as unknown as CustomGradFn);
  return op(x, kernel) as tf.Tensor4D;
}
