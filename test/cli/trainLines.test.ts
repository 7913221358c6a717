import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The built CLI: `npm test` builds before vitest; build with `npx tsc -p tsconfig.build.json` when running alone.
const CLI = resolve('dist/cli/main.js');

function dmgan(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'dmgan-cli-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('dmgan train lines', () => {
  it('is built', () => {
    expect(existsSync(CLI)).toBe(true);
    expect(readFileSync(CLI, 'utf8').startsWith('#!/usr/bin/env node')).toBe(true);
  });

  it('trains end to end and writes metrics, pictures and the page', () => {
    const out = join(tmp, 'run');
    const r = dmgan(['train', 'lines', '--iterations', '60', '--eval-every', '30', '--backend', 'wasm', '--seed', '1', '--out', out]);
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(out);
    expect(r.stdout).toMatch(/energy_distance: [\d.e-]+/);
    for (const f of ['metrics.json', 'metrics.jsonl', 'index.html', 'real_vs_generated.svg', 'generators.svg', 'prior.svg', 'metrics.svg']) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    // Only finished files: no temporary leftovers from atomic writes or the probe.
    expect(readdirSync(out).filter((f) => f.startsWith('.'))).toEqual([]);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as Record<string, unknown>;
    for (const key of [
      'energy_distance',
      'off_manifold_rate',
      'segment_jsd',
      'effective_generators',
      'prior_perplexity',
      'prior',
      'per_generator',
      'iterations',
      'ms_per_iteration',
      'backend',
      'dataset',
      'model',
      'seed',
      'generators',
      'segment_shares',
      'command',
    ]) {
      expect(metrics, key).toHaveProperty(key);
    }
    expect(metrics.iterations).toBe(60);
    expect(metrics.backend).toBe('wasm');
    expect(metrics.dataset).toBe('balanced');
    expect(Number.isFinite(metrics.energy_distance)).toBe(true);
    const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { iteration: number }).iteration)).toEqual([30, 60]);
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain('<svg');
  });

  it('stops on SIGINT, writes a checkpoint at the iteration reached and the report for what was done and exits 0', async () => {
    const out = join(tmp, 'interrupted');
    const child = spawn(process.execPath, [CLI, 'train', 'lines', '--iterations', '1000000', '--eval-every', '500000', '--checkpoint-every', '5', '--backend', 'wasm', '--out', out]);
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (stderr += chunk));
    // SIGINT once the child has trained (its first periodic checkpoint exists), not after a delay.
    const poll = setInterval(() => {
      if (!existsSync(join(out, 'checkpoints', 'latest'))) return;
      clearInterval(poll);
      child.kill('SIGINT');
    }, 10);
    const code = await new Promise<number | null>((done) => child.on('exit', (c) => done(c)));
    clearInterval(poll);
    expect(code).toBe(0);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as { iterations: number; aborted: boolean };
    expect(metrics.aborted).toBe(true);
    expect(metrics.iterations).toBeGreaterThanOrEqual(5);
    expect(metrics.iterations).toBeLessThan(1_000_000);
    expect(stderr).toContain(`interrupted after ${metrics.iterations} iterations`);
    // The stop's checkpoint (or the periodic one, when it stopped on a multiple of 5) is at the iteration reached.
    expect(readFileSync(join(out, 'checkpoints', 'latest'), 'utf8').trim()).toBe(`step-${metrics.iterations}`);
    expect(existsSync(join(out, 'index.html'))).toBe(true);
    expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(1);
  });

  const fileInTheWay = (): string => {
    const f = join(tmp, 'a-file');
    writeFileSync(f, 'x');
    return f;
  };

  const bad: Array<[string, string[] | (() => string[]), RegExp]> = [
    ['unknown dataset', ['--dataset', 'spirals'], /--dataset.*balanced, unbalanced, circles/],
    ['unknown model', ['--model', 'gan'], /--model.*dmwgan-pl, dmwgan, wgan-gp/],
    ['zero iterations', ['--iterations', '0'], /--iterations.*positive integer/],
    ['negative iterations', ['--iterations', '-5'], /--iterations.*positive integer/],
    ['fractional iterations', ['--iterations', '2.5'], /--iterations.*positive integer/],
    ['zero generators', ['--generators', '0'], /--generators.*positive integer/],
    ['non-numeric eval-every', ['--eval-every', 'abc'], /--eval-every.*positive integer/],
    ['unknown backend', ['--backend', 'gpu'], /--backend.*auto, tensorflow, wasm, cpu/],
    ['unknown kernel placement', ['--kernels', 'gpu'], /--kernels must be one of auto, onnxruntime, wasm \(got 'gpu'\)/],
    ['onnxruntime kernels on the cpu backend', ['--backend', 'cpu', '--kernels', 'onnxruntime'], /--kernels onnxruntime: onnxruntime kernels replace the wasm backend's, but the active backend is cpu/],
    ['unknown option', ['--bogus'], /--bogus/],
  ];
  it.each(bad)('rejects %s with one line naming the option and creates nothing', (_name, args, message) => {
    const out = join(tmp, `bad-${_name.replace(/\W/g, '-')}`);
    const r = dmgan(['train', 'lines', ...(typeof args === 'function' ? args() : args), '--out', out]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
  });

  it('rejects an --out under a file, and an --out that is a file', () => {
    const file = fileInTheWay();
    for (const out of [join(file, 'run'), file]) {
      const r = dmgan(['train', 'lines', '--iterations', '6', '--backend', 'cpu', '--out', out]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/--out/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(readFileSync(file, 'utf8')).toBe('x');
  });
});
