import type { ActivationName } from '../../../src/core/nn/activations.js';
import { MlpGenerator } from '../../../src/core/nn/mlp.js';
import { attr, type GraphBuilder } from './builder.js';
import type { GeneratorExporter, StackedLayer, StackedMlp } from './exporter.js';

export type { StackedLayer, StackedMlp } from './exporter.js';

/** Writes `activation(x)` with tfjs' constants (leaky ReLU slope 0.2, ELU α 1, SELU's). */
export function emitActivation(b: GraphBuilder, x: string, name: ActivationName): string {
  switch (name) {
    case 'relu':
      return b.op('Relu', [x]);
    case 'leakyRelu':
      return b.op('LeakyRelu', [x], [attr.float('alpha', 0.2)]);
    case 'elu':
      return b.op('Elu', [x], [attr.float('alpha', 1)]);
    case 'selu':
      return b.op('Selu', [x], [attr.float('alpha', 1.6732632423543772), attr.float('gamma', 1.0507009873554805)]);
    case 'tanh':
      return b.op('Tanh', [x]);
    case 'sigmoid':
      return b.op('Sigmoid', [x]);
    case 'softplus':
      return b.op('Softplus', [x]);
    case 'linear':
      return x;
  }
}

/**
 * Every sample through its own generator, exactly: per layer, `Gather(W, ids)` picks each
 * sample's kernel [B, in, out] and a batched MatMul of [B, 1, in] × [B, in, out] applies it.
 * No sample touches another generator's weights, so this is routing, not masking.
 */
export function emitStackedMlp(b: GraphBuilder, mlp: StackedMlp, z: string, ids: string): string {
  let h = b.unsqueeze(z, [1]);
  const last = mlp.layers.length - 1;
  mlp.layers.forEach((layer, l) => {
    const w = b.floatConst(`g/layer_${l}/kernel`, [mlp.n, layer.inputs, layer.outputs], layer.kernel);
    const bias = b.floatConst(`g/layer_${l}/bias`, [mlp.n, 1, layer.outputs], layer.bias);
    const wi = b.op('Gather', [w, ids], [attr.int('axis', 0)]);
    const bi = b.op('Gather', [bias, ids], [attr.int('axis', 0)]);
    h = b.op('Add', [b.op('MatMul', [h, wi]), bi]);
    h = emitActivation(b, h, l === last ? mlp.outputActivation : mlp.activation);
  });
  return b.squeeze(h, [1]);
}

/** One MLP generator on the whole batch (for ensembles mixing generator kinds). */
export function emitMlp(b: GraphBuilder, prefix: string, layers: readonly StackedLayer[], activation: ActivationName, outputActivation: ActivationName, z: string): string {
  let h = z;
  const last = layers.length - 1;
  layers.forEach((layer, l) => {
    const w = b.floatConst(`${prefix}/layer_${l}/kernel`, [layer.inputs, layer.outputs], layer.kernel);
    const bias = b.floatConst(`${prefix}/layer_${l}/bias`, [layer.outputs], layer.bias);
    h = b.op('Add', [b.op('MatMul', [h, w]), bias]);
    h = emitActivation(b, h, l === last ? outputActivation : activation);
  });
  return h;
}

/** An MLP generator's current weights as {@link StackedLayer}s of one generator. */
export function mlpLayers(g: MlpGenerator): StackedLayer[] {
  return g.layers.map((d) => ({
    kernel: d.kernel.dataSync() as Float32Array,
    bias: d.bias ? (d.bias.dataSync() as Float32Array) : new Float32Array(d.outputSize),
    inputs: d.inputSize,
    outputs: d.outputSize,
  }));
}

/** The project's {@link MlpGenerator}s: stacked by id when all are alike, else one sub-graph each. */
export const mlpGeneratorExporter: GeneratorExporter = {
  name: 'MlpGenerator',
  part(g) {
    if (!(g instanceof MlpGenerator)) return null;
    const activation = g.spec.activation;
    const outputActivation = g.spec.outputActivation ?? 'linear';
    return {
      emit: (b, prefix, z) => emitMlp(b, prefix, mlpLayers(g), activation, outputActivation, z),
      stack: {
        key: `${g.spec.sizes.join(',')}|${activation}|${outputActivation}|${g.layers.map((d) => (d.bias ? 1 : 0)).join('')}`,
        layers: () => mlpLayers(g),
        activation,
        outputActivation,
      },
    };
  },
};
