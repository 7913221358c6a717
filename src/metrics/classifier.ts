import * as tf from '@tensorflow/tfjs-core';
import { Conv2d } from '../core/nn/conv.js';
import { Dense } from '../core/nn/dense.js';
import { Random } from '../core/random.js';

/**
 * The small CNN the MNIST metrics read: conv 32 (k5 s2) → ReLU → conv 64 (k5 s2) → ReLU →
 * flatten (7·7·64) → dense {@link CLASSIFIER_FEATURES} → ReLU (the penultimate features, where
 * FID is computed) → dense 10. Input NHWC [B, 28, 28, 1] in [-1, 1].
 */
export const CLASSIFIER_FEATURES = 48;

/** Number of MNIST classes. */
export const MNIST_CLASSES = 10;

/** Serialised classifier: variable shapes in a fixed order and one flat float32 buffer. */
export interface ClassifierWeights {
  /** Shapes of the weight arrays, in {@link MnistClassifier.variables} order. */
  readonly shapes: ReadonlyArray<readonly number[]>;
  readonly data: Float32Array;
}

/** What one forward pass yields. */
export interface ClassifierOutput {
  /** [B, 10] logits. */
  logits: tf.Tensor2D;
  /** [B, CLASSIFIER_FEATURES] penultimate activations. */
  features: tf.Tensor2D;
}

/** The metrics classifier (trained by `npm run train:classifier`, committed under fixtures/). */
export class MnistClassifier {
  readonly #conv1: Conv2d;
  readonly #conv2: Conv2d;
  readonly #hidden: Dense;
  readonly #out: Dense;

  constructor(seed = 0) {
    const rng = new Random(`mnist-classifier:${seed}`);
    this.#conv1 = new Conv2d(1, 32, rng, { name: 'clf/conv1' });
    this.#conv2 = new Conv2d(32, 64, rng, { name: 'clf/conv2' });
    this.#hidden = new Dense(7 * 7 * 64, CLASSIFIER_FEATURES, rng, { name: 'clf/hidden' });
    this.#out = new Dense(CLASSIFIER_FEATURES, MNIST_CLASSES, rng, { name: 'clf/logits' });
  }

  /** Forward pass on [B, 28, 28, 1] (or [B, 784]) images in [-1, 1]. */
  apply(x: tf.Tensor): ClassifierOutput {
    const batch = x.shape[0] as number;
    const img = x.rank === 4 ? x : tf.reshape(x, [batch, 28, 28, 1]);
    const h1 = tf.relu(this.#conv1.apply(img));
    const h2 = tf.relu(this.#conv2.apply(h1));
    const features = tf.relu(this.#hidden.apply(tf.reshape(h2, [batch, -1]))) as tf.Tensor2D;
    return { logits: this.#out.apply(features) as tf.Tensor2D, features };
  }

  /**
   * Class probabilities and penultimate features of many images, in chunks (host arrays).
   * @param images count·784 values in [-1, 1].
   */
  classify(images: Float32Array, count: number, chunk = 500): { probs: Float32Array; features: Float32Array } {
    if (images.length !== count * 784) throw new RangeError(`classify: ${images.length} values for ${count} images of 784`);
    const probs = new Float32Array(count * MNIST_CLASSES);
    const features = new Float32Array(count * CLASSIFIER_FEATURES);
    for (let start = 0; start < count; start += chunk) {
      const n = Math.min(chunk, count - start);
      const [p, f] = tf.tidy(() => {
        const x = tf.tensor4d(images.subarray(start * 784, (start + n) * 784), [n, 28, 28, 1]);
        const out = this.apply(x);
        return [tf.softmax(out.logits).dataSync(), out.features.dataSync()];
      });
      probs.set(p as Float32Array, start * MNIST_CLASSES);
      features.set(f as Float32Array, start * CLASSIFIER_FEATURES);
    }
    return { probs, features };
  }

  /** Trainable variables in serialisation order. */
  get variables(): tf.Variable[] {
    return [...this.#conv1.variables, ...this.#conv2.variables, ...this.#hidden.variables, ...this.#out.variables];
  }

  /** Copies the weights out (shapes + one flat buffer). */
  weights(): ClassifierWeights {
    const vars = this.variables;
    const total = vars.reduce((s, v) => s + v.size, 0);
    const data = new Float32Array(total);
    let offset = 0;
    for (const v of vars) {
      data.set(v.dataSync() as Float32Array, offset);
      offset += v.size;
    }
    return { shapes: vars.map((v) => [...v.shape]), data };
  }

  /**
   * Loads weights saved by {@link weights}, all or nothing: every shape and the buffer's size are
   * checked before any variable is written.
   * @throws Error when the shapes or the buffer size do not match this architecture.
   */
  setWeights(w: ClassifierWeights): void {
    const vars = this.variables;
    if (w.shapes.length !== vars.length) throw new Error(`classifier weights: ${w.shapes.length} arrays, the model has ${vars.length}`);
    vars.forEach((v, i) => {
      const shape = w.shapes[i] ?? [];
      if (shape.length !== v.shape.length || shape.some((d, j) => d !== v.shape[j])) {
        throw new Error(`classifier weights: array ${i} has shape [${shape.join(', ')}], expected [${v.shape.join(', ')}]`);
      }
    });
    const total = vars.reduce((sum, v) => sum + v.size, 0);
    if (w.data.length < total) throw new Error(`classifier weights: buffer too short (${w.data.length} values)`);
    if (w.data.length > total) throw new Error(`classifier weights: ${w.data.length - total} values left over`);
    let offset = 0;
    for (const v of vars) {
      tf.tidy(() => v.assign(tf.tensor(w.data.subarray(offset, offset + v.size), v.shape)));
      offset += v.size;
    }
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
  }
}
