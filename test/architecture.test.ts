import { ESLint } from 'eslint';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';

// The layers and the import direction (docs/architecture.md): enforced by the layer rule in
// eslint.config.js; import cycles (type-only imports included) are checked here.

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE_DIRS = ['src', 'adapters', 'plugins', 'cli', 'bench', 'scripts', 'examples', 'test'];
const LAYER_RULE = 'import-x/no-restricted-paths';

/** Every .ts file under the source folders, as repository-relative paths with '/'. */
function sourceFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const p = `${dir}/${e.name}`;
      if (e.isDirectory()) {
        if (e.name !== 'node_modules') walk(p);
      } else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
    }
  };
  for (const d of SOURCE_DIRS) if (existsSync(join(ROOT, d))) walk(d);
  return out.sort();
}

/**
 * The relative imports of each file (static, type-only, re-exports, `import()`), resolved
 * the way NodeNext resolves the sources: `x.js` → `x.ts`, a folder → its `index.ts`.
 */
function importGraph(files: ReadonlyMap<string, string>): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const [file, text] of files) {
    const edges = new Set<string>();
    for (const { fileName } of ts.preProcessFile(text, true, true).importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const base = join(dirname(file), fileName).split(sep).join('/');
      const candidates = [base.replace(/\.js$/, '.ts'), base, `${base}.ts`, `${base}/index.ts`];
      const target = candidates.find((c) => files.has(c));
      if (target !== undefined && target !== file) edges.add(target);
    }
    graph.set(file, [...edges].sort());
  }
  return graph;
}

/** The import cycles: each strongly connected component of more than one file (Tarjan), with one cycle through it. */
function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) components.push(component);
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  // Name one concrete cycle per component: a shortest path back to its first file.
  return components.map((component) => {
    const members = new Set(component);
    const start = [...component].sort()[0] as string;
    const previous = new Map<string, string>();
    const queue = [start];
    while (queue.length > 0) {
      const v = queue.shift() as string;
      for (const w of graph.get(v) ?? []) {
        if (!members.has(w)) continue;
        if (w === start) {
          const path = [v];
          while (path[0] !== start) path.unshift(previous.get(path[0] as string) as string);
          return [...path, start];
        }
        if (!previous.has(w)) {
          previous.set(w, v);
          queue.push(w);
        }
      }
    }
    return component;
  });
}

describe('architecture: layers point one way', () => {
  let eslint: ESLint;
  beforeAll(() => {
    eslint = new ESLint({ cwd: ROOT });
  });

  /** The layer rule's messages for `code` linted as if it were the file `path`. */
  async function layerErrors(path: string, code: string): Promise<string[]> {
    const [result] = await eslint.lintText(code, { filePath: join(ROOT, path) });
    return (result?.messages ?? []).filter((m) => m.ruleId === LAYER_RULE).map((m) => m.message);
  }

  it('the lint rule fails on an upward import, value or type-only, however the path is written', async () => {
    const core = await layerErrors('src/core/x.ts', "import { DmganPlugin } from '../../plugins/dmgan/index.js';\nexport const p = DmganPlugin;\n");
    expect(core).toHaveLength(1);
    expect(core[0]).toMatch(/"\.\.\/\.\.\/plugins\/dmgan\/index\.js".*L0 core maths and engine may import only L0/);
    const deep = await layerErrors('src/core/nn/x.ts', "import type { DMGAN } from '../../api/dmgan.js';\nexport type D = DMGAN;\n");
    expect(deep).toHaveLength(1);
    const entry = await layerErrors('src/metrics/x.ts', "export { withDMGAN } from '../index.js';\n");
    expect(entry).toHaveLength(1);
    const adapter = await layerErrors('adapters/tfjs/x.ts', "import type { TrainerPlugin } from '../../src/api/index.js';\nexport type T = TrainerPlugin;\n");
    expect(adapter[0]).toMatch(/L1 adapters may import only L0, L1/);
    const plugin = await layerErrors('plugins/report/x.ts', "export async function f(): Promise<unknown> {\n  return import('../../cli/main.js');\n}\n");
    expect(plugin[0]).toMatch(/L2 plugins may import only L0, L1, L2/);
  });

  it('the lint rule lets imports go down or sideways', async () => {
    expect(await layerErrors('src/core/x.ts', "import { Random } from './random.js';\nimport { gradientPenalty } from '../losses/gradientPenalty.js';\nexport const r = [Random, gradientPenalty];\n")).toEqual([]);
    expect(await layerErrors('plugins/report/x.ts', "import { writeFileAtomic } from '../../adapters/files/atomicFile.js';\nexport const w = writeFileAtomic;\n")).toEqual([]);
    expect(await layerErrors('src/api/x.ts', "import { DmganPlugin } from '../../plugins/dmgan/index.js';\nexport const p = DmganPlugin;\n")).toEqual([]);
    expect(await layerErrors('cli/x.ts', "export { withDMGAN } from '../src/index.js';\n")).toEqual([]);
  });

  it('the cycle check finds a cycle, type-only imports included', () => {
    const files = new Map([
      ['src/core/a.ts', "import type { B } from './b.js';\nexport interface A { b: B }\n"],
      ['src/core/b.ts', "import { c } from './nested/index.js';\nexport interface B { c: typeof c }\n"],
      ['src/core/nested/index.ts', "export type { A } from '../a.js';\nexport const c = 1;\n"],
      ['src/core/d.ts', "import { c } from './nested/index.js';\nexport const d = c;\n"],
    ]);
    expect(findCycles(importGraph(files))).toEqual([['src/core/a.ts', 'src/core/b.ts', 'src/core/nested/index.ts', 'src/core/a.ts']]);
  });

  it('the sources have no import cycles', () => {
    const files = new Map(sourceFiles().map((f) => [f, readFileSync(join(ROOT, f), 'utf8')] as const));
    expect(files.size).toBeGreaterThan(100);
    const cycles = findCycles(importGraph(files)).map((c) => c.join(' → '));
    expect(cycles).toEqual([]);
  });
});
