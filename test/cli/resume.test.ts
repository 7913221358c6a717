import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The built CLI: `npm test` builds before vitest.
const CLI = resolve('dist/cli/main.js');

/** `dmgan train lines` with exactly these arguments. */
function trainLines(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'train', 'lines', ...args], { encoding: 'utf8', timeout: 90_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const dmgan = (args: string[]) => trainLines(['--backend', 'wasm', '--eval-every', '30', '--seed', '2', ...args]);

/** Metrics of every evaluation, without wall-clock fields. */
function history(dir: string): unknown[] {
  return readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const { elapsed_s: _elapsed, ...rest } = JSON.parse(line) as Record<string, unknown>;
      return rest;
    });
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'dmgan-resume-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('dmgan train lines --checkpoint-every / --resume', () => {
  it('continues a stopped run exactly as an uninterrupted one (same evaluations, same final prior)', () => {
    const whole = join(tmp, 'whole');
    const split = join(tmp, 'split');
    expect(dmgan(['--iterations', '90', '--checkpoint-every', '60', '--out', whole]).status).toBe(0);
    expect(dmgan(['--iterations', '60', '--checkpoint-every', '60', '--out', split]).status).toBe(0);
    const resumed = dmgan(['--iterations', '90', '--checkpoint-every', '60', '--resume', split]);
    expect(resumed.stderr).toContain('resumed from');
    expect(resumed.status).toBe(0);
    expect(history(split)).toEqual(history(whole));
    const final = (d: string) => JSON.parse(readFileSync(join(d, 'metrics.json'), 'utf8')) as { prior: number[]; iterations: number };
    expect(final(split).prior).toEqual(final(whole).prior);
    expect(final(split).iterations).toBe(90);
  });

  it('refuses a checkpoint of a run with other options, saying what differs, and a missing one', () => {
    const dir = join(tmp, 'split');
    const other = dmgan(['--iterations', '120', '--generators', '4', '--resume', dir]);
    expect(other.status).toBe(2);
    expect(other.stderr.trim()).toMatch(/^dmgan: --resume .*: options differ from the checkpointed run: --generators was 10, now 4$/);
    const missing = dmgan(['--iterations', '120', '--resume', join(tmp, 'nothing-here')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/--resume .*no readable checkpoint/);
  });
});

describe('dmgan train lines --resume DIR: the folder is enough', () => {
  const RUN = ['--backend', 'wasm', '--kernels', 'wasm', '--seed', '2', '--generators', '3', '--eval-every', '30'];
  let whole: string;
  beforeAll(() => {
    whole = join(tmp, 'folder-whole');
    expect(trainLines([...RUN, '--iterations', '90', '--out', whole]).status).toBe(0);
  });

  it('continues with the options the checkpoint recorded when only --resume and a larger --iterations are given', () => {
    const split = join(tmp, 'folder-split');
    expect(trainLines([...RUN, '--iterations', '60', '--checkpoint-every', '30', '--out', split]).status).toBe(0);
    const resumed = trainLines(['--resume', split, '--iterations', '90']);
    expect(resumed.stderr).toMatch(/resumed from .*step-60 at iteration 60/);
    expect(resumed.status).toBe(0);
    expect(history(split)).toEqual(history(whole));
    // Options that need not match carried on too: --checkpoint-every 30 wrote step-90 (the default, 0, would not).
    expect(existsSync(join(split, 'checkpoints', 'step-90'))).toBe(true);
  });

  it('continues a finished run that never checkpointed, from the final state it left', () => {
    const done = join(tmp, 'folder-done');
    expect(trainLines([...RUN, '--iterations', '60', '--out', done]).status).toBe(0);
    expect(existsSync(join(done, 'checkpoints', 'final', 'manifest.json'))).toBe(true);
    const resumed = trainLines(['--resume', done, '--iterations', '90']);
    expect(resumed.stderr).toMatch(/resumed from .*final at iteration 60/);
    expect(resumed.status).toBe(0);
    expect(history(done)).toEqual(history(whole));
  });

  it('refuses an option given explicitly that conflicts with the run, naming it, and a run with nothing left to do', () => {
    const other = trainLines(['--resume', whole, '--iterations', '120', '--seed', '5']);
    expect(other.status).toBe(2);
    expect(other.stderr.trim()).toMatch(/^dmgan: --resume .*: options differ from the checkpointed run: --seed was 2, now 5$/);
    const nothing = trainLines(['--resume', whole]);
    expect(nothing.status).toBe(2);
    expect(nothing.stderr.trim()).toMatch(/^dmgan: --resume .*: the checkpoint is at iteration 90; --iterations 90 leaves nothing to do$/);
  });
});
