export { layersGenerator, layersModelOf, recreateLayersModel, declaredInputSize, variablesOf } from './layersGenerator.js';
export { layersCritic } from './layersCritic.js';
export type { LayersCritic, LayersCriticOptions } from './layersCritic.js';
export { isLayersModel, isInferenceOnly, inferenceOnlyMessage } from './detect.js';
