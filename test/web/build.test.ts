import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildWeb, ROOT } from '../../web/build.js';

const dirs: string[] = [];
const temp = async (): Promise<string> => {
  const d = await mkdtemp(join(tmpdir(), 'dmgan-web-'));
  dirs.push(d);
  return d;
};
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

describe('web build (npm run web:build)', () => {
  it('bundles the page for a browser, with the wasm files, and no Node built-in in its inputs', async () => {
    const out = await temp();
    const r = await buildWeb({ outDir: out });
    expect(r.scripts.map((s) => s.file)).toContain('app.js');
    // No input of the bundle is a Node built-in (a package's own browser replacement counts as its own file).
    const inputs = Object.keys(r.metafile.inputs);
    expect(inputs.filter((f) => NODE_BUILTINS.has(f) || f.startsWith('node:'))).toEqual([]);
    // The engine and the experiment are in it; onnxruntime-node and the CLI are not.
    expect(inputs.some((f) => f.endsWith('src/experiments/lines/run.ts'))).toBe(true);
    expect(inputs.some((f) => f.endsWith('src/engine/backend.ts'))).toBe(true);
    expect(inputs.filter((f) => /onnxruntime-node|adapters\/onnxruntime\/|\bcli\//.test(f))).toEqual([]);
    expect(r.wasm.map((w) => w.file)).toEqual(expect.arrayContaining(['tfjs/tfjs-backend-wasm-simd.wasm', 'tfjs/tfjs-backend-wasm.wasm', 'ort/ort-wasm-simd-threaded.wasm']));
    const html = await readFile(join(out, 'index.html'), 'utf8');
    expect(html).toContain('<script type="module" src="./app.js">');
    // A budget, so a stray dependency shows: the page's JavaScript is ~280 KiB gzip.
    expect(r.jsGzipBytes).toBeLessThan(600 * 1024);
  });

  it('fails on an entry that imports a Node built-in (here: the public initEngine, which loads onnxruntime-node)', async () => {
    const dir = await temp();
    const entry = join(dir, 'nodeEntry.ts');
    await writeFile(entry, `import { initEngine } from ${JSON.stringify(join(ROOT, 'src/api/initEngine.ts'))};\nawait initEngine('wasm');\n`);
    await expect(buildWeb({ outDir: join(dir, 'out'), entry, assets: false })).rejects.toThrow(/Could not resolve "(node:)?\w+/);
  });

  it('fails on a direct node:fs import', async () => {
    const dir = await temp();
    const entry = join(dir, 'fsEntry.ts');
    await writeFile(entry, `import { readFileSync } from 'node:fs';\nconsole.log(readFileSync);\n`);
    await expect(buildWeb({ outDir: join(dir, 'out'), entry, assets: false })).rejects.toThrow(/Could not resolve "node:fs"/);
  });
});
