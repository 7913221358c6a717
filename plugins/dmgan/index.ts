export { DmganPlugin, scoped } from './dmganPlugin.js';
export type { DmganPluginParts, DmganPluginState } from './dmganPlugin.js';
export { DmganCore } from './dmganCore.js';
export type { DmganCoreCounters, DmganCoreParts } from './dmganCore.js';
