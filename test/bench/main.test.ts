import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const BENCH = resolve('dist/bench/main.js');
const dir = mkdtempSync(join(tmpdir(), 'dmgan-bench-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function bench(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return benchWith({}, ...args);
}

function benchWith(env: Record<string, string>, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BENCH, ...args], { encoding: 'utf8', timeout: 300_000, env: { ...process.env, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('npm run bench (tiny schedules)', () => {
  it('lines: writes ms_per_iteration, the peer ratio and a soak series whose tensor count stays flat', () => {
    const json = join(dir, 'lines.json');
    const r = bench('--workload', 'lines', '--variants', 'default', '--iterations', '6', '--repeats', '1', '--warmup', '2', '--soak', '60', '--json', json);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(readFileSync(json, 'utf8')) as Record<string, unknown> & { soak: { samples: { tensors: number }[] } };
    expect(out['ms_per_iteration']).toBeGreaterThan(0);
    expect(out['ratio_to_peer_routed_1_thread']).toBeGreaterThan(0);
    expect(out.soak.samples).toHaveLength(11);
    expect(new Set(out.soak.samples.map((s) => s.tensors)).size).toBe(1);
  });

  it('mnist: times the 20-generator workload and reports the ratio to the peer', () => {
    const json = join(dir, 'mnist.json');
    const r = bench('--workload', 'mnist', '--variants', 'default', '--iterations', '1', '--repeats', '1', '--warmup', '1', '--json', json);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(readFileSync(json, 'utf8')) as Record<string, number>;
    expect(out['ms_per_iteration']).toBeGreaterThan(0);
    expect(out['ratio_to_peer_routed_2_threads']).toBeCloseTo((out['ms_per_iteration'] as number) / 213, 6);
    // onnxruntime-node is installed here (a dev dependency), so auto puts the heavy kernels there.
    expect(String(out['kernels'])).toMatch(/^onnxruntime/);
  });

  it('--kernels wasm keeps every kernel on the wasm backend, and a bad choice is named', () => {
    const json = join(dir, 'mnist-wasm.json');
    const r = bench('--workload', 'mnist', '--variants', 'default', '--kernels', 'wasm', '--iterations', '1', '--repeats', '1', '--warmup', '0', '--json', json);
    expect(r.status, r.stderr).toBe(0);
    expect((JSON.parse(readFileSync(json, 'utf8')) as Record<string, unknown>)['kernels']).toBe('wasm');
    const bad = bench('--kernels', 'gpu');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--kernels must be auto, onnxruntime, wasm');
  });

  it('rejects an unknown workload with a message naming the option', () => {
    const r = bench('--workload', 'faces');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("--workload must be lines, mnist, onnx or layers (got 'faces')");
  });

  it('layers: times withDMGAN around the tfjs-layers DCGAN with a flat tensor count, and names why the PyTorch twin did not run', () => {
    const json = join(dir, 'layers.json');
    const report = join(dir, 'layers-report');
    const r = benchWith({ DMGAN_BENCH_PYTHON: '/nonexistent/python3' }, '--workload', 'layers', '--variants', 'default', '--iterations', '6', '--repeats', '1', '--warmup', '0', '--json', json, '--report', report);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('(twin: /nonexistent/python3: spawnSync /nonexistent/python3 ENOENT)');
    const out = JSON.parse(readFileSync(json, 'utf8')) as { kernels: string; rows: { variant: { generators: number; batch: number; loss: string }; dmgan: { ms_per_iteration: number; tensors_before: number; tensors_after: number }; ratio: number | null }[] };
    expect(out.kernels).toMatch(/^onnxruntime/);
    expect(out.rows).toHaveLength(1);
    const [row] = out.rows;
    expect(row?.variant).toMatchObject({ generators: 3, batch: 32, loss: 'wgan-gp' });
    expect(row?.dmgan.ms_per_iteration).toBeGreaterThan(0);
    expect(row?.dmgan.tensors_after).toBe(row?.dmgan.tensors_before);
    expect(row?.ratio).toBeNull();
    expect(readFileSync(join(report, 'layers.md'), 'utf8')).toContain('| 3 | 32 | wgan-gp |');
  });
});
