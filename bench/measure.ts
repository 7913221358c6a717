import * as tf from '@tensorflow/tfjs-core';
import type { DmganCore } from '../src/core/dmganCore.js';

/** What one benchmark variant measured. */
export interface Measurement {
  /** Median over repeats of the mean ms per iteration within a repeat. */
  ms_per_iteration: number;
  iterations_per_s: number;
  /** Every repeat's ms/iteration, in order. */
  repeats_ms: number[];
  /** Resident set size high-water mark of the process so far (MiB). */
  peak_rss_mib: number;
  tensors_before: number;
  tensors_after: number;
  bytes_before: number;
  bytes_after: number;
}

/** How long to run: warm-up iterations, then `repeats` timed blocks of `iterations`. */
export interface Schedule {
  warmup: number;
  iterations: number;
  repeats: number;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** A model ready to train and its batches, as {@link measureInterleaved} takes them. */
export interface Workload {
  core: DmganCore;
  nextBatch: () => tf.Tensor;
}

/**
 * Times several workloads side by side: after each one's warm-up, repeat r of every workload
 * runs before repeat r + 1 of any, so a drift in machine load hits all of them alike and their
 * ratios stay meaningful. Tensor counts are taken around each workload's own timed blocks.
 */
export function measureInterleaved(workloads: readonly Workload[], schedule: Schedule): Measurement[] {
  const step = (w: Workload) => {
    const real = w.nextBatch();
    w.core.step(real, false);
    real.dispose();
  };
  for (const w of workloads) for (let i = 0; i < schedule.warmup; i++) step(w);
  const repeats = workloads.map(() => [] as number[]);
  const first = workloads.map(() => tf.memory());
  const growth = workloads.map(() => ({ tensors: 0, bytes: 0 }));
  for (let r = 0; r < schedule.repeats; r++) {
    workloads.forEach((w, k) => {
      const before = tf.memory();
      const t0 = performance.now();
      for (let i = 0; i < schedule.iterations; i++) step(w);
      (repeats[k] as number[]).push((performance.now() - t0) / schedule.iterations);
      const after = tf.memory();
      const g = growth[k] as { tensors: number; bytes: number };
      g.tensors += after.numTensors - before.numTensors;
      g.bytes += after.numBytes - before.numBytes;
    });
  }
  return workloads.map((_, k) => {
    const ms = median(repeats[k] as number[]);
    const start = first[k] as tf.MemoryInfo;
    const g = growth[k] as { tensors: number; bytes: number };
    return {
      ms_per_iteration: ms,
      iterations_per_s: 1000 / ms,
      repeats_ms: repeats[k] as number[],
      peak_rss_mib: process.resourceUsage().maxRSS / 1024,
      tensors_before: start.numTensors,
      tensors_after: start.numTensors + g.tensors,
      bytes_before: start.numBytes,
      bytes_after: start.numBytes + g.bytes,
    };
  });
}

/** One point of a soak run. */
export interface SoakSample {
  iteration: number;
  tensors: number;
  bytes: number;
  rss_mib: number;
}

/**
 * Runs `iterations` steps, sampling tfjs' tensor count and bytes and the process RSS every
 * `every` iterations (after a warm-up sample at 0). A step that frees everything keeps the
 * tensor count and bytes constant; RSS should level off once the allocator has warmed up.
 */
export function soakTraining(core: DmganCore, nextBatch: () => tf.Tensor, iterations: number, every: number): SoakSample[] {
  const samples: SoakSample[] = [];
  const sample = (iteration: number) => {
    const m = tf.memory();
    samples.push({ iteration, tensors: m.numTensors, bytes: m.numBytes, rss_mib: process.memoryUsage().rss / 2 ** 20 });
  };
  sample(0);
  for (let i = 1; i <= iterations; i++) {
    const real = nextBatch();
    core.step(real, false);
    real.dispose();
    if (i % every === 0) sample(i);
  }
  return samples;
}
