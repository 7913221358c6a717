import { mkdir, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
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
  const probe = join(dir, `.dmgan-probe-${process.pid}`);
  try {
    await writeFile(probe, '');
    await unlink(probe);
  } catch (error) {
    await unlink(probe).catch(() => undefined);
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
