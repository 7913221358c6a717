import { beforeAll, describe, expect, it } from 'vitest';
import { useCpu } from '../helpers.js';
import { at, expectClose, feed, init, nodeError, runOne } from './oneNode.js';

const X23 = feed([1, 2, 3, 4, 5, 6], [2, 3]);

// What the ONNX conformance subset does not reach in adapters/onnx/ops/shape.ts: the refusals
// (exact messages), the host (integer) paths exported shape arithmetic takes, and the attribute
// forms of older opsets. Expected values are worked out by hand from the operator definitions.
describe('ONNX shape ops (adapters/onnx/ops/shape.ts)', () => {
  beforeAll(useCpu);

  it('Reshape refuses two -1s, a 0 past the input rank, negative entries and sizes that do not match', async () => {
    const reshape = (shape: number[], attrs = [] as ReturnType<typeof at.int>[]) => nodeError({ op: 'Reshape', inputs: [X23, init(shape, [shape.length])], attrs });
    expect(await reshape([-1, -1])).toBe('node "n": shape [-1, -1] has more than one -1');
    expect(await reshape([0, 0, 0])).toBe('node "n": shape [0, 0, 0] copies missing dim 2');
    expect(await reshape([-2, 3])).toBe('node "n": shape [-2, 3] has invalid entry -2');
    expect(await reshape([-1, 4])).toBe('node "n": cannot reshape [2, 3] to [-1, 4]');
    expect(await reshape([0, -1], [at.int('allowzero', 1)])).toBe('node "n": cannot reshape [2, 3] to [0, -1]');
    expect(await reshape([4, 2])).toBe('node "n": cannot reshape [2, 3] (6 values) to [4, 2]');
  });

  it('Reshape copies a 0 from the input unless allowzero, and infers one -1', async () => {
    expect((await runOne({ op: 'Reshape', inputs: [X23, init([0, -1], [2])] })).shape).toEqual([2, 3]);
    expect((await runOne({ op: 'Reshape', inputs: [X23, init([3, -1], [2])] })).shape).toEqual([3, 2]);
    expect((await runOne({ op: 'Reshape', inputs: [feed([], [0, 3]), init([0, 3], [2])], attrs: [at.int('allowzero', 1)] })).shape).toEqual([0, 3]);
    // An integer tensor reshapes on the host.
    expect(await runOne({ op: 'Reshape', inputs: [init([1, 2, 3, 4], [4]), init([2, -1], [2])] })).toEqual({ shape: [2, 2], dtype: 'int32', data: [1, 2, 3, 4] });
  });

  it('Flatten keeps the rows before the axis (negative counts from the end; axis = rank gives one column) and refuses axes out of range', async () => {
    const x = feed(Array.from({ length: 24 }, (_, i) => i), [2, 3, 4]);
    expect((await runOne({ op: 'Flatten', inputs: [x], attrs: [at.int('axis', 3)] })).shape).toEqual([24, 1]);
    expect((await runOne({ op: 'Flatten', inputs: [x], attrs: [at.int('axis', -3)] })).shape).toEqual([1, 24]);
    expect(await runOne({ op: 'Flatten', inputs: [init([1, 2, 3, 4], [2, 1, 2])] })).toEqual({ shape: [2, 2], dtype: 'int32', data: [1, 2, 3, 4] });
    expect(await nodeError({ op: 'Flatten', inputs: [X23], attrs: [at.int('axis', 3)] })).toBe('node "n": axis 3 out of range for rank 2');
    expect(await nodeError({ op: 'Flatten', inputs: [X23], attrs: [at.int('axis', -3)] })).toBe('node "n": axis -3 out of range for rank 2');
  });

  it('Concat joins integer initializers on the host along any axis and refuses mismatched shapes', async () => {
    const a = init([1, 2, 3, 4], [2, 2]);
    const b = init([5, 6], [2, 1]);
    expect(await runOne({ op: 'Concat', inputs: [a, b], attrs: [at.int('axis', 1)] })).toEqual({ shape: [2, 3], dtype: 'int32', data: [1, 2, 5, 3, 4, 6] });
    expect(await runOne({ op: 'Concat', inputs: [a, init([7, 8], [1, 2])], attrs: [at.int('axis', -2)] })).toEqual({ shape: [3, 2], dtype: 'int32', data: [1, 2, 3, 4, 7, 8] });
    // A float input sends the whole concatenation through tfjs.
    expectClose((await runOne({ op: 'Concat', inputs: [feed([1, 2], [1, 2]), feed([3, 4], [1, 2])], attrs: [at.int('axis', 0)] })).data, [1, 2, 3, 4]);
    expect(await nodeError({ op: 'Concat', inputs: [null, null] })).toBe('node "n": Concat needs inputs');
    expect(await nodeError({ op: 'Concat', inputs: [X23, feed([1, 2, 3, 4], [2, 2])], attrs: [at.int('axis', 0)] })).toBe('node "n": cannot concatenate shapes [2, 3] and [2, 2] on axis 0');
    expect(await nodeError({ op: 'Concat', inputs: [X23, feed([1, 2, 3], [3])], attrs: [at.int('axis', 0)] })).toBe('node "n": cannot concatenate shapes [2, 3] and [3] on axis 0');
  });

  it('Transpose refuses what is not a permutation of the rank', async () => {
    expect(await nodeError({ op: 'Transpose', inputs: [X23], attrs: [at.ints('perm', [0, 0])] })).toBe('node "n": perm [0, 0] is not a permutation of rank 2');
    expect(await nodeError({ op: 'Transpose', inputs: [X23], attrs: [at.ints('perm', [1, 0, 2])] })).toBe('node "n": perm [1, 0, 2] is not a permutation of rank 2');
    expect(await nodeError({ op: 'Transpose', inputs: [X23], attrs: [at.ints('perm', [2, 1])] })).toBe('node "n": perm [2, 1] is not a permutation of rank 2');
  });

  it('Unsqueeze and Squeeze take axes as an attribute before opset 13 and as an input from 13', async () => {
    expect((await runOne({ op: 'Unsqueeze', opset: 11, inputs: [X23], attrs: [at.ints('axes', [0, -1])] })).shape).toEqual([1, 2, 3, 1]);
    expect(await runOne({ op: 'Unsqueeze', inputs: [init([5, 6], [2]), init([1], [1])] })).toEqual({ shape: [2, 1], dtype: 'int32', data: [5, 6] });
    expect((await runOne({ op: 'Squeeze', opset: 11, inputs: [feed([1, 2], [1, 2, 1])], attrs: [at.ints('axes', [2])] })).shape).toEqual([1, 2]);
    // No axes: every axis of size 1 goes.
    expect((await runOne({ op: 'Squeeze', inputs: [feed([1, 2], [1, 2, 1])] })).shape).toEqual([2]);
    expect(await runOne({ op: 'Squeeze', inputs: [init([7], [1, 1]), init([-1], [1])] })).toEqual({ shape: [1], dtype: 'int32', data: [7] });
  });

  it('Unsqueeze refuses missing and repeated axes; Squeeze refuses an axis whose size is not 1', async () => {
    expect(await nodeError({ op: 'Unsqueeze', inputs: [X23] })).toBe('node "n": Unsqueeze needs axes');
    expect(await nodeError({ op: 'Unsqueeze', inputs: [X23, init([1, -3], [2])] })).toBe('node "n": repeated axes [1, -3]');
    expect(await nodeError({ op: 'Squeeze', inputs: [X23, init([1], [1])] })).toBe('node "n": cannot squeeze axis 1 of size 3');
  });

  it('Constant reads each value attribute kind and refuses anything else, naming it', async () => {
    expect(await runOne({ op: 'Constant', inputs: [], attrs: [at.float('value_float', 1.5)] })).toEqual({ shape: [], dtype: 'float32', data: [1.5] });
    expect(await runOne({ op: 'Constant', inputs: [], attrs: [at.floats('value_floats', [1, 2.5])] })).toEqual({ shape: [2], dtype: 'float32', data: [1, 2.5] });
    expect(await runOne({ op: 'Constant', inputs: [], attrs: [at.int('value_int', 7)] })).toEqual({ shape: [], dtype: 'int32', data: [7] });
    expect(await runOne({ op: 'Constant', inputs: [], attrs: [at.ints('value_ints', [3, 4])] })).toEqual({ shape: [2], dtype: 'int32', data: [3, 4] });
    expect(await runOne({ op: 'Constant', inputs: [], attrs: [at.tensor('value', { kind: 'host', dtype: 'float32', dims: [2], data: [0.5, -1] })] })).toEqual({ shape: [2], dtype: 'float32', data: [0.5, -1] });
    expect(await nodeError({ op: 'Constant', inputs: [] })).toBe('node "n": Constant needs exactly one value attribute');
    expect(await nodeError({ op: 'Constant', inputs: [], attrs: [at.int('value_int', 1), at.float('value_float', 1)] })).toBe('node "n": Constant needs exactly one value attribute');
    expect(await nodeError({ op: 'Constant', inputs: [], attrs: [at.string('value_string', 'x')] })).toBe('node "n": Constant attribute "value_string" (string) is not supported');
    for (const [name, wrong] of [['value', at.int('value', 1)], ['value_float', at.ints('value_float', [1])], ['value_floats', at.float('value_floats', 1)], ['value_int', at.float('value_int', 1)], ['value_ints', at.int('value_ints', 1)]] as const) {
      expect(await nodeError({ op: 'Constant', inputs: [], attrs: [wrong] })).toMatch(new RegExp(`^node "n": Constant attribute "${name}" \\((int|ints|float)\\) is not supported$`));
    }
  });

  it('Gather picks along any axis on the host and refuses indices out of range', async () => {
    const data = init([1, 2, 3, 4, 5, 6], [2, 3]);
    expect(await runOne({ op: 'Gather', inputs: [data, init([2, -3], [2])], attrs: [at.int('axis', 1)] })).toEqual({ shape: [2, 2], dtype: 'int32', data: [3, 1, 6, 4] });
    expect(await runOne({ op: 'Gather', inputs: [data, init([1], [])] })).toEqual({ shape: [3], dtype: 'int32', data: [4, 5, 6] });
    expect(await nodeError({ op: 'Gather', inputs: [X23, init([3], [1])], attrs: [at.int('axis', 1)] })).toBe('node "n": index 3 out of range for axis 1 of size 3');
    expect(await nodeError({ op: 'Gather', inputs: [X23, init([-3], [1])] })).toBe('node "n": index -3 out of range for axis 0 of size 2');
  });

  it('Cast converts on the host (bool: nonzero → 1, integers truncate) and in tfjs, and refuses unknown types', async () => {
    const ints = init([-2, 0, 3], [3]);
    expect(await runOne({ op: 'Cast', inputs: [ints], attrs: [at.int('to', 9)] })).toEqual({ shape: [3], dtype: 'bool', data: [1, 0, 1] });
    expect(await runOne({ op: 'Cast', inputs: [ints], attrs: [at.int('to', 1)] })).toEqual({ shape: [3], dtype: 'float32', data: [-2, 0, 3] });
    expect(await runOne({ op: 'Cast', inputs: [init([-1.5, 2.7], [2], 'float64')], attrs: [at.int('to', 7)] })).toEqual({ shape: [2], dtype: 'int32', data: [-1, 2] });
    // float64 → float32 rounds to the nearest float32.
    expect((await runOne({ op: 'Cast', inputs: [init([0.1], [1], 'float64')], attrs: [at.int('to', 1)] })).data).toEqual([Math.fround(0.1)]);
    const x = feed([-1.5, 0, 2.7], [3]);
    expect(await runOne({ op: 'Cast', inputs: [x], attrs: [at.int('to', 6)] })).toEqual({ shape: [3], dtype: 'int32', data: [-1, 0, 2] });
    expect(await runOne({ op: 'Cast', inputs: [x], attrs: [at.int('to', 9)] })).toEqual({ shape: [3], dtype: 'bool', data: [1, 0, 1] });
    expect(await runOne({ op: 'Cast', inputs: [feed([3, -4], [2], 'int32')], attrs: [at.int('to', 1)] })).toEqual({ shape: [2], dtype: 'float32', data: [3, -4] });
    expect(await runOne({ op: 'Cast', inputs: [feed([3, -4], [2], 'int32')], attrs: [at.int('to', 7)] })).toEqual({ shape: [2], dtype: 'int32', data: [3, -4] });
    expect(await nodeError({ op: 'Cast', inputs: [x], attrs: [at.int('to', 8)] })).toBe('node "n": Cast to data type 8 is not supported');
  });

  it('Pad: reflect mode, negative pads crop, the attribute form before opset 11, and refusals', async () => {
    const x = feed([1, 2, 3], [3]);
    expect((await runOne({ op: 'Pad', inputs: [x, init([2, 1], [2])], attrs: [at.string('mode', 'reflect')] })).data).toEqual([3, 2, 1, 2, 3, 2]);
    expect((await runOne({ op: 'Pad', inputs: [x, init([-1, 2], [2]), init([9], [], 'float32')] })).data).toEqual([2, 3, 9, 9]);
    expect((await runOne({ op: 'Pad', opset: 7, inputs: [x], attrs: [at.ints('pads', [1, 0]), at.float('value', -1)] })).data).toEqual([-1, 1, 2, 3]);
    expect((await runOne({ op: 'Pad', opset: 7, inputs: [x], attrs: [at.ints('pads', [0, 1])] })).data).toEqual([1, 2, 3, 0]);
    expect(await nodeError({ op: 'Pad', inputs: [x, init([1, 1], [2])], attrs: [at.string('mode', 'edge')] })).toBe('node "n": Pad mode "edge" is not supported (constant and reflect are)');
    expect(await nodeError({ op: 'Pad', inputs: [X23, init([1, 1], [2])] })).toBe('node "n": pads [1, 1] needs 4 values');
  });

  it('Identity keeps host values on the host and copies tensors', async () => {
    expect(await runOne({ op: 'Identity', inputs: [init([4, 5], [2])] })).toEqual({ shape: [2], dtype: 'int32', data: [4, 5] });
    expect(await runOne({ op: 'Identity', inputs: [X23] })).toEqual({ shape: [2, 3], dtype: 'float32', data: [1, 2, 3, 4, 5, 6] });
  });
});
