import { configDefaults, defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * The vitest config mutation testing runs (stryker.config.mjs): vitest.config.ts without the
 * end-to-end tests that spawn the built CLI (`dist/cli/main.js`), the benchmark or a browser.
 * Stryker mutates the sources in a sandbox that has no dist/, so those tests cannot see a
 * mutant (and fail for want of dist/). Keep this list in step with new end-to-end test files.
 */
export const END_TO_END = [
  'test/package.test.ts',
  'test/bench/**',
  'test/cli/ema.test.ts',
  'test/cli/exportSample.test.ts',
  'test/cli/onnx.test.ts',
  'test/cli/resume.test.ts',
  'test/cli/sweep.test.ts',
  'test/cli/trainLines.test.ts',
  'test/reliability/badInputs.test.ts',
  'test/reliability/kill.test.ts',
  'test/reliability/nan.test.ts',
  'test/reliability/nanImages.test.ts',
  'test/reliability/signals.test.ts',
  'test/web/browser.test.ts',
  'test/web/build.test.ts',
];

/** `DMGAN_MUTATION_TESTS` (set by stryker.config.mjs for one folder): only these test files (a JSON array of globs). */
const only = process.env.DMGAN_MUTATION_TESTS;

// Test files share one module graph across files and mutants (no per-file re-import of tfjs and
// the sources): seconds less per mutant. Every folder's unit tests set their backend themselves.
const config = mergeConfig(base, defineConfig({ test: { exclude: [...configDefaults.exclude, ...END_TO_END], isolate: false } }));
// Replaced, not merged: mergeConfig would append it to the base's include.
if (only && config.test) config.test.include = JSON.parse(only) as string[];

export default config;
