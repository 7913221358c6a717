import { beforeAll, describe, expect, it } from 'vitest';
import { useCpu } from '../helpers.js';
import { at, expectClose, feed, init, nodeError, runOne } from './oneNode.js';

// What the ONNX conformance subset does not reach in adapters/onnx/ops/math.ts: integer shape
// arithmetic on the host, the refusals, and Gemm/MatMul/Clip corners. References are written
// out by hand from the ONNX operator definitions.
describe('ONNX arithmetic ops (adapters/onnx/ops/math.ts)', () => {
  beforeAll(useCpu);

  it('folds integer arithmetic of initializers on the host, broadcasting numpy-style', async () => {
    const a = init([1, 2], [2, 1]);
    const b = init([10, 20, 30], [3]);
    expect(await runOne({ op: 'Add', inputs: [a, b] })).toEqual({ shape: [2, 3], dtype: 'int32', data: [11, 21, 31, 12, 22, 32] });
    expect((await runOne({ op: 'Sub', inputs: [a, b] })).data).toEqual([-9, -19, -29, -8, -18, -28]);
    expect((await runOne({ op: 'Mul', inputs: [a, b] })).data).toEqual([10, 20, 30, 20, 40, 60]);
    // The leading operand broadcasts too.
    expect((await runOne({ op: 'Sub', inputs: [init([100], [1]), init([1, 2, 3], [3])] })).data).toEqual([99, 98, 97]);
  });

  it('divides integers by truncation toward zero, and a division by zero gives 0', async () => {
    const out = await runOne({ op: 'Div', inputs: [init([7, -7, 6, 5], [4]), init([2, 2, -4, 0], [4])] });
    expect(out).toEqual({ shape: [4], dtype: 'int32', data: [3, -3, -1, 0] });
  });

  it('divides floats exactly (no truncation outside the host integer path)', async () => {
    expectClose((await runOne({ op: 'Div', inputs: [feed([7, -7], [2]), feed([2, 2], [2])] })).data, [3.5, -3.5]);
  });

  it('refuses shapes that do not broadcast and mixed dtypes, naming both', async () => {
    expect(await nodeError({ op: 'Add', inputs: [feed([1, 2, 3, 4, 5, 6], [2, 3]), feed([1, 2, 3, 4], [4])] })).toBe('node "n": shapes [2, 3] and [4] do not broadcast');
    expect(await nodeError({ op: 'Mul', inputs: [init([1, 2], [2]), init([1, 2, 3], [3])] })).toBe('node "n": shapes [2] and [3] do not broadcast');
    expect(await nodeError({ op: 'Add', inputs: [feed([1, 2], [2]), feed([1, 2], [2], 'int32')] })).toBe('node "n": input dtypes differ (float32 vs int64)');
  });

  it('Gemm: refuses non-matrices and mismatched inner dimensions', async () => {
    expect(await nodeError({ op: 'Gemm', inputs: [feed([1, 2, 3], [3]), feed([1], [1, 1])] })).toBe('node "n": Gemm needs 2-D A and B, got [3] and [1, 1]');
    expect(await nodeError({ op: 'Gemm', inputs: [feed([1, 2], [1, 2]), feed([1, 2, 3], [1, 3])] })).toBe('node "n": Gemm inner dimensions differ: A [1, 2], B [1, 3]');
    // With transB the inner dimension of B is its second.
    expect(await nodeError({ op: 'Gemm', inputs: [feed([1, 2], [1, 2]), feed([1, 2, 3], [1, 3])], attrs: [at.int('transB', 1)] })).toBe('node "n": Gemm inner dimensions differ: A [1, 2], B [1, 3]');
    expect(await nodeError({ op: 'Gemm', inputs: [feed([1, 2, 3, 4], [2, 2]), feed([1, 2, 3, 4], [2, 2]), feed([1, 2, 3], [3])] })).toBe('node "n": shapes [2, 2] and [3] do not broadcast');
  });

  it('names a required input the node leaves out', async () => {
    expect(await nodeError({ op: 'Gemm', inputs: [feed([1, 2], [1, 2]), null] })).toBe('node "n": missing required input 1');
  });

  it('Gemm: alpha scales A·B, beta scales C, and beta = 0 ignores C', async () => {
    const a = feed([1, 2, 3, 4], [2, 2]);
    const b = feed([5, 6, 7, 8], [2, 2]);
    const c = feed([1, -1], [2]);
    // A·B = [[19, 22], [43, 50]].
    expectClose((await runOne({ op: 'Gemm', inputs: [a, b, c], attrs: [at.float('alpha', 0.5), at.float('beta', 2)] })).data, [9.5 + 2, 11 - 2, 21.5 + 2, 25 - 2]);
    expectClose((await runOne({ op: 'Gemm', inputs: [a, b, c], attrs: [at.float('beta', 0)] })).data, [19, 22, 43, 50]);
    expectClose((await runOne({ op: 'Gemm', inputs: [a, b, c] })).data, [20, 21, 44, 49]);
    // transA: Aᵀ·B = [[1·5+3·7, 1·6+3·8], [2·5+4·7, 2·6+4·8]].
    expectClose((await runOne({ op: 'Gemm', inputs: [a, b], attrs: [at.int('transA', 1)] })).data, [26, 30, 38, 44]);
  });

  it('MatMul: refuses scalars and mismatched inner dimensions; broadcasts batch dims', async () => {
    expect(await nodeError({ op: 'MatMul', inputs: [feed([2], []), feed([1, 2], [1, 2])] })).toBe('node "n": MatMul of scalars');
    expect(await nodeError({ op: 'MatMul', inputs: [feed([1, 2, 3, 4, 5, 6], [2, 3]), feed([1, 2, 3, 4], [2, 2])] })).toBe('node "n": MatMul inner dimensions differ: [2, 3] x [2, 2]');
    expect(await nodeError({ op: 'MatMul', inputs: [feed(Array(12).fill(1), [3, 2, 2]), feed(Array(8).fill(1), [2, 2, 2])] })).toBe('node "n": shapes [3] and [2] do not broadcast');
    // [2,1,1,2] x [3,2,1]: batch dims [2,1] and [3] broadcast to [2,3]; each product is a row · a column.
    const out = await runOne({ op: 'MatMul', inputs: [feed([1, 2, 3, 4], [2, 1, 1, 2]), feed([1, 0, 0, 1, 1, 1], [3, 2, 1])] });
    expect(out.shape).toEqual([2, 3, 1, 1]);
    expectClose(out.data, [1, 2, 3, 3, 4, 7]);
    // A vector on the right: [2,2] x [2] → [2].
    const mv = await runOne({ op: 'MatMul', inputs: [feed([1, 2, 3, 4], [2, 2]), feed([1, 1], [2])] });
    expect(mv.shape).toEqual([2]);
    expectClose(mv.data, [3, 7]);
  });

  it('Clip: min and max attributes before opset 11, inputs from 11 (host constants or tensors, either omitted)', async () => {
    const x = feed([-3, -1, 0, 2, 5], [5]);
    expectClose((await runOne({ op: 'Clip', opset: 7, inputs: [x], attrs: [at.float('min', -1.5), at.float('max', 1)] })).data, [-1.5, -1, 0, 1, 1]);
    expectClose((await runOne({ op: 'Clip', opset: 7, inputs: [x], attrs: [at.float('max', 1)] })).data, [-3, -1, 0, 1, 1]);
    expectClose((await runOne({ op: 'Clip', opset: 7, inputs: [x], attrs: [at.float('min', 0)] })).data, [0, 0, 0, 2, 5]);
    expectClose((await runOne({ op: 'Clip', inputs: [x, null, feed([2], [])] })).data, [-3, -1, 0, 2, 2]);
    expectClose((await runOne({ op: 'Clip', inputs: [x, feed([-2], []), null] })).data, [-2, -1, 0, 2, 5]);
    expectClose((await runOne({ op: 'Clip', inputs: [x, init([-1], [], 'float32'), init([3], [], 'float32')] })).data, [-1, -1, 0, 2, 3]);
  });
});
