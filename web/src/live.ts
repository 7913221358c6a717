/**
 * A line-experiment run driven step by step (play, pause, step), with the CLI's maths: the model,
 * data stream and evaluation of `dmgan train lines` (`linesExperiment`, src/experiments/lines),
 * so the same seed trains through the same first iterations. Only the evaluation schedule and
 * size differ (the page evaluates more often, on fewer points); evaluations draw on their own
 * stream and never change the training trajectory.
 */
import type { DmganCore } from '../../plugins/dmgan/dmganCore.js';
import { checkFiniteLosses } from '../../src/core/faults.js';
import { Random } from '../../src/core/random.js';
import type { StepResult } from '../../src/core/trainer/steps.js';
import type { LineModelName } from '../../src/experiments/lines/models.js';
import { linesExperiment } from '../../src/experiments/lines/run.js';
import type { LinePoints, LinesEvalRecord } from '../../src/experiments/lines/run.js';
import type { Experiment } from '../../src/experiments/runner.js';
import { sampleLineData } from '../../src/metrics/lines/data.js';
import type { LineDatasetName } from '../../src/metrics/lines/data.js';
import type { LinesMetrics } from '../../src/metrics/lines/metrics.js';

/** What a live run trains. */
export interface LiveConfig {
  readonly dataset: LineDatasetName;
  readonly model: LineModelName;
  /** Generators of the ensemble models (wgan-gp has one). */
  readonly generators: number;
  readonly seed: number;
  /** Generated (and real) points per evaluation. Default 1000. */
  readonly evalSamples?: number;
}

/** One evaluation as the page keeps it. */
export interface LivePoint {
  readonly iteration: number;
  readonly prior: number[];
  readonly off_manifold_rate: number;
  readonly effective_generators: number;
  readonly energy_distance: number;
  readonly segment_jsd: number | null;
}

type LinesExp = Experiment<Record<never, never>, LinesEvalRecord, { metrics: LinesMetrics; samples: LinePoints }, null>;

/** A line-experiment model being trained, one iteration at a time. */
export class LiveRun {
  readonly config: Required<LiveConfig>;
  /** The real points evaluations compare against (and the scatter shows), `n × 2` row-major. */
  readonly real: Float32Array;
  readonly core: DmganCore;
  /** Every evaluation so far, oldest first. */
  readonly history: LivePoint[] = [];
  /** The latest evaluation's generated points and their generators. */
  samples: LinePoints | null = null;
  /** The latest evaluation's full metrics. */
  metrics: LinesMetrics | null = null;
  /** Milliseconds spent in training steps (evaluations excluded). */
  trainMs = 0;
  #iteration = 0;
  readonly #experiment: LinesExp;
  readonly #dataRng: Random;
  readonly #evalRng: Random;
  #disposed = false;

  constructor(config: LiveConfig) {
    this.config = { evalSamples: 1000, ...config };
    const c = this.config;
    // As runLinesExperiment: the real reference from its own stream, then the experiment's streams.
    this.real = sampleLineData(c.dataset, c.evalSamples, new Random(`lines-eval-real:${c.seed}`)).points;
    this.#experiment = linesExperiment({ dataset: c.dataset, model: c.model, iterations: 0, generators: c.generators, seed: c.seed, evalSamples: c.evalSamples }, this.real);
    this.#dataRng = new Random(this.#experiment.streams.data);
    this.#evalRng = new Random(this.#experiment.streams.eval);
    this.core = this.#experiment.build();
  }

  /** Iterations trained so far. */
  get iteration(): number {
    return this.#iteration;
  }

  /** The prior r(c) now. */
  prior(): number[] {
    return this.core.prior.probabilities();
  }

  /** One iteration (a critic or a generator step) on the next real batch of the data stream. */
  step(): StepResult {
    if (this.#disposed) throw new Error('LiveRun: disposed');
    const batch = this.#experiment.data.next(this.#dataRng);
    const t0 = performance.now();
    try {
      const result = this.core.step(batch, true);
      if (result.losses) checkFiniteLosses(this.#iteration + 1, result.kind, result.losses);
      this.#iteration++;
      return result;
    } finally {
      batch.dispose();
      this.trainMs += performance.now() - t0;
    }
  }

  /** Evaluates now (as the CLI's evaluation, on `evalSamples` points) and records it. */
  async evaluate(): Promise<LivePoint> {
    const plugins = await this.core.plugins.evaluate({ iteration: this.#iteration });
    const { detail } = await this.#experiment.evaluate(this.core, { iteration: this.#iteration, rng: this.#evalRng, elapsed: () => this.trainMs / 1000, plugins });
    const m = detail.metrics;
    this.samples = detail.samples;
    this.metrics = m;
    const point: LivePoint = {
      iteration: this.#iteration,
      prior: m.prior,
      off_manifold_rate: m.off_manifold_rate,
      effective_generators: m.effective_generators,
      energy_distance: m.energy_distance,
      segment_jsd: m.segment_jsd,
    };
    this.history.push(point);
    return point;
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.core.dispose();
  }
}
