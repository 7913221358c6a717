import { beforeAll, describe, expect, it } from 'vitest';
import { useCpu } from '../helpers.js';
import { at, expectClose, feed, init, nodeError, runOne } from './oneNode.js';
import type { NodeSpec } from './oneNode.js';

/*
 * Conv / ConvTranspose beyond the ONNX conformance cases: every error message, and the
 * attribute combinations those cases leave out. Expected values come from direct loop
 * implementations of the ONNX definitions below, never from the importer itself.
 */

type Shape4 = readonly [number, number, number, number];

interface ConvOptions {
  /** [top, left, bottom, right] (ONNX order: all begins, then all ends). */
  pads?: readonly [number, number, number, number];
  strides?: readonly [number, number];
  dilations?: readonly [number, number];
  group?: number;
  bias?: readonly number[];
}

/** Deterministic small-integer test data (exact in float32). */
const ramp = (count: number, offset = 0): number[] => Array.from({ length: count }, (_, i) => ((i * 7 + offset) % 11) - 5);
const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** Direct NCHW cross-correlation, as ONNX Conv defines it (negative pads crop). */
function refConv(x: readonly number[], xs: Shape4, w: readonly number[], ws: Shape4, o: ConvOptions = {}): { shape: number[]; data: number[] } {
  const [n, c, h, wd] = xs;
  const [m, cg, kh, kw] = ws;
  const [pt, pl, pb, pr] = o.pads ?? [0, 0, 0, 0];
  const [sh, sw] = o.strides ?? [1, 1];
  const [dh, dw] = o.dilations ?? [1, 1];
  const group = o.group ?? 1;
  const outH = Math.floor((h + pt + pb - (dh * (kh - 1) + 1)) / sh) + 1;
  const outW = Math.floor((wd + pl + pr - (dw * (kw - 1) + 1)) / sw) + 1;
  const perGroup = m / group;
  const data: number[] = [];
  for (let b = 0; b < n; b++) {
    for (let oc = 0; oc < m; oc++) {
      const g = Math.floor(oc / perGroup);
      for (let oy = 0; oy < outH; oy++) {
        for (let ox = 0; ox < outW; ox++) {
          let sum = o.bias?.[oc] ?? 0;
          for (let ic = 0; ic < cg; ic++) {
            for (let ky = 0; ky < kh; ky++) {
              for (let kx = 0; kx < kw; kx++) {
                const iy = oy * sh + ky * dh - pt;
                const ix = ox * sw + kx * dw - pl;
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                sum += (x[((b * c + g * cg + ic) * h + iy) * wd + ix] ?? NaN) * (w[((oc * cg + ic) * kh + ky) * kw + kx] ?? NaN);
              }
            }
          }
          data.push(sum);
        }
      }
    }
  }
  return { shape: [n, m, outH, outW], data };
}

/**
 * Direct transposed convolution as ONNX defines it: every input pixel scatters its kernel into
 * the full output (stride·(in−1) + output_padding + dilated kernel), which pads then crop.
 */
function refConvTranspose(
  x: readonly number[],
  xs: Shape4,
  w: readonly number[],
  ws: Shape4,
  o: ConvOptions & { outputPadding?: readonly [number, number] } = {},
): { shape: number[]; data: number[] } {
  const [n, c, h, wd] = xs;
  const [, mg, kh, kw] = ws;
  const [pt, pl, pb, pr] = o.pads ?? [0, 0, 0, 0];
  const [sh, sw] = o.strides ?? [1, 1];
  const [dh, dw] = o.dilations ?? [1, 1];
  const [oph, opw] = o.outputPadding ?? [0, 0];
  const group = o.group ?? 1;
  const cg = c / group;
  const m = mg * group;
  const outH = sh * (h - 1) + oph + dh * (kh - 1) + 1 - pt - pb;
  const outW = sw * (wd - 1) + opw + dw * (kw - 1) + 1 - pl - pr;
  const data = new Array<number>(n * m * outH * outW).fill(0);
  for (let b = 0; b < n; b++) {
    for (let oc = 0; oc < m; oc++) {
      for (let i = 0; i < outH * outW; i++) data[(b * m + oc) * outH * outW + i] = o.bias?.[oc] ?? 0;
    }
    for (let ic = 0; ic < c; ic++) {
      const g = Math.floor(ic / cg);
      for (let iy = 0; iy < h; iy++) {
        for (let ix = 0; ix < wd; ix++) {
          const v = x[((b * c + ic) * h + iy) * wd + ix] ?? NaN;
          for (let om = 0; om < mg; om++) {
            for (let ky = 0; ky < kh; ky++) {
              for (let kx = 0; kx < kw; kx++) {
                const oy = iy * sh + ky * dh - pt;
                const ox = ix * sw + kx * dw - pl;
                if (oy < 0 || oy >= outH || ox < 0 || ox >= outW) continue;
                const at = ((b * m + g * mg + om) * outH + oy) * outW + ox;
                data[at] = (data[at] ?? NaN) + v * (w[((ic * mg + om) * kh + ky) * kw + kx] ?? NaN);
              }
            }
          }
        }
      }
    }
  }
  return { shape: [n, m, outH, outW], data };
}

/** Runs a one-node model and checks it against a reference result. */
async function expectRef(spec: NodeSpec, ref: { shape: number[]; data: number[] }): Promise<void> {
  const out = await runOne(spec);
  expect(out.shape).toEqual(ref.shape);
  expectClose(out.data, ref.data, 1e-4);
}

describe('Conv', () => {
  beforeAll(useCpu);

  const x1: Shape4 = [1, 1, 4, 4];
  const conv = (xs: Shape4, ws: Shape4, attrs: NodeSpec['attrs'] = [], bias?: readonly number[]): NodeSpec => ({
    op: 'Conv',
    inputs: [feed(ramp(size(xs)), xs), feed(ramp(size(ws), 3), ws), ...(bias ? [feed(bias, [bias.length])] : [])],
    attrs,
  });

  describe('rejects, with a message naming the problem', () => {
    it('an input that is not 4-D', async () => {
      expect(await nodeError({ op: 'Conv', inputs: [feed([1, 2, 3], [1, 1, 3]), feed([1], [1, 1, 1])] })).toBe(
        'node "n": only 2-D Conv is supported; input shape [1, 1, 3]',
      );
    });

    it('a weight that is not 4-D', async () => {
      expect(await nodeError({ op: 'Conv', inputs: [feed(ramp(16), x1), feed([1, 2, 3], [1, 1, 3])] })).toBe(
        'node "n": only 2-D convolutions are supported; weight shape [1, 1, 3]',
      );
    });

    it('a kernel_shape that does not match the weight', async () => {
      expect(await nodeError(conv(x1, [1, 1, 3, 3], [at.ints('kernel_shape', [3, 2])]))).toBe('node "n": kernel_shape [3, 2] does not match weight [1, 1, 3, 3]');
      expect(await nodeError(conv(x1, [1, 1, 3, 3], [at.ints('kernel_shape', [2, 3])]))).toBe('node "n": kernel_shape [2, 3] does not match weight [1, 1, 3, 3]');
    });

    it.each([
      ['kernel_shape', [3, 3, 3]],
      ['kernel_shape', [0, 3]],
      ['strides', [0, 1]],
      ['strides', [1, -1]],
      ['strides', [2]],
      ['strides', [1, 65_537]],
      ['dilations', [1, 1, 1]],
      ['dilations', [65_537, 1]],
      ['dilations', [1, 0]],
    ])('%s %j (not two positive integers up to 65536)', async (name, values) => {
      expect(await nodeError(conv(x1, [1, 1, 3, 3], [at.ints(name, values)]))).toBe(
        `node "n": attribute ${name} [${values.join(', ')}] is not two positive integers (only 2-D is supported)`,
      );
    });

    it.each([[[1, 1]], [[0, 0, 0, 0, 0]], [[0, 0, 0, 65_537]], [[-65_537, 0, 0, 0]]])('pads %j (not 4 integers within ±65536)', async (pads) => {
      expect(await nodeError(conv(x1, [1, 1, 1, 1], [at.ints('pads', pads)]))).toBe(`node "n": attribute pads [${pads.join(', ')}] is not 4 integers`);
    });

    it('a group below 1', async () => {
      expect(await nodeError(conv(x1, [1, 1, 1, 1], [at.int('group', 0)]))).toBe('node "n": group 0 must be positive');
      expect(await nodeError(conv(x1, [1, 1, 1, 1], [at.int('group', -2)]))).toBe('node "n": group -2 must be positive');
    });

    it('input channels that are not weight channels × group', async () => {
      expect(await nodeError(conv([1, 3, 2, 2], [2, 1, 1, 1], [at.int('group', 2)]))).toBe(
        'node "n": input has 3 channels, weight [2, 1, 1, 1] with group 2 expects 2',
      );
      expect(await nodeError(conv([1, 2, 2, 2], [1, 1, 1, 1]))).toBe('node "n": input has 2 channels, weight [1, 1, 1, 1] with group 1 expects 1');
    });

    it('output channels that do not divide into the groups', async () => {
      expect(await nodeError(conv([1, 2, 2, 2], [3, 1, 1, 1], [at.int('group', 2)]))).toBe(
        'node "n": weight [3, 1, 1, 1] has 3 output channels, which group 2 does not divide',
      );
    });

    it('an unknown auto_pad', async () => {
      expect(await nodeError(conv(x1, [1, 1, 1, 1], [at.string('auto_pad', 'FOO')]))).toBe('node "n": unknown auto_pad "FOO"');
    });

    it('a kernel that does not fit the (padded or cropped) input', async () => {
      expect(await nodeError(conv([1, 1, 2, 2], [1, 1, 3, 3]))).toBe('node "n": kernel does not fit input [1, 1, 2, 2]');
      expect(await nodeError(conv([1, 1, 4, 2], [1, 1, 3, 3]))).toBe('node "n": kernel does not fit input [1, 1, 4, 2]');
      expect(await nodeError(conv([1, 1, 2, 4], [1, 1, 3, 3]))).toBe('node "n": kernel does not fit input [1, 1, 2, 4]');
      // A dilated 2×2 kernel spans 3×3.
      expect(await nodeError(conv([1, 1, 2, 2], [1, 1, 2, 2], [at.ints('dilations', [2, 2])]))).toBe('node "n": kernel does not fit input [1, 1, 2, 2]');
      expect(await nodeError(conv([1, 1, 2, 2], [1, 1, 1, 1], [at.ints('pads', [-1, 0, -1, 0])]))).toBe('node "n": kernel does not fit input [1, 1, 2, 2]');
    });

    it.each([
      [[2, 1], [2, 1]],
      [[1, 2], [1, 2]],
      [[2, 1], [1, 2]],
      [[1, 2], [2, 1]],
    ])('strides %j together with dilations %j', async (strides, dilations) => {
      expect(await nodeError(conv([1, 1, 6, 6], [1, 1, 2, 2], [at.ints('strides', strides), at.ints('dilations', dilations)]))).toBe(
        'node "n": Conv with both strides > 1 and dilations > 1 is not supported by tfjs',
      );
    });

    it('a bias whose size is not the output channel count', async () => {
      expect(await nodeError(conv([1, 1, 2, 2], [2, 1, 1, 1], [], [1, 2, 3]))).toBe('node "n": bias has 3 values for 2 channels');
    });
  });

  describe('computes the ONNX definition', () => {
    it('with group 2 (each half of the channels convolved with its own filters)', async () => {
      const xs: Shape4 = [1, 4, 3, 3];
      const ws: Shape4 = [4, 2, 2, 2];
      await expectRef(conv(xs, ws, [at.int('group', 2)]), refConv(ramp(size(xs)), xs, ramp(size(ws), 3), ws, { group: 2 }));
    });

    it('with group equal to the channel count (depthwise)', async () => {
      const xs: Shape4 = [2, 3, 3, 3];
      const ws: Shape4 = [3, 1, 2, 2];
      await expectRef(conv(xs, ws, [at.int('group', 3)]), refConv(ramp(size(xs)), xs, ramp(size(ws), 3), ws, { group: 3 }));
    });

    it.each([
      [[2, 2], [1, 1, 2, 2]],
      [[2, 1], [1, 1, 2, 3]],
      [[1, 3], [1, 1, 3, 2]],
    ] as const)('with dilations %j and weight %j', async (dilations, ws) => {
      const xs: Shape4 = [1, 2, 6, 7];
      const w2: Shape4 = [2, 2, ws[2], ws[3]];
      await expectRef(conv(xs, w2, [at.ints('dilations', [...dilations])]), refConv(ramp(size(xs)), xs, ramp(size(w2), 3), w2, { dilations }));
    });

    it('with strides alone, or dilations alone, of 1 on the other axis', async () => {
      const xs: Shape4 = [1, 1, 5, 6];
      const ws: Shape4 = [1, 1, 2, 2];
      await expectRef(conv(xs, ws, [at.ints('strides', [2, 1]), at.ints('dilations', [1, 1])]), refConv(ramp(30), xs, ramp(4, 3), ws, { strides: [2, 1] }));
      await expectRef(conv(xs, ws, [at.ints('strides', [1, 1]), at.ints('dilations', [1, 2])]), refConv(ramp(30), xs, ramp(4, 3), ws, { dilations: [1, 2] }));
    });

    it('with an explicit kernel_shape equal to the weight', async () => {
      const ws: Shape4 = [1, 1, 3, 2];
      await expectRef(conv(x1, ws, [at.ints('kernel_shape', [3, 2])]), refConv(ramp(16), x1, ramp(6, 3), ws));
    });

    it('SAME_UPPER puts the odd padding pixel at the end, SAME_LOWER at the start', async () => {
      const ws: Shape4 = [1, 1, 2, 2];
      // 4 + total − 2 + 1 = 4 → total padding 1 on each axis.
      const upper = refConv(ramp(16), x1, ramp(4, 3), ws, { pads: [0, 0, 1, 1] });
      const lower = refConv(ramp(16), x1, ramp(4, 3), ws, { pads: [1, 1, 0, 0] });
      expect(upper.data).not.toEqual(lower.data);
      await expectRef(conv(x1, ws, [at.string('auto_pad', 'SAME_UPPER')]), upper);
      await expectRef(conv(x1, ws, [at.string('auto_pad', 'SAME_LOWER')]), lower);
    });

    it('SAME keeps ceil(size / stride) per axis, padding each axis by its own total', async () => {
      // H (stride 2): out 3, total (3−1)·2 + 3 − 5 = 2; W (stride 1): out 5, total 4 + 2 − 5 = 1.
      const xs: Shape4 = [1, 1, 5, 5];
      const ws: Shape4 = [1, 1, 3, 2];
      const attrs = (mode: string): NodeSpec['attrs'] => [at.string('auto_pad', mode), at.ints('strides', [2, 1])];
      await expectRef(conv(xs, ws, attrs('SAME_UPPER')), refConv(ramp(25), xs, ramp(6, 3), ws, { strides: [2, 1], pads: [1, 0, 1, 1] }));
      await expectRef(conv(xs, ws, attrs('SAME_LOWER')), refConv(ramp(25), xs, ramp(6, 3), ws, { strides: [2, 1], pads: [1, 1, 1, 0] }));
    });

    it('SAME pads for the dilated kernel extent', async () => {
      // A 2×2 kernel dilated by 2 spans 3: total padding 2 on each axis.
      const xs: Shape4 = [1, 1, 5, 5];
      const ws: Shape4 = [1, 1, 2, 2];
      await expectRef(
        conv(xs, ws, [at.string('auto_pad', 'SAME_LOWER'), at.ints('dilations', [2, 2])]),
        refConv(ramp(25), xs, ramp(4, 3), ws, { dilations: [2, 2], pads: [1, 1, 1, 1] }),
      );
    });

    it('SAME never pads negatively when the stride skips pixels', async () => {
      // 1×1 kernel, stride 2 on 4 pixels: (2−1)·2 + 1 − 4 < 0 → no padding, samples 0 and 2.
      const ws: Shape4 = [1, 1, 1, 1];
      await expectRef(conv(x1, ws, [at.string('auto_pad', 'SAME_UPPER'), at.ints('strides', [2, 2])]), refConv(ramp(16), x1, ramp(1, 3), ws, { strides: [2, 2] }));
    });

    it('VALID ignores a pads attribute', async () => {
      const ws: Shape4 = [1, 1, 2, 2];
      await expectRef(conv(x1, ws, [at.string('auto_pad', 'VALID'), at.ints('pads', [1, 1, 1, 1])]), refConv(ramp(16), x1, ramp(4, 3), ws));
    });

    it('NOTSET (written explicitly) uses the pads attribute', async () => {
      const ws: Shape4 = [1, 1, 2, 2];
      await expectRef(conv(x1, ws, [at.string('auto_pad', 'NOTSET'), at.ints('pads', [1, 0, 0, 2])]), refConv(ramp(16), x1, ramp(4, 3), ws, { pads: [1, 0, 0, 2] }));
    });

    it.each([[[1, 0, 0, 0]], [[0, 1, 0, 0]], [[0, 0, 1, 0]], [[0, 0, 0, 1]]] as const)('pads %j pad only that side with zeros', async (pads) => {
      const xs: Shape4 = [1, 1, 3, 4];
      const ws: Shape4 = [1, 1, 2, 2];
      await expectRef(conv(xs, ws, [at.ints('pads', [...pads])]), refConv(ramp(12), xs, ramp(4, 3), ws, { pads }));
    });

    it.each([
      [[-1, 0, 0, 0]],
      [[0, -1, 0, 0]],
      [[0, 0, -1, 0]],
      [[0, 0, 0, -1]],
      [[-1, 1, 0, -2]],
    ] as const)('negative pads %j crop the input', async (pads) => {
      const xs: Shape4 = [1, 1, 4, 5];
      const ws: Shape4 = [1, 1, 2, 2];
      await expectRef(conv(xs, ws, [at.ints('pads', [...pads])]), refConv(ramp(20), xs, ramp(4, 3), ws, { pads }));
    });

    it('adds the bias per output channel', async () => {
      const xs: Shape4 = [2, 1, 2, 2];
      const ws: Shape4 = [2, 1, 1, 1];
      await expectRef(conv(xs, ws, [], [10, -20]), refConv(ramp(8), xs, ramp(2, 3), ws, { bias: [10, -20] }));
    });

    it('takes weights and bias from initializers (trainable variables)', async () => {
      const xs: Shape4 = [1, 2, 3, 3];
      const ws: Shape4 = [2, 2, 2, 2];
      await expectRef(
        { op: 'Conv', inputs: [feed(ramp(18), xs), init(ramp(16, 3), ws, 'float32'), init([0.5, -1.5], [2], 'float32')] },
        refConv(ramp(18), xs, ramp(16, 3), ws, { bias: [0.5, -1.5] }),
      );
    });

    it('accepts strides and pads of exactly 65536', async () => {
      const xs: Shape4 = [1, 1, 2, 2];
      const ws: Shape4 = [1, 1, 1, 1];
      await expectRef(conv(xs, ws, [at.ints('strides', [65_536, 65_536])]), refConv(ramp(4), xs, ramp(1, 3), ws, { strides: [65_536, 65_536] }));
      // Row 0 of the result is padding, row 1 the input's first row.
      await expectRef(
        conv(xs, ws, [at.ints('pads', [65_536, 0, 0, 0]), at.ints('strides', [65_536, 1])]),
        refConv(ramp(4), xs, ramp(1, 3), ws, { pads: [65_536, 0, 0, 0], strides: [65_536, 1] }),
      );
    });
  });
});

describe('ConvTranspose', () => {
  beforeAll(useCpu);

  const convT = (xs: Shape4, ws: Shape4, attrs: NodeSpec['attrs'] = [], bias?: readonly number[]): NodeSpec => ({
    op: 'ConvTranspose',
    inputs: [feed(ramp(size(xs)), xs), feed(ramp(size(ws), 3), ws), ...(bias ? [feed(bias, [bias.length])] : [])],
    attrs,
  });

  describe('rejects, with a message naming the problem', () => {
    it('an input that is not 4-D', async () => {
      expect(await nodeError({ op: 'ConvTranspose', inputs: [feed([1, 2], [1, 1, 2]), feed([1], [1, 1, 1, 1])] })).toBe(
        'node "n": only 2-D ConvTranspose is supported; input shape [1, 1, 2]',
      );
    });

    it('a weight that is not 4-D', async () => {
      expect(await nodeError({ op: 'ConvTranspose', inputs: [feed([1, 2], [1, 1, 1, 2]), feed([1, 2], [1, 1, 2])] })).toBe(
        'node "n": only 2-D convolutions are supported; weight shape [1, 1, 2]',
      );
    });

    it('input channels that are not the weight\'s first dimension', async () => {
      expect(await nodeError(convT([1, 2, 2, 2], [3, 1, 1, 1]))).toBe('node "n": input has 2 channels, weight is [3, 1, 1, 1]');
    });

    it('input channels that do not divide into the groups', async () => {
      expect(await nodeError(convT([1, 3, 2, 2], [3, 1, 1, 1], [at.int('group', 2)]))).toBe('node "n": input has 3 channels, weight is [3, 1, 1, 1]');
    });

    it.each([[[-1, 0]], [[0, -1]], [[1, 1, 1]]])('output_padding %j (not two non-negative integers)', async (outputPadding) => {
      expect(await nodeError(convT([1, 1, 2, 2], [1, 1, 2, 2], [at.ints('output_padding', outputPadding), at.ints('strides', [2, 2])]))).toBe(
        `node "n": attribute output_padding [${outputPadding.join(', ')}] is not two non-negative integers (only 2-D is supported)`,
      );
    });

    it('strides that are not two positive integers', async () => {
      expect(await nodeError(convT([1, 1, 2, 2], [1, 1, 2, 2], [at.ints('strides', [0, 0])]))).toBe(
        'node "n": attribute strides [0, 0] is not two positive integers (only 2-D is supported)',
      );
    });

    it('an unknown auto_pad', async () => {
      expect(await nodeError(convT([1, 1, 2, 2], [1, 1, 2, 2], [at.string('auto_pad', 'same_upper')]))).toBe('node "n": unknown auto_pad "same_upper"');
    });

    it('pads that leave no output', async () => {
      // Full size 2 + 2 − 1 = 3 on each axis.
      expect(await nodeError(convT([1, 1, 2, 2], [1, 1, 2, 2], [at.ints('pads', [2, 0, 1, 0])]))).toBe('node "n": output size 0x3 is not positive');
      expect(await nodeError(convT([1, 1, 2, 2], [1, 1, 2, 2], [at.ints('pads', [0, 1, 0, 3])]))).toBe('node "n": output size 3x-1 is not positive');
    });

    it('a bias whose size is not the output channel count', async () => {
      expect(await nodeError(convT([1, 2, 2, 2], [2, 1, 1, 1], [at.int('group', 2)], [1]))).toBe('node "n": bias has 1 values for 2 channels');
    });
  });

  describe('computes the ONNX definition', () => {
    it('with output_padding (extra rows/columns at the end)', async () => {
      const xs: Shape4 = [1, 1, 2, 3];
      const ws: Shape4 = [1, 2, 3, 3];
      const attrs = [at.ints('strides', [2, 3]), at.ints('output_padding', [1, 2])];
      await expectRef(convT(xs, ws, attrs), refConvTranspose(ramp(6), xs, ramp(18, 3), ws, { strides: [2, 3], outputPadding: [1, 2] }));
    });

    it('with output_padding of zero written explicitly', async () => {
      const xs: Shape4 = [1, 1, 2, 2];
      const ws: Shape4 = [1, 1, 2, 2];
      await expectRef(convT(xs, ws, [at.ints('output_padding', [0, 0])]), refConvTranspose(ramp(4), xs, ramp(4, 3), ws));
    });

    it('SAME_UPPER crops the odd pixel at the end, SAME_LOWER at the start (output = input × stride)', async () => {
      // Full size 2·(3−1) + 3 = 7, target 6: total padding 1 per axis.
      const xs: Shape4 = [1, 1, 3, 3];
      const ws: Shape4 = [1, 1, 3, 3];
      const upper = refConvTranspose(ramp(9), xs, ramp(9, 3), ws, { strides: [2, 2], pads: [0, 0, 1, 1] });
      const lower = refConvTranspose(ramp(9), xs, ramp(9, 3), ws, { strides: [2, 2], pads: [1, 1, 0, 0] });
      expect(upper.shape).toEqual([1, 1, 6, 6]);
      expect(upper.data).not.toEqual(lower.data);
      await expectRef(convT(xs, ws, [at.string('auto_pad', 'SAME_UPPER'), at.ints('strides', [2, 2])]), upper);
      await expectRef(convT(xs, ws, [at.string('auto_pad', 'SAME_LOWER'), at.ints('strides', [2, 2])]), lower);
    });

    it('SAME pads each axis by its own stride', async () => {
      // H: full 1·2 + 3 = 5, target 3 → total 2; W: full 2·2 + 3 = 7, target 6 → total 1.
      const xs: Shape4 = [1, 1, 3, 3];
      const ws: Shape4 = [1, 1, 3, 3];
      await expectRef(
        convT(xs, ws, [at.string('auto_pad', 'SAME_UPPER'), at.ints('strides', [1, 2])]),
        refConvTranspose(ramp(9), xs, ramp(9, 3), ws, { strides: [1, 2], pads: [1, 0, 1, 1] }),
      );
    });

    it('output_shape sets the size, the odd pixel of the total padding cropped at the start', async () => {
      // H: full 7, target 5 → pads 1/1; W: full 7, target 6 → pads 1 (start) / 0 (end).
      const xs: Shape4 = [1, 1, 3, 3];
      const ws: Shape4 = [1, 1, 3, 3];
      const ref = refConvTranspose(ramp(9), xs, ramp(9, 3), ws, { strides: [2, 2], pads: [1, 1, 1, 0] });
      await expectRef(convT(xs, ws, [at.ints('output_shape', [5, 6]), at.ints('strides', [2, 2])]), ref);
      // The N and C entries some exporters write are ignored.
      await expectRef(convT(xs, ws, [at.ints('output_shape', [1, 1, 5, 6]), at.ints('strides', [2, 2])]), ref);
    });

    it('output_shape with SAME_UPPER crops the odd pixel at the end', async () => {
      const xs: Shape4 = [1, 1, 3, 3];
      const ws: Shape4 = [1, 1, 3, 3];
      await expectRef(
        convT(xs, ws, [at.ints('output_shape', [5, 6]), at.ints('strides', [2, 2]), at.string('auto_pad', 'SAME_UPPER')]),
        refConvTranspose(ramp(9), xs, ramp(9, 3), ws, { strides: [2, 2], pads: [1, 0, 1, 1] }),
      );
    });

    it('output_shape two larger than the full size adds zero rows/columns at the end only', async () => {
      const xs: Shape4 = [1, 1, 2, 2];
      const ws: Shape4 = [1, 1, 2, 2];
      await expectRef(
        convT(xs, ws, [at.ints('output_shape', [5, 5]), at.ints('strides', [1, 1])]),
        refConvTranspose(ramp(4), xs, ramp(4, 3), ws, { outputPadding: [2, 2] }),
      );
    });

    it('output_shape one larger than the full size adds a zero row/column at the end', async () => {
      // Like output_padding [1, 1] (a bias-free zero border).
      const xs: Shape4 = [1, 1, 2, 2];
      const ws: Shape4 = [1, 1, 2, 2];
      await expectRef(
        convT(xs, ws, [at.ints('output_shape', [4, 4]), at.ints('strides', [1, 1])]),
        refConvTranspose(ramp(4), xs, ramp(4, 3), ws, { outputPadding: [1, 1] }),
      );
    });

    it('VALID ignores a pads attribute', async () => {
      const xs: Shape4 = [1, 1, 2, 3];
      const ws: Shape4 = [1, 1, 2, 2];
      await expectRef(
        convT(xs, ws, [at.string('auto_pad', 'VALID'), at.ints('pads', [1, 1, 1, 1]), at.ints('strides', [2, 2])]),
        refConvTranspose(ramp(6), xs, ramp(4, 3), ws, { strides: [2, 2] }),
      );
    });

    it('NOTSET (written explicitly) uses the pads attribute', async () => {
      const xs: Shape4 = [1, 1, 3, 3];
      const ws: Shape4 = [1, 1, 3, 3];
      await expectRef(
        convT(xs, ws, [at.string('auto_pad', 'NOTSET'), at.ints('pads', [1, 0, 2, 1]), at.ints('strides', [2, 1])]),
        refConvTranspose(ramp(9), xs, ramp(9, 3), ws, { strides: [2, 1], pads: [1, 0, 2, 1] }),
      );
    });

    it('with group 2 and a bias per output channel', async () => {
      const xs: Shape4 = [1, 4, 2, 2];
      const ws: Shape4 = [4, 2, 2, 2];
      const bias = [1, -1, 2.5, 0.5];
      await expectRef(
        convT(xs, ws, [at.int('group', 2), at.ints('strides', [2, 1])], bias),
        refConvTranspose(ramp(16), xs, ramp(32, 3), ws, { group: 2, strides: [2, 1], bias }),
      );
    });

    it('produces a single-row output', async () => {
      const xs: Shape4 = [1, 1, 1, 2];
      const ws: Shape4 = [1, 1, 1, 2];
      await expectRef(convT(xs, ws), refConvTranspose(ramp(2), xs, ramp(2, 3), ws));
    });

    it('with dilations and strides on different axes', async () => {
      const xs: Shape4 = [1, 2, 2, 3];
      const ws: Shape4 = [2, 1, 2, 2];
      await expectRef(
        convT(xs, ws, [at.ints('dilations', [1, 2]), at.ints('strides', [3, 1])]),
        refConvTranspose(ramp(12), xs, ramp(8, 3), ws, { dilations: [1, 2], strides: [3, 1] }),
      );
    });
  });
});
