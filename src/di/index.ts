export { TOKENS } from './tokens.js';
export type { TokenName } from './tokens.js';
export { dmganModule, defaultQHeadFactory } from './dmganModule.js';
export type { DmganModuleOptions } from './dmganModule.js';
