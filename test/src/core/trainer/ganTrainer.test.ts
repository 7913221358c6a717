import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Container } from 'inversify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DmganCore } from '../../../../plugins/dmgan/index.js';
import { loadCheckpoint, restoreCheckpoint, saveCheckpoint } from '../../../../plugins/checkpoint/checkpoint.js';
import { DMGAN, dmganModule, TOKENS } from '../../../../src/index.js';
import { GeneratorEnsemble } from '../../../../src/core/ensemble.js';
import { MlpCritic, MlpGenerator } from '../../../../src/core/nn/mlp.js';
import { LearnedPrior } from '../../../../src/core/prior.js';
import { QHead } from '../../../../src/core/qHead.js';
import { Random } from '../../../../src/core/random.js';
import { GanTrainer } from '../../../../src/core/trainer/ganTrainer.js';
import type { TrainerPlugin } from '../../../../src/core/trainer/hooks.js';
import { activateBackend } from '../../../../src/engine/index.js';
import { hingeLoss, wganLoss } from '../../../../src/losses/adversarial.js';
import { InvalidBatchError, NumericalFaultError } from '../../../../src/core/faults.js';
import { REFERENCE_OPTIMIZERS } from '../../../../src/core/trainer/steps.js';
import { sampleLineData } from '../../../../src/metrics/lines/data.js';
import { linesGan } from '../../api/helpers.js';

const D = 4;

function models(seed: number, n: number) {
  const init = new Random(`trainer-test:${seed}`);
  const generators = Array.from({ length: n }, (_, i) => new MlpGenerator({ sizes: [D, 16, 2], activation: 'relu', name: `g${i}` }, init));
  return { ensemble: new GeneratorEnsemble(generators), critic: new MlpCritic({ sizes: [2, 32, 1], activation: 'leakyRelu', name: 'd' }, init), init };
}

function steps(trainer: { step(real: tf.Tensor, read?: boolean): { kind: string; losses: unknown } }, count: number, seed = 1) {
  const rng = new Random(`trainer-test-data:${seed}`);
  return Array.from({ length: count }, () => {
    const real = tf.tensor2d(sampleLineData('balanced', 16, rng).points, [16, 2]);
    try {
      return trainer.step(real);
    } finally {
      real.dispose();
    }
  });
}

/** A plugin that records which hooks ran, in order, and logs one loss. */
function recorder(name = 'rec'): TrainerPlugin & { calls: string[]; state: { n: number } } {
  const calls: string[] = [];
  const state = { n: 0 };
  return {
    name,
    calls,
    state,
    onDiscriminatorStepEnd: (ctx) => void calls.push(`D${ctx.iteration}`),
    onGeneratorStepBegin: (ctx) => void calls.push(`G${ctx.iteration}<`),
    onGeneratorStepEnd: (ctx) => {
      calls.push(`G${ctx.iteration}>`);
      state.n += 1;
      return { seen: ctx.ids.length };
    },
    stateDict: () => ({ ...state }),
    loadStateDict: (s) => void (state.n = (s as { n: number }).n),
  };
}

describe('GanTrainer: a generic GAN trainer that runs plugins at its hooks', () => {
  let dir: string;
  beforeAll(async () => {
    await activateBackend('cpu');
    dir = await mkdtemp(join(tmpdir(), 'dmgan-trainer-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('trains a plain GAN without any plugin: uniform generator ids, its own latents, the 5:1 schedule', () => {
    const { ensemble, critic } = models(0, 2);
    const trainer = new GanTrainer({ latentDim: D, ensemble, critic, loss: wganLoss(), seed: 2 });
    const results = steps(trainer, 12);
    expect(results.map((r) => r.kind[0]).join('')).toBe('dddddgdddddg');
    expect(Object.keys(results[0]?.losses as object).sort()).toEqual(['discriminator', 'gradientPenalty']);
    expect(Object.keys(results[5]?.losses as object)).toEqual(['generator']);
    const { ids, samples } = trainer.generate(400);
    expect(new Set(ids)).toEqual(new Set([0, 1]));
    expect(samples.shape).toEqual([400, 2]);
    samples.dispose();
    trainer.dispose();
  });

  it('calls every plugin at its hooks in step order and reports their losses as plugin/name', () => {
    const { ensemble, critic } = models(1, 2);
    const rec = recorder();
    const trainer = new GanTrainer({ latentDim: D, ensemble, critic, loss: wganLoss(), plugins: [rec] });
    const results = steps(trainer, 6);
    expect(rec.calls).toEqual(['D1', 'D2', 'D3', 'D4', 'D5', 'G6<', 'G6>']);
    expect(results[5]?.losses).toMatchObject({ 'rec/seen': 16 });
    trainer.dispose();
  });

  it('adds a plugin\'s loss term to the generators\' loss: a term that pulls samples to +x moves them there', () => {
    const pull: TrainerPlugin = { name: 'pull', generatorLossTerm: (ctx) => tf.mul(tf.neg(tf.mean(tf.slice(ctx.fake, [0, 0], [-1, 1]))), 100) as tf.Scalar };
    const meanX = (plugins: TrainerPlugin[]): number => {
      const { ensemble, critic } = models(2, 1);
      const trainer = new GanTrainer({ latentDim: D, ensemble, critic, loss: wganLoss(), plugins, discriminatorSteps: 0, seed: 3 });
      steps(trainer, 30);
      const { samples } = trainer.generate(256);
      const x = tf.tidy(() => tf.mean(tf.slice(samples, [0, 0], [-1, 1])).dataSync()[0] as number);
      samples.dispose();
      trainer.dispose();
      return x;
    };
    expect(meanX([pull]) - meanX([])).toBeGreaterThan(0.05);
  });

  it('refuses a plugin whose hook returns a promise, naming the plugin and the hook (its steps are synchronous)', () => {
    const { ensemble, critic } = models(3, 1);
    const slow: TrainerPlugin = { name: 'slow', onDiscriminatorStepEnd: async () => undefined };
    const trainer = new GanTrainer({ latentDim: D, ensemble, critic, loss: wganLoss(), plugins: [slow] });
    expect(() => steps(trainer, 1)).toThrow(/TrainerPlugin 'slow' returned a promise from onDiscriminatorStepEnd/);
    trainer.dispose();
  });

  it('frees every tensor of its steps (plugins, lazily computed real features and kept losses included)', () => {
    const { ensemble, critic } = models(4, 3);
    const dmgan = new DmganCore({ latentDim: D, ensemble, critic, qHead: new QHead(32, 3, new Random(1)), prior: new LearnedPrior(3), loss: wganLoss(), plugins: [recorder()] });
    steps(dmgan, 6);
    const before = tf.memory().numTensors;
    steps(dmgan, 60);
    expect(tf.memory().numTensors).toBe(before);
    dmgan.dispose();
  });

  it('checkpoints carry every plugin\'s state beside the DMGAN plugin\'s, and restore it', async () => {
    const build = () => {
      const { ensemble, critic, init } = models(5, 3);
      const rec = recorder('counter');
      const core = new DmganCore({ latentDim: D, ensemble, critic, qHead: new QHead(32, 3, init), prior: new LearnedPrior(3), loss: wganLoss(), plugins: [rec] });
      return { core, rec };
    };
    const a = build();
    steps(a.core, 18);
    const manifest = await saveCheckpoint(join(dir, 'ckpt'), a.core);
    expect(manifest.plugins?.counter).toEqual({ n: 3 });
    expect(Object.keys(manifest.optimizers)).toEqual(['generator', 'discriminator', 'q']);
    const b = build();
    restoreCheckpoint(b.core, await loadCheckpoint(join(dir, 'ckpt')));
    expect(b.rec.state.n).toBe(3);
    expect(steps(b.core, 6, 9)).toEqual(steps(a.core, 6, 9));
    a.core.dispose();
    b.core.dispose();
  });

  it('withDMGAN runs every plugin bound under TOKENS.TrainerPlugin, after the DMGAN plugin', () => {
    const { gan } = linesGan(0, 2, 4);
    const container = new Container();
    container.load(dmganModule({ gan, generators: 2 }));
    const rec = recorder('progress');
    container.bind<TrainerPlugin>(TOKENS.TrainerPlugin).toConstantValue(rec);
    const dmgan = DMGAN.fromContainer(container);
    expect(dmgan.plugins.map((p) => p.name)).toEqual(['dmgan', 'progress']);
    const results = steps({ step: (real) => dmgan.trainStep(real) }, 6);
    expect(rec.calls).toEqual(['D1', 'D2', 'D3', 'D4', 'D5', 'G6<', 'G6>']);
    expect(results[5]?.losses).toMatchObject({ 'progress/seen': 16 });
    expect(Object.keys(results[5]?.losses as object)).toEqual(expect.arrayContaining(['generator', 'q', 'prior']));
    dmgan.dispose();
  });
});

describe('GanTrainer, one promise at a time', () => {
  beforeAll(async () => {
    await activateBackend('cpu');
  });

  const trainer = (options: Partial<ConstructorParameters<typeof GanTrainer>[0]> = {}, n = 2) => {
    const { ensemble, critic } = models(3, n);
    return new GanTrainer({ latentDim: D, ensemble, critic, loss: wganLoss(), ...options });
  };
  const realBatch = (rows = 16, seed = 1) => tf.tensor2d(sampleLineData('balanced', rows, new Random(seed)).points, [rows, 2]);
  const thrown = (f: () => unknown): Error => {
    try {
      f();
    } catch (error) {
      return error as Error;
    }
    throw new Error('expected a throw');
  };

  it('refuses a negative or fractional number of critic steps', () => {
    for (const bad of [-1, 1.5, NaN]) {
      const { ensemble, critic } = models(1, 1);
      expect(() => new GanTrainer({ latentDim: D, ensemble, critic, loss: wganLoss(), discriminatorSteps: bad })).toThrow(`discriminatorSteps must be an integer ≥ 0, got ${bad}`);
      ensemble.dispose();
      critic.dispose();
    }
  });

  it('with 0 critic steps every iteration is a generator step; with k, every (k + 1)-th', () => {
    const none = trainer({ discriminatorSteps: 0 });
    expect(steps(none, 3).map((r) => r.kind)).toEqual(['generator', 'generator', 'generator']);
    expect(none.generatorSteps).toBe(3);
    none.dispose();
    const two = trainer({ discriminatorSteps: 2 });
    const kinds: boolean[] = [];
    for (let i = 0; i < 6; i++) {
      kinds.push(two.nextIsGeneratorStep);
      steps(two, 1, 20 + i);
    }
    expect(kinds).toEqual([false, false, true, false, false, true]);
    expect([two.iteration, two.generatorSteps]).toEqual([6, 2]);
    two.dispose();
  });

  it('differentiates in closed form for a Wasserstein loss unless told not to, by autodiff otherwise', () => {
    const cases: Array<[Partial<ConstructorParameters<typeof GanTrainer>[0]>, string]> = [
      [{}, 'closed-form'],
      [{ closedFormGradients: true }, 'closed-form'],
      [{ closedFormGradients: false }, 'autodiff'],
      [{ loss: hingeLoss() }, 'autodiff'],
    ];
    for (const [options, name] of cases) {
      const t = trainer(options);
      expect(t.gradients.name).toBe(name);
      t.dispose();
    }
  });

  it("uses the reference's Adam settings unless given others, and lists its optimisers before the plugins'", () => {
    const t = trainer();
    expect(t.optimizers.generator?.options).toEqual(REFERENCE_OPTIMIZERS.generator);
    expect(t.optimizers.discriminator?.options).toEqual(REFERENCE_OPTIMIZERS.discriminator);
    t.dispose();
    const custom = { learningRate: 1e-3, beta1: 0.1, beta2: 0.2, epsilon: 1e-3 };
    const u = trainer({ optimizers: { generator: custom, discriminator: { ...custom, learningRate: 5e-3 } } });
    expect(u.optimizers.generator?.options).toEqual(custom);
    expect(u.optimizers.discriminator?.options.learningRate).toBe(5e-3);
    expect(Object.keys(u.optimizers)).toEqual(['generator', 'discriminator']);
    u.dispose();
  });

  it('draws latents from U(−1, 1) by default and N(0, 1) when asked, ids first, from the stream it is given', () => {
    for (const latent of ['uniform', 'normal'] as const) {
      // A generator that shows its latents: the first two coordinates (+ 0·w, so it has a weight to train).
      const init = tf.zeros([1]);
      const w = tf.variable(init, true, `show_${Math.random()}`);
      init.dispose();
      const show = { trainableVariables: [w], apply: (z: tf.Tensor) => tf.add(tf.slice(z, [0, 0], [-1, 2]), tf.mul(w, 0)), dispose: () => w.dispose() };
      const critic = new MlpCritic({ sizes: [2, 4, 1], activation: 'leakyRelu' }, new Random(1));
      // Uniform is the default: not passed.
      const t = new GanTrainer({ latentDim: D, ensemble: new GeneratorEnsemble([show]), critic, loss: wganLoss(), ...(latent === 'normal' ? { latent } : {}) });
      const { samples } = t.generate(300, { rng: new Random(5) });
      const twin = new Random(5);
      twin.categorical([1], 300);
      const z = latent === 'uniform' ? twin.uniformArray(300 * D, -1, 1) : twin.normalArray(300 * D);
      const expected = Array.from({ length: 300 }, (_, i) => [z[i * D]!, z[i * D + 1]!]);
      expect(samples.arraySync()).toEqual(expected);
      expect(t.latent).toBe(latent);
      samples.dispose();
      t.dispose();
    }
  });

  it('generate: the trainer\'s own sampling stream by default (reproducible, separate from training), one generator on request, refusals by name', () => {
    const a = trainer();
    const b = trainer();
    steps(a, 2);
    const first = a.generate(50);
    const again = b.generate(50);
    // Training moved no sampling stream, and sampling moves no training stream.
    expect(Array.from(first.ids)).toEqual(Array.from(again.ids));
    expect(first.samples.arraySync()).toEqual(again.samples.arraySync());
    steps(b, 2);
    expect(steps(a, 5, 7)).toEqual(steps(b, 5, 7));
    const one = a.generate(20, { generator: 1 });
    expect(Array.from(new Set(one.ids))).toEqual([1]);
    for (const bad of [-1, 2, 0.5]) expect(() => a.generate(3, { generator: bad })).toThrow(`generator must be an integer in [0, 2), got ${bad}`);
    for (const bad of [0, -3, 2.5]) expect(() => a.generate(bad)).toThrow(`generate: count must be an integer ≥ 1, got ${bad}`);
    tf.dispose([first.samples, again.samples, one.samples]);
    a.dispose();
    b.dispose();
  });

  it('generate runs inside the plugins\' inference weights unless rawWeights asks for the trained ones', () => {
    const log: string[] = [];
    const t = trainer({ plugins: [{ name: 'avg', withInferenceWeights: <T>(fn: () => T): T => (log.push('averaged'), fn()) }] });
    tf.dispose(t.generate(4).samples);
    tf.dispose(t.generate(4, { rawWeights: false }).samples);
    expect(log).toEqual(['averaged', 'averaged']);
    tf.dispose(t.generate(4, { rawWeights: true }).samples);
    expect(log).toEqual(['averaged', 'averaged']);
    t.dispose();
  });

  it('refuses a batch whose samples are not the shape the generators make, before drawing anything', () => {
    const t = trainer({ sampleShape: [2] });
    const twin = trainer({ sampleShape: [2] });
    expect(t.sampleShape).toEqual([2]);
    const wrong = tf.zeros([4, 3]);
    const e = thrown(() => t.step(wrong));
    expect(e).toBeInstanceOf(InvalidBatchError);
    expect(e.message).toBe('the real batch has samples of shape [3], the generators make [2]');
    expect(t.iteration).toBe(0);
    wrong.dispose();
    expect(steps(t, 7)).toEqual(steps(twin, 7));
    t.dispose();
    twin.dispose();
    // Without a declared shape it is learnt from the first batch.
    const learner = trainer();
    expect(learner.sampleShape).toBeNull();
    steps(learner, 1);
    expect(learner.sampleShape).toEqual([2]);
    expect(() => learner.checkSampleShape(tf.zeros([1, 2, 1]), 'the samples have shape')).toThrow('the samples have shape [2, 1], the generators make [2]');
    learner.dispose();
  });

  it("features: the critic's features in inference mode, after checking the batch", () => {
    const modes: boolean[] = [];
    const { ensemble, critic } = models(4, 2);
    const apply = critic.apply.bind(critic);
    critic.apply = (x: tf.Tensor, training?: boolean) => (modes.push(training === true), apply(x));
    const t = new GanTrainer({ latentDim: D, ensemble, critic, loss: wganLoss() });
    const x = realBatch(5);
    const f = t.features(x);
    expect(f.shape).toEqual([5, 32]);
    expect(modes).toEqual([false]);
    expect(() => t.features(tf.zeros([0, 2]))).toThrow('the real batch is empty (shape [0, 2])');
    tf.dispose([x, f]);
    t.dispose();
  });

  it('counters round-trip the iteration, the generator steps and the training streams', () => {
    const a = trainer();
    steps(a, 8);
    const c = a.counters();
    expect([c.iteration, c.generatorSteps]).toEqual([8, 1]);
    const b = trainer();
    // Same weights: copy them, then the counters.
    b.allVariables().forEach((v, i) => v.assign(a.allVariables()[i] as tf.Variable));
    b.loadCounters(JSON.parse(JSON.stringify(c)) as typeof c);
    expect([b.iteration, b.generatorSteps, b.nextIsGeneratorStep]).toEqual([8, 1, false]);
    expect(steps(b, 4, 3).map((r) => r.kind)).toEqual(['discriminator', 'discriminator', 'discriminator', 'generator']);
    a.dispose();
    b.dispose();
  });

  it('groups its variables as generator (weights and state), discriminator, then the plugins\' groups', () => {
    const extra = tf.variable(tf.zeros([1]), true, `extra_${Math.random()}`);
    const t = trainer({ plugins: [{ name: 'p', parameterGroups: () => ({ q: [extra] }) }] });
    const groups = t.parameterGroups();
    expect(groups.map(([g]) => g)).toEqual(['generator', 'discriminator', 'q']);
    expect(groups[0]![1]).toEqual([...t.ensemble.trainableVariables, ...t.ensemble.stateVariables]);
    expect(groups[1]![1]).toEqual(t.critic.trainableVariables);
    expect(t.allVariables()).toEqual([...groups[0]![1], ...groups[1]![1], extra]);
    t.dispose();
    extra.dispose();
  });

  const poison = (v: tf.Variable): void => {
    const values = Array.from(v.dataSync());
    values[1] = NaN;
    values[2] = NaN;
    v.assign(tf.tensor(values, v.shape));
  };

  it("a non-finite critic weight stops the step before any update, named as the fault", () => {
    const t = trainer();
    steps(t, 2);
    const weight = t.critic.trainableVariables[0] as tf.Variable;
    poison(weight);
    const before = t.allVariables().map((v) => Array.from(v.dataSync()));
    const x = realBatch();
    const e = thrown(() => t.step(x)) as NumericalFaultError;
    x.dispose();
    expect(e).toBeInstanceOf(NumericalFaultError);
    expect(e.details).toMatchObject({ kind: 'weight', group: 'discriminator', name: weight.name, count: 2, iteration: 3, step: 'discriminator' });
    expect(e.details.via).toBeUndefined();
    expect(e.details.weights).toEqual([{ group: 'discriminator', name: weight.name, count: 2, value: NaN }]);
    expect(t.nonFiniteWeights()).toEqual([{ group: 'discriminator', name: weight.name, count: 2, value: NaN }]);
    // Nothing was applied, and the iteration did not advance.
    expect(t.iteration).toBe(2);
    t.allVariables().forEach((v, i) => expect(Array.from(v.dataSync())).toEqual(before[i]));
    t.dispose();
  });

  it("a non-finite generator weight surfaces in the critic's step as a symptom: the weight is named as the cause, with the symptom as 'via'", () => {
    const t = trainer();
    const weight = t.ensemble.trainableVariables[0] as tf.Variable;
    poison(weight);
    const x = realBatch();
    const e = thrown(() => t.step(x)) as NumericalFaultError;
    x.dispose();
    expect(e.details).toMatchObject({ kind: 'weight', group: 'generator', name: weight.name, count: 2, iteration: 1, step: 'discriminator' });
    expect(Number.isNaN(e.details.value)).toBe(true);
    expect(e.details.via).toMatch(/^(loss|gradient) of '.+' in group 'discriminator'$/);
    expect(e.message).toContain(`numerical fault at iteration 1 (discriminator step): weight of '${weight.name}' is NaN (2 values non-finite) in parameter group 'generator' (surfaced as the `);
    expect(t.iteration).toBe(0);
    t.dispose();
  });

  it('a fault that is not a weight\'s (a plugin\'s NaN loss) is reported as it is, with the iteration and step', () => {
    const t = trainer({ discriminatorSteps: 0, plugins: [{ name: 'bad', onGeneratorStepEnd: () => { throw new NumericalFaultError({ kind: 'loss', group: 'q', name: 'q', value: NaN }); } }] });
    const x = realBatch();
    const e = thrown(() => t.step(x)) as NumericalFaultError;
    x.dispose();
    expect(e.message).toMatch(/^numerical fault at iteration 1 \(generator step\): loss 'q' is NaN in parameter group 'q'; losses: generator = -?\d/);
    expect(e.details.weights).toEqual([]);
    // Any other error passes through untouched.
    const boom = new Error('boom');
    const u = trainer({ discriminatorSteps: 0, plugins: [{ name: 'boom', onGeneratorStepEnd: () => { throw boom; } }] });
    const y = realBatch();
    expect(thrown(() => u.step(y))).toBe(boom);
    y.dispose();
    t.dispose();
    u.dispose();
  });

  it('dispose frees the models, the optimisers and the plugins', () => {
    const before = tf.memory().numTensors;
    let disposed = false;
    const t = trainer({ plugins: [{ name: 'p', dispose: () => void (disposed = true) }] });
    steps(t, 6);
    t.dispose();
    expect(disposed).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  });
});
