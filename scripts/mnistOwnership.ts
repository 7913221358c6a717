/**
 * Which digits each generator of a trained MNIST run owns, measured on more samples than an
 * evaluation draws (~50 per generator there): loads the run's newest checkpoint, draws
 * `--per-generator` images from every generator (inference mode), classifies them with the
 * committed classifier, and adds Q's mean posterior on the first `--real` training images
 * (read as the prior's update reads it). Writes <run>/ownership.json and prints a markdown table.
 *
 *   node --import tsx scripts/mnistOwnership.ts runs/mnist-4800/dmwgan-pl [--per-generator 500] [--real 5000]
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadMnist } from '../adapters/data/mnist.js';
import { loadNewestCheckpoint, restoreCheckpoint } from '../plugins/checkpoint/index.js';
import { writeJsonAtomic } from '../adapters/files/atomicFile.js';
import { loadClassifier } from '../plugins/report/mnist/index.js';
import { Random } from '../src/core/random.js';
import { activateBackend } from '../src/engine/backend.js';
import { perGeneratorClassMetrics } from '../src/metrics/classMetrics.js';
import { MNIST_CLASSES } from '../src/metrics/classifier.js';
import { buildMnistModel, MNIST_SHAPE } from '../src/experiments/mnist/models.js';
import type { MnistModelName } from '../src/experiments/mnist/models.js';
import { empiricalPrior } from '../src/experiments/mnist/run.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'per-generator': { type: 'string', default: '500' },
    real: { type: 'string', default: '5000' },
    // A generator "owns" a digit when at least this share of its samples are that digit.
    owns: { type: 'string', default: '0.6' },
  },
});
const run = positionals[0];
if (!run) throw new Error('usage: mnistOwnership.ts <run dir> [--per-generator 500] [--real 5000]');
const perGenerator = Number(values['per-generator']);
const realCount = Number(values.real);
const owns = Number(values.owns);

await activateBackend('wasm');
const { checkpoint, dir } = await loadNewestCheckpoint(run);
const config = (checkpoint.manifest.extra as { config?: { model: MnistModelName; generators: number; seed: number; batchSize: number } }).config;
if (!config) throw new Error(`${dir}: not a 'dmgan train mnist' checkpoint`);
const core = buildMnistModel(config.model, { generators: config.generators, seed: config.seed, shape: MNIST_SHAPE });
restoreCheckpoint(core, checkpoint);
const { classifier } = await loadClassifier();
const n = core.prior.n;
const images = new Float32Array(n * perGenerator * 784);
const ids = new Int32Array(n * perGenerator);
const rng = new Random(`ownership:${config.seed}`);
for (let g = 0; g < n; g++) {
  const { samples } = core.generate(perGenerator, { generator: g, training: false, rng });
  images.set(samples.dataSync() as Float32Array, g * perGenerator * 784);
  samples.dispose();
  ids.fill(g, g * perGenerator, (g + 1) * perGenerator);
}
const { probs } = classifier.classify(images, n * perGenerator);
const perGen = perGeneratorClassMetrics(probs, MNIST_CLASSES, ids, n);
const train = await loadMnist('train', { limit: realCount });
const empirical = empiricalPrior(core, { images: train.images, count: train.count, shape: MNIST_SHAPE }, realCount, config.batchSize);
const prior = core.prior.probabilities();
const rows = perGen.map((g) => {
  const h = Array.from(g.histogram);
  const top = h.indexOf(Math.max(...h));
  return { generator: g.generator, prior: prior[g.generator] as number, empirical_prior: empirical?.[g.generator] ?? null, top_class: top, top_share: h[top] as number, quality: g.quality, histogram: h };
});
const owners = Array.from({ length: MNIST_CLASSES }, (_, c) => rows.filter((r) => r.top_class === c && r.top_share >= owns).map((r) => r.generator));
await writeJsonAtomic(join(run, 'ownership.json'), { run, checkpoint: dir, iteration: core.iteration, per_generator_samples: perGenerator, real_images: train.count, owns_threshold: owns, rows, owners });
core.dispose();
classifier.dispose();

const pct = (x: number): string => `${Math.round(x * 100)} %`;
process.stdout.write(
  [
    `iteration ${core.iteration}, ${perGenerator} samples per generator`,
    '',
    '| generator | prior | Q on real | top digit | its share | quality | second digit |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((r) => {
      const second = r.histogram.map((v, c) => [v, c] as const).filter(([, c]) => c !== r.top_class).sort((a, b) => b[0] - a[0])[0]!;
      return `| ${r.generator} | ${r.prior.toFixed(4)} | ${r.empirical_prior === null ? '–' : r.empirical_prior.toFixed(3)} | ${r.top_class} | ${pct(r.top_share)} | ${r.quality.toFixed(2)} | ${second[1]} (${pct(second[0])}) |`;
    }),
    '',
    `owners (top share ≥ ${owns}): ${owners.map((g, c) => `${c}: ${g.length > 0 ? g.join(', ') : '–'}`).join('; ')}`,
    '',
  ].join('\n'),
);
