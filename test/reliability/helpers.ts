import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
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

/**
 * Starts the CLI and sends `signal` `delayMs` after it prints that training starts (or never,
 * with signal null) and, when `ready` is given, once `ready()` (polled every 10 ms) holds;
 * resolves when it exits.
 */
export function dmganWithSignal(
  args: readonly string[],
  signal: NodeJS.Signals | null,
  delayMs: number,
  timeout = 90_000,
  ready?: () => boolean,
): Promise<CliResult & { signalled: boolean }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, ...args]);
    let stdout = '';
    let stderr = '';
    let signalled = false;
    let armed = false;
    const guard = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
      if (!armed && signal && stderr.includes('training')) {
        armed = true;
        const fire = (): void => {
          if (child.exitCode === null && child.signalCode === null) {
            signalled = true;
            child.kill(signal);
          }
        };
        const poll = setInterval(() => {
          if (child.exitCode !== null || child.signalCode !== null) clearInterval(poll);
          else if (!ready || ready()) {
            clearInterval(poll);
            setTimeout(fire, delayMs);
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
