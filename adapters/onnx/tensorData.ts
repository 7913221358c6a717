import { readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { OnnxImportError } from './errors.js';
import { MAX_DIM, MAX_RANK, MAX_TENSOR_ELEMENTS } from './limits.js';
import type { TensorProto } from './proto.js';

/** ONNX `TensorProto.DataType` codes the importer understands. */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  BOOL: 9,
  DOUBLE: 11,
} as const;

/** Element kinds a host tensor carries; int64/float64 values fit JS numbers for our uses. */
export type HostDType = 'float32' | 'float64' | 'int32' | 'int64' | 'bool' | 'uint8' | 'int8';

/**
 * A tensor kept on the host as plain numbers: initializers before they become variables, and
 * every integer shape computation (Shape → Gather → Concat → Reshape), folded without tfjs.
 */
export interface HostTensor {
  readonly kind: 'host';
  readonly dtype: HostDType;
  readonly dims: readonly number[];
  readonly data: ArrayLike<number>;
}

const dtypeByCode = new Map<number, HostDType>([
  [DataType.FLOAT, 'float32'],
  [DataType.DOUBLE, 'float64'],
  [DataType.INT32, 'int32'],
  [DataType.INT64, 'int64'],
  [DataType.BOOL, 'bool'],
  [DataType.UINT8, 'uint8'],
  [DataType.INT8, 'int8'],
]);

/** Maps an ONNX data type code to a host dtype, or undefined when unsupported. */
export function hostDType(code: number): HostDType | undefined {
  return dtypeByCode.get(code);
}

/** Creates a host tensor. */
export function host(dtype: HostDType, dims: readonly number[], data: ArrayLike<number>): HostTensor {
  return { kind: 'host', dtype, dims, data };
}

/** Whether a dtype holds floating point values (becomes a float32 tfjs tensor). */
export function isFloat(dtype: HostDType): boolean {
  return dtype === 'float32' || dtype === 'float64';
}

/** Validates a shape and returns its element count; refuses negatives, huge dims and overflow. */
export function checkedSize(dims: readonly number[], what: string, node?: string): number {
  if (dims.length > MAX_RANK) throw new OnnxImportError(`${what}: rank ${dims.length} exceeds ${MAX_RANK}`, { node });
  let size = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0 || d > MAX_DIM) {
      throw new OnnxImportError(`${what}: invalid dimension ${d} in shape [${dims.join(', ')}]`, { node });
    }
    size *= d;
    if (size > MAX_TENSOR_ELEMENTS) {
      throw new OnnxImportError(
        `${what}: shape [${dims.join(', ')}] exceeds the ${MAX_TENSOR_ELEMENTS}-element limit`,
        { node },
      );
    }
  }
  return size;
}

const itemSize: Record<HostDType, number> = { float32: 4, float64: 8, int32: 4, int64: 8, bool: 1, uint8: 1, int8: 1 };

function readRaw(bytes: Uint8Array, dtype: HostDType, count: number, what: string): ArrayLike<number> {
  const expected = count * itemSize[dtype];
  if (bytes.length !== expected) {
    throw new OnnxImportError(`${what}: raw_data has ${bytes.length} bytes, shape needs ${expected}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // DataView reads little-endian explicitly, whatever the host's byte order and alignment.
  switch (dtype) {
    case 'float32': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
      return out;
    }
    case 'float64': {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    }
    case 'int32': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(i * 4, true);
      return out;
    }
    case 'int64': {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = Number(view.getBigInt64(i * 8, true));
      return out;
    }
    case 'int8': {
      const out = new Int8Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt8(i);
      return out;
    }
    case 'bool':
    case 'uint8':
      return Uint8Array.from(bytes);
  }
}

function typedField(t: TensorProto, dtype: HostDType): number[] {
  switch (dtype) {
    case 'float32':
      return t.floatData;
    case 'float64':
      return t.doubleData;
    case 'int64':
      return t.int64Data;
    default:
      // int32, bool, int8, uint8 (and float16, unsupported here) all live in int32_data.
      return t.int32Data;
  }
}

/** Where external data may be read from: the folder of the model file, or nowhere. */
export interface ExternalDataContext {
  readonly modelDir: string | undefined;
}

function readExternal(t: TensorProto, byteCount: number, ctx: ExternalDataContext, what: string): Uint8Array {
  const entries = new Map(t.externalData.map((e) => [e.key, e.value]));
  const location = entries.get('location');
  if (location === undefined || location === '') throw new OnnxImportError(`${what}: external data without a location`);
  if (ctx.modelDir === undefined) {
    throw new OnnxImportError(`${what}: external data "${location}" needs the model loaded from a path`);
  }
  if (isAbsolute(location) || location.includes('\0')) {
    throw new OnnxImportError(`${what}: external data path "${location}" must be relative to the model folder`);
  }
  const dir = realpathSync(ctx.modelDir);
  const file = resolve(dir, location);
  const inside = (p: string): boolean => {
    const rel = relative(dir, p);
    return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
  };
  if (!inside(file)) throw new OnnxImportError(`${what}: external data path "${location}" leaves the model folder`);
  let real: string;
  try {
    real = realpathSync(file);
  } catch (e) {
    throw new OnnxImportError(`${what}: external data file "${location}" not found`, { cause: e });
  }
  // A symlink inside the folder may still point outside it.
  if (!inside(real)) throw new OnnxImportError(`${what}: external data path "${location}" leaves the model folder`);
  const offset = Number(entries.get('offset') ?? '0');
  const lengthText = entries.get('length');
  const length = lengthText === undefined ? byteCount : Number(lengthText);
  const fileSize = statSync(real).size;
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length !== byteCount || offset + length > fileSize) {
    throw new OnnxImportError(`${what}: external data range offset=${offset} length=${length} is invalid for "${location}"`);
  }
  return readFileSync(real).subarray(offset, offset + length);
}

/**
 * Converts a `TensorProto` to a host tensor, reading raw_data (little-endian), the typed
 * fields, or external data inside the model folder. Sizes are checked before allocating.
 */
export function tensorFromProto(t: TensorProto, ctx: ExternalDataContext, what = `tensor "${t.name}"`): HostTensor {
  const dtype = hostDType(t.dataType);
  if (dtype === undefined) throw new OnnxImportError(`${what}: unsupported data type ${t.dataType}`);
  const dims = t.dims.map((d) => Number(d));
  const count = checkedSize(dims, what);
  let data: ArrayLike<number>;
  if (t.dataLocation === 1) {
    data = readRaw(readExternal(t, count * itemSize[dtype], ctx, what), dtype, count, what);
  } else if (t.rawData.length > 0) {
    data = readRaw(t.rawData, dtype, count, what);
  } else {
    const field = typedField(t, dtype);
    if (field.length !== count) {
      throw new OnnxImportError(`${what}: has ${field.length} values, shape [${dims.join(', ')}] needs ${count}`);
    }
    data = dtype === 'float32' ? Float32Array.from(field) : Float64Array.from(field, Number);
  }
  if (dtype === 'int64') {
    for (let i = 0; i < data.length; i++) {
      if (!Number.isSafeInteger(data[i])) throw new OnnxImportError(`${what}: int64 value out of range`);
    }
  }
  return host(dtype, dims, data);
}

/** Directory used to resolve external data for a model file path. */
export function modelDirOf(path: string | undefined): string | undefined {
  return path === undefined ? undefined : dirname(resolve(path));
}
