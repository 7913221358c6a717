import type { Random } from '../../src/core/random.js';
import type { OnnxGraph } from './graph.js';
import type { HostTensor } from './tensorData.js';

/** How `clone` derives a copy's parameters. */
export type ReinitializeMode = boolean | { noise: number };

/**
 * Fan-in of the weight an initializer belongs to, the way PyTorch computes it, or undefined
 * when the initializer is not a Gemm/MatMul/Conv/ConvTranspose weight or bias.
 */
function fanIn(graph: OnnxGraph, name: string): number | undefined {
  for (const n of graph.nodes) {
    const slot = n.inputs.indexOf(name);
    if (slot < 0) continue;
    const weightName = n.inputs[1];
    const w = weightName === undefined ? undefined : graph.initializers.get(weightName);
    if (w === undefined) continue;
    const d = w.dims;
    if (n.opType === 'Gemm' && (slot === 1 || slot === 2)) return n.attrs.int('transB', 0) !== 0 ? d[1] : d[0];
    if (n.opType === 'MatMul' && slot === 1) return d[0];
    if ((n.opType === 'Conv' || n.opType === 'ConvTranspose') && (slot === 1 || slot === 2)) {
      // PyTorch uses weight.size(1) · receptive field for both Conv and ConvTranspose.
      return d.slice(1).reduce((p, x) => p * x, 1);
    }
  }
  return undefined;
}

function batchNormRole(graph: OnnxGraph, name: string): number | undefined {
  for (const n of graph.nodes) {
    const slot = n.inputs.indexOf(name);
    if (n.opType === 'BatchNormalization' && slot >= 1) return slot;
  }
  return undefined;
}

/**
 * New values for one float initializer. `true`: PyTorch's default init (weights and biases
 * U(±1/√fan_in), BatchNorm scale 1, shift 0, mean 0, var 1); initializers of unknown role are
 * copied. `{ noise }`: the original plus N(0, noise²) on trainable values. `false`: a copy.
 */
export function reinitialize(graph: OnnxGraph, name: string, value: HostTensor, mode: ReinitializeMode, trainable: boolean, rng: Random): Float32Array {
  const original = Float32Array.from(value.data);
  if (mode === false) return original;
  if (typeof mode === 'object') {
    if (!trainable || mode.noise === 0) return original;
    const noise = rng.normalArray(original.length, 0, mode.noise);
    return original.map((v, i) => v + (noise[i] ?? 0));
  }
  const bn = batchNormRole(graph, name);
  if (bn !== undefined) return new Float32Array(original.length).fill(bn === 1 || bn === 4 ? 1 : 0);
  const fan = fanIn(graph, name);
  if (fan === undefined || fan <= 0) return original;
  const bound = 1 / Math.sqrt(fan);
  return rng.uniformArray(original.length, -bound, bound);
}
