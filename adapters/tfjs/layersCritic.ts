import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { CriticModule } from '../../src/core/modules.js';
import { DmganConfigError } from '../../src/core/errors.js';
import { variablesOf } from './layersGenerator.js';

/** Makes the names of the two-output views unique (tfjs-layers model names are global). */
let count = 0;

/** Options of {@link layersCritic}. */
export interface LayersCriticOptions {
  /**
   * Name of the layer whose output the Q head reads. Default: the layer that feeds the score
   * layer (the last hidden layer). Ignored for a model with two outputs ([score, features]).
   */
  featureLayer?: string;
}

/** A critic adapter that also knows its feature width. */
export type LayersCritic = CriticModule & { readonly featureSize: number; readonly featureLayer: string };

/**
 * Adapts a tfjs-layers discriminator: one forward pass yields the score (the model's output)
 * and the features (the named layer's output, flattened), through a second model that shares
 * the same layers and weights.
 */
export function layersCritic(model: tfl.LayersModel, options: LayersCriticOptions = {}, what = 'discriminator'): LayersCritic {
  if (model.inputs.length !== 1) throw new DmganConfigError(`${what} (${model.name}) must have one input, it has ${model.inputs.length}`);
  if (model.trainableWeights.length === 0) throw new DmganConfigError(`${what} (${model.name}) has no trainable weights (is model.trainable false?)`);
  const layerNames = model.layers.map((l) => l.name);
  const hint = `name the layer whose output Q should read with the featureLayer option (layers: ${layerNames.join(', ')})`;
  let features: tfl.SymbolicTensor;
  let featureLayer: string;
  if (model.outputs.length === 2 && options.featureLayer === undefined) {
    features = model.outputs[1] as tfl.SymbolicTensor;
    featureLayer = features.sourceLayer.name;
  } else if (options.featureLayer !== undefined) {
    let layer: tfl.layers.Layer;
    try {
      layer = model.getLayer(options.featureLayer);
    } catch {
      throw new DmganConfigError(`${what} has no layer named '${options.featureLayer}'; ${hint}`);
    }
    const out = layer.output;
    if (Array.isArray(out)) throw new DmganConfigError(`${what} layer '${options.featureLayer}' has several outputs; ${hint}`);
    features = out as tfl.SymbolicTensor;
    featureLayer = layer.name;
  } else {
    const score = model.outputs[0] as tfl.SymbolicTensor & { inputs?: tfl.SymbolicTensor[] };
    const feeding = score.inputs?.[0];
    if (!feeding || feeding.sourceLayer.getClassName() === 'InputLayer') {
      throw new DmganConfigError(`${what} (${model.name}) has no hidden layer before its score for the Q head to read; ${hint}`);
    }
    features = feeding;
    featureLayer = feeding.sourceLayer.name;
  }
  const dims = features.shape.slice(1);
  if (dims.some((d) => d === null) || dims.length === 0) {
    throw new DmganConfigError(`${what} feature layer '${featureLayer}' has shape [${features.shape.map((d) => d ?? '?').join(', ')}]: Q needs a fixed-size feature per sample; ${hint}`);
  }
  const featureSize = (dims as number[]).reduce((a, b) => a * b, 1);
  const scoreShape = (model.outputs[0] as tfl.SymbolicTensor).shape;
  const scoreSize = scoreShape.slice(1).reduce<number>((a, b) => a * (b ?? 1), 1);
  if (scoreSize !== 1) throw new DmganConfigError(`${what} output must be one score per sample, it has shape [${scoreShape.map((d) => d ?? '?').join(', ')}]`);
  const twoHeads = tfl.model({ inputs: model.inputs, outputs: [model.outputs[0] as tfl.SymbolicTensor, features], name: `${model.name}_with_features_${++count}` });
  return {
    featureSize,
    featureLayer,
    get trainableVariables() {
      return variablesOf(model.trainableWeights);
    },
    get stateVariables() {
      return variablesOf(model.nonTrainableWeights);
    },
    apply: (x, training) => {
      const [score, f] = twoHeads.apply(x, { training }) as tf.Tensor[];
      if ((f as tf.Tensor).rank === 2) return { score: score as tf.Tensor, features: f as tf.Tensor };
      const flat = tf.reshape(f as tf.Tensor, [x.shape[0] as number, featureSize]);
      (f as tf.Tensor).dispose();
      return { score: score as tf.Tensor, features: flat };
    },
    dispose: () => model.dispose(),
  };
}

