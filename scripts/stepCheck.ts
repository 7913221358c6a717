/**
 * Step-for-step check, dmgan side: builds the line experiment's DMWGAN-PL engine exactly as
 * `dmgan train lines` does (`buildLinesModel('dmwgan-pl', { generators, seed })`, the CLI's
 * default backend, fresh real batches from the run's data stream `lines-data:<seed>`), trains
 * it for N iterations (one critic or one generator step each) and writes, for a replay by
 * another implementation (scripts/step_check_port.py replays them on the PyTorch port):
 *
 * - the initial weights: generators (fused [n, in, out] kernels, [n, 1, out] biases), critic,
 *   Q head (its batch norm's shift and moving statistics included) and the prior's logits ζ;
 * - per iteration: every random input the step drew (the real batch; the generator ids, sorted
 *   as the engine routes them; the latents, rows in that order; the penalty's interpolation
 *   weights on critic steps), the losses, the gradients each optimiser applied (captured by
 *   wrapping the engine's optimisers' `applyGradients`, which passes them on unchanged), the
 *   prior's gradient (recovered exactly from its Adam first moment: g = (m_t − β1 m_{t−1})/(1 − β1))
 *   and every weight after the step.
 *
 * The random inputs are recovered without touching the engine: before each step the trainer's
 * stream positions (`core.counters().rng`) are copied and the step's draws replayed on the
 * copies in the engine's order (ids from the prior, latents U(−1, 1), alpha U(0, 1)); after the
 * step the copies must sit where the engine's streams do, or the script fails.
 *
 * Output (DIR): `manifest.json` (settings, tensor index, per-iteration losses, ids, prior
 * values in float64) and `tensors.f32` (little-endian float32, offsets in the index).
 *
 * With `--record-from K` the engine trains iterations 1..K−1 unrecorded and records K..K+N−1
 * (`init` then holds the weights before iteration K; Adam moments are not written, so such a
 * record serves single-step (lockstep) comparisons only).
 *
 * Usage: node --import tsx scripts/stepCheck.ts --out DIR [--iterations 60] [--record-from 1]
 *        [--seed 0] [--generators 10] [--batch 32] [--dataset balanced] [--backend auto] [--kernels auto]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { KERNEL_CHOICES, type KernelChoice } from '../adapters/onnxruntime/index.js';
import { startEngine } from '../cli/engine.js';
import { CLI_BACKENDS } from '../cli/options.js';
import { routeIds } from '../src/core/ensemble.js';
import { Random } from '../src/core/random.js';
import { drawLatents } from '../src/core/trainer/streams.js';
import { buildLinesModel, LINES_LATENT_DIM } from '../src/experiments/lines/models.js';
import { LINE_DATASETS, sampleLineData, type LineDatasetName } from '../src/metrics/lines/data.js';

interface Options {
  out: string;
  iterations: number;
  seed: number;
  generators: number;
  batch: number;
  dataset: LineDatasetName;
  /** First iteration recorded (earlier ones are trained, not recorded); default 1. */
  recordFrom: number;
  /** tfjs backend and where heavy kernels run, as `dmgan train lines --backend/--kernels` (default auto/auto). */
  backend: (typeof CLI_BACKENDS)[number];
  kernels: KernelChoice;
}

function parseArgs(argv: readonly string[]): Options {
  const o: Options = { out: '', iterations: 60, seed: 0, generators: 10, batch: 32, dataset: 'balanced', recordFrom: 1, backend: 'auto', kernels: 'auto' };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i];
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${String(key)} needs a value`);
    switch (key) {
      case '--out':
        o.out = value;
        break;
      case '--iterations':
      case '--seed':
      case '--generators':
      case '--batch': {
        const n = Number(value);
        if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${key} must be a non-negative integer, got ${value}`);
        o[key.slice(2) as 'iterations' | 'seed' | 'generators' | 'batch'] = n;
        break;
      }
      case '--record-from': {
        const n = Number(value);
        if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--record-from must be a positive integer, got ${value}`);
        o.recordFrom = n;
        break;
      }
      case '--dataset':
        if (!(LINE_DATASETS as readonly string[]).includes(value)) throw new Error(`--dataset must be one of ${LINE_DATASETS.join(', ')}`);
        o.dataset = value as LineDatasetName;
        break;
      case '--backend':
        if (!(CLI_BACKENDS as readonly string[]).includes(value)) throw new Error(`--backend must be one of ${CLI_BACKENDS.join(', ')}`);
        o.backend = value as Options['backend'];
        break;
      case '--kernels':
        if (!(KERNEL_CHOICES as readonly string[]).includes(value)) throw new Error(`--kernels must be one of ${KERNEL_CHOICES.join(', ')}`);
        o.kernels = value as KernelChoice;
        break;
      default:
        throw new Error(`unknown option ${String(key)}`);
    }
  }
  if (!o.out) throw new Error('usage: stepCheck --out DIR [--iterations 60] [--record-from 1] [--seed 0] [--generators 10] [--batch 32] [--dataset balanced] [--backend auto] [--kernels auto]');
  return o;
}

/** An index entry of tensors.f32. */
interface Entry {
  offset: number;
  shape: number[];
}

/** Appends float32 arrays to one buffer list and indexes them by key. */
class TensorFile {
  readonly index: Record<string, Entry> = {};
  readonly #chunks: Float32Array[] = [];
  #offset = 0;

  add(key: string, values: ArrayLike<number>, shape: readonly number[]): void {
    if (this.index[key]) throw new Error(`duplicate tensor key ${key}`);
    const data = Float32Array.from(values);
    const size = shape.reduce((a, b) => a * b, 1);
    if (size !== data.length) throw new Error(`${key}: ${data.length} values for shape [${shape.join(', ')}]`);
    this.index[key] = { offset: this.#offset, shape: [...shape] };
    this.#chunks.push(data);
    this.#offset += data.length;
  }

  bytes(): Buffer {
    const out = Buffer.alloc(this.#offset * 4);
    let k = 0;
    for (const c of this.#chunks) {
      for (const v of c) {
        out.writeFloatLE(v, k);
        k += 4;
      }
    }
    return out;
  }
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const backend = await startEngine(o.backend, o.kernels);
  const core = buildLinesModel('dmwgan-pl', { generators: o.generators, seed: o.seed });
  const q = core.qHead;
  if (!q) throw new Error('dmwgan-pl has no Q head?');
  const file = new TensorFile();
  const B = o.batch;

  // Every weight the step check compares, by a stable key: generators, critic, Q (+ batch-norm state).
  const named = (): Array<[string, tf.Variable]> => [
    ...core.ensemble.trainableVariables.map((v, i): [string, tf.Variable] => [`G.${i}`, v]),
    ...core.critic.trainableVariables.map((v, i): [string, tf.Variable] => [`D.${i}`, v]),
    ...q.trainableVariables.map((v, i): [string, tf.Variable] => [`Q.${i}`, v]),
    ...(q.stateVariables ?? []).map((v, i): [string, tf.Variable] => [`Qstate.${i}`, v]),
  ];
  const layout = named().map(([key, v]) => ({ key, name: v.name, shape: v.shape }));
  const keyOf = new Map(named().map(([key, v]) => [v.name, key]));
  const dumpWeights = (prefix: string): void => {
    for (const [key, v] of named()) file.add(`${prefix}/${key}`, v.dataSync(), v.shape);
  };

  // Gradients each optimiser applies this step (copied, then handed on unchanged).
  let captured: Record<string, Float32Array> = {};
  for (const adam of Object.values(core.optimizers)) {
    const apply = adam.applyGradients.bind(adam);
    adam.applyGradients = (grads: tf.NamedTensorMap): void => {
      for (const [name, g] of Object.entries(grads)) captured[name] = Float32Array.from(g.dataSync() as Float32Array);
      apply(grads);
    };
  }

  const priorAdam = core.prior.toJSON().options.optimizer;
  const dataRng = new Random(`lines-data:${o.seed}`);
  const iterations: Array<Record<string, unknown>> = [];
  const last = o.recordFrom + o.iterations - 1;

  // Iterations before --record-from: trained as the run would, nothing recorded.
  for (let it = 1; it < o.recordFrom; it++) {
    const batch = tf.tensor2d(sampleLineData(o.dataset, B, dataRng).points, [B, 2]);
    try {
      core.step(batch, true);
    } finally {
      batch.dispose();
    }
  }
  dumpWeights('init');
  const initPrior = core.prior.toJSON();

  for (let it = o.recordFrom; it <= last; it++) {
    const real = sampleLineData(o.dataset, B, dataRng).points;
    const kind = core.nextIsGeneratorStep ? 'generator' : 'discriminator';
    // Replay the step's draws on copies of the trainer's streams (the engine's order: ids, latents, alpha).
    const before = core.counters();
    const priorBefore = core.prior.toJSON();
    const idsRng = new Random({ state: before.rng.ids });
    const latentRng = new Random({ state: before.rng.latent });
    const alphaRng = new Random({ state: before.rng.alpha });
    const ids = routeIds(core.prior.sample(B, idsRng), o.generators).ids;
    const latents = tf.tidy(() => drawLatents(latentRng, B, LINES_LATENT_DIM, core.latent).dataSync() as Float32Array);
    const alpha = kind === 'discriminator' ? alphaRng.uniformArray(B) : null;

    captured = {};
    const batch = tf.tensor2d(real, [B, 2]);
    let result;
    try {
      result = core.step(batch, true);
    } finally {
      batch.dispose();
    }
    if (result.kind !== kind) throw new Error(`iteration ${it}: expected a ${kind} step, the engine took a ${result.kind} step`);
    const after = core.counters();
    const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
    if (!same(after.rng.ids, idsRng.state()) || !same(after.rng.latent, latentRng.state()) || !same(after.rng.alpha, alphaRng.state())) {
      throw new Error(`iteration ${it}: the replayed draws do not match the engine's streams (capture is wrong)`);
    }

    file.add(`it${it}/real`, real, [B, 2]);
    file.add(`it${it}/latents`, latents, [B, LINES_LATENT_DIM]);
    if (alpha) file.add(`it${it}/alpha`, alpha, [B, 1]);
    const gradKeys: string[] = [];
    for (const [name, g] of Object.entries(captured)) {
      const key = keyOf.get(name);
      if (!key) throw new Error(`gradient of an unknown variable ${name}`);
      const shape = layout.find((l) => l.key === key)?.shape ?? [g.length];
      file.add(`it${it}/grad/${key}`, g, shape);
      gradKeys.push(key);
    }
    dumpWeights(`it${it}/after`);

    const record: Record<string, unknown> = { iteration: it, kind, ids: Array.from(ids), losses: result.losses, gradKeys };
    if (kind === 'generator') {
      const priorAfter = core.prior.toJSON();
      const m0 = priorBefore.optimizerState.m;
      const m1 = priorAfter.optimizerState.m;
      record.prior = {
        logitsBefore: priorBefore.logits,
        logitsAfter: priorAfter.logits,
        updatesBefore: priorBefore.updates,
        priorAdamStepBefore: priorBefore.optimizerState.step,
        // The gradient Adam took: m_t = β1·m_{t−1} + (1 − β1)·g.
        grad: m1.map((m, c) => (m - priorAdam.beta1 * (m0[c] as number)) / (1 - priorAdam.beta1)),
        entropyWeightUsed: priorBefore.options.entropyWeight * priorBefore.options.entropyDecay ** priorBefore.updates,
      };
    }
    iterations.push(record);
  }

  mkdirSync(o.out, { recursive: true });
  writeFileSync(join(o.out, 'tensors.f32'), file.bytes());
  const manifest = {
    format: 'dmgan.step-check/v1',
    created: new Date().toISOString(),
    // Weights under `init` are those before this iteration (Adam moments not recorded: a replay from here compares single steps).
    firstIteration: o.recordFrom,
    settings: { ...o, model: 'dmwgan-pl', latentDim: LINES_LATENT_DIM, discriminatorSteps: core.discriminatorSteps, backend, closedFormGradients: core.closedFormGradients },
    optimizers: { ...core.optimizerSettings, prior: priorAdam },
    prior: { options: initPrior.options, logits: initPrior.logits },
    layout,
    index: file.index,
    iterations,
  };
  writeFileSync(join(o.out, 'manifest.json'), JSON.stringify(manifest));
  core.dispose();
  process.stdout.write(`step check (dmgan): iterations ${o.recordFrom}–${last} of dmwgan-pl on ${o.dataset} (seed ${o.seed}, backend ${backend}) written to ${o.out}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
