import * as tfl from '@tensorflow/tfjs-layers';

/**
 * The `layers` workload's models, written the way tfjs users write a DCGAN (the TensorFlow
 * DCGAN tutorial's shapes): a Sequential generator and a functional discriminator, every layer
 * on its tfjs defaults (Glorot-uniform kernels, zero biases, batch norm momentum 0.99,
 * ε 1e-3) except LeakyReLU's slope, set to 0.2. `bench/peer/layers_twin.py` builds the same
 * layers in PyTorch; change both together.
 */
export const LAYERS_LATENT = 100;

/** Dense 7·7·128 → BN → LReLU → reshape → convT 64 (k5 s2) → BN → LReLU → convT 1 (k5 s2) → tanh. */
export function userGenerator(): tfl.Sequential {
  const g = tfl.sequential();
  g.add(tfl.layers.dense({ inputShape: [LAYERS_LATENT], units: 7 * 7 * 128, useBias: false }));
  g.add(tfl.layers.batchNormalization());
  g.add(tfl.layers.leakyReLU({ alpha: 0.2 }));
  g.add(tfl.layers.reshape({ targetShape: [7, 7, 128] }));
  g.add(tfl.layers.conv2dTranspose({ filters: 64, kernelSize: 5, strides: 2, padding: 'same', useBias: false }));
  g.add(tfl.layers.batchNormalization());
  g.add(tfl.layers.leakyReLU({ alpha: 0.2 }));
  g.add(tfl.layers.conv2dTranspose({ filters: 1, kernelSize: 5, strides: 2, padding: 'same', activation: 'tanh' }));
  return g;
}

/**
 * conv 32 → 64 → 128 (k5 s2) and 256 (k5 s1), each LReLU then dropout 0.3 (not after the
 * last) → flatten → dense 1. Q reads the flattened features (4·4·256).
 */
export function userDiscriminator(): tfl.LayersModel {
  const input = tfl.input({ shape: [28, 28, 1] });
  let x = input as tfl.SymbolicTensor;
  const widths = [32, 64, 128, 256];
  widths.forEach((filters, i) => {
    const last = i === widths.length - 1;
    x = tfl.layers.conv2d({ filters, kernelSize: 5, strides: last ? 1 : 2, padding: 'same' }).apply(x) as tfl.SymbolicTensor;
    x = tfl.layers.leakyReLU({ alpha: 0.2 }).apply(x) as tfl.SymbolicTensor;
    if (!last) x = tfl.layers.dropout({ rate: 0.3 }).apply(x) as tfl.SymbolicTensor;
  });
  const features = tfl.layers.flatten({ name: 'features' }).apply(x) as tfl.SymbolicTensor;
  const score = tfl.layers.dense({ units: 1 }).apply(features) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: score });
}
