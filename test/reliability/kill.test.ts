import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNewestCheckpoint, saveRotatingCheckpoint } from '../../plugins/checkpoint/index.js';
import type { CheckpointManifest } from '../../plugins/checkpoint/index.js';
import type { StepLosses } from '../../src/core/trainer/steps.js';
import { Random } from '../../src/core/random.js';
import { activateBackend } from '../../src/engine/index.js';
import { runLinesExperiment } from '../../src/experiments/lines/run.js';
import { dmganWithSignal, replayLosses, type LinesSetup } from './helpers.js';

// A small, fast run: 10 generators (the reference model), cpu backend, a checkpoint every 10 iterations.
const SETUP: LinesSetup = { dataset: 'balanced', model: 'dmwgan-pl', generators: 10, seed: 5 };
const ITERATIONS = 200;
const EVERY = 10;
const KILLS = 20;
const REPLAY = 6;
const args = (dir: string, resume: boolean): string[] => [
  'train', 'lines', '--backend', 'cpu', '--seed', String(SETUP.seed), '--iterations', String(ITERATIONS),
  '--checkpoint-every', String(EVERY), '--eval-every', '100000', ...(resume ? ['--resume', dir] : ['--out', dir]),
];

let tmp: string;
beforeAll(async () => {
  await activateBackend('cpu');
  tmp = mkdtempSync(join(tmpdir(), 'dmgan-kill-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('SIGKILL at random moments', () => {
  it(`${KILLS} kills: the newest complete checkpoint always loads, matches the uninterrupted run bit for bit and continues with the same losses`, { timeout: 420_000 }, async () => {
    // The uninterrupted run, in this process: every iteration's losses and every checkpoint's file hashes.
    const refDir = join(tmp, 'reference');
    const refLosses: StepLosses[] = [];
    const refFiles = new Map<number, CheckpointManifest['files']>();
    await runLinesExperiment(
      { ...SETUP, iterations: ITERATIONS, evalEvery: 100_000, evalSamples: 100, logEvery: 1, checkpointEvery: EVERY },
      {
        onLosses: (i, l) => (refLosses[i] = l),
        onCheckpoint: async (core) => {
          refFiles.set(core.iteration, (await saveRotatingCheckpoint(refDir, core, {}, { keep: 1 })).manifest.files);
        },
      },
    );
    expect(refLosses.filter(Boolean)).toHaveLength(ITERATIONS);

    const rng = new Random('kill-delays');
    const figures = { kills: 0, resumes: 0, loadedAfterKill: 0, noCheckpointYet: 0, skippedPartial: 0, identical: 0, completedRuns: 0, maxIteration: 0 };
    let chain = 0;
    let dir = join(tmp, `chain-${chain}`);
    while (figures.kills < KILLS) {
      // Resume when a complete checkpoint exists; a kill during the very first checkpoint write
      // leaves only a partial step dir, and such a run is started afresh (as a user would).
      const resume = await loadNewestCheckpoint(dir).then(() => true, () => false);
      if (resume) figures.resumes += 1;
      // Each kill is anchored on a state the child reports: a quarter once it prints that training
      // starts (often before this process's first checkpoint), the others once it has written a
      // new checkpoint, so the run always progresses however slow the machine is. The random
      // jitter after that state only scatters where the kill lands (mid-step, mid-write); every
      // assertion below holds wherever it lands, and which draws wait for a checkpoint is fixed by the seed.
      const draws = rng.uniformArray(2);
      const u = draws[0] as number;
      const v = draws[1] as number;
      const latest = join(dir, 'checkpoints', 'latest');
      const startedAt = existsSync(latest) ? readFileSync(latest, 'utf8') : '';
      const ready = u < 0.25 ? undefined : () => existsSync(latest) && readFileSync(latest, 'utf8') !== startedAt;
      const r = await dmganWithSignal(args(dir, resume), 'SIGKILL', { ...(ready ? { ready } : {}), jitterMs: Math.floor(v * 700) });
      if (!r.signalled) {
        // Finished before the kill: the chain is complete; check it ended where the reference did and start another.
        // A kill that landed after the final checkpoint but before exit leaves a finished chain:
        // resuming it is refused with 'nothing to do' (exit 2), which also means complete.
        const alreadyDone = r.status === 2 && /leaves nothing to do/.test(r.stderr);
        expect(r.stderr + r.stdout).not.toMatch(/Error/);
        expect(alreadyDone || r.status === 0, r.stderr).toBe(true);
        const last = await loadNewestCheckpoint(dir);
        expect(last.checkpoint.manifest.counters.iteration).toBe(ITERATIONS);
        expect(last.checkpoint.manifest.files).toEqual(refFiles.get(ITERATIONS));
        figures.completedRuns += 1;
        chain += 1;
        dir = join(tmp, `chain-${chain}`);
        continue;
      }
      expect(r.signal).toBe('SIGKILL');
      figures.kills += 1;
      let newest;
      try {
        newest = await loadNewestCheckpoint(dir);
      } catch (error) {
        // Only acceptable when the run was killed before its first checkpoint.
        expect((error as { code?: string }).code).toBe('missing');
        figures.noCheckpointYet += 1;
        continue;
      }
      figures.loadedAfterKill += 1;
      figures.skippedPartial += newest.skipped.length;
      const at = newest.checkpoint.manifest.counters.iteration;
      figures.maxIteration = Math.max(figures.maxIteration, at);
      expect(at % EVERY).toBe(0);
      // Bit for bit: weights and every optimiser moment hash as in the uninterrupted run.
      expect(newest.checkpoint.manifest.files).toEqual(refFiles.get(at));
      // Its continuation gives the uninterrupted run's losses, exactly.
      const steps = Math.min(REPLAY, ITERATIONS - at);
      expect(replayLosses(SETUP, newest.checkpoint, steps)).toEqual(refLosses.slice(at + 1, at + 1 + steps));
      figures.identical += 1;
      if (at === ITERATIONS) {
        // Killed after its last checkpoint (during the final evaluation): that chain is done.
        figures.completedRuns += 1;
        chain += 1;
        dir = join(tmp, `chain-${chain}`);
      }
    }
    // Finish the last chain without kills: it must end exactly where the reference ended.
    const end = await dmganWithSignal(args(dir, await loadNewestCheckpoint(dir).then(() => true, () => false)), null);
    expect(end.status).toBe(0);
    const last = await loadNewestCheckpoint(dir);
    expect(last.checkpoint.manifest.counters.iteration).toBe(ITERATIONS);
    expect(last.checkpoint.manifest.files).toEqual(refFiles.get(ITERATIONS));
    figures.completedRuns += 1;
    console.log(`kill test figures: ${JSON.stringify(figures)}`);
    expect(figures.identical).toBe(figures.loadedAfterKill);
    expect(figures.loadedAfterKill).toBeGreaterThanOrEqual(KILLS / 2);
    expect(figures.kills).toBeGreaterThanOrEqual(KILLS);
  });
});
