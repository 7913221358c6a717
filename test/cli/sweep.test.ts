import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The built CLI: `npm test` builds before vitest.
const CLI = resolve('dist/cli/main.js');

function dmgan(args: string[], timeout = 150_000): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// 2 seeds × 2 models × 300 iterations, evaluated every 100, 2 at once; 3 generators keep it small.
const SWEEP = (out: string): string[] => ['sweep', 'lines', '--seeds', '0-1', '--models', 'dmwgan-pl,wgan-gp', '--iterations', '300', '--eval-every', '100', '--jobs', '2', '--backend', 'wasm', '--kernels', 'wasm', '--generators', '3', '--out', out];
const RUNS = ['balanced-dmwgan-pl-s0', 'balanced-dmwgan-pl-s1', 'balanced-wgan-gp-s0', 'balanced-wgan-gp-s1'];
const iterationsOf = (dir: string): number[] =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { iteration: number }).iteration);

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'dmgan-sweep-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('dmgan sweep lines', () => {
  it('runs every (model, seed) in its own folder, continues a partial run, writes the summary; a re-run skips finished runs', () => {
    const out = join(tmp, 'sweep');
    // An interrupted run: the same run's first 100 iterations, with its checkpoints.
    const partial = dmgan(['train', 'lines', '--model', 'wgan-gp', '--seed', '0', '--iterations', '100', '--eval-every', '100', '--checkpoint-every', '100', '--backend', 'wasm', '--kernels', 'wasm', '--generators', '3', '--out', join(out, 'balanced-wgan-gp-s0')]);
    expect(partial.status).toBe(0);
    const first = dmgan(SWEEP(out));
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.stdout).toContain('balanced-wgan-gp-s0: started (resuming at iteration 100)');
    for (const run of RUNS) {
      expect(first.stdout).toMatch(new RegExp(`${run}: finished in \\d+\\.\\d s`));
      expect(iterationsOf(join(out, run))).toEqual([100, 200, 300]);
      expect(JSON.parse(readFileSync(join(out, run, 'metrics.json'), 'utf8'))).toMatchObject({ iterations: 300, aborted: false });
    }
    expect(readFileSync(join(out, 'balanced-wgan-gp-s0', 'train.log'), 'utf8')).toMatch(/resumed from .* at iteration 100/);
    const summary = readFileSync(join(out, 'summary.md'), 'utf8');
    expect(summary).toMatch(/\| dmwgan-pl \| 2 \| 4 \|/);
    expect(summary).toMatch(/\| wgan-gp \| 2 \| 4 \|/);
    expect(existsSync(join(out, 'summary-balanced-off_manifold_rate-box.svg'))).toBe(true);
    expect(existsSync(join(out, 'summary-balanced-segment_jsd-trajectories.svg'))).toBe(true);

    // Re-run: nothing trains, no run file changes.
    const files = (run: string) => readdirSync(join(out, run)).filter((f) => f !== 'checkpoints').map((f) => [f, statSync(join(out, run, f)).mtimeMs, readFileSync(join(out, run, f), 'utf8')]);
    const before = RUNS.map(files);
    const again = dmgan(SWEEP(out));
    expect(again.status).toBe(0);
    for (const run of RUNS) expect(again.stdout).toContain(`${run}: already finished, skipped`);
    expect(RUNS.map(files)).toEqual(before);

    // `dmgan summarize` on the same folder, another late phase and file.
    const s = dmgan(['summarize', out, '--late-from', '300', '--out', join(out, 'late.md')]);
    expect(s.status).toBe(0);
    expect(readFileSync(join(out, 'late.md'), 'utf8')).toMatch(/\| dmwgan-pl \| 2 \| 2 \|/);
  });

  it('on SIGTERM starts no more runs, and says the running one stopped at its checkpoint (not "finished")', async () => {
    const out = join(tmp, 'stopped');
    const run = join(out, 'balanced-wgan-gp-s0');
    const child = spawn(process.execPath, [CLI, 'sweep', 'lines', '--seeds', '0', '--models', 'wgan-gp', '--iterations', '1000000', '--eval-every', '50', '--jobs', '1', '--backend', 'wasm', '--kernels', 'wasm', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    // Signalled once the run has checkpointed (every evaluation): it is training.
    while (!(existsSync(join(run, 'checkpoints')) && readdirSync(join(run, 'checkpoints')).some((f) => f.startsWith('step-')))) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGTERM');
    expect(await new Promise<number | null>((done) => child.on('exit', done))).toBe(0);
    expect(stdout).toMatch(/balanced-wgan-gp-s0: stopped at iteration \d+ \(re-run to continue\) in \d+\.\d s \[1\/1\]/);
    expect(stdout).not.toContain('balanced-wgan-gp-s0: finished');
  });

  it('refuses bad options with one line naming the option (exit 2)', () => {
    const out = join(tmp, 'bad');
    const cases: [string[], RegExp][] = [
      [['--seeds', '3-1'], /^dmgan: --seeds must be/],
      [['--seeds', 'a'], /^dmgan: --seeds must be/],
      [['--models', 'dmwgan-pl,gan'], /^dmgan: --models must be .*\(got 'gan'\)$/],
      [['--jobs', '0'], /^dmgan: --jobs must be/],
      [['--iterations', '1e3'], /^dmgan: --iterations must be/],
      [['--dataset', 'spiral'], /^dmgan: --dataset must be one of/],
      [['--ema', '2'], /^dmgan: --ema must be/],
      [['--late-from', '-5'], /^dmgan: --late-from must be/],
    ];
    for (const [args, message] of cases) {
      const r = dmgan(['sweep', 'lines', '--out', out, ...args], 30_000);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr.trim(), args.join(' ')).toMatch(message);
    }
    expect(existsSync(out)).toBe(false);
    const noOut = dmgan(['sweep', 'lines'], 30_000);
    expect(noOut.status).toBe(2);
    expect(noOut.stderr).toContain('--out');
    const s = dmgan(['summarize', tmp, '--out', join(tmp, 'x.txt')], 30_000);
    expect(s.status).toBe(2);
    expect(s.stderr.trim()).toMatch(/^dmgan: --out must name a Markdown file/);
  });
});
