import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The built CLI: `npm test` builds before vitest.
const CLI = resolve('dist/cli/main.js');

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 90_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const RUN = ['train', 'lines', '--backend', 'wasm', '--kernels', 'wasm', '--seed', '3', '--generators', '3', '--eval-every', '30'];

/** Every evaluation of a run, without wall-clock fields. */
function history(dir: string): Array<Record<string, unknown>> {
  return readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const { elapsed_s: _elapsed, ...rest } = JSON.parse(line) as Record<string, unknown>;
      return rest;
    });
}

const metrics = (dir: string): Record<string, unknown> => JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')) as Record<string, unknown>;

let tmp: string;
let whole: string;
let plain: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'dmgan-ema-cli-'));
  whole = join(tmp, 'whole');
  plain = join(tmp, 'plain');
  expect(cli([...RUN, '--iterations', '90', '--ema', '0.9', '--out', whole]).status).toBe(0);
  expect(cli([...RUN, '--iterations', '90', '--out', plain]).status).toBe(0);
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('dmgan train lines --ema DECAY', () => {
  it('reports the averaged generators and the raw ones side by side; the raw ones are the run without --ema', () => {
    const m = metrics(whole);
    expect(m.weights).toBe('averaged (ema 0.9)');
    expect(m.ema).toBe(0.9);
    const raw = m.raw as Record<string, unknown>;
    const p = metrics(plain);
    expect(p.raw).toBeUndefined();
    for (const key of ['energy_distance', 'off_manifold_rate', 'segment_jsd', 'segment_shares']) expect(raw[key], key).toEqual(p[key]);
    expect(m.energy_distance).not.toEqual(p.energy_distance);
    // The training is the same: the prior (and so the effective generators) too.
    expect(m.prior).toEqual(p.prior);
    const h = history(whole);
    expect(h.map((r) => (r.raw as { off_manifold_rate: number }).off_manifold_rate)).toEqual(history(plain).map((r) => r.off_manifold_rate));
    const html = readFileSync(join(whole, 'index.html'), 'utf8');
    for (const key of ['off_manifold_rate', 'raw_off_manifold_rate', 'energy_distance', 'raw_energy_distance']) expect(html).toContain(`<th>${key}</th>`);
  });

  it('resumes bit-identically with the average (the checkpoints hold it), and --resume DIR alone keeps --ema', () => {
    const split = join(tmp, 'split');
    expect(cli([...RUN, '--iterations', '60', '--ema', '0.9', '--checkpoint-every', '30', '--out', split]).status).toBe(0);
    const resumed = cli(['train', 'lines', '--resume', split, '--iterations', '90']);
    expect(resumed.stderr).toMatch(/resumed from .*step-60 at iteration 60/);
    expect(resumed.status).toBe(0);
    expect(history(split)).toEqual(history(whole));
    expect(metrics(split).raw).toEqual(metrics(whole).raw);
    expect(metrics(split).energy_distance).toEqual(metrics(whole).energy_distance);
    const other = cli(['train', 'lines', '--resume', split, '--iterations', '120', '--ema', '0.99']);
    expect(other.status).toBe(2);
    expect(other.stderr).toMatch(/options differ from the checkpointed run: --ema was 0\.9, now 0\.99/);
  });

  it('exports the averaged weights: sampling the export differs from the run without --ema, which trained the same raw weights', () => {
    const sample = (run: string): unknown => {
      const onnx = join(run, 'model.onnx');
      expect(cli(['export', '--checkpoint', run, '--out', onnx]).status).toBe(0);
      const out = join(run, 'samples.json');
      expect(cli(['sample', '--onnx', onnx, '--count', '16', '--seed', '1', '--out', out]).status).toBe(0);
      return (JSON.parse(readFileSync(out, 'utf8')) as { samples: unknown }).samples;
    };
    expect(sample(whole)).not.toEqual(sample(plain));
  });

  it('refuses a bad decay naming --ema, writing nothing', () => {
    for (const bad of ['0', '1', '-0.1', 'NaN', 'x']) {
      const out = join(tmp, `bad-${bad}`);
      const r = cli([...RUN, '--iterations', '6', '--ema', bad, '--out', out]);
      expect(r.status, bad).toBe(2);
      expect(r.stderr.trim(), bad).toBe(`dmgan: --ema must be a number in (0, 1), the decay of the generator weight average, e.g. 0.999 (got '${bad}')`);
      expect(existsSync(out), bad).toBe(false);
    }
  });
});
