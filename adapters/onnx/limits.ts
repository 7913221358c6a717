/**
 * Caps that keep a hostile or broken file from making the importer allocate absurd amounts.
 * 2^27 elements is 512 MiB of float32: far above any GAN this library trains, far below a crash.
 */
export const MAX_TENSOR_ELEMENTS = 2 ** 27;
/** Largest single dimension accepted anywhere (shape inputs, dims, attributes). */
export const MAX_DIM = 2 ** 31 - 1;
/** Largest tensor rank accepted. */
export const MAX_RANK = 8;
/** Largest model file read from disk, bytes. */
export const MAX_MODEL_BYTES = 2 ** 31 - 1;
