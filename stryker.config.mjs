// Mutation testing (StrykerJS + its vitest runner): see docs/testing.md, "Mutation testing".
// Run everything: `npm run mutation`; one folder against its own unit tests:
// `DMGAN_MUTATION_FOLDER=src/losses npm run mutation` (a key of FOLDERS). Not part of `npm test`.

import process from 'node:process';

/**
 * A folder's mutants against the unit tests that mirror it: minutes instead of hours, since
 * the end-to-end trainer tests (1–3 min per mutant here) do not run. The score is a lower
 * bound: a mutant that only a wider test kills counts as survived.
 */
const FOLDERS = {
  'src/core': ['test/src/core/**/*.test.ts'],
  // The maths of src/core (the prior, Adam, Q, batch norm, the closed-form critic gradients):
  // 914 of the folder's 2 057 mutants, against its quick unit tests.
  'src/core/maths': ['test/src/core/{prior,priorInput,effectiveGenerators,qHead}.test.ts', 'test/src/core/{optim,nn}/*.test.ts'],
  'src/losses': ['test/src/losses/**/*.test.ts'],
  'src/metrics': ['test/src/metrics/**/*.test.ts'],
  // The operators against their op-level tests: the ONNX conformance cases, the exported
  // ensembles' Equal/Where/ReduceSum, training-mode batch norm against PyTorch (~10 s in all;
  // the folder's model, gradient and export tests take minutes per mutant here).
  'adapters/onnx/ops': ['test/adapters/onnx/{conformance,bnTraining}.test.ts', 'test/adapters/onnx/ops/*.test.ts'],
  'plugins/dmgan': ['test/plugins/dmgan/**/*.test.ts'],
};
const folder = process.env.DMGAN_MUTATION_FOLDER;
if (folder !== undefined && !(folder in FOLDERS)) {
  throw new Error(`DMGAN_MUTATION_FOLDER must be one of ${Object.keys(FOLDERS).join(', ')} (got '${folder}')`);
}
// Read by vitest.stryker.config.ts in the test runner processes, which inherit the environment.
if (folder !== undefined) process.env.DMGAN_MUTATION_TESTS = JSON.stringify(FOLDERS[folder]);
const CORE_MATHS = ['prior', 'effectiveGenerators', 'adamState', 'optim/variableAdam', 'qHead', 'nn/batchNorm', 'nn/mlpWasserstein'].map((f) => `src/core/${f}.ts`);
const slug = folder === undefined ? 'all' : folder.replaceAll('/', '-');

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
  mutate: folder === 'src/core/maths' ? CORE_MATHS : folder !== undefined ? [`${folder}/**/*.ts`, '!**/index.ts', '!**/*.d.ts'] : [
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
  incrementalFile: `reports/stryker-incremental-${slug}.json`,
  reporters: ['html', 'json', 'clear-text', 'progress'],
  htmlReporter: { fileName: `reports/mutation/${slug}.html` },
  jsonReporter: { fileName: `reports/mutation/${slug}.json` },
  // tfjs kernels are slow and the machine is shared: a mutant times out at 2.5 × its tests'
  // time in the dry run + 10 s, so only real hangs (a mutated loop bound) count as timeouts.
  timeoutFactor: 2.5,
  // The ONNX adapter's tests took over Stryker's default 5 minutes for the first (dry) run on a loaded 2-core machine.
  dryRunTimeoutMinutes: 30,
  timeoutMS: 10_000,
  // Two cores here; raise it with --concurrency N on a bigger machine.
  concurrency: 1,
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
