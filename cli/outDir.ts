import { mkdir, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { writeFileAtomic, type AtomicData } from '../adapters/files/atomicFile.js';
import { UsageError } from './options.js';

/**
 * Makes sure `dir` can hold the run's outputs before any training starts: creates it (and any
 * missing parents), then writes and removes a probe file. On failure removes what it created
 * and throws a {@link UsageError} naming `--out`.
 */
export async function prepareOutDir(dir: string): Promise<void> {
  const existing = await stat(dir).catch(() => null);
  if (existing && !existing.isDirectory()) throw new UsageError(`--out '${dir}' exists and is not a directory`);
  let created: string | undefined;
  try {
    created = await makeDirs(resolve(dir));
  } catch (error) {
    throw new UsageError(`--out '${dir}' cannot be created: ${reason(error)}`);
  }
  try {
    await probeWritable(dir);
  } catch (error) {
    if (created !== undefined) await rm(created, { recursive: true, force: true }).catch(() => undefined);
    throw new UsageError(`--out '${dir}' is not writable: ${reason(error)}`);
  }
}

/**
 * `mkdir -p` one level at a time. Node's `mkdir({ recursive: true })` can spin forever on
 * special file systems (e.g. under /proc); this fails cleanly instead.
 * @returns the topmost directory it created, or undefined when `dir` already existed.
 */
async function makeDirs(dir: string): Promise<string | undefined> {
  const missing: string[] = [];
  let at = dir;
  while ((await stat(at).catch(() => null)) === null) {
    missing.push(at);
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  missing.reverse();
  try {
    for (const d of missing) await mkdir(d);
  } catch (error) {
    if (missing[0] !== undefined) await rm(missing[0], { recursive: true, force: true }).catch(() => undefined);
    throw error;
  }
  return missing[0];
}

function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOTDIR') return 'a parent is not a directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EROFS') return 'read-only file system';
  return error instanceof Error ? error.message : String(error);
}

/**
 * Checks, before any work, that the file `path` can be written (as `flag`): it is not a
 * directory, and its nearest existing ancestor is a writable directory (a probe file is
 * written and removed there). Creates nothing.
 * @throws UsageError naming `flag` and why.
 */
export async function checkOutFile(flag: string, path: string): Promise<void> {
  const target = resolve(path);
  const existing = await stat(target).catch(() => null);
  if (existing?.isDirectory()) throw new UsageError(`${flag} '${path}' is a directory`);
  let at = dirname(target);
  let s = await stat(at).catch((error: unknown) => error as NodeJS.ErrnoException);
  // Up to the nearest ancestor that exists (missing folders are created when the file is written).
  while (s instanceof Error && s.code === 'ENOENT' && dirname(at) !== at) {
    at = dirname(at);
    s = await stat(at).catch((error: unknown) => error as NodeJS.ErrnoException);
  }
  if (s instanceof Error) throw new UsageError(`${flag} '${path}' cannot be written: ${reason(s)}`);
  if (!s.isDirectory()) throw new UsageError(`${flag} '${path}' cannot be written: '${at}' is a file, not a directory`);
  try {
    await probeWritable(at);
  } catch (error) {
    throw new UsageError(`${flag} '${path}' cannot be written: ${reason(error)}`);
  }
}

/**
 * Writes the file `path` (as `flag`) atomically, creating missing parent folders; on failure
 * removes the folders it created (and `writeFileAtomic` its temporary file), so nothing is left.
 * @throws UsageError naming `flag` and why.
 */
export async function writeOutFile(flag: string, path: string, data: AtomicData): Promise<void> {
  let created: string | undefined;
  try {
    created = await makeDirs(resolve(dirname(path)));
    await writeFileAtomic(path, data);
  } catch (error) {
    if (created !== undefined) await rm(created, { recursive: true, force: true }).catch(() => undefined);
    throw new UsageError(`${flag} '${path}' cannot be written: ${reason(error)}`);
  }
}

/** Writes and removes a probe file in `dir`: its permissions and the disk, not just its mode bits. */
async function probeWritable(dir: string): Promise<void> {
  const probe = join(dir, `.dmgan-probe-${process.pid}`);
  try {
    await writeFile(probe, '');
  } finally {
    await unlink(probe).catch(() => undefined);
  }
}
