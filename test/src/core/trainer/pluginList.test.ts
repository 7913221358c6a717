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
    expect(() => new PluginList([{ name: '' }])).toThrow('every TrainerPlugin needs a non-empty name');
    expect(() => new PluginList([{ name: 3 } as unknown as TrainerPlugin])).toThrow('every TrainerPlugin needs a non-empty name');
    expect(() => new PluginList([null as unknown as TrainerPlugin])).toThrow('every TrainerPlugin needs a non-empty name');
    expect(() => new PluginList([{ name: 'x' }, { name: 'y' }, { name: 'x' }])).toThrow("two TrainerPlugins are named 'x': names key their checkpoint state");
    expect(new PluginList([{ name: 'x' }, { name: 'y' }]).plugins.map((p) => p.name)).toEqual(['x', 'y']);
  });
});

describe('PluginList hooks, one by one', () => {
  beforeAll(async () => {
    await activateBackend('cpu');
  });

  const selectCtx = { batchSize: 2, latentDim: 1, generators: 2, phase: 'generator' as const };

  it('selectGenerators: the first plugin that chooses wins, and later plugins are not asked', () => {
    const asked: string[] = [];
    const selection = { ids: Int32Array.of(0, 1), counts: Int32Array.of(1, 1), latents: tf.zeros([2, 1]) as tf.Tensor2D };
    const list = new PluginList([
      {
        name: 'none',
        selectGenerators: () => {
          asked.push('none');
          return undefined;
        },
      },
      { name: 'chooser', selectGenerators: () => (asked.push('chooser'), selection) },
      { name: 'late', selectGenerators: () => (asked.push('late'), undefined) },
    ]);
    expect(list.selectGenerators(selectCtx)).toBe(selection);
    expect(asked).toEqual(['none', 'chooser']);
    selection.latents.dispose();
  });

  it('generatorLossTerm: null without terms, a single term as it is, several summed', () => {
    const t = tf.zeros([1]);
    const ctx = { fake: t, score: t, features: t, ids: new Int32Array(1) };
    expect(new PluginList([{ name: 'a' }, { name: 'b', generatorLossTerm: () => undefined }]).generatorLossTerm(ctx)).toBeNull();
    const one = tf.scalar(4);
    expect(new PluginList([{ name: 'a' }, { name: 'b', generatorLossTerm: () => one }]).generatorLossTerm(ctx)).toBe(one);
    const sum = new PluginList([1, 2, 3].map((v) => ({ name: `p${v}`, generatorLossTerm: () => tf.scalar(v) }))).generatorLossTerm(ctx);
    expect(sum?.dataSync()[0]).toBe(6);
    tf.dispose([t, one, sum as tf.Tensor]);
  });

  it('closedFormLossTerms holds when every plugin with a loss term also gives its gradients', () => {
    const term = () => undefined;
    const grads = () => null;
    expect(new PluginList([]).closedFormLossTerms).toBe(true);
    expect(new PluginList([{ name: 'a' }, { name: 'b', generatorLossTerm: term, generatorLossGradients: grads }]).closedFormLossTerms).toBe(true);
    expect(new PluginList([{ name: 'a', generatorLossTerm: term, generatorLossGradients: grads }, { name: 'b', generatorLossTerm: term }]).closedFormLossTerms).toBe(false);
  });

  it('generatorLossGradients: null without terms, values and feature gradients summed', () => {
    const features = tf.zeros([2, 1]);
    const ctx = { features, ids: new Int32Array(2) };
    expect(new PluginList([{ name: 'a', generatorLossGradients: () => null }]).generatorLossGradients(ctx)).toBeNull();
    const list = new PluginList([
      { name: 'a', generatorLossGradients: () => ({ value: tf.scalar(1), dFeatures: tf.tensor2d([[1], [2]]) }) },
      { name: 'b' },
      { name: 'c', generatorLossGradients: () => ({ value: tf.scalar(10), dFeatures: tf.tensor2d([[30], [40]]) }) },
    ]);
    const total = list.generatorLossGradients(ctx);
    expect(total?.value.dataSync()[0]).toBe(11);
    expect(total?.dFeatures.arraySync()).toEqual([[31], [42]]);
    tf.dispose([features, total?.value as tf.Tensor, total?.dFeatures as tf.Tensor]);
  });

  it('step hooks run in plugin order; async ones are awaited one after another', async () => {
    const log: string[] = [];
    const slow = (name: string): TrainerPlugin => ({
      name,
      onGeneratorStepBegin: () => void log.push(`${name} begin`),
      onDiscriminatorStepEnd: async () => {
        log.push(`${name} start`);
        await new Promise((resolve) => setImmediate(resolve));
        log.push(`${name} end`);
      },
    });
    const list = new PluginList([slow('a'), { name: 'quiet' }, slow('b')]);
    list.onGeneratorStepBegin({ iteration: 1, generators: 2 } as never);
    await list.onDiscriminatorStepEnd({ iteration: 1 });
    expect(log).toEqual(['a begin', 'b begin', 'a start', 'a end', 'b start', 'b end']);
  });

  it('the synchronous variants run synchronous hooks and refuse a promise, naming the plugin and the hook', () => {
    const log: string[] = [];
    const ok: TrainerPlugin = { name: 'ok', onDiscriminatorStepEnd: (c) => void log.push(`d${c.iteration}`), onGeneratorStepEnd: () => ({ l: 1 }), loadStateDict: (s) => void log.push(`load ${String(s)}`) };
    const list = new PluginList([ok, { name: 'silent', onGeneratorStepEnd: () => undefined }]);
    list.onDiscriminatorStepEndSync({ iteration: 4 });
    const ctx = { iteration: 5, realFeatures: null, fakeFeatures: null, ids: new Int32Array(0) } as never;
    expect(list.onGeneratorStepEndSync(ctx)).toEqual({ 'ok/l': 1 });
    list.loadStateDictSync({ ok: 'S', other: 'T' });
    expect(log).toEqual(['d4', 'load S']);
    const message = (hook: string) => `TrainerPlugin 'lazy' returned a promise from ${hook}, but this trainer's steps are synchronous (DMGAN.trainStep): make the hook synchronous, or call it from your own async code`;
    // A rejected promise is swallowed (vitest fails the run on an unhandled rejection): the TypeError is what reports it.
    const lazy: TrainerPlugin = {
      name: 'lazy',
      onDiscriminatorStepEnd: () => Promise.reject(new Error('never seen')),
      onGeneratorStepEnd: async () => ({ l: 2 }),
      loadStateDict: async () => undefined,
    };
    const lazyList = new PluginList([lazy]);
    expect(() => lazyList.onDiscriminatorStepEndSync({ iteration: 1 })).toThrow(new TypeError(message('onDiscriminatorStepEnd')));
    expect(() => lazyList.onGeneratorStepEndSync(ctx)).toThrow(message('onGeneratorStepEnd'));
    expect(() => lazyList.loadStateDictSync({ lazy: 1 })).toThrow(message('loadStateDict'));
    // Not in the state: its loader is not called, so nothing to refuse.
    expect(() => lazyList.loadStateDictSync({})).not.toThrow();
  });

  it('evaluate and onGeneratorStepEnd prefix each loss with its plugin name; plugins without results add nothing', async () => {
    const list = new PluginList([
      { name: 'a', evaluate: async () => ({ x: 1, y: 2 }), onGeneratorStepEnd: async () => ({ q: 3 }) },
      { name: 'b', evaluate: () => ({}) },
      { name: 'c', evaluate: () => ({ x: 4 }) },
    ]);
    expect(await list.evaluate({ iteration: 1 })).toEqual({ 'a/x': 1, 'a/y': 2, 'c/x': 4 });
    expect(await list.onGeneratorStepEnd({ iteration: 1 } as never)).toEqual({ 'a/q': 3 });
  });

  it('parameter groups and optimisers are gathered in plugin order; two optimisers of one name are refused', () => {
    const v = tf.variable(tf.zeros([1]), true, `pl_v_${Math.random()}`);
    const opt = (n: number) => ({ n }) as never;
    const list = new PluginList([
      { name: 'a', parameterGroups: () => ({ q: [v] }), optimizers: () => ({ q: opt(1) }) },
      { name: 'b' },
      { name: 'c', parameterGroups: () => ({ ema: [], extra: [v] }), optimizers: () => ({ extra: opt(2) }) },
    ]);
    expect(list.parameterGroups()).toEqual([['q', [v]], ['ema', []], ['extra', [v]]]);
    expect(list.optimizers()).toEqual({ q: { n: 1 }, extra: { n: 2 } });
    const clash = new PluginList([{ name: 'a', optimizers: () => ({ q: opt(1) }) }, { name: 'b', optimizers: () => ({ q: opt(2) }) }]);
    expect(() => clash.optimizers()).toThrow("two TrainerPlugins have an optimiser named 'q'");
    v.dispose();
  });

  it('state is keyed by plugin name, passes the options on, and loads only into plugins the state names', async () => {
    const seen: unknown[] = [];
    const list = new PluginList([
      { name: 'a', stateDict: async (o) => ({ a: 1, o }), loadStateDict: async (s) => void seen.push(['a', s]) },
      { name: 'b', loadStateDict: (s) => void seen.push(['b', s]) },
      { name: 'c', stateDict: () => 'c-state' },
    ]);
    const options = { inference: true } as never;
    expect(await list.stateDict(options)).toEqual({ a: { a: 1, o: options }, c: 'c-state' });
    await list.loadStateDict({ a: 'A', c: 'C' });
    expect(seen).toEqual([['a', 'A']]);
  });

  it('withInferenceWeights nests the plugins\' hooks, the first outermost, and returns what fn returns', () => {
    const log: string[] = [];
    const wrap = (name: string): TrainerPlugin => ({
      name,
      withInferenceWeights: <T>(fn: () => T): T => {
        log.push(`${name} in`);
        const r = fn();
        log.push(`${name} out`);
        return r;
      },
    });
    const list = new PluginList([wrap('a'), { name: 'plain' }, wrap('b')]);
    expect(list.withInferenceWeights(() => (log.push('fn'), 42))).toBe(42);
    expect(log).toEqual(['a in', 'b in', 'fn', 'b out', 'a out']);
    expect(new PluginList([{ name: 'plain' }]).withInferenceWeights(() => 'x')).toBe('x');
  });

  it('dispose reaches every plugin that has it', () => {
    const log: string[] = [];
    new PluginList([{ name: 'a', dispose: () => void log.push('a') }, { name: 'b' }, { name: 'c', dispose: () => void log.push('c') }]).dispose();
    expect(log).toEqual(['a', 'c']);
  });
});
