import js from '@eslint/js';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import tseslint from 'typescript-eslint';

const root = dirname(fileURLToPath(import.meta.url));

/**
 * The layers, bottom to top (docs/architecture.md). A file may import its own layer and the
 * layers below it, never one above. Globs are relative to the repository root; any new
 * folder under src/ that is not an L0 folder counts as L3.
 */
const LAYERS = [
  { name: 'L0 core maths and engine', files: ['src/core/**', 'src/engine/**', 'src/losses/**', 'src/metrics/**'] },
  { name: 'L1 adapters', files: ['adapters/**'] },
  { name: 'L2 plugins', files: ['plugins/**'] },
  { name: 'L3 public API and DI', files: ['src/!(core|engine|losses|metrics)/**', 'src/*.ts'] },
  { name: 'L4 outside', files: ['cli/**', 'bench/**', 'scripts/**', 'examples/**', 'test/**', 'web/**'] },
];

/** One zone per layer: its files may not import from any layer above it. */
const layerZones = LAYERS.slice(0, -1).map((layer, i) => {
  const above = LAYERS.slice(i + 1);
  return {
    target: layer.files.map((g) => `./${g}`),
    from: above.flatMap((l) => l.files.map((g) => `./${g}`)),
    message: `${layer.name} may import only ${LAYERS.slice(0, i + 1).map((l) => l.name.split(' ')[0]).join(', ')} (not ${above.map((l) => l.name).join(', ')}); see docs/architecture.md.`,
  };
});

export default tseslint.config(
  { ignores: ['dist/**', 'web/dist/**', 'test-artifacts/**', 'node_modules/**', 'docs/**', 'coverage/**', 'tmp/**', 'runs/**', '.devicecarry/**', '.stryker-tmp/**', 'reports/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Its default disallowTypeAnnotations also forbids `import('…').T` types, which the layer rule would not see.
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Layers: each import is resolved (`.js` specifiers to the `.ts` sources) and its file's
    // layer checked, so `../../plugins/x.js`, `import type`, `export … from` and `import()` all
    // count. Import cycles (type-only imports included) are checked by test/architecture.test.ts.
    files: ['**/*.ts', '**/*.js', '**/*.mjs'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.mjs', '.json'], extensionAlias: { '.js': ['.ts', '.js'] } })],
    },
    rules: {
      'import-x/no-restricted-paths': ['error', { basePath: root, zones: layerZones }],
    },
  },
);
