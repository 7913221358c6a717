import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNewestCheckpoint } from '../../plugins/checkpoint/index.js';
import { CLI, checkpointWritten, dmgan, dmganWithSignal } from './helpers.js';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'dmgan-signals-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// The signal goes once the first periodic checkpoint (iteration 7) exists: a state the child
// reports, so the run has trained however slow the machine is. The stop's own checkpoint is the
// one at the iteration the run reached (the periodic one when it stopped on a multiple of 7).
const EVERY = 7;
const run = (out: string): string[] => ['train', 'lines', '--backend', 'cpu', '--iterations', '1000000', '--eval-every', '500000', '--checkpoint-every', String(EVERY), '--out', out];

describe('SIGINT / SIGTERM', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal}: finishes the step, writes a loadable checkpoint, prints its path, exits 0; --resume continues from it`, { timeout: 120_000 }, async () => {
      const out = join(tmp, signal);
      const r = await dmganWithSignal(run(out), signal, { ready: checkpointWritten(out) });
      expect(r.signalled).toBe(true);
      expect(r.status).toBe(0);
      const printed = /checkpoint: (\S+)/.exec(r.stdout)?.[1];
      expect(printed).toBeDefined();
      expect(r.stderr).toMatch(new RegExp(`${signal}: finishing the current step`));
      const newest = await loadNewestCheckpoint(out);
      expect(newest.dir).toBe(printed);
      expect(newest.skipped).toEqual([]);
      const at = newest.checkpoint.manifest.counters.iteration;
      expect(at).toBeGreaterThanOrEqual(EVERY);
      expect(r.stderr).toContain(`interrupted after ${at} iterations`);
      expect(readFileSync(join(out, 'checkpoints', 'latest'), 'utf8').trim()).toBe(`step-${at}`);
      expect((JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as { iterations: number }).iterations).toBe(at);
      // No temporary files anywhere.
      const all = readdirSync(out, { recursive: true }).map(String);
      expect(all.filter((f) => f.endsWith('.tmp'))).toEqual([]);
      if (signal === 'SIGINT') {
        const resumed = dmgan(['train', 'lines', '--backend', 'cpu', '--iterations', String(at + 12), '--eval-every', '500000', '--resume', out]);
        expect(resumed.status).toBe(0);
        expect(resumed.stderr).toContain(`resumed from ${printed} at iteration ${at}`);
      }
    });
  }

  it('a second SIGINT exits at once (130) and leaves the checkpoints loadable', { timeout: 120_000 }, async () => {
    const out = join(tmp, 'twice');
    const args = ['train', 'lines', '--backend', 'cpu', '--iterations', '1000000', '--eval-every', '500000', '--checkpoint-every', '5', '--out', out];
    const r = await new Promise<{ status: number | null }>((done) => {
      const child = spawn(process.execPath, [CLI, ...args]);
      // The first SIGINT once a periodic checkpoint exists; the second once the child has said
      // it is finishing the step (its answer to the first), never after a delay.
      let stderr = '';
      let second = false;
      child.stderr.setEncoding('utf8').on('data', (c: string) => {
        stderr += c;
        if (!second && stderr.includes('SIGINT: finishing the current step')) {
          second = true;
          child.kill('SIGINT');
        }
      });
      const poll = setInterval(() => {
        if (!existsSync(join(out, 'checkpoints', 'latest'))) return;
        clearInterval(poll);
        child.kill('SIGINT');
      }, 10);
      child.on('close', (status) => {
        clearInterval(poll);
        done({ status });
      });
    });
    expect(r.status).toBe(130);
    // The second signal may cut the stop checkpoint short: then the newest complete one is used, never a partial one.
    const newest = await loadNewestCheckpoint(out);
    expect(newest.checkpoint.manifest.counters.iteration).toBeGreaterThanOrEqual(5);
    expect(newest.checkpoint.manifest.counters.iteration % 5 === 0 || newest.skipped.length === 0).toBe(true);
  });
});

describe('SIGINT / SIGTERM: train mnist', () => {
  const MNIST = ['train', 'mnist', '--backend', 'wasm', '--generators', '2', '--train-limit', '64', '--batch-size', '8', '--eval-samples', '20', '--test-samples', '20', '--eval-every', '500000'];
  const mnist = (out: string): string[] => [...MNIST, '--iterations', '1000000', '--checkpoint-every', '3', '--out', out];
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal}: finishes the step, writes a loadable checkpoint with the data order, prints its path, exits 0`, { timeout: 120_000 }, async () => {
      const out = join(tmp, `mnist-${signal}`);
      const r = await dmganWithSignal(mnist(out), signal, { ready: checkpointWritten(out) });
      expect(r.signalled).toBe(true);
      expect(r.status).toBe(0);
      expect(r.stderr).toMatch(new RegExp(`${signal}: finishing the current step`));
      const printed = /checkpoint: (\S+)/.exec(r.stdout)?.[1];
      expect(printed).toBeDefined();
      const newest = await loadNewestCheckpoint(out);
      expect(newest.dir).toBe(printed);
      const at = newest.checkpoint.manifest.counters.iteration;
      expect(at).toBeGreaterThanOrEqual(3);
      const extra = newest.checkpoint.manifest.extra as { command: string; loop: { iteration: number; order: number[]; cursor: number } };
      expect(extra.command).toBe('train mnist');
      expect(extra.loop.iteration).toBe(at);
      expect(extra.loop.order).toHaveLength(64);
      expect(extra.loop.cursor).toBe((at * 8) % 64 || 64);
      expect((JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as { iterations: number; aborted: boolean })).toMatchObject({ iterations: at, aborted: true });
      expect(readdirSync(out, { recursive: true }).map(String).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      if (signal === 'SIGINT') {
        const resumed = dmgan([...MNIST, '--iterations', String(at + 3), '--resume', out]);
        expect(resumed.status).toBe(0);
        expect(resumed.stderr).toContain(`resumed from ${printed} at iteration ${at}`);
      }
    });
  }
});
