import { Attributes } from './attributes.js';
import { guard, OnnxImportError } from './errors.js';
import { OPS } from './ops/registry.js';
import type { OpSpec } from './ops/types.js';
import type { AttributeProto, ModelProto, ValueInfoProto } from './proto.js';
import { isFloat, tensorFromProto } from './tensorData.js';
import type { ExternalDataContext, HostTensor } from './tensorData.js';

/** Oldest default-domain opset accepted; newer ones are accepted without an exact check. */
export const MIN_OPSET = 7;

/** One graph input or output as declared in the file (symbolic dims are `null`). */
export interface ValueInfo {
  readonly name: string;
  readonly elemType: number;
  readonly dims: readonly (number | null)[] | undefined;
}

/** A node ready to run: its op implementation resolved and attributes decoded. */
export interface GraphNode {
  readonly name: string;
  readonly opType: string;
  readonly spec: OpSpec;
  readonly attrs: Attributes;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** The node's attributes as read from the file (kept so that `exportOnnx` can re-emit the node). */
  readonly attributeProtos: readonly AttributeProto[];
}

/** The validated, topologically sorted graph; immutable and shared by clones. */
export interface OnnxGraph {
  readonly opset: number;
  readonly irVersion: number;
  readonly nodes: readonly GraphNode[];
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  readonly initializers: ReadonlyMap<string, HostTensor>;
  /** Float initializers read only as shapes/scales: they stay host constants, never variables. */
  readonly hostOnly: ReadonlySet<string>;
  /** Initializers used as BatchNormalization running statistics (state, not trainable). */
  readonly runningStats: ReadonlySet<string>;
  /** Producer of every value name (node index), for pruning runs to the requested outputs. */
  readonly producer: ReadonlyMap<string, number>;
}

function valueInfo(v: ValueInfoProto): ValueInfo {
  const t = v.type?.tensorType;
  return {
    name: v.name,
    elemType: t?.elemType ?? 0,
    dims: t?.shape ? t.shape.dim.map((d) => (d.dimParam === '' && Number.isSafeInteger(d.dimValue) && d.dimValue > 0 ? d.dimValue : null)) : undefined,
  };
}

function defaultOpset(model: ModelProto): number {
  const entry = model.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  if (entry === undefined) throw new OnnxImportError('model imports no default-domain (ai.onnx) opset');
  if (!Number.isSafeInteger(entry.version) || entry.version < MIN_OPSET || entry.version > 1000) {
    throw new OnnxImportError(`default-domain opset ${entry.version} is not supported (need ${MIN_OPSET} or newer)`);
  }
  return entry.version;
}

/**
 * Validates a decoded model and turns it into a runnable graph: decodes initializers and
 * attributes, lists every unsupported op at once, and sorts nodes topologically.
 */
export function buildGraph(model: ModelProto, ctx: ExternalDataContext): OnnxGraph {
  const g = model.graph;
  if (!g) throw new OnnxImportError('model has no graph');
  const opset = defaultOpset(model);

  const initializers = new Map<string, HostTensor>();
  g.initializer.forEach((t, i) => {
    if (t.name === '') throw new OnnxImportError(`initializer #${i} has no name`);
    if (initializers.has(t.name)) throw new OnnxImportError(`initializer "${t.name}" is defined twice`);
    initializers.set(t.name, tensorFromProto(t, ctx, `initializer "${t.name}"`));
  });
  // IR < 4 lists initializers among the inputs too; they are not feeds.
  const inputs = g.input.filter((v) => !initializers.has(v.name)).map(valueInfo);
  const outputs = g.output.map(valueInfo);

  const unsupported: string[] = [];
  const pending = g.node.map((n, i) => {
    const name = n.name !== '' ? n.name : `${n.opType || '?'}#${i}`;
    const known = n.domain === '' || n.domain === 'ai.onnx';
    const spec = known ? OPS.get(n.opType) : undefined;
    if (spec === undefined) unsupported.push(`${known ? '' : `${n.domain}::`}${n.opType || '(empty op_type)'} (node "${name}")`);
    const attrs = guard('bad attribute', () => new Attributes(n.attribute, name, ctx), name);
    return { name, opType: n.opType, spec, attrs, attributeProtos: n.attribute, inputs: n.input, outputs: n.output };
  });
  if (unsupported.length > 0) {
    throw new OnnxImportError(`unsupported operators: ${unsupported.join(', ')}`);
  }

  // Kahn's algorithm: exporters usually emit sorted nodes, but the spec only recommends it.
  const available = new Set<string>(['', ...inputs.map((v) => v.name), ...initializers.keys()]);
  const producer = new Map<string, number>();
  pending.forEach((n, i) => {
    for (const o of n.outputs) {
      if (o === '') continue;
      if (producer.has(o) || available.has(o)) throw new OnnxImportError(`value "${o}" is produced twice`, { node: n.name });
      producer.set(o, i);
    }
  });
  const nodes: GraphNode[] = [];
  const done = new Set<number>();
  let progress = true;
  while (nodes.length < pending.length && progress) {
    progress = false;
    pending.forEach((n, i) => {
      if (done.has(i) || !n.inputs.every((v) => available.has(v))) return;
      done.add(i);
      progress = true;
      nodes.push({ ...n, spec: n.spec as OpSpec });
      for (const o of n.outputs) available.add(o);
    });
  }
  if (nodes.length < pending.length) {
    const stuck = pending.find((_, i) => !done.has(i));
    const missing = stuck?.inputs.find((v) => !available.has(v) && !producer.has(v));
    throw new OnnxImportError(
      missing !== undefined
        ? `input "${missing}" is not a graph input, initializer or node output`
        : 'graph has a cycle',
      { node: stuck?.name },
    );
  }
  for (const o of outputs) {
    if (!available.has(o.name) || o.name === '') throw new OnnxImportError(`graph output "${o.name}" is never produced`);
  }
  const sortedProducer = new Map<string, number>();
  nodes.forEach((n, i) => n.outputs.forEach((o) => sortedProducer.set(o, i)));

  // Which initializers are parameters: floats used by at least one tensor (non-shape) slot.
  const tensorUse = new Set<string>();
  const runningStats = new Set<string>();
  for (const n of nodes) {
    n.inputs.forEach((v, i) => {
      if (!(n.spec.hostInputs ?? []).includes(i)) tensorUse.add(v);
      if (n.opType === 'BatchNormalization' && (i === 3 || i === 4)) runningStats.add(v);
    });
  }
  const hostOnly = new Set<string>();
  for (const [name, t] of initializers) {
    if (!isFloat(t.dtype) || !tensorUse.has(name)) hostOnly.add(name);
  }
  return { opset, irVersion: model.irVersion, nodes, inputs, outputs, initializers, hostOnly, runningStats, producer: sortedProducer };
}
