import { OnnxImportError } from './errors.js';
import type { AttributeProto } from './proto.js';
import { tensorFromProto } from './tensorData.js';
import type { ExternalDataContext, HostTensor } from './tensorData.js';

/** Attribute value after decoding: the forms the supported ops use. */
export type AttributeValue =
  | { type: 'float'; value: number }
  | { type: 'int'; value: number }
  | { type: 'string'; value: string }
  | { type: 'tensor'; value: HostTensor }
  | { type: 'floats'; value: number[] }
  | { type: 'ints'; value: number[] }
  | { type: 'strings'; value: string[] }
  | { type: 'other'; value: number };

const decoder = new TextDecoder('utf-8', { fatal: false });

function checkInt(x: number, name: string, node: string): number {
  if (!Number.isSafeInteger(x)) throw new OnnxImportError(`attribute "${name}" has an out-of-range integer`, { node });
  return x;
}

/** Typed, read-only access to a node's attributes, with defaults and named errors. */
export class Attributes {
  readonly #values: Map<string, AttributeValue>;
  readonly #node: string;

  constructor(protos: readonly AttributeProto[], node: string, ctx: ExternalDataContext) {
    this.#node = node;
    this.#values = new Map();
    for (const a of protos) {
      if (a.refAttrName !== '') throw new OnnxImportError(`attribute "${a.name}" references a function attribute`, { node });
      this.#values.set(a.name, Attributes.#decode(a, node, ctx));
    }
  }

  static #decode(a: AttributeProto, node: string, ctx: ExternalDataContext): AttributeValue {
    switch (a.type) {
      case 1:
        return { type: 'float', value: a.f };
      case 2:
        return { type: 'int', value: checkInt(a.i, a.name, node) };
      case 3:
        return { type: 'string', value: decoder.decode(a.s) };
      case 4:
        if (!a.t) throw new OnnxImportError(`attribute "${a.name}" has no tensor`, { node });
        return { type: 'tensor', value: tensorFromProto(a.t, ctx, `attribute "${a.name}" of node "${node}"`) };
      case 6:
        return { type: 'floats', value: a.floats };
      case 7:
        return { type: 'ints', value: a.ints.map((x) => checkInt(x, a.name, node)) };
      case 8:
        return { type: 'strings', value: a.strings.map((s) => decoder.decode(s)) };
      default:
        return { type: 'other', value: a.type };
    }
  }

  has(name: string): boolean {
    return this.#values.has(name);
  }

  #get<T extends AttributeValue['type']>(name: string, type: T): Extract<AttributeValue, { type: T }> | undefined {
    const v = this.#values.get(name);
    if (v === undefined) return undefined;
    if (v.type !== type) {
      throw new OnnxImportError(`attribute "${name}" should be ${type}, is ${v.type}`, { node: this.#node });
    }
    return v as Extract<AttributeValue, { type: T }>;
  }

  int(name: string, fallback: number): number {
    return this.#get(name, 'int')?.value ?? fallback;
  }

  float(name: string, fallback: number): number {
    return this.#get(name, 'float')?.value ?? fallback;
  }

  string(name: string, fallback: string): string {
    return this.#get(name, 'string')?.value ?? fallback;
  }

  ints(name: string): number[] | undefined {
    return this.#get(name, 'ints')?.value;
  }

  floats(name: string): number[] | undefined {
    return this.#get(name, 'floats')?.value;
  }

  tensor(name: string): HostTensor | undefined {
    return this.#get(name, 'tensor')?.value;
  }

  /** The single attribute of a `Constant` node, whatever its name. */
  entries(): [string, AttributeValue][] {
    return [...this.#values.entries()];
  }
}
