// Mutation testing (StrykerJS + its vitest runner): see docs/testing.md, "Mutation testing".
// Run everything: `npm run mutation`; one folder: `npm run mutation -- --mutate 'src/losses/**/*.ts'`.
// Not part of `npm test`.

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: {
    configFile: 'vitest.stryker.config.ts',
    // vitest.config.ts minus the end-to-end tests that spawn dist/ (not in the sandbox).
    // Only the test files that import (transitively) a mutated file run, in the dry run too.
    related: true,
  },
  // Per-test coverage: each mutant runs only the tests that executed its code.
  coverageAnalysis: 'perTest',
  mutate: [
    'src/core/**/*.ts',
    'src/losses/**/*.ts',
    'src/metrics/**/*.ts',
    'adapters/onnx/**/*.ts',
    'plugins/dmgan/**/*.ts',
    '!**/index.ts',
    '!**/*.d.ts',
  ],
  // Files copied into the sandbox: skip build outputs and run artefacts (all git-ignored).
  ignorePatterns: ['/dist', '/coverage', '/runs', '/tmp', '/test-artifacts', '/web/dist', '/reports', '/.devicecarry'],
  // A second run re-tests only the mutants whose code or tests changed.
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  reporters: ['html', 'json', 'clear-text', 'progress'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  // tfjs kernels are slow and the machine is shared: a mutant times out at 2.5 × its tests'
  // time in the dry run + 10 s, so only real hangs (a mutated loop bound) count as timeouts.
  timeoutFactor: 2.5,
  timeoutMS: 10_000,
  // Two cores here; raise it with --concurrency N on a bigger machine.
  concurrency: 1,
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
