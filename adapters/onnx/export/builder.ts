import type { AttributeProto, NodeProto, TensorProto, ValueInfoProto } from '../proto.js';
import type { HostTensor } from '../tensorData.js';

/** ONNX `TensorProto.DataType` codes the exporter writes. */
export const ElemType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9, DOUBLE: 11 } as const;

const hostCodes: Record<HostTensor['dtype'], number> = {
  float32: ElemType.FLOAT,
  float64: ElemType.DOUBLE,
  int32: ElemType.INT32,
  int64: ElemType.INT64,
  bool: ElemType.BOOL,
  uint8: ElemType.UINT8,
  int8: ElemType.INT8,
};

// protobufjs encodes every own property, so messages carry only the fields that mean something
// (a present-but-empty raw_data would make onnxruntime ignore float_data).
type Partial2<T> = { [K in keyof T]?: T[K] };

/** A float32 tensor stored as little-endian raw bytes. */
export function floatTensor(name: string, dims: readonly number[], data: ArrayLike<number>): TensorProto {
  const f32 = data instanceof Float32Array ? data : Float32Array.from(data);
  const raw = new Uint8Array(f32.byteLength);
  const view = new DataView(raw.buffer);
  f32.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return { name, dims: [...dims], dataType: ElemType.FLOAT, rawData: raw } as Partial2<TensorProto> as TensorProto;
}

/** A tensor of any host dtype (int64 and bool in their typed fields, floats as raw bytes). */
export function hostTensor(name: string, t: HostTensor): TensorProto {
  const dims = [...t.dims];
  const values = Array.from(t.data);
  switch (t.dtype) {
    case 'float32':
      return floatTensor(name, dims, values);
    case 'float64':
      return { name, dims, dataType: ElemType.DOUBLE, doubleData: values } as Partial2<TensorProto> as TensorProto;
    case 'int64':
      return { name, dims, dataType: ElemType.INT64, int64Data: values } as Partial2<TensorProto> as TensorProto;
    default:
      // int32, bool, uint8, int8 all live in int32_data.
      return { name, dims, dataType: hostCodes[t.dtype], int32Data: values } as Partial2<TensorProto> as TensorProto;
  }
}

/** Copies a decoded TensorProto keeping only its meaningful fields (inline data only). */
export function cleanTensor(t: TensorProto): TensorProto {
  const out: Partial2<TensorProto> = { dims: [...t.dims], dataType: t.dataType };
  if (t.name) out.name = t.name;
  if (t.rawData.length > 0) out.rawData = t.rawData;
  else if (t.floatData.length > 0) out.floatData = t.floatData;
  else if (t.int32Data.length > 0) out.int32Data = t.int32Data;
  else if (t.int64Data.length > 0) out.int64Data = t.int64Data;
  else if (t.doubleData.length > 0) out.doubleData = t.doubleData;
  else if (t.uint64Data.length > 0) out.uint64Data = t.uint64Data;
  if (t.externalData.length > 0) throw new Error(`tensor "${t.name}" uses external data, which exportOnnx cannot inline`);
  return out as TensorProto;
}

/** Copies a decoded AttributeProto keeping only the value field its `type` names. */
export function cleanAttribute(a: AttributeProto): AttributeProto {
  const out: Partial2<AttributeProto> = { name: a.name, type: a.type };
  switch (a.type) {
    case 1: out.f = a.f; break;
    case 2: out.i = a.i; break;
    case 3: out.s = a.s; break;
    case 4: if (a.t) out.t = cleanTensor(a.t); break;
    case 6: out.floats = a.floats; break;
    case 7: out.ints = a.ints; break;
    case 8: out.strings = a.strings; break;
    case 9: out.tensors = a.tensors.map(cleanTensor); break;
    default: throw new Error(`attribute "${a.name}" has type ${a.type}, which exportOnnx cannot copy`);
  }
  return out as AttributeProto;
}

/** Attribute constructors. */
export const attr = {
  int: (name: string, i: number): AttributeProto => ({ name, type: 2, i }) as Partial2<AttributeProto> as AttributeProto,
  float: (name: string, f: number): AttributeProto => ({ name, type: 1, f }) as Partial2<AttributeProto> as AttributeProto,
  ints: (name: string, ints: number[]): AttributeProto => ({ name, type: 7, ints }) as Partial2<AttributeProto> as AttributeProto,
};

/** A graph input/output declaration; `null` dims are the symbolic batch. */
export function valueInfo(name: string, elemType: number, dims: readonly (number | null)[]): ValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (d === null ? { dimParam: 'batch' } : { dimValue: d })) } } },
  } as unknown as ValueInfoProto;
}

/**
 * Collects nodes and initializers of one graph, hands out unique value names, and writes the
 * few opset-dependent ops (Unsqueeze/Squeeze/ReduceSum take axes as an attribute before 13).
 */
export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  readonly #names = new Set<string>();

  constructor(readonly opset: number) {}

  /** Claims `name` exactly (graph inputs, inlined values); throws on a clash. */
  claim(name: string): string {
    if (this.#names.has(name)) throw new Error(`exportOnnx: value name "${name}" is used twice`);
    this.#names.add(name);
    return name;
  }

  /** A new value name starting with `base`. */
  fresh(base: string): string {
    let name = base;
    for (let k = 1; this.#names.has(name); k++) name = `${base}_${k}`;
    this.#names.add(name);
    return name;
  }

  /** Adds an initializer under its own (already claimed) name. */
  initializer(t: TensorProto): string {
    this.initializers.push(t);
    return t.name;
  }

  floatConst(base: string, dims: readonly number[], data: ArrayLike<number>): string {
    return this.initializer(floatTensor(this.fresh(base), dims, data));
  }

  int64Const(base: string, dims: readonly number[], data: readonly number[]): string {
    return this.initializer(hostTensor(this.fresh(base), { kind: 'host', dtype: 'int64', dims, data }));
  }

  /** Adds a node with one output and returns the output's name. */
  op(opType: string, inputs: readonly string[], attributes: AttributeProto[] = [], output?: string): string {
    const out = output ?? this.fresh(`${opType.toLowerCase()}`);
    this.nodes.push({ name: `${out}/${opType}`, opType, domain: '', input: [...inputs], output: [out], attribute: attributes } as Partial2<NodeProto> as NodeProto);
    return out;
  }

  /** Adds a node as read from a file (already renamed). */
  raw(node: NodeProto): void {
    this.nodes.push(node);
  }

  unsqueeze(x: string, axes: number[]): string {
    return this.opset >= 13 ? this.op('Unsqueeze', [x, this.int64Const('axes', [axes.length], axes)]) : this.op('Unsqueeze', [x], [attr.ints('axes', axes)]);
  }

  squeeze(x: string, axes: number[]): string {
    return this.opset >= 13 ? this.op('Squeeze', [x, this.int64Const('axes', [axes.length], axes)]) : this.op('Squeeze', [x], [attr.ints('axes', axes)]);
  }

  reduceSum(x: string, axes: number[], keepdims: boolean): string {
    const keep = attr.int('keepdims', keepdims ? 1 : 0);
    return this.opset >= 13
      ? this.op('ReduceSum', [x, this.int64Const('axes', [axes.length], axes)], [keep])
      : this.op('ReduceSum', [x], [attr.ints('axes', axes), keep]);
  }
}

/** Row-major transpose on the host (kernels are re-laid out once, at export). */
export function transposeHost(data: Float32Array, shape: readonly number[], perm: readonly number[]): { data: Float32Array; shape: number[] } {
  const outShape = perm.map((p) => shape[p] as number);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, d) => a * d, 1));
  const out = new Float32Array(data.length);
  const idx = new Array<number>(outShape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let k = 0; k < perm.length; k++) src += (idx[k] as number) * (strides[perm[k] as number] as number);
    out[o] = data[src] as number;
    for (let k = outShape.length - 1; k >= 0; k--) {
      idx[k] = (idx[k] as number) + 1;
      if ((idx[k] as number) < (outShape[k] as number)) break;
      idx[k] = 0;
    }
  }
  return { data: out, shape: outShape };
}
