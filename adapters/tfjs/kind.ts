import type * as tfl from '@tensorflow/tfjs-layers';
import { DmganConfigError } from '../../src/core/errors.js';
import type { ModelKind } from '../registry/modelKind.js';
import { inferenceOnlyMessage, isInferenceOnly, isLayersModel } from './detect.js';
import { layersCritic } from './layersCritic.js';
import { declaredInputSize, layersGenerator, recreateLayersModel } from './layersGenerator.js';

/** tfjs `GraphModel`s and the like: recognised only to be refused (nothing to train). */
export const inferenceOnlyKind: ModelKind<never, never> = {
  name: 'inference-only',
  matches: (x): x is never => isInferenceOnly(x),
  refuse: (x, what) => inferenceOnlyMessage(what, x),
};

/** tfjs-layers `LayersModel`s: trained in place; one model is re-created from its config. */
export const layersModelKind: ModelKind<tfl.LayersModel, tfl.LayersModel> = {
  name: 'tfjs-layers',
  label: 'a LayersModel',
  matches: isLayersModel,
  generator: {
    adapt(model, { what, latentDim }) {
      const size = declaredInputSize(model);
      if (size !== null && size !== latentDim) {
        throw new DmganConfigError(`${what} (${model.name}) takes inputs of size ${size}, but latentDim is ${latentDim}`);
      }
      return layersGenerator(model, what);
    },
    recreate: (model) => recreateLayersModel(model),
  },
  critic: {
    adapt: (model, { what, featureLayer }) => layersCritic(model, featureLayer === undefined ? {} : { featureLayer }, what),
  },
};
