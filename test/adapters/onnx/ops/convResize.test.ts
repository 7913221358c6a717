import { beforeAll, describe, expect, it } from 'vitest';
import { useCpu } from '../helpers.js';
import { importOnnx } from '../../../../adapters/onnx/index.js';
import { at, expectClose, feed, init, nodeError, oneNodeModel, runOne } from './oneNode.js';
import type { NodeSpec } from './oneNode.js';

/*
 * Conv / ConvTranspose / Resize / Upsample beyond the ONNX conformance cases: every error
 * message, and the attribute combinations those cases leave out. Expected values come from
 * direct loop implementations of the ONNX definitions below, never from the importer itself.
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

/*
 * Resize (nearest): output index i of an axis reads input index
 * clamp(round(source(i)), 0, in − 1), with source() and round() as the ONNX spec defines them.
 */
function sourceOf(mode: string, i: number, scale: number, inLen: number, outLen: number): number {
  if (mode === 'half_pixel') return (i + 0.5) / scale - 0.5;
  if (mode === 'pytorch_half_pixel') return outLen > 1 ? (i + 0.5) / scale - 0.5 : 0;
  if (mode === 'align_corners') return outLen === 1 ? 0 : (i * (inLen - 1)) / (outLen - 1);
  if (mode === 'asymmetric') return i / scale;
  if (mode === 'tf_half_pixel_for_nn') return (i + 0.5) / scale;
  if (mode === 'half_pixel_symmetric') {
    const adjustment = outLen / (scale * inLen);
    return (inLen / 2) * (1 - adjustment) + (i + 0.5) / scale - 0.5;
  }
  throw new Error(mode);
}

function roundOf(mode: string, v: number): number {
  if (mode === 'round_prefer_floor') return Math.ceil(v - 0.5);
  if (mode === 'round_prefer_ceil') return Math.floor(v + 0.5);
  if (mode === 'floor') return Math.floor(v);
  if (mode === 'ceil') return Math.ceil(v);
  throw new Error(mode);
}

/** Nearest resize of a [1, n] row to `outLen` values (the only resized axis). */
function refRow(row: readonly number[], outLen: number, scale: number, coord = 'half_pixel', nearest = 'round_prefer_floor'): number[] {
  return Array.from({ length: outLen }, (_, i) => {
    const src = Math.min(Math.max(roundOf(nearest, sourceOf(coord, i, scale, row.length, outLen)), 0), row.length - 1);
    return row[src] ?? NaN;
  });
}

describe('Resize (nearest)', () => {
  beforeAll(useCpu);

  const row = (n: number): number[] => Array.from({ length: n }, (_, i) => 10 * (i + 1));
  /** Resize at opset 13 of a [1, n] row by a scale on the last axis. */
  const byScale = (n: number, scale: number, attrs: NodeSpec['attrs'] = []): NodeSpec => ({
    op: 'Resize',
    inputs: [feed(row(n), [1, n]), null, init([1, scale], [2], 'float32')],
    attrs,
  });
  /** Resize at opset 13 of a [1, n] row to `outLen` values (sizes input). */
  const bySize = (n: number, outLen: number, attrs: NodeSpec['attrs'] = []): NodeSpec => ({
    op: 'Resize',
    inputs: [feed(row(n), [1, n]), null, null, init([1, outLen], [2])],
    attrs,
  });
  const modes = (coord: string, nearest?: string): NonNullable<NodeSpec['attrs']> => [
    at.string('coordinate_transformation_mode', coord),
    ...(nearest === undefined ? [] : [at.string('nearest_mode', nearest)]),
  ];

  async function expectRow(spec: NodeSpec, expected: number[]): Promise<void> {
    const out = await runOne(spec);
    expect(out.shape).toEqual([1, expected.length]);
    expect(out.data).toEqual(expected);
  }

  describe('rejects, with a message naming the problem', () => {
    it('a mode other than nearest', async () => {
      expect(await nodeError(byScale(2, 2, [at.string('mode', 'linear')]))).toBe('node "n": mode "linear" is not supported (only nearest)');
      expect(await nodeError(byScale(2, 2, [at.string('mode', 'cubic')]))).toBe('node "n": mode "cubic" is not supported (only nearest)');
    });

    it('an unsupported coordinate_transformation_mode, even where no axis changes', async () => {
      expect(await nodeError(byScale(2, 2, modes('tf_crop_and_resize')))).toBe('node "n": coordinate_transformation_mode "tf_crop_and_resize" is not supported');
      expect(await nodeError(byScale(2, 1, modes('tf_crop_and_resize')))).toBe('node "n": coordinate_transformation_mode "tf_crop_and_resize" is not supported');
    });

    it('an unsupported nearest_mode, even where no axis changes', async () => {
      expect(await nodeError(byScale(2, 2, modes('asymmetric', 'round')))).toBe('node "n": nearest_mode "round" is not supported');
      expect(await nodeError(byScale(2, 1, modes('asymmetric', 'round')))).toBe('node "n": nearest_mode "round" is not supported');
    });

    it('both scales and sizes, or neither', async () => {
      const x = feed(row(2), [1, 2]);
      const scales = init([1, 2], [2], 'float32');
      const sizes = init([1, 4], [2]);
      expect(await nodeError({ op: 'Resize', inputs: [x, null, scales, sizes] })).toBe('node "n": exactly one of scales and sizes must be given');
      expect(await nodeError({ op: 'Resize', inputs: [x, null, null, null] })).toBe('node "n": exactly one of scales and sizes must be given');
      expect(await nodeError({ op: 'Resize', inputs: [x] })).toBe('node "n": exactly one of scales and sizes must be given');
      // Empty tensors count as absent.
      expect(await nodeError({ op: 'Resize', inputs: [x, null, init([], [0], 'float32'), init([], [0])] })).toBe(
        'node "n": exactly one of scales and sizes must be given',
      );
    });

    it('scales or sizes whose length is not the number of axes', async () => {
      const x = feed(row(2), [1, 2]);
      expect(await nodeError({ op: 'Resize', inputs: [x, null, init([1, 2, 2], [3], 'float32')] })).toBe('node "n": scales has 3 values for 2 axes');
      expect(await nodeError({ op: 'Resize', inputs: [x, null, null, init([4], [1])] })).toBe('node "n": sizes has 1 values for 2 axes');
      expect(await nodeError({ op: 'Resize', inputs: [x, null, init([1, 2], [2], 'float32')], attrs: [at.ints('axes', [1])], opset: 18 })).toBe(
        'node "n": scales has 2 values for 1 axes',
      );
    });

    it.each([0, -2, Infinity, NaN])('a scale of %s', async (scale) => {
      expect(await nodeError(byScale(2, scale))).toBe(`node "n": scale ${scale} must be positive`);
    });

    it('an unsupported keep_aspect_ratio_policy', async () => {
      expect(await nodeError(bySize(2, 4, [at.string('keep_aspect_ratio_policy', 'fit')]))).toBe('node "n": keep_aspect_ratio_policy "fit" is not supported');
    });
  });

  describe('picks source pixels as the ONNX spec defines', () => {
    it('half_pixel with round_prefer_floor by default', async () => {
      await expectRow(byScale(3, 2), refRow(row(3), 6, 2));
      await expectRow(byScale(4, 0.75), refRow(row(4), 3, 0.75));
    });

    it('pytorch_half_pixel reads pixel 0 for an output of length 1 (half_pixel would not)', async () => {
      const expected = refRow(row(4), 1, 0.25, 'pytorch_half_pixel');
      expect(expected).toEqual([10]);
      expect(refRow(row(4), 1, 0.25)).not.toEqual(expected);
      await expectRow(bySize(4, 1, modes('pytorch_half_pixel')), expected);
    });

    it('pytorch_half_pixel equals half_pixel for longer outputs', async () => {
      await expectRow(byScale(4, 0.5, modes('pytorch_half_pixel')), refRow(row(4), 2, 0.5, 'pytorch_half_pixel'));
      await expectRow(byScale(3, 2, modes('pytorch_half_pixel')), refRow(row(3), 6, 2, 'pytorch_half_pixel'));
    });

    it('tf_half_pixel_for_nn shifts by half a pixel without the −0.5 (clamped at the end)', async () => {
      const expected = refRow(row(3), 6, 2, 'tf_half_pixel_for_nn');
      expect(expected).not.toEqual(refRow(row(3), 6, 2));
      await expectRow(byScale(3, 2, modes('tf_half_pixel_for_nn')), expected);
    });

    it('half_pixel_symmetric centres the output when in·scale is not an integer', async () => {
      const expected = refRow(row(4), 2, 0.6, 'half_pixel_symmetric');
      expect(expected).not.toEqual(refRow(row(4), 2, 0.6));
      await expectRow(byScale(4, 0.6, modes('half_pixel_symmetric')), expected);
      await expectRow(byScale(3, 2.5, modes('half_pixel_symmetric')), refRow(row(3), 7, 2.5, 'half_pixel_symmetric'));
    });

    it('align_corners maps the end pixels onto each other, and length 1 onto pixel 0', async () => {
      await expectRow(bySize(3, 5, modes('align_corners')), refRow(row(3), 5, 5 / 3, 'align_corners'));
      await expectRow(bySize(5, 3, modes('align_corners')), refRow(row(5), 3, 3 / 5, 'align_corners'));
      const one = refRow(row(4), 1, 0.25, 'align_corners');
      expect(one).toEqual([10]);
      await expectRow(bySize(4, 1, modes('align_corners')), one);
    });

    it('asymmetric divides the output index by the scale', async () => {
      const expected = refRow(row(2), 3, 1.5, 'asymmetric');
      expect(expected).not.toEqual(refRow(row(2), 3, 1.5));
      await expectRow(byScale(2, 1.5, modes('asymmetric')), expected);
    });

    it('round_prefer_floor and round_prefer_ceil differ on exact halves', async () => {
      // asymmetric ×2 reads 0, 0.5, 1, 1.5, 2, 2.5.
      const floor = refRow(row(3), 6, 2, 'asymmetric', 'round_prefer_floor');
      const ceil = refRow(row(3), 6, 2, 'asymmetric', 'round_prefer_ceil');
      expect(floor).toEqual([10, 10, 20, 20, 30, 30]);
      expect(ceil).toEqual([10, 20, 20, 30, 30, 30]);
      await expectRow(byScale(3, 2, modes('asymmetric', 'round_prefer_floor')), floor);
      await expectRow(byScale(3, 2, modes('asymmetric', 'round_prefer_ceil')), ceil);
    });

    it('round_prefer_floor and round_prefer_ceil round non-halves to the nearest pixel', async () => {
      // asymmetric ×0.75 reads 0, 1.33, 2.67.
      await expectRow(byScale(4, 0.75, modes('asymmetric', 'round_prefer_floor')), [10, 20, 40]);
      await expectRow(byScale(4, 0.75, modes('asymmetric', 'round_prefer_ceil')), [10, 20, 40]);
    });

    it('floor and ceil round down and up', async () => {
      expect(refRow(row(4), 3, 0.75, 'asymmetric', 'floor')).toEqual([10, 20, 30]);
      expect(refRow(row(4), 3, 0.75, 'asymmetric', 'ceil')).toEqual([10, 30, 40]);
      await expectRow(byScale(4, 0.75, modes('asymmetric', 'floor')), [10, 20, 30]);
      await expectRow(byScale(4, 0.75, modes('asymmetric', 'ceil')), [10, 30, 40]);
    });

    it('clamps source indices below 0 and past the end', async () => {
      // half_pixel ×2 reads −0.25 first: floor gives −1 → pixel 0.
      await expectRow(byScale(2, 2, modes('half_pixel', 'floor')), refRow(row(2), 4, 2, 'half_pixel', 'floor'));
      // tf_half_pixel_for_nn ×2 reads 2.75 last: ceil gives 3 → pixel 2.
      await expectRow(byScale(3, 2, modes('tf_half_pixel_for_nn', 'ceil')), refRow(row(3), 6, 2, 'tf_half_pixel_for_nn', 'ceil'));
    });

    it('moves pixels even when the scale keeps the length', async () => {
      // 4 × 1.1 floors to 4, yet asymmetric + floor reads 0, 0.91, 1.82, 2.73.
      await expectRow(byScale(4, 1.1, modes('asymmetric', 'floor')), [10, 10, 20, 30]);
    });

    it('rejects non-integer sizes', async () => {
      expect(await nodeError({ op: 'Resize', inputs: [feed(row(2), [1, 2]), null, null, init([1, 4.5], [2], 'float32')] })).toBe(
        'node "n": sizes input holds a non-integer value 4.5',
      );
    });

    it('resizes every axis with its own scale', async () => {
      const x = [1, 2, 3, 4, 5, 6];
      // [2, 3] → [4, 2]: rows ×2 (asymmetric: 0, 0, 1, 1), columns ×0.7 (0, 1.43 → floor 0, 1).
      const out = await runOne({
        op: 'Resize',
        inputs: [feed(x, [2, 3]), null, init([2, 0.7], [2], 'float32')],
        attrs: modes('asymmetric', 'floor'),
      });
      expect(out.shape).toEqual([4, 2]);
      expect(out.data).toEqual([1, 2, 1, 2, 4, 5, 4, 5]);
    });

    it('takes an empty scales input together with sizes (as exporters write it)', async () => {
      await expectRow({ op: 'Resize', inputs: [feed(row(2), [1, 2]), init([], [0], 'float32'), init([], [0], 'float32'), init([1, 4], [2])] }, refRow(row(2), 4, 2));
    });

    it('keeps float roi and scales initializers as host constants, not trainable variables', async () => {
      // They feed only host inputs (indices 1 and 2).
      const spec: NodeSpec = { op: 'Resize', inputs: [feed(row(2), [1, 2]), init([], [0], 'float32'), init([1, 2], [2], 'float32')] };
      const model = await importOnnx(oneNodeModel(spec).bytes);
      expect(model.variables.size).toBe(0);
      model.dispose();
      await expectRow(spec, refRow(row(2), 4, 2));
    });

    it('resizes only the listed axes (opset 18 axes attribute)', async () => {
      await expectRow(
        { op: 'Resize', inputs: [feed(row(3), [1, 3]), null, init([2], [1], 'float32')], attrs: [at.ints('axes', [-1]), ...modes('asymmetric', 'floor')], opset: 18 },
        refRow(row(3), 6, 2, 'asymmetric', 'floor'),
      );
    });

    it('at opset 11 reads scales from input 2 (after roi)', async () => {
      await expectRow(
        { op: 'Resize', inputs: [feed(row(3), [1, 3]), null, init([1, 2], [2], 'float32')], attrs: modes('asymmetric', 'round_prefer_ceil'), opset: 11 },
        refRow(row(3), 6, 2, 'asymmetric', 'round_prefer_ceil'),
      );
    });

    it('at opset 10 reads scales from input 1 and uses asymmetric + floor, ignoring mode attributes', async () => {
      // ×1.75 on 4 pixels tells asymmetric + floor from half_pixel and from round_prefer_floor.
      const expected = refRow(row(4), 7, 1.75, 'asymmetric', 'floor');
      expect(expected).not.toEqual(refRow(row(4), 7, 1.75));
      expect(expected).not.toEqual(refRow(row(4), 7, 1.75, 'asymmetric'));
      expect(expected).not.toEqual(refRow(row(4), 7, 1.75, 'half_pixel', 'floor'));
      await expectRow({ op: 'Resize', inputs: [feed(row(4), [1, 4]), init([1, 1.75], [2], 'float32')], opset: 10 }, expected);
      await expectRow(
        { op: 'Resize', inputs: [feed(row(4), [1, 4]), init([1, 1.75], [2], 'float32')], attrs: modes('half_pixel', 'ceil'), opset: 10 },
        expected,
      );
      expect(await nodeError({ op: 'Resize', inputs: [feed(row(4), [1, 4]), init([1, 1.75], [2], 'float32')], attrs: [at.string('mode', 'linear')], opset: 10 })).toBe(
        'node "n": mode "linear" is not supported (only nearest)',
      );
    });
  });
});

describe('Upsample (nearest, asymmetric + floor)', () => {
  beforeAll(useCpu);

  const row = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

  it('at opset 7 takes scales from its attribute', async () => {
    // ×1.75 on 4 pixels: asymmetric + floor differs from half_pixel + round (index 5).
    const expected = refRow(row(4), 7, 1.75, 'asymmetric', 'floor');
    expect(expected).not.toEqual(refRow(row(4), 7, 1.75));
    const out = await runOne({ op: 'Upsample', inputs: [feed(row(4), [1, 4])], attrs: [at.floats('scales', [1, 1.75])], opset: 7 });
    expect(out.shape).toEqual([1, 7]);
    expect(out.data).toEqual(expected);
  });

  it('at opset 9 takes scales from input 1 (a host constant)', async () => {
    const spec: NodeSpec = { op: 'Upsample', inputs: [feed(row(4), [2, 2]), init([2, 1.5], [2], 'float32')], opset: 9 };
    const model = await importOnnx(oneNodeModel(spec).bytes);
    expect(model.variables.size).toBe(0);
    model.dispose();
    const out = await runOne(spec);
    // Rows ×2 (0, 0, 1, 1), columns ×1.5 (0, 0.67, 1.33 → 0, 0, 1).
    expect(out.shape).toEqual([4, 3]);
    expect(out.data).toEqual([1, 1, 2, 1, 1, 2, 3, 3, 4, 3, 3, 4]);
  });

  it('rejects modes other than nearest and a missing scales', async () => {
    expect(await nodeError({ op: 'Upsample', inputs: [feed(row(4), [1, 4])], attrs: [at.floats('scales', [1, 2]), at.string('mode', 'linear')], opset: 7 })).toBe(
      'node "n": mode "linear" is not supported (only nearest)',
    );
    expect(await nodeError({ op: 'Upsample', inputs: [feed(row(4), [1, 4])], opset: 9 })).toBe('node "n": exactly one of scales and sizes must be given');
  });
});
