import * as tf from '@tensorflow/tfjs-core';

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

/** What the benchmarks time: one training iteration on a real batch (DmganCore, or a DMGAN's trainStep). */
export interface Trainable {
  step(real: tf.Tensor, readLosses: boolean): unknown;
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

/**
 * Times `core.step` with real batches from `nextBatch`, reading no losses (as a training loop
 * does between log points). Tensor counts are taken after the warm-up and after the last repeat:
 * equal counts mean the step frees everything it makes.
 */
export function measureTraining(core: Trainable, nextBatch: () => tf.Tensor, schedule: Schedule): Measurement {
  const step = () => {
    const real = nextBatch();
    core.step(real, false);
    real.dispose();
  };
  for (let i = 0; i < schedule.warmup; i++) step();
  const before = tf.memory();
  const repeats: number[] = [];
  for (let r = 0; r < schedule.repeats; r++) {
    const t0 = performance.now();
    for (let i = 0; i < schedule.iterations; i++) step();
    repeats.push((performance.now() - t0) / schedule.iterations);
  }
  const after = tf.memory();
  const ms = median(repeats);
  return {
    ms_per_iteration: ms,
    iterations_per_s: 1000 / ms,
    repeats_ms: repeats,
    peak_rss_mib: process.resourceUsage().maxRSS / 1024,
    tensors_before: before.numTensors,
    tensors_after: after.numTensors,
    bytes_before: before.numBytes,
    bytes_after: after.numBytes,
  };
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
export function soakTraining(core: Trainable, nextBatch: () => tf.Tensor, iterations: number, every: number): SoakSample[] {
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
