import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { activateBackend } from '../../../../src/engine/index.js';
import { PluginList } from '../../../../src/index.js';
import type { TrainerPlugin } from '../../../../src/index.js';

describe('PluginList', () => {
  beforeAll(async () => {
    await activateBackend('cpu');
  });

  it('accepts plain objects with only some hooks, fans out in order and prefixes logs by plugin', async () => {
    const calls: string[] = [];
    const a: TrainerPlugin = { name: 'a', onDiscriminatorStepEnd: async () => void calls.push('a'), evaluate: () => ({ x: 1 }) };
    const b: TrainerPlugin = { name: 'b', onDiscriminatorStepEnd: () => void calls.push('b'), onGeneratorStepEnd: () => ({ loss: 2 }) };
    const list = new PluginList([a, b]);
    await list.onDiscriminatorStepEnd({ iteration: 1 });
    expect(calls).toEqual(['a', 'b']);
    expect(await list.evaluate({ iteration: 1 })).toEqual({ 'a/x': 1 });
    const ctx = { iteration: 2, realFeatures: tf.zeros([1, 1]), fakeFeatures: tf.zeros([1, 1]), ids: new Int32Array(1) };
    expect(await list.onGeneratorStepEnd(ctx)).toEqual({ 'b/loss': 2 });
    tf.dispose([ctx.realFeatures, ctx.fakeFeatures]);
    expect(list.selectGenerators({ batchSize: 1, latentDim: 1, generators: 1, phase: 'generator' })).toBeNull();
  });

  it('sums loss terms and round-trips state by plugin name', async () => {
    let loaded: unknown = null;
    const p: TrainerPlugin = { name: 'p', generatorLossTerm: () => tf.scalar(1), stateDict: () => ({ k: 1 }), loadStateDict: (s) => void (loaded = s) };
    const q: TrainerPlugin = { name: 'q', generatorLossTerm: () => tf.scalar(2) };
    const list = new PluginList([p, q]);
    const t = tf.zeros([1]);
    const term = list.generatorLossTerm({ fake: t, score: t, features: t, ids: new Int32Array(1) });
    expect(term?.dataSync()[0]).toBe(3);
    tf.dispose([t, term as tf.Tensor]);
    const state = await list.stateDict();
    expect(state).toEqual({ p: { k: 1 } });
    await list.loadStateDict(state);
    expect(loaded).toEqual({ k: 1 });
  });

  it('rejects nameless and duplicate plugins (names key checkpoint state)', () => {
    expect(() => new PluginList([{ name: '' }])).toThrow(/non-empty name/);
    expect(() => new PluginList([{ name: 'x' }, { name: 'x' }])).toThrow(/two TrainerPlugins are named 'x'/);
  });
});
