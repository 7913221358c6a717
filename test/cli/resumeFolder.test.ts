import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The built CLI: `npm test` builds before vitest.
const CLI = resolve('dist/cli/main.js');
const RUN = ['--backend', 'wasm', '--kernels', 'wasm', '--seed', '2', '--generators', '3', '--eval-every', '30'];

function dmgan(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'train', 'lines', ...args], { encoding: 'utf8', timeout: 90_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every evaluation, without wall-clock fields. */
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
let whole: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'dmgan-resume-folder-'));
  whole = join(tmp, 'whole');
  expect(dmgan([...RUN, '--iterations', '90', '--out', whole]).status).toBe(0);
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('dmgan train lines --resume DIR: the folder is enough', () => {
  it('continues with the options the checkpoint recorded when only --resume and a larger --iterations are given', () => {
    const split = join(tmp, 'split');
    expect(dmgan([...RUN, '--iterations', '60', '--checkpoint-every', '30', '--out', split]).status).toBe(0);
    const resumed = dmgan(['--resume', split, '--iterations', '90']);
    expect(resumed.stderr).toMatch(/resumed from .*step-60 at iteration 60/);
    expect(resumed.status).toBe(0);
    expect(history(split)).toEqual(history(whole));
    // Options that need not match carried on too: --checkpoint-every 30 wrote step-90 (the default, 0, would not).
    expect(existsSync(join(split, 'checkpoints', 'step-90'))).toBe(true);
  });

  it('continues a finished run that never checkpointed, from the final state it left', () => {
    const done = join(tmp, 'done');
    expect(dmgan([...RUN, '--iterations', '60', '--out', done]).status).toBe(0);
    expect(existsSync(join(done, 'checkpoints', 'final', 'manifest.json'))).toBe(true);
    const resumed = dmgan(['--resume', done, '--iterations', '90']);
    expect(resumed.stderr).toMatch(/resumed from .*final at iteration 60/);
    expect(resumed.status).toBe(0);
    expect(history(done)).toEqual(history(whole));
  });

  it('refuses an option given explicitly that conflicts with the run, naming it, and a run with nothing left to do', () => {
    const other = dmgan(['--resume', whole, '--iterations', '120', '--seed', '5']);
    expect(other.status).toBe(2);
    expect(other.stderr.trim()).toMatch(/^dmgan: --resume .*: options differ from the checkpointed run: --seed was 2, now 5$/);
    const nothing = dmgan(['--resume', whole]);
    expect(nothing.status).toBe(2);
    expect(nothing.stderr.trim()).toMatch(/^dmgan: --resume .*: the checkpoint is at iteration 90; --iterations 90 leaves nothing to do$/);
  });
});
