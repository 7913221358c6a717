import { beforeAll, describe, expect, it } from 'vitest';
import { useCpu } from '../helpers.js';
import { importOnnx } from '../../../../adapters/onnx/index.js';
import { at, feed, init, nodeError, oneNodeModel, runOne } from './oneNode.js';
import type { NodeSpec } from './oneNode.js';

/*
 * Resize / Upsample beyond the ONNX conformance cases: every error message, and the coordinate
 * and rounding modes those cases leave out. Expected values come from the ONNX definitions
 * written out below, never from the importer itself.
 */

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
