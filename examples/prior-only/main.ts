// Run: npx tsx examples/prior-only/main.ts [steps]
//
// A hand-written MGAN/MAD-GAN-style loop with three generators and a classifier that tells
// them apart. It adopts only dmgan's LearnedPrior: ids come from the prior, and after each
// step the prior learns from the classifier's posteriors on real data. Lines marked PRIOR are
// all the prior adds.
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { LearnedPrior, initEngine, priorEquilibrium } from 'dmgan';

const N = 3;
const LATENT = 2;
let counter = 0;
const variable = (shape: number[], scale = 0.5): tf.Variable =>
  tf.tidy(() => tf.variable(tf.randomNormal(shape, 0, scale, 'float32', ++counter), true, `prior_only_${counter}`));

/** Real data: two clusters on the line (so one of the three generators is not needed). */
function realBatch(size: number): tf.Tensor2D {
  return tf.tidy(() => {
    const side = tf.sub(tf.mul(tf.cast(tf.greater(tf.randomUniform([size, 1]), 0.5), 'float32'), 4), 2);
    return tf.concat([tf.add(side, tf.randomNormal([size, 1], 0, 0.1)), tf.randomNormal([size, 1], 0, 0.1)], 1) as tf.Tensor2D;
  });
}

export async function main(steps = 400, log: (line: string) => void = console.log) {
  await initEngine('auto');
  const generators = Array.from({ length: N }, () => ({ w: variable([LATENT, 2]), b: variable([2], 1) }));
  const critic = { w1: variable([2, 16]), w2: variable([16, 1]) };
  const classifier = { w: variable([2, N]), b: variable([N], 0) };
  const prior = new LearnedPrior(N, { entropyWeight: 5, entropyDecay: 0.98, seed: 1 }); // PRIOR
  const opt = { g: tf.train.adam(5e-3, 0.5), d: tf.train.adam(5e-3, 0.5), c: tf.train.adam(5e-3, 0.5) };
  const gen = (k: number, z: tf.Tensor) => tf.add(tf.matMul(z, (generators[k] as { w: tf.Variable }).w), (generators[k] as { b: tf.Variable }).b);
  const score = (x: tf.Tensor) => tf.matMul(tf.tanh(tf.matMul(x, critic.w1)), critic.w2);
  const classify = (x: tf.Tensor) => tf.add(tf.matMul(x, classifier.w), classifier.b);
  const batch = 32;
  let last = { prior: NaN, classifier: NaN };
  // The classifier's mean posterior on real data, smoothed over steps (the paper's "empirical prior").
  const empirical = new Array<number>(N).fill(1 / N);
  for (let step = 0; step < steps; step++) {
    const ids = prior.sample(batch); // PRIOR: which generator makes each sample
    const real = realBatch(batch);
    const z = tf.randomUniform([batch, LATENT], -1, 1);
    const onehot = tf.tidy(() => tf.oneHot(tf.tensor1d(ids, 'int32'), N));
    // Each sample comes from its own generator (masked sum, as MAD-GAN code often does).
    const gSum = () => tf.addN([0, 1, 2].map((k) => tf.mul(gen(k, z), tf.slice(onehot, [0, k], [-1, 1]))));
    opt.d.minimize(() => tf.add(tf.mean(tf.softplus(tf.neg(score(real)))), tf.mean(tf.softplus(score(gSum())))) as tf.Scalar, false, [critic.w1, critic.w2]);
    opt.g.minimize(() => {
      const x = gSum();
      const ce = tf.losses.softmaxCrossEntropy(onehot, classify(x));
      return tf.add(tf.mean(tf.softplus(tf.neg(score(x)))), ce) as tf.Scalar;
    }, false, generators.flatMap((g) => [g.w, g.b]));
    const cCost = opt.c.minimize(() => tf.losses.softmaxCrossEntropy(onehot, classify(gSum())) as tf.Scalar, true, [classifier.w, classifier.b]);
    const posteriors = tf.tidy(() => tf.softmax(classify(real)).arraySync() as number[][]);
    const update = prior.update(posteriors); // PRIOR: learn r(c) from the classifier on real data
    for (let c = 0; c < N; c++) empirical[c] = 0.95 * (empirical[c] as number) + (0.05 * posteriors.reduce((s, row) => s + (row[c] as number), 0)) / batch;
    last = { prior: update.loss, classifier: cCost?.dataSync()[0] ?? NaN };
    tf.dispose([real, z, onehot, cCost as tf.Tensor]);
  }
  const probabilities = prior.probabilities(); // PRIOR
  const active = prior.activeGenerators(); // PRIOR: r(c) > 1/(2n)
  const saved = JSON.stringify(prior.toJSON()); // PRIOR: serialise
  // PRIOR: where the loss puts r for this empirical prior and the bonus left (λ_H·κ^t); r follows
  // it with a lag, since Adam moves ζ by about its learning rate per step.
  const equilibrium = priorEquilibrium(empirical, prior.entropyWeight());
  const restored = LearnedPrior.fromJSON(JSON.parse(saved));
  log(`prior            [${probabilities.map((p) => p.toFixed(3)).join(', ')}]`);
  log(`equilibrium      [${equilibrium.map((p) => p.toFixed(3)).join(', ')}]  (classifier on real data [${empirical.map((p) => p.toFixed(3)).join(', ')}], bonus ${prior.entropyWeight().toFixed(3)})`);
  log(`active           ${active.join(', ')}`);
  log(`last losses      prior ${last.prior.toFixed(4)}  classifier ${last.classifier.toFixed(4)}`);
  for (const v of [...generators.flatMap((g) => [g.w, g.b]), critic.w1, critic.w2, classifier.w, classifier.b]) v.dispose();
  for (const o of Object.values(opt)) o.dispose();
  return { probabilities, equilibrium, active, restored: restored.probabilities(), last };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main(Number(process.argv[2] ?? 400));
}
