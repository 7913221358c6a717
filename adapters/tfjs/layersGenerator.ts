import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { GeneratorModule } from '../../src/core/modules.js';
import { DmganConfigError } from '../../src/core/errors.js';

/** The tf.Variables behind a list of tfjs-layers weights (no copies). */
export function variablesOf(weights: readonly tfl.LayerVariable[]): tf.Variable[] {
  return weights.map((w) => w.read() as tf.Variable);
}

// Adapted modules → their model, so that exportOnnx can read the layers behind a generator.
const generatorSources = new WeakMap<GeneratorModule, tfl.LayersModel>();

/** The LayersModel behind a module made by {@link layersGenerator}, if it is one. */
export function layersModelOf(module: GeneratorModule): tfl.LayersModel | undefined {
  return generatorSources.get(module);
}

/**
 * Adapts a tfjs-layers generator (one input z, one output x). The engine trains the model's own
 * weights in place; batch-norm moving statistics are its state variables.
 */
export function layersGenerator(model: tfl.LayersModel, what = 'generator'): GeneratorModule {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new DmganConfigError(`${what} (${model.name}) must have one input (z) and one output, it has ${model.inputs.length} and ${model.outputs.length}`);
  }
  if (model.trainableWeights.length === 0) {
    throw new DmganConfigError(`${what} (${model.name}) has no trainable weights (is model.trainable false?)`);
  }
  const module: GeneratorModule = {
    get trainableVariables() {
      return variablesOf(model.trainableWeights);
    },
    get stateVariables() {
      return variablesOf(model.nonTrainableWeights);
    },
    apply: (z, training) => model.apply(z, { training }) as tf.Tensor,
    dispose: () => model.dispose(),
  };
  generatorSources.set(module, model);
  return module;
}

/** Input size (last dimension of the first input) a layers model declares, if known. */
export function declaredInputSize(model: tfl.LayersModel): number | null {
  const shape = model.inputs[0]?.shape;
  const last = shape?.[shape.length - 1];
  return typeof last === 'number' ? last : null;
}

/**
 * A new model built from `model`'s config: same architecture, fresh weights from its own
 * initialisers (never shared with `model`).
 */
export function recreateLayersModel(model: tfl.LayersModel): tfl.LayersModel {
  const cls = model.constructor as unknown as { fromConfig(cls: unknown, config: unknown): tfl.LayersModel };
  if (typeof cls.fromConfig !== 'function') {
    throw new DmganConfigError(`cannot re-create ${model.name} from its config; pass a factory (index) => model instead`);
  }
  return cls.fromConfig(cls, model.getConfig());
}
