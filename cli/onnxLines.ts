import * as tf from '@tensorflow/tfjs-core';
import { resolve } from 'node:path';
import { importOnnx, OnnxImportError, type OnnxModel } from '../adapters/onnx/index.js';
import { withDMGAN } from '../src/api/index.js';
import type { DmganCore } from '../plugins/dmgan/dmganCore.js';
import type { LineModelName } from '../src/experiments/lines/models.js';
import { UsageError } from './options.js';

/** The ONNX models of a line run: both files, as given on the command line (resolved). */
export interface OnnxLinesFiles {
  readonly generatorOnnx: string;
  readonly discriminatorOnnx: string;
}

/**
 * The critic's Q features for a one-output ONNX discriminator: the hidden value the score layer
 * reads (the input of the final Gemm/MatMul, also behind a MatMul + Add pair).
 */
export function lastHiddenValue(model: OnnxModel): string {
  const g = model.graph;
  const score = g.outputs[0]?.name ?? '';
  const producer = (v: string) => {
    const i = g.producer.get(v);
    return i === undefined ? undefined : g.nodes[i];
  };
  let node = producer(score);
  while (node && (node.opType === 'Identity' || node.opType === 'Flatten' || node.opType === 'Reshape')) node = producer(node.inputs[0] ?? '');
  if (node?.opType === 'Add') node = node.inputs.map(producer).find((n) => n?.opType === 'MatMul');
  const features = node && (node.opType === 'Gemm' || node.opType === 'MatMul') ? node.inputs[0] : undefined;
  if (features === undefined) {
    throw new UsageError(`--discriminator-onnx: cannot find the hidden layer before the score "${score}" (expected a final Gemm or MatMul); export the features as a second output`);
  }
  return features;
}

async function load(flag: string, path: string): Promise<OnnxModel> {
  try {
    return await importOnnx(path);
  } catch (error) {
    if (error instanceof OnnxImportError) throw new UsageError(`${flag} ${path}: ${error.message}`);
    throw error;
  }
}

/**
 * Imports both files and returns the engine builder of a line run around them (through
 * `withDMGAN`): generator 0 is the file's model, the others re-initialised clones; the critic's
 * Q features are its second output, or the hidden value before the score. Call the builder once
 * (the models are trained in place and disposed with the engine).
 */
export async function onnxLinesBuilder(files: OnnxLinesFiles, run: { model: LineModelName; generators: number; seed: number; ema?: number }): Promise<() => DmganCore> {
  const generator = await load('--generator-onnx', files.generatorOnnx);
  const discriminator = await load('--discriminator-onnx', files.discriminatorOnnx);
  const latentDim = generator.graph.inputs[0]?.dims?.at(-1);
  if (generator.inputNames.length !== 1 || generator.outputNames.length !== 1 || typeof latentDim !== 'number') {
    throw new UsageError(`--generator-onnx ${files.generatorOnnx}: needs one input [batch, latent] with a fixed latent size, and one output`);
  }
  const featureLayer = discriminator.outputNames.length >= 2 ? undefined : lastHiddenValue(discriminator);
  const single = run.model === 'wgan-gp';
  return () => {
    const dmgan = withDMGAN(
      { latentDim, generator, discriminator },
      {
        generators: single ? 1 : run.generators,
        seed: run.seed,
        prior: run.model === 'dmwgan-pl' ? 'learned' : 'uniform',
        qWeight: single ? 0 : 1,
        ...(featureLayer === undefined ? {} : { featureLayer }),
        ...(run.ema === undefined ? {} : { ema: run.ema }),
      },
    );
    const shape = tf.tidy(() => dmgan.core.ensemble.generate(tf.zeros([1, latentDim]) as tf.Tensor2D, [0], false).shape.slice(1));
    if (shape.join(',') !== '2') {
      dmgan.dispose();
      throw new UsageError(`--generator-onnx ${files.generatorOnnx}: the line experiment needs 2-D points, the generator outputs [${shape.join(', ')}]`);
    }
    return dmgan.core;
  };
}

/** `{ generatorOnnx, discriminatorOnnx }` from the two flags (absolute paths), null when neither is given. */
export function onnxLinesFiles(options: { generatorOnnx?: string | undefined; discriminatorOnnx?: string | undefined }): OnnxLinesFiles | null {
  const { generatorOnnx, discriminatorOnnx } = options;
  if (generatorOnnx === undefined && discriminatorOnnx === undefined) return null;
  if (generatorOnnx === undefined) throw new UsageError('--discriminator-onnx needs --generator-onnx too');
  if (discriminatorOnnx === undefined) throw new UsageError('--generator-onnx needs --discriminator-onnx too');
  return { generatorOnnx: resolve(generatorOnnx), discriminatorOnnx: resolve(discriminatorOnnx) };
}
