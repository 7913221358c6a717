import { open, rename, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

/** A chunk of file content. */
export type AtomicChunk = string | Uint8Array;

/**
 * What {@link writeFileAtomic} writes: the whole content, or chunks (sync or async
 * iterable) produced while writing; if producing a chunk throws, the write is abandoned.
 */
export type AtomicData = AtomicChunk | Iterable<AtomicChunk> | AsyncIterable<AtomicChunk>;

function isChunk(data: AtomicData): data is AtomicChunk {
  return typeof data === 'string' || data instanceof Uint8Array;
}

// Makes the rename itself durable. Best effort: directories cannot be opened/fsynced everywhere (Windows).
async function fsyncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // ignore
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/**
 * Writes `data` to `path` atomically: readers see the old file or the complete new one,
 * never a partial write. Writes a temporary file in the same directory, fsyncs it,
 * renames it over `path`, then fsyncs the directory (best effort). On any failure the
 * temporary file is removed and `path` is left as it was.
 */
export async function writeFileAtomic(path: string, data: AtomicData): Promise<void> {
  const dir = dirname(path);
  // Same directory, so the rename never crosses file systems; dot-prefixed and random to avoid clashes.
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: FileHandle | undefined;
  try {
    handle = await open(tmp, 'wx');
    if (isChunk(data)) {
      await handle.writeFile(data);
    } else {
      // FileHandle.writeFile continues from the current position and retries short writes.
      for await (const chunk of data) await handle.writeFile(chunk);
    }
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(tmp, path);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw namingTarget(error, tmp, path);
  }
  await fsyncDir(dir);
}

/**
 * The error naming the target instead of the temporary file (`ENOENT: no such file or
 * directory, writing '…/out.txt'`): the temporary name means nothing to the caller, and is
 * gone. Its `code`, `errno` and `syscall` are kept, the original is the `cause`.
 */
function namingTarget(error: unknown, tmp: string, path: string): unknown {
  if (!(error instanceof Error) || !error.message.includes(tmp)) return error;
  const e = error as NodeJS.ErrnoException;
  // Node's form is "CODE: description, syscall 'path'…": keep the first part.
  const comma = e.message.indexOf(', ');
  const message = comma > 0 ? `${e.message.slice(0, comma)}, writing '${path}'` : e.message.replaceAll(tmp, path);
  return Object.assign(new Error(message, { cause: error }), { code: e.code, errno: e.errno, syscall: e.syscall, path });
}

/** Options for {@link writeJsonAtomic}. */
export interface WriteJsonOptions {
  /** Indentation passed to `JSON.stringify` (default 2). */
  readonly space?: number | string;
}

/**
 * Serialises `value` as JSON (plus a trailing newline) and writes it with
 * {@link writeFileAtomic}. Serialisation errors (cycles, BigInt) throw before any file is touched.
 */
export async function writeJsonAtomic(path: string, value: unknown, options: WriteJsonOptions = {}): Promise<void> {
  const text = JSON.stringify(value, null, options.space ?? 2);
  if (text === undefined) throw new TypeError('value is not JSON-serialisable');
  await writeFileAtomic(path, `${text}\n`);
}
