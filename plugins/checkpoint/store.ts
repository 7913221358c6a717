import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { DmganCore } from '../dmgan/dmganCore.js';
import { writeFileAtomic } from '../../adapters/files/atomicFile.js';
import { CheckpointError, loadCheckpoint, MANIFEST_FILE, saveCheckpoint } from './checkpoint.js';
import type { CheckpointManifest, LoadedCheckpoint } from './checkpoint.js';

/** Sub-directory of a run's out dir holding its rotating checkpoints (`step-<iteration>/`). */
export const CHECKPOINTS_DIR = 'checkpoints';
/** File in {@link CHECKPOINTS_DIR} naming the newest checkpoint directory (informative; loading scans). */
export const LATEST_FILE = 'latest';
/** The single checkpoint directory of runs made before rotation existed (still read). */
export const LEGACY_CHECKPOINT_DIR = 'checkpoint';
/** Default number of checkpoints kept. */
export const DEFAULT_KEEP_CHECKPOINTS = 3;

const STEP_DIR = /^step-(\d+)$/;

/** Options of {@link saveRotatingCheckpoint}. */
export interface RotatingSaveOptions {
  /** Keep the newest `keep` checkpoints (≥ 1). Default {@link DEFAULT_KEEP_CHECKPOINTS}. */
  readonly keep?: number;
}

/** A checkpoint written by {@link saveRotatingCheckpoint}. */
export interface SavedCheckpoint {
  readonly dir: string;
  readonly manifest: CheckpointManifest;
}

// `step-*` directories inside `dir`, newest first.
async function stepDirsIn(dir: string): Promise<Array<{ dir: string; iteration: number }>> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  return names
    .map((name) => ({ name, m: STEP_DIR.exec(name) }))
    .filter((e): e is { name: string; m: RegExpExecArray } => e.m !== null)
    .map((e) => ({ dir: join(dir, e.name), iteration: Number(e.m[1]) }))
    .sort((x, y) => y.iteration - x.iteration);
}

const stepDirs = (root: string): Promise<Array<{ dir: string; iteration: number }>> => stepDirsIn(join(root, CHECKPOINTS_DIR));

// Removing the manifest first makes the directory invalid at once, so a crash mid-removal never leaves a half checkpoint that looks complete.
async function removeCheckpointDir(dir: string): Promise<void> {
  await rm(join(dir, MANIFEST_FILE), { force: true });
  await rm(dir, { recursive: true, force: true });
}

/**
 * Saves `core` as `<root>/checkpoints/step-<iteration>/` (atomically, see `saveCheckpoint`),
 * points `<root>/checkpoints/latest` at it (atomic rename), then keeps only the newest `keep`
 * checkpoints. Directories of later iterations (left by an abandoned attempt of this run, e.g.
 * one killed mid-write before a resume) are removed too. A crash at any point leaves every
 * previously completed checkpoint that is still within `keep` loadable.
 */
export async function saveRotatingCheckpoint(
  root: string,
  core: DmganCore,
  extra: Record<string, unknown> = {},
  options: RotatingSaveOptions = {},
): Promise<SavedCheckpoint> {
  const keep = options.keep ?? DEFAULT_KEEP_CHECKPOINTS;
  if (!Number.isSafeInteger(keep) || keep < 1) throw new RangeError(`keep must be a positive integer, got ${keep}`);
  const iteration = core.iteration;
  const name = `step-${iteration}`;
  const dir = join(root, CHECKPOINTS_DIR, name);
  const manifest = await saveCheckpoint(dir, core, extra);
  await writeFileAtomic(join(root, CHECKPOINTS_DIR, LATEST_FILE), `${name}\n`);
  const all = await stepDirs(root);
  const older = all.filter((d) => d.iteration < iteration);
  for (const d of all) {
    if (d.iteration > iteration) await removeCheckpointDir(d.dir);
  }
  for (const d of older.slice(keep - 1)) await removeCheckpointDir(d.dir);
  return { dir, manifest };
}

/** A candidate that could not be used, and why. */
export interface SkippedCheckpoint {
  readonly dir: string;
  readonly reason: string;
}

/** What {@link loadNewestCheckpoint} found. */
export interface NewestCheckpoint {
  readonly dir: string;
  readonly checkpoint: LoadedCheckpoint;
  /** Newer candidates that were incomplete or corrupt (newest first). */
  readonly skipped: SkippedCheckpoint[];
}

async function isDir(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/**
 * Finds and loads the newest complete checkpoint under `path`, which may be a run's out dir
 * (`checkpoints/step-*`, or the older single `checkpoint/`), a `checkpoints` dir, or one
 * checkpoint directory. Candidates are tried newest first (by iteration); one that is partial
 * or corrupt is skipped and reported through `onSkip` (and in the result).
 * @throws CheckpointError `missing` when there is no candidate at all, else the newest
 *   candidate's error when none loads (with every reason in the message).
 */
export async function loadNewestCheckpoint(path: string, onSkip?: (skipped: SkippedCheckpoint) => void): Promise<NewestCheckpoint> {
  if (!(await isDir(path))) throw new CheckpointError('missing', `no readable checkpoint in ${path}: not a directory`);
  const exists = (p: string): Promise<boolean> => stat(p).then(() => true, () => false);
  // Newest first: a checkpoint dir itself, else the rotating ones (of an out dir, or of a checkpoints dir).
  const rotating = (await exists(join(path, MANIFEST_FILE))) ? [path] : [...(await stepDirs(path)), ...(await stepDirsIn(path))].map((d) => d.dir);
  const legacy = (await exists(join(path, LEGACY_CHECKPOINT_DIR, MANIFEST_FILE))) ? join(path, LEGACY_CHECKPOINT_DIR) : null;
  if (rotating.length === 0 && legacy === null) {
    throw new CheckpointError('missing', `no readable checkpoint in ${path}: no ${MANIFEST_FILE}, ${CHECKPOINTS_DIR}/step-*/ or ${LEGACY_CHECKPOINT_DIR}/ there`);
  }
  const skipped: SkippedCheckpoint[] = [];
  let firstError: unknown;
  const attempt = async (dir: string): Promise<{ dir: string; checkpoint: LoadedCheckpoint } | null> => {
    try {
      return { dir, checkpoint: await loadCheckpoint(dir) };
    } catch (error) {
      firstError ??= error;
      const s = { dir, reason: error instanceof Error ? error.message : String(error) };
      skipped.push(s);
      onSkip?.(s);
      return null;
    }
  };
  let best: { dir: string; checkpoint: LoadedCheckpoint } | null = null;
  for (const dir of rotating) {
    best = await attempt(dir);
    if (best) break;
  }
  const old = legacy ? await attempt(legacy) : null;
  if (old && (!best || old.checkpoint.manifest.counters.iteration > best.checkpoint.manifest.counters.iteration)) best = old;
  if (!best) {
    if (skipped.length === 1 && firstError instanceof CheckpointError) throw firstError;
    throw new CheckpointError('corrupt', `no complete checkpoint in ${path}: ${skipped.map((s) => s.reason).join('; ')}`, { cause: firstError });
  }
  return { dir: best.dir, checkpoint: best.checkpoint, skipped };
}
