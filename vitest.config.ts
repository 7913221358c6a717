import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * `dmgan` and its subpaths (as the examples import them) resolve to the TypeScript sources, by
 * the "dmgan-source" condition of package.json "exports" (tsconfig.json's customConditions does
 * the same for tsc): tests run on the sources, one module instance, without a fresh dist/.
 */
const pkg = JSON.parse(readFileSync(new URL('package.json', import.meta.url), 'utf8')) as { name: string; exports: Record<string, string | Record<string, string>> };
const sourceAliases = Object.entries(pkg.exports).flatMap(([subpath, target]) => {
  const source = typeof target === 'object' ? target['dmgan-source'] : undefined;
  if (source === undefined) return [];
  const specifier = pkg.name + subpath.slice(1);
  return [{ find: new RegExp(`^${specifier.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`), replacement: fileURLToPath(new URL(source, import.meta.url)) }];
});

export default defineConfig({
  resolve: { alias: sourceAliases },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
