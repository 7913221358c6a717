import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { restoreCheckpoint } from '../../plugins/checkpoint/index.js';
import type { CheckpointManifest, LoadedCheckpoint } from '../../plugins/checkpoint/index.js';
import type { StepLosses } from '../../src/core/trainer/steps.js';
import { Random } from '../../src/core/random.js';
import { sampleLineData, type LineDatasetName } from '../../src/metrics/lines/data.js';
import { buildLinesModel, type LineModelName } from '../../src/experiments/lines/models.js';
import type { LinesLoopState } from '../../src/experiments/lines/run.js';

/** The built CLI (`npm test` builds before vitest). */
export const CLI = resolve('dist/cli/main.js');

/** Result of a finished CLI process. */
export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to completion. */
export function dmgan(args: readonly string[], timeout = 90_000): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** When {@link dmganWithSignal} sends its signal. */
export interface SignalWhen {
  /**
   * A state the child has reached, polled every 10 ms once it has printed that training starts
   * (e.g. a checkpoint file exists); the signal goes as soon as it holds. Default: at once.
   */
  readonly ready?: () => boolean;
  /**
   * Extra milliseconds between `ready` and the signal, only to scatter *where* a kill lands
   * (the kill test); no assertion may depend on it. Default 0.
   */
  readonly jitterMs?: number;
  /** SIGKILL guard for a child that never exits (ms). Default 300 000. */
  readonly timeout?: number;
}

/**
 * Starts the CLI and sends `signal` once it has printed that training starts and `when.ready()`
 * holds (or never, with signal null); resolves when it exits. The moment is a state the child
 * reports, never a delay, so the outcome is the same on a machine of any speed.
 */
export function dmganWithSignal(
  args: readonly string[],
  signal: NodeJS.Signals | null,
  when: SignalWhen = {},
): Promise<CliResult & { signalled: boolean }> {
  const { ready, jitterMs = 0, timeout = 300_000 } = when;
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, ...args]);
    let stdout = '';
    let stderr = '';
    let signalled = false;
    let armed = false;
    const guard = setTimeout(() => child.kill('SIGKILL'), timeout);
    const running = (): boolean => child.exitCode === null && child.signalCode === null;
    const fire = (): void => {
      if (running() && signal) {
        signalled = true;
        child.kill(signal);
      }
    };
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
      if (!armed && signal && stderr.includes('training')) {
        armed = true;
        const poll = setInterval(() => {
          if (!running()) clearInterval(poll);
          else if (!ready || ready()) {
            clearInterval(poll);
            if (jitterMs > 0) setTimeout(fire, jitterMs);
            else fire();
          }
        }, 10);
      }
    });
    child.on('close', (status, sig) => {
      clearTimeout(guard);
      done({ status, signal: sig, stdout, stderr, signalled });
    });
  });
}

/** `ready` for {@link dmganWithSignal}: a checkpoint has been written under `out` (its `latest` pointer exists). */
export const checkpointWritten = (out: string) => (): boolean => existsSync(join(out, 'checkpoints', 'latest'));

/** Every file under `dir` (relative path → size and mtime), to prove nothing was written or left. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(d, n);
      const s = statSync(p);
      if (s.isDirectory()) walk(p);
      else out[relative(dir, p)] = `${s.size}:${s.mtimeMs}:${s.isFile() ? readFileSync(p).subarray(0, 64).toString('hex') : ''}`;
    }
  };
  walk(dir);
  return out;
}

/**
 * Puts a NaN into the first weight of the checkpoint in `dir` (the first generator's first
 * variable) and re-seals the manifest, as a diverged run would have written it.
 */
export function poisonCheckpointWeights(dir: string): void {
  const manifestPath = join(dir, 'manifest.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as CheckpointManifest;
  const bytes = readFileSync(join(dir, manifest.files.weights.name));
  new DataView(bytes.buffer, bytes.byteOffset).setFloat32(0, NaN, true);
  const sha = createHash('sha256').update(bytes).digest('hex');
  unlinkSync(join(dir, manifest.files.weights.name));
  manifest.files.weights = { name: `weights-${sha.slice(0, 16)}.bin`, bytes: bytes.byteLength, sha256: sha };
  writeFileSync(join(dir, manifest.files.weights.name), bytes);
  writeFileSync(manifestPath, JSON.stringify(manifest));
}

/** Line-run settings a CLI run was made with (to rebuild its engine in-process). */
export interface LinesSetup {
  dataset: LineDatasetName;
  model: LineModelName;
  generators: number;
  seed: number;
}

/**
 * Continues a checkpoint in this process for `steps` iterations exactly as the CLI's loop would
 * (same engine, same data stream, batch 32) and returns each iteration's losses.
 */
export function replayLosses(setup: LinesSetup, checkpoint: LoadedCheckpoint, steps: number): StepLosses[] {
  const core = buildLinesModel(setup.model, { generators: setup.generators, seed: setup.seed });
  try {
    restoreCheckpoint(core, checkpoint);
    const loop = (checkpoint.manifest.extra as { loop: LinesLoopState }).loop;
    const dataRng = new Random({ state: loop.dataRng });
    const out: StepLosses[] = [];
    for (let i = 0; i < steps; i++) {
      const batch = tf.tensor2d(sampleLineData(setup.dataset, 32, dataRng).points, [32, 2]);
      try {
        out.push(core.step(batch, true).losses as StepLosses);
      } finally {
        batch.dispose();
      }
    }
    return out;
  } finally {
    core.dispose();
  }
}
