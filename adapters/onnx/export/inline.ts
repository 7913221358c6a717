import { onnxModelOf, type OnnxModel } from '../importOnnx.js';
import type { NodeProto } from '../proto.js';
import { cleanAttribute, floatTensor, hostTensor, type GraphBuilder } from './builder.js';
import type { GeneratorExporter } from './exporter.js';

/**
 * Copies an imported model's graph into `b` with every value renamed under `prefix`, its input
 * wired to `z`, and its float initializers holding the model's *current* (trained) weights.
 * Returns the name of the copied output.
 */
export function inlineOnnxGenerator(b: GraphBuilder, model: OnnxModel, prefix: string, z: string): string {
  const g = model.graph;
  const input = g.inputs[0]?.name;
  const output = g.outputs[0]?.name;
  if (g.inputs.length !== 1 || g.outputs.length !== 1 || input === undefined || output === undefined) {
    throw new Error(`exportOnnx: an ONNX generator needs one input and one output, ${prefix} has ${g.inputs.length} and ${g.outputs.length}`);
  }
  const names = new Map<string, string>([[input, z]]);
  const rename = (n: string): string => {
    if (n === '') return '';
    let r = names.get(n);
    if (r === undefined) {
      r = b.fresh(`${prefix}/${n}`);
      names.set(n, r);
    }
    return r;
  };
  for (const [name, t] of g.initializers) {
    const v = model.variables.get(name);
    if (v === undefined) {
      b.initializer(hostTensor(rename(name), t));
      continue;
    }
    const data = v.dataSync() as Float32Array;
    // A double initializer stays double (nodes reading it may require it); values are the trained float32 ones.
    b.initializer(t.dtype === 'float64' ? hostTensor(rename(name), { ...t, data }) : floatTensor(rename(name), v.shape, data));
  }
  for (const node of g.nodes) {
    b.raw({
      name: `${prefix}/${node.name}`,
      opType: node.opType,
      domain: '',
      input: node.inputs.map(rename),
      output: node.outputs.map(rename),
      attribute: node.attributeProtos.map(cleanAttribute),
    } as NodeProto);
  }
  return rename(output);
}

/** Generators made by `importOnnx(…).asGenerator()`: their graphs inlined with the trained weights. */
export const onnxGeneratorExporter: GeneratorExporter = {
  name: 'generators imported with importOnnx',
  part(g) {
    const model = onnxModelOf(g);
    if (!model) return null;
    return { opset: model.opset, emit: (b, prefix, z) => inlineOnnxGenerator(b, model, prefix, z) };
  },
};
