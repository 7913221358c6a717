export { EmaPlugin, checkEmaDecay, emaPluginOf } from './emaPlugin.js';
export type { EmaPluginOptions, EmaPluginState } from './emaPlugin.js';
