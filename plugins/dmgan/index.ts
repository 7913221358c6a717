export { DmganPlugin } from './dmganPlugin.js';
export type { DmganPluginParts, DmganPluginState } from './dmganPlugin.js';
