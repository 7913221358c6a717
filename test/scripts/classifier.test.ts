import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMnist } from '../../adapters/data/mnist.js';
import { activateBackend } from '../../src/engine/backend.js';
import { MnistClassifier } from '../../src/metrics/classifier.js';
import { loadClassifier, saveClassifier } from '../../plugins/report/mnist/classifierFile.js';

describe('MNIST metrics classifier (fixtures/classifier, made by scripts/trainClassifier.ts)', () => {
  beforeAll(async () => {
    await activateBackend('wasm');
  });

  it('the committed weights load and classify real test digits (first 1000: ≥ 98.5%)', async () => {
    const { classifier, manifest } = await loadClassifier();
    expect(manifest.test_accuracy).toBeGreaterThanOrEqual(0.99);
    expect(manifest.command).toContain('train:classifier');
    const test = await loadMnist('test', { limit: 1000 });
    const { probs, features } = classifier.classify(test.images, test.count);
    expect(features.length).toBe(1000 * 48);
    let right = 0;
    for (let i = 0; i < test.count; i++) {
      const row = Array.from(probs.subarray(i * 10, i * 10 + 10));
      if (row.indexOf(Math.max(...row)) === test.labels[i]) right++;
    }
    expect(right / test.count).toBeGreaterThanOrEqual(0.985);
    classifier.dispose();
  });

  it('saves and loads weights exactly; rejects a file that does not fit', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dmgan-clf-'));
    const before = tf.memory().numTensors;
    const a = new MnistClassifier(7);
    await saveClassifier(dir, a, { architecture: 'test', test_accuracy: 0, command: 'test' });
    const { classifier: b } = await loadClassifier(dir);
    expect(Array.from(b.weights().data)).toEqual(Array.from(a.weights().data));
    a.dispose();
    b.dispose();
    expect(tf.memory().numTensors).toBe(before);
    await writeFile(join(dir, 'weights.bin'), new Uint8Array(8));
    await expect(loadClassifier(dir)).rejects.toThrow(/model\.json/);
    await expect(loadClassifier(join(dir, 'missing'))).rejects.toThrow(/train:classifier/);
    await rm(dir, { recursive: true, force: true });
  });
});
