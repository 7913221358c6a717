import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { encodeModel, importOnnx, OnnxImportError } from '../../../../adapters/onnx/index.js';
import type { ModelProto, TensorProto } from '../../../../adapters/onnx/index.js';
import type { AttributeProto } from '../../../../adapters/onnx/proto.js';
import { attr, ElemType, hostTensor, valueInfo } from '../../../../adapters/onnx/export/builder.js';
import type { HostTensor } from '../../../../adapters/onnx/index.js';

/*
 * One-node ONNX models for op-level specifications: every input is either a graph input fed at
 * run time (a tfjs tensor inside the op) or an initializer (float ones become variables; integer
 * and bool ones stay host values, as shape inputs do in exported files).
 */

/** A graph input, fed as a tfjs tensor when the model runs. */
export interface Feed {
  readonly feed: readonly number[];
  readonly shape: readonly number[];
  readonly dtype?: 'float32' | 'int32' | 'bool';
}

/** An initializer stored in the file. */
export interface Init {
  readonly init: readonly number[];
  readonly shape: readonly number[];
  readonly dtype: HostTensor['dtype'];
}

/** A one-node model: `null` inputs are omitted optional inputs (an empty name). */
export interface NodeSpec {
  readonly op: string;
  readonly inputs: readonly (Feed | Init | null)[];
  readonly attrs?: readonly AttributeProto[];
  /** Default-domain opset (default 13). */
  readonly opset?: number;
  readonly outputs?: number;
}

/** Attribute constructors: the exporter's `attr` (int, float, ints) and the kinds it never writes. */
export const at = {
  ...attr,
  floats: (name: string, floats: number[]): AttributeProto => ({ name, type: 6, floats }) as unknown as AttributeProto,
  string: (name: string, s: string): AttributeProto => ({ name, type: 3, s: new TextEncoder().encode(s) }) as unknown as AttributeProto,
  tensor: (name: string, t: HostTensor): AttributeProto => ({ name, type: 4, t: hostTensor('', t) }) as unknown as AttributeProto,
};

export const feed = (data: readonly number[], shape: readonly number[], dtype: Feed['dtype'] = 'float32'): Feed => ({ feed: data, shape, dtype });
export const init = (data: readonly number[], shape: readonly number[], dtype: HostTensor['dtype'] = 'int64'): Init => ({ init: data, shape, dtype });

const FEED_TYPES = { float32: ElemType.FLOAT, int32: ElemType.INT32, bool: ElemType.BOOL } as const;

/** The node is named `n`, so its errors read `node "n": …`. */
export function oneNodeModel(spec: NodeSpec): { bytes: Uint8Array; feeds: () => Record<string, tf.Tensor> } {
  const inputs: ReturnType<typeof valueInfo>[] = [];
  const initializers: TensorProto[] = [];
  const names = spec.inputs.map((v, i) => {
    if (v === null) return '';
    const name = `in${i}`;
    if ('feed' in v) inputs.push(valueInfo(name, FEED_TYPES[v.dtype ?? 'float32'], v.shape));
    else initializers.push(hostTensor(name, { kind: 'host', dtype: v.dtype, dims: [...v.shape], data: [...v.init] }));
    return name;
  });
  const outputs = Array.from({ length: spec.outputs ?? 1 }, (_, i) => `out${i}`);
  const model = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: spec.opset ?? 13 }],
    graph: {
      name: 'one_node',
      node: [{ name: 'n', opType: spec.op, domain: '', input: names, output: outputs, attribute: [...(spec.attrs ?? [])] }],
      initializer: initializers,
      input: inputs,
      output: outputs.map((o) => ({ name: o })),
    },
  } as unknown as ModelProto;
  const feeds = (): Record<string, tf.Tensor> =>
    Object.fromEntries(spec.inputs.flatMap((v, i) => (v !== null && 'feed' in v ? [[`in${i}`, tf.tensor([...v.feed], [...v.shape], v.dtype ?? 'float32')]] : [])));
  return { bytes: encodeModel(model), feeds };
}

/** A result read back: shape, dtype and values. */
export interface Out {
  readonly shape: number[];
  readonly dtype: string;
  readonly data: number[];
}

/** Imports and runs the node; returns its outputs and checks that no tensor leaked. */
export async function runNode(spec: NodeSpec, options: { training?: boolean } = {}): Promise<Out[]> {
  const { bytes, feeds } = oneNodeModel(spec);
  const model = await importOnnx(bytes);
  const before = tf.memory().numTensors;
  const fed = feeds();
  const out = model.run(fed, { training: options.training ?? false });
  const read = model.outputNames.map((name) => {
    const t = out[name] as tf.Tensor;
    return { shape: t.shape, dtype: t.dtype, data: Array.from(t.dataSync()) };
  });
  tf.dispose([...Object.values(out), ...Object.values(fed)]);
  expect(tf.memory().numTensors).toBe(before);
  model.dispose();
  return read;
}

/** The first output of {@link runNode}. */
export async function runOne(spec: NodeSpec, options: { training?: boolean } = {}): Promise<Out> {
  return (await runNode(spec, options))[0] as Out;
}

/** The OnnxImportError message importing or running the node throws (fails if none is thrown). */
export async function nodeError(spec: NodeSpec): Promise<string> {
  const { bytes, feeds } = oneNodeModel(spec);
  const before = tf.memory().numTensors;
  let model: Awaited<ReturnType<typeof importOnnx>> | undefined;
  const fed = feeds();
  try {
    model = await importOnnx(bytes);
    tf.dispose(Object.values(model.run(fed)));
  } catch (e) {
    expect(e).toBeInstanceOf(OnnxImportError);
    return (e as Error).message;
  } finally {
    tf.dispose(Object.values(fed));
    model?.dispose();
    expect(tf.memory().numTensors).toBe(before);
  }
  throw new Error(`${spec.op}: expected an OnnxImportError`);
}

/** Element-wise closeness of float results to an independent reference. */
export function expectClose(actual: readonly number[], expected: readonly number[], tolerance = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => expect(Math.abs(a - (expected[i] as number)), `index ${i}: ${a} vs ${expected[i]}`).toBeLessThanOrEqual(tolerance));
}
