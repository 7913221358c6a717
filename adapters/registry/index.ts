export { MODEL_KINDS, adaptCritic, adaptGenerator, fuseGenerators, generatorRecreator, modelKindOf } from './modelKinds.js';
export type { DiscriminatorModel, GeneratorModel } from './modelKinds.js';
export type { AdaptedCritic, CriticContext, CriticModelOf, CriticRole, GeneratorContext, GeneratorModelOf, GeneratorRole, ModelKind } from './modelKind.js';
export { mlpGeneratorKind, plainModelKind } from '../functions/kind.js';
export { onnxModelKind } from '../onnx/kind.js';
export { inferenceOnlyKind, layersModelKind } from '../tfjs/kind.js';
