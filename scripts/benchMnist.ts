/**
 * ms/iteration of DESIGN.md's `mnist` workload (20 generators, batch 64, 5 critic : 1
 * generator step) on one backend: median over repeats of the mean over a block of iterations,
 * after warm-up. Reports wall time and process CPU time (user + system; less sensitive to a
 * busy machine), peak RSS and the tfjs tensor count before/after.
 *
 *   node --import tsx scripts/benchMnist.ts [--model dmwgan-pl] [--iterations 12] [--repeats 3] [--warmup 6] [--backend wasm]
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../src/engine/index.js';
import { buildMnistModel, MNIST_MODELS } from '../src/experiments/mnist/models.js';
import type { MnistModelName } from '../src/experiments/mnist/models.js';
import { Random } from '../src/core/random.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'dmwgan-pl' },
    iterations: { type: 'string', default: '12' },
    repeats: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '6' },
    backend: { type: 'string', default: 'wasm' },
  },
});
const model = values.model as MnistModelName;
if (!MNIST_MODELS.includes(model)) throw new Error(`--model must be one of ${MNIST_MODELS.join(', ')}`);
const { backend } = await initEngine(values.backend as 'wasm');
const before = tf.memory().numTensors;
const core = buildMnistModel(model, { generators: 20, seed: 0 });
// Data content does not change the cost; random images in [-1, 1] avoid loading MNIST.
const real = tf.tensor4d(new Random(1).uniformArray(64 * 784, -1, 1), [64, 28, 28, 1]);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
for (let i = 0; i < Number(values.warmup); i++) core.step(real, false);
const wall: number[] = [];
const cpu: number[] = [];
for (let r = 0; r < Number(values.repeats); r++) {
  const t = performance.now();
  const c = process.cpuUsage();
  const n = Number(values.iterations);
  for (let i = 0; i < n; i++) core.step(real, false);
  const u = process.cpuUsage(c);
  wall.push((performance.now() - t) / n);
  cpu.push((u.user + u.system) / 1000 / n);
}
real.dispose();
core.dispose();
const result = {
  workload: `mnist (${model}, ${model === 'wgan-gp' ? 1 : 20} G, batch 64)`,
  backend,
  iterations_per_repeat: Number(values.iterations),
  repeats: Number(values.repeats),
  ms_per_iteration: median(wall),
  cpu_ms_per_iteration: median(cpu),
  repeats_ms: wall.map((v) => Math.round(v)),
  peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
  tensors_before: before,
  tensors_after: tf.memory().numTensors,
  peer_ms_per_iteration: 213,
  ratio_wall_to_peer: median(wall) / 213,
  ratio_cpu_to_peer: median(cpu) / 213,
};
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
