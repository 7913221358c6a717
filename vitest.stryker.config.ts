import { relative } from 'node:path';
import { configDefaults, defineConfig, mergeConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
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

/**
 * Quickest test files first. Stryker stops a mutant's run at its first failing test, so a mutant
 * the quick unit tests kill never waits for a training test; vitest's own order (longest first,
 * for parallel runs) would run the slowest file first for every mutant.
 */
class QuickestFirst extends BaseSequencer {
  override sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const cost = (spec: TestSpecification): [number, number] => {
      const key = `${spec.project.name}:${relative(this.ctx.config.root, spec.moduleId)}`;
      const duration = this.ctx.cache.getFileTestResults(key)?.duration;
      return [duration ?? Number.POSITIVE_INFINITY, this.ctx.cache.getFileStats(key)?.size ?? 0];
    };
    return Promise.resolve(
      [...files].sort((a, b) => {
        const [da, sa] = cost(a);
        const [db, sb] = cost(b);
        return da !== db ? da - db : sa - sb;
      }),
    );
  }
}

// Test files share one module graph across files and mutants (no per-file re-import of tfjs and
// the sources): seconds less per mutant. Every folder's unit tests set their backend themselves.
const config = mergeConfig(base, defineConfig({ test: { exclude: [...configDefaults.exclude, ...END_TO_END], isolate: false, sequence: { sequencer: QuickestFirst } } }));
// Replaced, not merged: mergeConfig would append it to the base's include.
if (only && config.test) config.test.include = JSON.parse(only) as string[];

export default config;
