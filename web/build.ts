/**
 * Builds the browser page (web/index.html + web/src/main.ts) into a static folder (default
 * web/dist/) that any static host can serve: the page, one ES module bundle (split chunks), and
 * the WebAssembly files of tfjs' wasm backend (dist/tfjs/) and onnxruntime-web (dist/ort/).
 *
 * The bundle is built for `platform: 'browser'` with no Node polyfills: an import of a Node
 * built-in (`node:fs`, `fs`, `os`, …) anywhere in the page's import graph FAILS the build
 * (esbuild cannot resolve it), so the engine stays browser-safe (DESIGN.md: "no Node-only
 * imports in it"). Packages that declare their own browser replacements (tfjs' `"browser":
 * { "fs": false }`) keep them.
 *
 *   npx tsx web/build.ts [outDir]
 */
import { build as esbuild, type Message, type Metafile } from 'esbuild';
import { copyFile, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root. */
export const ROOT = resolve(here, '..');
/** Where `npm run web:build` writes the page. */
export const DEFAULT_OUT = join(here, 'dist');

/** Options of {@link buildWeb}. */
export interface BuildWebOptions {
  /** Output folder (emptied first). Default web/dist/. */
  outDir?: string;
  /** The page's script (default web/src/main.ts); tests pass others. */
  entry?: string;
  /** Minify (default true). */
  minify?: boolean;
  /** Copy index.html and the .wasm files (default true; false builds only the bundle). */
  assets?: boolean;
}

/** What {@link buildWeb} wrote. */
export interface BuildWebResult {
  outDir: string;
  /** JavaScript files written (relative to outDir) with their size and gzip size in bytes. */
  scripts: Array<{ file: string; bytes: number; gzipBytes: number }>;
  /** Sum over the scripts. */
  jsBytes: number;
  jsGzipBytes: number;
  /** The .wasm files copied (relative to outDir) and their sizes. */
  wasm: Array<{ file: string; bytes: number }>;
  warnings: Message[];
  metafile: Metafile;
}

/** The WebAssembly files the page loads at run time, by folder under the output. */
const WASM_ASSETS: Record<string, { from: string; files: (name: string) => boolean }> = {
  // tfjs picks one of these by the browser's features (SIMD, threads) and fetches it from setWasmPaths' prefix.
  tfjs: { from: 'node_modules/@tensorflow/tfjs-backend-wasm/dist', files: (f) => f.endsWith('.wasm') },
  // The bundled 'onnxruntime-web/wasm' build embeds its JS glue and fetches only this (threads or not).
  ort: { from: 'node_modules/onnxruntime-web/dist', files: (f) => f === 'ort-wasm-simd-threaded.wasm' },
};

/**
 * Builds the page. Rejects (with esbuild's messages, e.g. `Could not resolve "node:fs"`) when
 * the bundle cannot be made for a browser.
 */
export async function buildWeb(options: BuildWebOptions = {}): Promise<BuildWebResult> {
  const outDir = resolve(options.outDir ?? DEFAULT_OUT);
  const assets = options.assets ?? true;
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const result = await esbuild({
    entryPoints: { app: options.entry ?? join(here, 'src/main.ts') },
    absWorkingDir: ROOT,
    outdir: outDir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022', 'chrome110', 'firefox115', 'safari16'],
    minify: options.minify ?? true,
    sourcemap: false,
    metafile: true,
    logLevel: 'silent',
    // The engine's optional native backends are loaded by a computed name, never bundled.
    logOverride: { 'unsupported-dynamic-import': 'silent' },
    define: { 'process.env.NODE_ENV': '"production"' },
    chunkNames: 'chunks/[name]-[hash]',
  });
  if (assets) {
    let html = await readFile(join(here, 'index.html'), 'utf8');
    html = html.replace('<!--build-->', `<!-- built ${new Date().toISOString()} -->`);
    await writeFile(join(outDir, 'index.html'), html);
  }
  const wasm: BuildWebResult['wasm'] = [];
  if (assets) {
    for (const [folder, spec] of Object.entries(WASM_ASSETS)) {
      const from = join(ROOT, spec.from);
      await mkdir(join(outDir, folder), { recursive: true });
      for (const name of (await readdir(from)).filter(spec.files)) {
        await copyFile(join(from, name), join(outDir, folder, name));
        wasm.push({ file: `${folder}/${name}`, bytes: (await stat(join(from, name))).size });
      }
    }
  }
  const scripts: BuildWebResult['scripts'] = [];
  for (const file of Object.keys(result.metafile.outputs).filter((f) => f.endsWith('.js'))) {
    const abs = resolve(ROOT, file);
    const bytes = await readFile(abs);
    scripts.push({ file: relative(outDir, abs), bytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length });
  }
  return {
    outDir,
    scripts,
    jsBytes: scripts.reduce((s, f) => s + f.bytes, 0),
    jsGzipBytes: scripts.reduce((s, f) => s + f.gzipBytes, 0),
    wasm,
    warnings: result.warnings,
    metafile: result.metafile,
  };
}

const kb = (n: number): string => `${(n / 1024).toFixed(0)} KiB`;

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = process.argv[2];
  buildWeb(out ? { outDir: out } : {}).then(
    (r) => {
      console.log(`web: wrote ${relative(process.cwd(), r.outDir) || '.'}/ — JavaScript ${kb(r.jsBytes)} (${kb(r.jsGzipBytes)} gzip) in ${r.scripts.length} file(s), wasm ${kb(r.wasm.reduce((s, w) => s + w.bytes, 0))}`);
      for (const w of r.warnings) console.warn(`warning: ${w.text}${w.location ? ` (${w.location.file}:${w.location.line})` : ''}`);
    },
    (error: unknown) => {
      console.error(`web: build failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    },
  );
}
