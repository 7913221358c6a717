/**
 * Exported ensembles for the page's tests, made as `dmgan export` makes them (`buildOnnxExport`):
 * a line-experiment ensemble (2-D points, ids mode) and a small image ensemble (28×28 conv
 * generators, prior mode). Needs an active tfjs backend.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { buildOnnxExport } from '../../adapters/onnx/export/exportOnnx.js';
import { buildLinesModel } from '../../src/experiments/lines/models.js';
import { buildMnistModel } from '../../src/experiments/mnist/models.js';
import { Random } from '../../src/core/random.js';
import { sampleLineData } from '../../src/metrics/lines/data.js';

/** Writes `lines.onnx` and `images.onnx` into `dir`; returns their bytes. */
export async function writeEnsembles(dir: string): Promise<{ lines: Uint8Array; images: Uint8Array }> {
  await mkdir(dir, { recursive: true });
  const lines = buildLinesModel('dmwgan-pl', { generators: 4, seed: 1 });
  let linesBytes: Uint8Array;
  try {
    // A few iterations, so the file holds trained weights (and its metadata an iteration).
    const rng = new Random('web-fixture');
    for (let i = 0; i < 12; i++) {
      const batch = tf.tensor2d(sampleLineData('balanced', 32, rng).points, [32, 2]);
      lines.step(batch, false);
      batch.dispose();
    }
    linesBytes = buildOnnxExport(lines, { mode: 'ids', metadata: { 'dmgan.trained_by': 'test/web (12 iterations)' } }).bytes;
  } finally {
    lines.dispose();
  }
  const images = buildMnistModel('dmwgan-pl', { generators: 3, generatorWidth: 8, seed: 2 });
  let imageBytes: Uint8Array;
  try {
    imageBytes = buildOnnxExport(images, { mode: 'prior' }).bytes;
  } finally {
    images.dispose();
  }
  await writeFile(join(dir, 'lines.onnx'), linesBytes);
  await writeFile(join(dir, 'images.onnx'), imageBytes);
  return { lines: linesBytes, images: imageBytes };
}
