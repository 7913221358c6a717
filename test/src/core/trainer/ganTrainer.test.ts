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
import { wganLoss } from '../../../../src/losses/adversarial.js';
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
