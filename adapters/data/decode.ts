import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

/** A decoded image: 8-bit RGBA, row-major. */
export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** File extensions {@link decodeImage} understands, lower case. */
export const IMAGE_EXTENSIONS: readonly string[] = ['.png', '.jpg', '.jpeg'];

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47];
const JPEG_SIGNATURE = [0xff, 0xd8, 0xff];

/**
 * Decodes PNG or JPEG bytes to 8-bit RGBA, choosing the codec by the file signature rather
 * than the extension (a mislabelled file still decodes).
 * @throws Error with the codec's reason when the bytes are neither format or are corrupt.
 */
export function decodeImage(bytes: Uint8Array): RgbaImage {
  if (startsWith(bytes, PNG_SIGNATURE)) {
    // pngjs rescales 16-bit and palette/grey images to 8-bit RGBA.
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return { width: png.width, height: png.height, data: png.data };
  }
  if (startsWith(bytes, JPEG_SIGNATURE)) {
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
    return { width: img.width, height: img.height, data: img.data };
  }
  throw new Error('not a PNG or JPEG file (unrecognised signature)');
}

function startsWith(bytes: Uint8Array, sig: readonly number[]): boolean {
  return bytes.length >= sig.length && sig.every((b, i) => bytes[i] === b);
}
