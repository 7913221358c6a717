import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MnistClassifier } from '../../../src/metrics/classifier.js';
import type { ClassifierWeights } from '../../../src/metrics/classifier.js';
import { writeFileAtomic, writeJsonAtomic } from '../../../adapters/files/atomicFile.js';

/** What `model.json` beside the weights says. */
export interface ClassifierManifest {
  readonly format: 'dmgan-mnist-classifier/1';
  readonly architecture: string;
  readonly shapes: ReadonlyArray<readonly number[]>;
  /** Accuracy on MNIST's 10k test set when saved. */
  readonly test_accuracy: number;
  readonly command: string;
  readonly [key: string]: unknown;
}

const MANIFEST = 'model.json';
const WEIGHTS = 'weights.bin';

/**
 * The committed classifier's folder (`fixtures/classifier`), found by walking up from this
 * file so it works from the sources and from `dist/`.
 */
export function defaultClassifierDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'fixtures', 'classifier');
    if (existsSync(join(candidate, MANIFEST))) return candidate;
    dir = dirname(dir);
  }
  return resolve('fixtures', 'classifier');
}

/** Writes `model.json` + `weights.bin` (float32, little-endian) into `dir`. */
export async function saveClassifier(dir: string, classifier: MnistClassifier, meta: { architecture: string; test_accuracy: number; command: string; [key: string]: unknown }): Promise<void> {
  await mkdir(dir, { recursive: true });
  const w = classifier.weights();
  const manifest: ClassifierManifest = { format: 'dmgan-mnist-classifier/1', ...meta, shapes: w.shapes };
  await writeFileAtomic(join(dir, WEIGHTS), new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength));
  await writeJsonAtomic(join(dir, MANIFEST), manifest);
}

/**
 * Loads the classifier saved in `dir` (default: the committed fixture).
 * @throws Error naming the file when it is missing or does not fit the architecture.
 */
export async function loadClassifier(dir: string = defaultClassifierDir()): Promise<{ classifier: MnistClassifier; manifest: ClassifierManifest }> {
  const manifestPath = join(dir, MANIFEST);
  let manifest: ClassifierManifest;
  let bytes: Buffer;
  try {
    manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as ClassifierManifest;
    bytes = await readFile(join(dir, WEIGHTS));
  } catch (error) {
    throw new Error(`cannot read the MNIST classifier in ${dir} (run npm run train:classifier): ${(error as Error).message}`, { cause: error });
  }
  if (manifest.format !== 'dmgan-mnist-classifier/1') throw new Error(`${manifestPath}: unknown format ${String(manifest.format)}`);
  if (bytes.byteLength % 4 !== 0) throw new Error(`${join(dir, WEIGHTS)}: ${bytes.byteLength} bytes is not a float32 buffer`);
  // Copy into an aligned buffer (a Node Buffer may sit at any offset of its pool).
  const data = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(data.buffer).set(bytes);
  const weights: ClassifierWeights = { shapes: manifest.shapes, data };
  const classifier = new MnistClassifier();
  try {
    classifier.setWeights(weights);
  } catch (error) {
    classifier.dispose();
    throw new Error(`${manifestPath}: ${(error as Error).message}`, { cause: error });
  }
  return { classifier, manifest };
}
