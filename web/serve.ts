/**
 * A tiny static server for the built page (web/dist/), for `npm run web` and the browser test.
 * Serves files under one folder with their content types (application/wasm for .wasm, which
 * WebAssembly.instantiateStreaming needs); nothing else.
 *
 *   npx tsx web/serve.ts [--port N] [--no-build] [dir]
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildWeb, DEFAULT_OUT } from './build.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** A running server: its URL (ending in '/') and how to stop it. */
export interface StaticServer {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

/** Serves `dir` on 127.0.0.1:`port` (0: a free port). */
export async function serveStatic(dir: string, port = 0): Promise<StaticServer> {
  const root = resolve(dir);
  const server = createServer((req, res) => {
    void (async () => {
      try {
        const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
        let file = normalize(join(root, path));
        if (file !== root && !file.startsWith(root + sep)) {
          res.writeHead(403).end('forbidden');
          return;
        }
        let info = await stat(file).catch(() => null);
        if (info?.isDirectory()) {
          file = join(file, 'index.html');
          info = await stat(file).catch(() => null);
        }
        if (!info?.isFile() || (req.method !== 'GET' && req.method !== 'HEAD')) {
          res.writeHead(info ? 405 : 404, { 'content-type': 'text/plain' }).end(info ? 'method not allowed' : 'not found');
          return;
        }
        res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': info.size, 'cache-control': 'no-cache' });
        if (req.method === 'HEAD') res.end();
        else createReadStream(file).pipe(res);
      } catch (error) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
      }
    })();
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => ok());
  });
  const { port: actual } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${actual}/`,
    server,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const portAt = args.indexOf('--port');
  const port = portAt >= 0 ? Number(args[portAt + 1]) : 8080;
  const dir = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--port') ?? DEFAULT_OUT;
  const main = async (): Promise<void> => {
    if (!args.includes('--no-build')) {
      const r = await buildWeb({ outDir: dir });
      console.log(`web: built ${r.scripts.length} script(s), ${(r.jsGzipBytes / 1024).toFixed(0)} KiB gzip`);
    }
    const s = await serveStatic(dir, port);
    console.log(`web: serving ${dir} at ${s.url} (Ctrl-C stops)`);
  };
  main().catch((error: unknown) => {
    console.error(`web: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  });
}
