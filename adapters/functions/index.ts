export { plainCritic, plainGenerator, isPlainModel } from './plainModels.js';
export type { PlainCritic, PlainGenerator } from './plainModels.js';
