import * as tf from '@tensorflow/tfjs-core';

/** Activations a dmgan-built network may use. */
export type ActivationName = 'relu' | 'leakyRelu' | 'elu' | 'selu' | 'tanh' | 'sigmoid' | 'softplus' | 'linear';

/** Applies a named activation. `leakyRelu` uses slope 0.2, the reference value. */
export function activate(x: tf.Tensor, name: ActivationName, alpha = 0.2): tf.Tensor {
  switch (name) {
    case 'relu':
      return tf.relu(x);
    case 'leakyRelu':
      return tf.leakyRelu(x, alpha);
    case 'elu':
      return tf.elu(x);
    case 'selu':
      return tf.selu(x);
    case 'tanh':
      return tf.tanh(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'softplus':
      return tf.softplus(x);
    case 'linear':
      return x;
  }
}
