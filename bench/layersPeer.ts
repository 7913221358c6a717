import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LayersVariant } from './layers.js';
import type { Schedule } from './measure.js';

/** What the PyTorch twin (bench/peer/layers_twin.py) reports for one variant. */
export interface PeerMeasurement {
  ms_per_iteration: number;
  repeats_ms: number[];
  torch: string;
  threads: number;
  peak_rss_mib: number;
}

/** The twin's script (bench/peer/ beside the compiled bench, or the source tree's). */
const TWIN = fileURLToPath(new URL('../../bench/peer/layers_twin.py', import.meta.url));
const PYTHON = process.env['DMGAN_BENCH_PYTHON'] ?? '/usr/bin/python3';

/**
 * Runs the PyTorch twin of `variant` with the same schedule and `threads` intra-op threads
 * (OMP_WAIT_POLICY=PASSIVE, as the reference port's figures were measured).
 * @returns its measurement, or the reason it could not run (no python, no torch, a crash).
 */
export function measureLayersPeer(variant: LayersVariant, schedule: Schedule, threads: number): PeerMeasurement | { error: string } {
  const args = [
    TWIN,
    '--generators', String(variant.generators),
    '--batch', String(variant.batch),
    '--loss', variant.loss,
    '--threads', String(threads),
    '--warmup', String(schedule.warmup),
    '--iterations', String(schedule.iterations),
    '--repeats', String(schedule.repeats),
  ];
  const run = spawnSync(PYTHON, args, { encoding: 'utf8', env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE', OMP_NUM_THREADS: String(threads) } });
  if (run.error) return { error: `${PYTHON}: ${run.error.message}` };
  if (run.status !== 0) return { error: `${PYTHON} ${TWIN} exited ${run.status}: ${run.stderr.trim().split('\n').slice(-1)[0] ?? ''}` };
  try {
    return JSON.parse(run.stdout.trim().split('\n').slice(-1)[0] ?? '') as PeerMeasurement;
  } catch {
    return { error: `the twin printed no JSON: ${run.stdout.slice(0, 200)}` };
  }
}
