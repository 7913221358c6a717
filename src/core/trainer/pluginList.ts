import * as tf from '@tensorflow/tfjs-core';
import type { VariableAdam } from '../optim/variableAdam.js';
import type {
  DiscriminatorStepContext,
  EvaluateContext,
  GeneratorLossContext,
  GeneratorLossGradientContext,
  GeneratorSelection,
  GeneratorStepBeginContext,
  GeneratorStepContext,
  LossTermGradients,
  SelectGeneratorsContext,
  StateDictOptions,
  TrainerPlugin,
} from './hooks.js';

type AsyncHook = 'onDiscriminatorStepEnd' | 'onGeneratorStepEnd' | 'loadStateDict';

/**
 * Fans each hook out to many plugins, in order: the one place a trainer calls them.
 * Plain objects and class instances are accepted alike (every hook is optional).
 *
 * The `…Sync` variants serve synchronous trainers (dmgan's own `trainStep`): they run the same
 * hooks and refuse a plugin whose hook returned a promise, naming it.
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

  /**
   * Whether every loss term also comes in closed form ({@link TrainerPlugin.generatorLossGradients}),
   * so a trainer may differentiate the critic by hand.
   */
  get closedFormLossTerms(): boolean {
    return this.plugins.every((p) => !p.generatorLossTerm || p.generatorLossGradients !== undefined);
  }

  /**
   * The closed-form sum of every plugin's loss term and its feature gradient (null when none
   * adds one). Only valid while {@link closedFormLossTerms} holds.
   */
  generatorLossGradients(ctx: GeneratorLossGradientContext): LossTermGradients | null {
    let total: LossTermGradients | null = null;
    for (const p of this.plugins) {
      const t = p.generatorLossGradients?.(ctx);
      if (t) total = total ? { value: tf.add(total.value, t.value) as tf.Scalar, dFeatures: tf.add(total.dFeatures, t.dFeatures) } : t;
    }
    return total;
  }

  /** Runs every plugin's {@link TrainerPlugin.onGeneratorStepBegin} (synchronous: before the step's tape). */
  onGeneratorStepBegin(ctx: GeneratorStepBeginContext): void {
    for (const p of this.plugins) p.onGeneratorStepBegin?.(ctx);
  }

  async onDiscriminatorStepEnd(ctx: DiscriminatorStepContext): Promise<void> {
    for (const p of this.plugins) await p.onDiscriminatorStepEnd?.(ctx);
  }

  /** {@link onDiscriminatorStepEnd} for synchronous trainers. */
  onDiscriminatorStepEndSync(ctx: DiscriminatorStepContext): void {
    for (const p of this.plugins) syncResult(p, 'onDiscriminatorStepEnd', p.onDiscriminatorStepEnd?.(ctx));
  }

  /** Runs every plugin's hook; returns their losses keyed `plugin/name`. */
  async onGeneratorStepEnd(ctx: GeneratorStepContext): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const p of this.plugins) prefixInto(out, p, await p.onGeneratorStepEnd?.(ctx));
    return out;
  }

  /** {@link onGeneratorStepEnd} for synchronous trainers. */
  onGeneratorStepEndSync(ctx: GeneratorStepContext): Record<string, number> {
    const out: Record<string, number> = {};
    for (const p of this.plugins) prefixInto(out, p, syncResult(p, 'onGeneratorStepEnd', p.onGeneratorStepEnd?.(ctx)));
    return out;
  }

  async evaluate(ctx: EvaluateContext): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const p of this.plugins) prefixInto(out, p, await p.evaluate?.(ctx));
    return out;
  }

  /** Every plugin's variables, by parameter group, in plugin order. */
  parameterGroups(): Array<[string, readonly tf.Variable[]]> {
    return this.plugins.flatMap((p) => Object.entries(p.parameterGroups?.() ?? {}));
  }

  /** Every plugin's optimisers, by name. */
  optimizers(): Record<string, VariableAdam> {
    const out: Record<string, VariableAdam> = {};
    for (const p of this.plugins) {
      for (const [name, o] of Object.entries(p.optimizers?.() ?? {})) {
        if (name in out) throw new TypeError(`two TrainerPlugins have an optimiser named '${name}'`);
        out[name] = o;
      }
    }
    return out;
  }

  /** Every plugin's state, keyed by name. */
  async stateDict(options?: StateDictOptions): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (const p of this.plugins) if (p.stateDict) out[p.name] = await p.stateDict(options);
    return out;
  }

  async loadStateDict(state: Record<string, unknown>): Promise<void> {
    for (const p of this.plugins) if (p.loadStateDict && p.name in state) await p.loadStateDict(state[p.name]);
  }

  /** {@link loadStateDict} for synchronous callers. */
  loadStateDictSync(state: Readonly<Record<string, unknown>>): void {
    for (const p of this.plugins) if (p.loadStateDict && p.name in state) syncResult(p, 'loadStateDict', p.loadStateDict(state[p.name]));
  }

  /**
   * Runs `fn` inside every plugin's {@link TrainerPlugin.withInferenceWeights} (the first
   * plugin outermost): inference with the weights the plugins choose (e.g. averaged ones), the
   * trained weights back afterwards. Just `fn()` when no plugin has the hook.
   */
  withInferenceWeights<T>(fn: () => T): T {
    let run = fn;
    for (let i = this.plugins.length - 1; i >= 0; i--) {
      const p = this.plugins[i] as TrainerPlugin;
      const inner = run;
      if (p.withInferenceWeights) run = () => (p.withInferenceWeights as <U>(f: () => U) => U)(inner);
    }
    return run();
  }

  dispose(): void {
    for (const p of this.plugins) p.dispose?.();
  }
}

function prefixInto(out: Record<string, number>, p: TrainerPlugin, r: Record<string, number> | void): void {
  if (r) for (const [k, v] of Object.entries(r)) out[`${p.name}/${k}`] = v;
}

function syncResult<T>(p: TrainerPlugin, hook: AsyncHook, value: T | Promise<T>): T {
  if (value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function') {
    // Swallow the abandoned promise's rejection: the error below is the one to report.
    (value as Promise<T>).then(undefined, () => undefined);
    throw new TypeError(`TrainerPlugin '${p.name}' returned a promise from ${hook}, but this trainer's steps are synchronous (DMGAN.trainStep): make the hook synchronous, or call it from your own async code`);
  }
  return value as T;
}
