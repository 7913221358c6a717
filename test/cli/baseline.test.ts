import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baselineArgs, baselineDir, startBaseline } from '../../cli/baseline.js';

// The built CLI: `npm test` builds before vitest.
const CLI = resolve('dist/cli/main.js');

function dmgan(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Resolves once `ready()` holds, polling (no fixed delay: a loaded machine only makes it slower). */
async function until(ready: () => boolean): Promise<void> {
  while (!ready()) await new Promise((r) => setTimeout(r, 50));
}

const json = (path: string): Record<string, unknown> => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;

// Small and quick: 3 generators, 60 iterations, an evaluation and a checkpoint every 30.
const COMMON = ['--seed', '1', '--generators', '3', '--eval-every', '30', '--checkpoint-every', '30', '--backend', 'wasm', '--kernels', 'wasm'];

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'dmgan-baseline-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('baselineArgs', () => {
  it('repeats the run with --model wgan-gp: same data, seed, budget, schedule, engine and averaging', () => {
    const o = { dataset: 'unbalanced', seed: 4, iterations: 500, evalEvery: 50, checkpointEvery: 100, keepCheckpoints: 2, onFault: 'rollback', backend: 'wasm', kernels: 'wasm', ema: 0.99 };
    expect(baselineArgs(o, '/r/baseline-wgan-gp', false)).toEqual(
      'train lines --model wgan-gp --dataset unbalanced --seed 4 --iterations 500 --eval-every 50 --checkpoint-every 100 --keep-checkpoints 2 --on-fault rollback --backend wasm --kernels wasm --ema 0.99 --out /r/baseline-wgan-gp'.split(' '),
    );
    expect(baselineArgs({ ...o, ema: undefined }, '/r/b', true).slice(-3)).toEqual(['wasm', '--resume', '/r/b']);
  });
});

describe('dmgan train lines --baseline', () => {
  it('trains one generator beside the ensemble and compares them in metrics.json, the page and the last stdout line', () => {
    const out = join(tmp, 'run');
    const r = dmgan(['train', 'lines', '--iterations', '60', ...COMMON, '--baseline', '--out', out]);
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(`baseline: training wgan-gp (one generator) beside it: ${baselineDir(out)}`);
    // The same single generator trained on its own: the baseline is exactly that run.
    const alone = join(tmp, 'alone');
    expect(dmgan(['train', 'lines', '--model', 'wgan-gp', '--iterations', '60', ...COMMON, '--out', alone]).status).toBe(0);
    const single = json(join(alone, 'metrics.json'));
    const m = json(join(out, 'metrics.json'));
    expect(m.baseline).toEqual({ model: 'wgan-gp', dir: baselineDir(out), iterations: 60, off_manifold_rate: single.off_manifold_rate, energy_distance: single.energy_distance, segment_jsd: single.segment_jsd });
    const against = `against ${(100 * (single.off_manifold_rate as number)).toFixed(1)} % for one generator (wgan-gp).`;
    expect(m.headline).toMatch(new RegExp(`^\\d+ of 3 generators kept, .*; \\d+\\.\\d % of samples off the data, ${against.replace(/[.()]/g, '\\$&')}$`));
    expect(r.stdout.trim().split('\n').at(-1)).toBe(m.headline);
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain(`<p class="lead">${m.headline as string}</p>`);
  });

  it('continues the baseline with the run on --resume DIR alone (--iterations may grow), exactly as an uninterrupted one', () => {
    const out = join(tmp, 'run');
    const r = dmgan(['train', 'lines', '--resume', out, '--iterations', '90']);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/baseline: training wgan-gp \(one generator\) beside it, resuming at iteration 60/);
    const straight = join(tmp, 'straight');
    expect(dmgan(['train', 'lines', '--model', 'wgan-gp', '--iterations', '90', ...COMMON, '--out', straight]).status).toBe(0);
    const b = json(join(out, 'metrics.json')).baseline as Record<string, unknown>;
    expect(b.iterations).toBe(90);
    expect(b.off_manifold_rate).toBe(json(join(straight, 'metrics.json')).off_manifold_rate);
    expect(b.energy_distance).toBe(json(join(straight, 'metrics.json')).energy_distance);
  });

  it('reads a finished baseline instead of training it again', async () => {
    const out = join(tmp, 'run');
    const lines: string[] = [];
    const o = { dataset: 'balanced', seed: 1, iterations: 90, evalEvery: 30, checkpointEvery: 30, keepCheckpoints: 3, onFault: 'stop', backend: 'wasm', kernels: 'wasm' };
    const baseline = await startBaseline(o, out, (line) => lines.push(line), true);
    expect(lines).toEqual([`baseline: wgan-gp in ${baselineDir(out)} already finished`]);
    expect(await baseline.result()).toEqual({ baseline: json(join(out, 'metrics.json')).baseline });
  });

  it('starts afresh with a run that starts afresh in the same folder', () => {
    const out = join(tmp, 'run');
    const r = dmgan(['train', 'lines', '--iterations', '60', ...COMMON, '--baseline', '--out', out]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(`baseline: training wgan-gp (one generator) beside it: ${baselineDir(out)}`);
    expect((json(join(out, 'metrics.json')).baseline as Record<string, unknown>).off_manifold_rate).toBe(json(join(tmp, 'alone', 'metrics.json')).off_manifold_rate);
  });

  it('stops with its run on SIGINT: both checkpoint and stop', async () => {
    const out = join(tmp, 'stopped');
    const child = spawn(process.execPath, [CLI, 'train', 'lines', '--iterations', '1000000', ...COMMON, '--baseline', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Signalled once both have written a checkpoint (every 30 iterations): both are training.
    const checkpointed = (dir: string): boolean => existsSync(join(dir, 'checkpoints')) && readdirSync(join(dir, 'checkpoints')).some((f) => f.startsWith('step-'));
    await until(() => checkpointed(out) && checkpointed(baselineDir(out)));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((done) => child.on('exit', done));
    expect(code).toBe(0);
    expect(readdirSync(join(out, 'checkpoints')).length).toBeGreaterThan(0);
    expect(readdirSync(join(baselineDir(out), 'checkpoints')).length).toBeGreaterThan(0);
    expect(readFileSync(join(baselineDir(out), 'train.log'), 'utf8')).toContain(`continue with --resume ${baselineDir(out)}`);
    expect(stderr).not.toContain('Error');
  });

  it('is refused, naming the option, where there is nothing to compare, and writes nothing', () => {
    const out = join(tmp, 'refused');
    const r = dmgan(['train', 'lines', '--model', 'wgan-gp', '--iterations', '60', ...COMMON, '--baseline', '--out', out]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('dmgan: --baseline trains one generator (wgan-gp) beside the run: --model is already wgan-gp');
    expect(existsSync(out)).toBe(false);
  });
});
