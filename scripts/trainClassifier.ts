/**
 * Trains the MNIST metrics classifier and saves it (default: fixtures/classifier).
 *
 *   npm run train:classifier -- [--epochs 4] [--batch 64] [--limit N] [--out DIR] [--seed 0]
 *                               [--init DIR --lr 3e-4]   (continue from saved weights)
 *
 * Adam(1e-3, 0.9, 0.999), softmax cross-entropy, shuffled each epoch; the learning rate drops
 * to 3e-4 for the last epoch. Test accuracy on the 10k test set is measured after every
 * epoch; the best epoch's weights are kept.
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { loadMnist } from '../adapters/data/mnist.js';
import { VariableAdam } from '../src/core/optim/variableAdam.js';
import { Random } from '../src/core/random.js';
import { activateBackend } from '../src/engine/index.js';
import { MnistClassifier, MNIST_CLASSES } from '../src/metrics/classifier.js';
import { loadClassifier, saveClassifier } from '../plugins/report/mnist/classifierFile.js';

const { values } = parseArgs({
  options: {
    epochs: { type: 'string', default: '4' },
    batch: { type: 'string', default: '64' },
    limit: { type: 'string' },
    'test-limit': { type: 'string' },
    out: { type: 'string', default: 'fixtures/classifier' },
    seed: { type: 'string', default: '0' },
    backend: { type: 'string', default: 'wasm' },
    init: { type: 'string' },
    lr: { type: 'string', default: '1e-3' },
  },
});
const epochs = Number(values.epochs);
const batch = Number(values.batch);
const seed = Number(values.seed);
const command = ['npm run train:classifier --', ...process.argv.slice(2)].join(' ');

await activateBackend(values.backend as 'wasm' | 'cpu' | 'auto');
const train = await loadMnist('train', values.limit ? { limit: Number(values.limit) } : {});
const test = await loadMnist('test', values['test-limit'] ? { limit: Number(values['test-limit']) } : {});
const clf = new MnistClassifier(seed);
let previous: { epochs: number; command: string } | null = null;
if (values.init) {
  const init = await loadClassifier(values.init);
  clf.setWeights(init.classifier.weights());
  init.classifier.dispose();
  previous = { epochs: Number(init.manifest['epochs_trained'] ?? 0), command: init.manifest.command };
}
const adam = new VariableAdam(clf.variables, { learningRate: Number(values.lr), beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
const rng = new Random(`classifier-data:${seed}`);

function accuracy(): number {
  const { probs } = clf.classify(test.images, test.count);
  let right = 0;
  for (let i = 0; i < test.count; i++) {
    let best = 0;
    for (let c = 1; c < MNIST_CLASSES; c++) if ((probs[i * 10 + c] ?? 0) > (probs[i * 10 + best] ?? 0)) best = c;
    if (best === test.labels[i]) right++;
  }
  return right / test.count;
}

let best = { accuracy: values.init ? accuracy() : -1, epoch: 0, weights: clf.weights() };
const started = performance.now();
for (let epoch = 1; epoch <= epochs; epoch++) {
  if (epoch === epochs && epochs > 1 && !values.init) adam.options.learningRate = 3e-4;
  const order = Array.from({ length: train.count }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  let lossSum = 0;
  let steps = 0;
  for (let start = 0; start + batch <= train.count; start += batch) {
    const xb = new Float32Array(batch * 784);
    const yb = new Int32Array(batch);
    for (let k = 0; k < batch; k++) {
      const idx = order[start + k] as number;
      xb.set(train.images.subarray(idx * 784, (idx + 1) * 784), k * 784);
      yb[k] = train.labels[idx] as number;
    }
    const loss = tf.tidy(() => {
      const x = tf.tensor4d(xb, [batch, 28, 28, 1]);
      const y = tf.oneHot(tf.tensor1d(yb, 'int32'), MNIST_CLASSES);
      const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, clf.apply(x).logits) as tf.Scalar, clf.variables);
      adam.applyGradients(grads);
      return steps % 50 === 0 ? (value.dataSync()[0] as number) : NaN;
    });
    if (!Number.isNaN(loss)) lossSum += loss;
    steps++;
    if (steps % 200 === 0) {
      const s = (performance.now() - started) / 1000;
      process.stderr.write(`epoch ${epoch} step ${steps} loss≈${(lossSum / Math.ceil(steps / 50)).toFixed(4)} ${s.toFixed(0)} s\n`);
    }
  }
  const acc = accuracy();
  process.stderr.write(`epoch ${epoch}: test accuracy ${(acc * 100).toFixed(2)}% (${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
  if (acc > best.accuracy) best = { accuracy: acc, epoch, weights: clf.weights() };
}
clf.setWeights(best.weights);
await saveClassifier(values.out, clf, {
  architecture: 'conv32 k5 s2 ReLU → conv64 k5 s2 ReLU → flatten 3136 → dense 48 ReLU (features) → dense 10; NHWC, input [-1, 1]',
  test_accuracy: best.accuracy,
  test_examples: test.count,
  train_examples: train.count,
  epochs_trained: epochs + (previous?.epochs ?? 0),
  ...(previous ? { continued_from: previous.command } : {}),
  best_epoch: best.epoch,
  seed,
  backend: tf.getBackend(),
  train_seconds: Math.round((performance.now() - started) / 1000),
  command,
});
process.stdout.write(`saved ${values.out}: test accuracy ${(best.accuracy * 100).toFixed(2)}% (epoch ${best.epoch})\n`);
clf.dispose();
adam.dispose();
