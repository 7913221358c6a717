import { readFile } from 'node:fs/promises';

/** A parsed IDX file holding unsigned bytes (the only element type MNIST uses). */
export interface IdxArray {
  /** Size of each dimension, outermost first (e.g. [count, 28, 28]). */
  readonly dims: readonly number[];
  /** Row-major elements; a view into the file's bytes, not a copy. */
  readonly data: Uint8Array;
}

/** Element type code for unsigned bytes in the IDX header. */
const IDX_UBYTE = 0x08;
const HEADER_FIXED_BYTES = 4;

/**
 * Parses an IDX buffer (the format of the MNIST distribution files).
 *
 * Header: two zero bytes, a type byte (0x08 = ubyte), a byte with the number of dimensions,
 * then one big-endian uint32 per dimension. So magic 2049 = 1-D ubyte (labels),
 * 2051 = 3-D ubyte (images).
 *
 * @param bytes - the whole file.
 * @param name - file name used in error messages.
 * @param expectedMagic - when given, the 32-bit magic number the file must start with.
 * @throws Error naming the file when the magic, the dimensions or the length are wrong.
 */
export function parseIdx(bytes: Uint8Array, name: string, expectedMagic?: number): IdxArray {
  if (bytes.length < HEADER_FIXED_BYTES) {
    throw new Error(`IDX file ${name}: ${bytes.length} bytes is too short for a header`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  if (expectedMagic !== undefined && magic !== expectedMagic) {
    throw new Error(`IDX file ${name}: magic number ${magic} (0x${hex(magic)}), expected ${expectedMagic} (0x${hex(expectedMagic)})`);
  }
  if (view.getUint16(0, false) !== 0) {
    throw new Error(`IDX file ${name}: magic number ${magic} (0x${hex(magic)}) must start with two zero bytes`);
  }
  const type = view.getUint8(2);
  if (type !== IDX_UBYTE) {
    throw new Error(`IDX file ${name}: element type 0x${type.toString(16)} is not supported (only 0x08, unsigned byte)`);
  }
  const rank = view.getUint8(3);
  if (rank === 0) {
    throw new Error(`IDX file ${name}: header declares 0 dimensions`);
  }
  const headerBytes = HEADER_FIXED_BYTES + 4 * rank;
  if (bytes.length < headerBytes) {
    throw new Error(`IDX file ${name}: truncated header (${bytes.length} bytes, ${rank} dimensions need ${headerBytes})`);
  }
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(view.getUint32(HEADER_FIXED_BYTES + 4 * i, false));
  const expectedLength = headerBytes + dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== expectedLength) {
    const what = bytes.length < expectedLength ? 'truncated' : 'has trailing bytes';
    throw new Error(
      `IDX file ${name}: ${what}: dimensions [${dims.join(', ')}] need ${expectedLength} bytes, file has ${bytes.length}`,
    );
  }
  return { dims, data: bytes.subarray(headerBytes) };
}

/**
 * Reads and parses an IDX file from disk. See {@link parseIdx}.
 * @throws Error naming the file when it cannot be read or is malformed.
 */
export async function readIdxFile(path: string, expectedMagic?: number): Promise<IdxArray> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new Error(`IDX file ${path}: cannot read: ${(err as Error).message}`, { cause: err });
  }
  return parseIdx(bytes, path, expectedMagic);
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}
