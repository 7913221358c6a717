import * as tf from '@tensorflow/tfjs-core';
import type {
  DiscriminatorStepContext,
  EvaluateContext,
  GeneratorLossContext,
  GeneratorSelection,
  GeneratorStepContext,
  SelectGeneratorsContext,
  TrainerPlugin,
} from './trainerPlugin.js';

/**
 * Fans each hook out to many plugins, in order: the one place a trainer calls them.
 * Plain objects and class instances are accepted alike (every hook is optional).
 */
export class PluginList {
  readonly plugins: readonly TrainerPlugin[];

  constructor(plugins: readonly TrainerPlugin[]) {
    const names = new Set<string>();
    for (const p of plugins) {
      if (typeof p?.name !== 'string' || p.name === '') throw new TypeError('every TrainerPlugin needs a non-empty name');
      if (names.has(p.name)) throw new TypeError(`two TrainerPlugins are named '${p.name}': names key their checkpoint state`);
      names.add(p.name);
    }
    this.plugins = plugins;
  }

  /** The first plugin's selection, or null when no plugin chooses. */
  selectGenerators(ctx: SelectGeneratorsContext): GeneratorSelection | null {
    for (const p of this.plugins) {
      const s = p.selectGenerators?.(ctx);
      if (s) return s;
    }
    return null;
  }

  /** The sum of every plugin's loss term (null when none adds one). Call inside the tape. */
  generatorLossTerm(ctx: GeneratorLossContext): tf.Scalar | null {
    let total: tf.Scalar | null = null;
    for (const p of this.plugins) {
      const t = p.generatorLossTerm?.(ctx);
      if (t) total = total ? (tf.add(total, t) as tf.Scalar) : t;
    }
    return total;
  }

  async onDiscriminatorStepEnd(ctx: DiscriminatorStepContext): Promise<void> {
    for (const p of this.plugins) await p.onDiscriminatorStepEnd?.(ctx);
  }

  /** Runs every plugin's hook; returns their losses keyed `plugin/name`. */
  async onGeneratorStepEnd(ctx: GeneratorStepContext): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const p of this.plugins) {
      const r = await p.onGeneratorStepEnd?.(ctx);
      if (r) for (const [k, v] of Object.entries(r)) out[`${p.name}/${k}`] = v;
    }
    return out;
  }

  async evaluate(ctx: EvaluateContext): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const p of this.plugins) {
      const r = await p.evaluate?.(ctx);
      if (r) for (const [k, v] of Object.entries(r)) out[`${p.name}/${k}`] = v;
    }
    return out;
  }

  /** Every plugin's state, keyed by name. */
  async stateDict(): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (const p of this.plugins) if (p.stateDict) out[p.name] = await p.stateDict();
    return out;
  }

  async loadStateDict(state: Record<string, unknown>): Promise<void> {
    for (const p of this.plugins) if (p.loadStateDict && p.name in state) await p.loadStateDict(state[p.name]);
  }

  dispose(): void {
    for (const p of this.plugins) p.dispose?.();
  }
}
