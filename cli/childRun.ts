import { spawn } from 'node:child_process';
import { mkdir, open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findResumable } from './runControl.js';

/** The built CLI that child runs execute (this file's sibling). */
export const CLI = fileURLToPath(new URL('./main.js', import.meta.url));

/** Where a child run's stdout and stderr go, inside its folder. */
export const CHILD_LOG = 'train.log';

/** What a run folder holds: a finished run, checkpoints to continue from (at an iteration), or nothing usable. */
export async function runState(dir: string, iterations: number): Promise<{ kind: 'finished' } | { kind: 'resume'; at: number } | { kind: 'fresh' }> {
  try {
    const m = JSON.parse(await readFile(join(dir, 'metrics.json'), 'utf8')) as { iterations?: unknown; aborted?: unknown };
    if (m.aborted !== true && typeof m.iterations === 'number' && m.iterations >= iterations) return { kind: 'finished' };
  } catch {
    // No (readable) metrics.json: not finished.
  }
  const hasCheckpoints = await stat(join(dir, 'checkpoints')).then((s) => s.isDirectory(), () => false);
  if (!hasCheckpoints) return { kind: 'fresh' };
  try {
    const found = await findResumable(dir);
    return { kind: 'resume', at: found.checkpoint.manifest.counters.iteration };
  } catch {
    return { kind: 'fresh' };
  }
}

/** A `dmgan` child process writing to `<dir>/train.log`. */
export interface ChildRun {
  /** Its exit code (null when it could not start or died by a signal). */
  readonly exited: Promise<number | null>;
  /** Sends it a signal (SIGTERM: it checkpoints and stops). */
  kill(signal: NodeJS.Signals): void;
}

/**
 * Starts `dmgan ARGS` as a child process, its output appended to `<dir>/train.log` (the folder
 * is made first). `detached` gives it its own process group, so a terminal's Ctrl-C reaches
 * only the parent, which decides what to forward.
 */
export async function startChildRun(args: readonly string[], dir: string, options: { readonly detached?: boolean } = {}): Promise<ChildRun> {
  await mkdir(dir, { recursive: true });
  const logFile = await open(join(dir, CHILD_LOG), 'a');
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', logFile.fd, logFile.fd], detached: options.detached ?? false });
  const exited = new Promise<number | null>((resolve) => {
    child.on('error', () => resolve(null));
    child.on('exit', (code) => resolve(code));
  }).finally(() => logFile.close());
  return {
    exited,
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}
