import protobuf from 'protobufjs/light.js';
import { guard, OnnxImportError } from './errors.js';

/*
 * The subset of onnx.proto (IR v10, proto2) the importer reads, written as a protobufjs JSON
 * descriptor. Field numbers follow onnx.proto; fields we never read (sparse tensors, training
 * info, functions, sub-graphs in attributes) are left out, so protobufjs skips them. Leaving out
 * AttributeProto.g/graphs also bounds the nesting depth of a hostile file.
 */
const descriptor = {
  nested: {
    onnx: {
      nested: {
        StringStringEntryProto: { fields: { key: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
        OperatorSetIdProto: { fields: { domain: { type: 'string', id: 1 }, version: { type: 'int64', id: 2 } } },
        TensorShapeProto: {
          fields: { dim: { rule: 'repeated', type: 'Dimension', id: 1 } },
          nested: {
            Dimension: {
              fields: {
                dimValue: { type: 'int64', id: 1 },
                dimParam: { type: 'string', id: 2 },
                denotation: { type: 'string', id: 3 },
              },
            },
          },
        },
        TypeProto: {
          fields: { tensorType: { type: 'Tensor', id: 1 }, denotation: { type: 'string', id: 6 } },
          nested: {
            Tensor: { fields: { elemType: { type: 'int32', id: 1 }, shape: { type: 'TensorShapeProto', id: 2 } } },
          },
        },
        ValueInfoProto: {
          fields: {
            name: { type: 'string', id: 1 },
            type: { type: 'TypeProto', id: 2 },
            docString: { type: 'string', id: 3 },
          },
        },
        TensorProto: {
          fields: {
            dims: { rule: 'repeated', type: 'int64', id: 1 },
            dataType: { type: 'int32', id: 2 },
            floatData: { rule: 'repeated', type: 'float', id: 4, options: { packed: true } },
            int32Data: { rule: 'repeated', type: 'int32', id: 5, options: { packed: true } },
            int64Data: { rule: 'repeated', type: 'int64', id: 7, options: { packed: true } },
            name: { type: 'string', id: 8 },
            rawData: { type: 'bytes', id: 9 },
            doubleData: { rule: 'repeated', type: 'double', id: 10, options: { packed: true } },
            uint64Data: { rule: 'repeated', type: 'uint64', id: 11, options: { packed: true } },
            docString: { type: 'string', id: 12 },
            externalData: { rule: 'repeated', type: 'StringStringEntryProto', id: 13 },
            dataLocation: { type: 'int32', id: 14 },
          },
        },
        AttributeProto: {
          fields: {
            name: { type: 'string', id: 1 },
            f: { type: 'float', id: 2 },
            i: { type: 'int64', id: 3 },
            s: { type: 'bytes', id: 4 },
            t: { type: 'TensorProto', id: 5 },
            floats: { rule: 'repeated', type: 'float', id: 7 },
            ints: { rule: 'repeated', type: 'int64', id: 8 },
            strings: { rule: 'repeated', type: 'bytes', id: 9 },
            tensors: { rule: 'repeated', type: 'TensorProto', id: 10 },
            docString: { type: 'string', id: 13 },
            type: { type: 'int32', id: 20 },
            refAttrName: { type: 'string', id: 21 },
          },
        },
        NodeProto: {
          fields: {
            input: { rule: 'repeated', type: 'string', id: 1 },
            output: { rule: 'repeated', type: 'string', id: 2 },
            name: { type: 'string', id: 3 },
            opType: { type: 'string', id: 4 },
            attribute: { rule: 'repeated', type: 'AttributeProto', id: 5 },
            docString: { type: 'string', id: 6 },
            domain: { type: 'string', id: 7 },
          },
        },
        GraphProto: {
          fields: {
            node: { rule: 'repeated', type: 'NodeProto', id: 1 },
            name: { type: 'string', id: 2 },
            initializer: { rule: 'repeated', type: 'TensorProto', id: 5 },
            docString: { type: 'string', id: 10 },
            input: { rule: 'repeated', type: 'ValueInfoProto', id: 11 },
            output: { rule: 'repeated', type: 'ValueInfoProto', id: 12 },
            valueInfo: { rule: 'repeated', type: 'ValueInfoProto', id: 13 },
          },
        },
        ModelProto: {
          fields: {
            irVersion: { type: 'int64', id: 1 },
            producerName: { type: 'string', id: 2 },
            producerVersion: { type: 'string', id: 3 },
            domain: { type: 'string', id: 4 },
            modelVersion: { type: 'int64', id: 5 },
            docString: { type: 'string', id: 6 },
            graph: { type: 'GraphProto', id: 7 },
            opsetImport: { rule: 'repeated', type: 'OperatorSetIdProto', id: 8 },
            metadataProps: { rule: 'repeated', type: 'StringStringEntryProto', id: 14 },
          },
        },
      },
    },
  },
};

/** Decoded `TensorProto` (int64 fields as JS numbers, possibly unsafe: check before use). */
export interface TensorProto {
  dims: number[];
  dataType: number;
  floatData: number[];
  int32Data: number[];
  int64Data: number[];
  name: string;
  rawData: Uint8Array;
  doubleData: number[];
  uint64Data: number[];
  externalData: StringStringEntryProto[];
  dataLocation: number;
}
export interface StringStringEntryProto { key: string; value: string }
export interface OperatorSetIdProto { domain: string; version: number }
export interface TensorShapeDimension { dimValue: number; dimParam: string }
export interface TypeProto { tensorType?: { elemType: number; shape?: { dim: TensorShapeDimension[] } | null } | null }
export interface ValueInfoProto { name: string; type?: TypeProto | null }
export interface AttributeProto {
  name: string;
  type: number;
  f: number;
  i: number;
  s: Uint8Array;
  t?: TensorProto | null;
  floats: number[];
  ints: number[];
  strings: Uint8Array[];
  tensors: TensorProto[];
  refAttrName: string;
}
export interface NodeProto {
  input: string[];
  output: string[];
  name: string;
  opType: string;
  domain: string;
  attribute: AttributeProto[];
}
export interface GraphProto {
  node: NodeProto[];
  name: string;
  initializer: TensorProto[];
  input: ValueInfoProto[];
  output: ValueInfoProto[];
  valueInfo: ValueInfoProto[];
}
export interface ModelProto {
  irVersion: number;
  producerName: string;
  producerVersion: string;
  graph?: GraphProto | null;
  opsetImport: OperatorSetIdProto[];
  metadataProps: StringStringEntryProto[];
}

const root = protobuf.Root.fromJSON(descriptor);
const ModelType = root.lookupType('onnx.ModelProto');
const TensorType = root.lookupType('onnx.TensorProto');

// `defaults` and `arrays` give every field a value, so readers need no presence checks.
const toObjectOptions = { longs: Number, bytes: Uint8Array, defaults: true, arrays: true } as const;

function decode<T>(type: protobuf.Type, bytes: Uint8Array, what: string): T {
  return guard(`cannot parse ${what} (truncated or corrupted protobuf)`, () => {
    const message = type.decode(bytes);
    return type.toObject(message, toObjectOptions) as T;
  });
}

/** Parses a serialized `ModelProto`, refusing anything that does not look like one. */
export function decodeModel(bytes: Uint8Array): ModelProto {
  if (bytes.length === 0) throw new OnnxImportError('empty input: not an ONNX model');
  const model = decode<ModelProto>(ModelType, bytes, 'ONNX ModelProto');
  // Any byte string that happens to parse is not a model: demand the fields every exporter writes.
  if (!model.graph || !Number.isSafeInteger(model.irVersion) || model.irVersion < 1 || model.irVersion > 100) {
    throw new OnnxImportError(
      `not an ONNX ModelProto (ir_version ${String(model.irVersion)}, graph ${model.graph ? 'present' : 'missing'})`,
    );
  }
  return model;
}

/** Parses a serialized `TensorProto` (the `.pb` files of the ONNX backend tests). */
export function decodeTensor(bytes: Uint8Array): TensorProto {
  return decode<TensorProto>(TensorType, bytes, 'ONNX TensorProto');
}

/** Serializes a `ModelProto` (tests and tools that patch models use it). */
export function encodeModel(model: ModelProto): Uint8Array {
  return ModelType.encode(ModelType.fromObject(model as unknown as Record<string, unknown>)).finish();
}
