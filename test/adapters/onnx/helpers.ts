import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers'; // registers gradients
import '@tensorflow/tfjs-backend-cpu';
import { decodeTensor, tensorFromProto } from '../../../adapters/onnx/index.js';
import type { HostTensor } from '../../../adapters/onnx/index.js';

export const FIXTURES = new URL('../../../fixtures/', import.meta.url).pathname;

/** Uses the pure-JS cpu backend: deterministic, and independent of the engine module. */
export async function useCpu(): Promise<void> {
  await tf.setBackend('cpu');
}

/** Reads a `.pb` TensorProto file into host numbers. */
export function readPb(path: string): HostTensor & { name: string } {
  const proto = decodeTensor(readFileSync(path));
  return { ...tensorFromProto(proto, { modelDir: undefined }), name: proto.name };
}

/** Host tensor → tfjs tensor (float kinds → float32, integers → int32). */
export function toTf(t: HostTensor): tf.Tensor {
  const isFloat = t.dtype === 'float32' || t.dtype === 'float64';
  return tf.tensor(isFloat ? Float32Array.from(t.data) : Int32Array.from(t.data), [...t.dims], isFloat ? 'float32' : 'int32');
}

/** Max abs difference, NaN equal to NaN, ±Inf equal to itself; Infinity on a NaN mismatch. */
export function maxAbsDiff(expected: ArrayLike<number>, actual: ArrayLike<number>): number {
  if (expected.length !== actual.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i] as number;
    const a = actual[i] as number;
    if (Number.isNaN(e) || Number.isNaN(a)) {
      if (Number.isNaN(e) !== Number.isNaN(a)) return Infinity;
      continue;
    }
    if (e === a) continue;
    worst = Math.max(worst, Math.abs(e - a));
  }
  return worst;
}

export interface IoCase {
  inputs: Record<string, { shape: number[]; data: number[] }>;
  outputs: Record<string, { shape: number[]; data: number[] }>;
}
export interface IoJson {
  name: string;
  opset: number;
  inputs: { name: string; shape: (number | string)[] }[];
  outputs: { name: string; shape: (number | string)[] }[];
  cases: IoCase[];
}

export function readIo(model: string): IoJson {
  return JSON.parse(readFileSync(`${FIXTURES}onnx/${model}/io.json`, 'utf8')) as IoJson;
}

export const MODELS = [
  'mlp_generator',
  'mlp_discriminator',
  'dcgan_generator_28',
  'dcgan_discriminator_28',
  'dcgan_discriminator_28_two_outputs',
  'mlp_generator_opset9',
  'mlp_generator_opset17',
  'mlp_generator_elu',
  'upsample_conv_generator_28',
  'concat_generator',
] as const;
