import { DmganConfigError } from '../../src/core/errors.js';
import type { ModelKind } from '../registry/modelKind.js';
import { OnnxModel } from './importOnnx.js';

function trainable(model: OnnxModel, what: string): void {
  if (model.trainableVariables.length === 0) {
    throw new DmganConfigError(`${what} is an ONNX model imported with trainable: false; import it with trainable: true to train it`);
  }
}

/** Models from `importOnnx`: one model is cloned with PyTorch-style re-initialised weights. */
export const onnxModelKind: ModelKind<OnnxModel, OnnxModel> = {
  name: 'onnx',
  label: 'an ONNX model',
  matches: (x): x is OnnxModel => x instanceof OnnxModel,
  generator: {
    adapt(model, { what }) {
      trainable(model, what);
      return model.asGenerator();
    },
    recreate: (model, index) => model.clone({ reinitialize: true, seed: `dmgan-clone:${index}` }),
  },
  critic: {
    adapt(model, { what, featureLayer }) {
      trainable(model, what);
      if (model.outputNames.length < 2 && featureLayer === undefined) {
        throw new DmganConfigError(`${what} (ONNX) has one output; name the value Q should read with the featureLayer option (values: ${model.valueNames.join(', ')})`);
      }
      return model.asCritic(featureLayer === undefined ? {} : { features: featureLayer });
    },
  },
};
