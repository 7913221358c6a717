import { startEngine } from './engine.js';
import { runLinesExperiment, type LinesLoopState } from '../src/experiments/lines/run.js';
import { CHECKPOINTS_DIR } from '../plugins/checkpoint/index.js';
import { NumericalFaultError } from '../plugins/faults/index.js';
import { createTrainingProgress } from '../plugins/progress/index.js';
import { MetricsLog, writeLinesOutputs } from './linesOutput.js';
import { onnxLinesBuilder, onnxLinesFiles } from './onnxLines.js';
import { parseTrainLinesOptions } from './options.js';
import { prepareOutDir } from './outDir.js';
import { createRunControl, readResumable } from './runControl.js';

export { EXIT_INTERRUPTED, EXIT_NUMERICAL_FAULT } from './runControl.js';

function fmt(v: number | null | undefined, digits = 4): string {
  return v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : v.toPrecision(digits);
}

/**
 * `dmgan train lines`: validates the options, checks `--out` is writable, trains with a
 * progress display, writes metrics and the report, prints the headline numbers.
 * @returns the process exit code (0, or 130 when interrupted).
 * @throws UsageError for bad options (before anything is trained or written).
 */
export async function trainLinesCommand(raw: Record<string, unknown>, command: string): Promise<number> {
  const options = parseTrainLinesOptions(raw);
  const out = options.out ?? options.resume ?? `runs/lines-${options.dataset}-${options.model}-s${options.seed}`;
  // What must match for a checkpoint to continue this run (iterations may grow).
  // ONNX models join the config only when given, so native runs and their checkpoints stay as before.
  const onnxFiles = onnxLinesFiles(options);
  const runConfig = { dataset: options.dataset, model: options.model, generators: options.generators, seed: options.seed, evalEvery: options.evalEvery, ...onnxFiles };
  const resumeFrom = options.resume ? await readResumable<LinesLoopState>('train lines', options.resume, runConfig, options.iterations) : null;
  const backend = await startEngine(options.backend, options.kernels);
  // Bad ONNX files fail here, before the out dir is touched.
  const build = onnxFiles ? await onnxLinesBuilder(onnxFiles, options) : undefined;
  await prepareOutDir(out);

  const progress = createTrainingProgress({ total: options.iterations });
  // First Ctrl-C/SIGTERM: finish the step, checkpoint, write the report, exit 0; a second one quits at once (writes are atomic).
  const control = createRunControl<LinesLoopState>({
    command: 'train lines',
    out,
    config: runConfig,
    keepCheckpoints: options.keepCheckpoints,
    onFault: options.onFault,
    resumeFrom,
    log: (line) => progress.log(line),
  });
  progress.log(`dmgan: training ${options.model} on ${options.dataset} for ${options.iterations} iterations (backend ${backend}, out ${out})`);
  const log = new MetricsLog(out, resumeFrom?.loop.history ?? []);
  try {
    const result = await runLinesExperiment(
      {
        dataset: options.dataset,
        model: options.model,
        iterations: options.iterations,
        generators: options.generators,
        seed: options.seed,
        evalEvery: options.evalEvery,
        checkpointEvery: options.checkpointEvery,
        ...(build ? { build } : {}),
      },
      {
        ...control.hooks,
        onProgress: (i) => progress.update(i),
        onLosses: (_i, l) => progress.losses(l),
        onEvaluate: async (r) => {
          await log.append(r);
          progress.log(
            `eval @${r.iteration}: energy ${fmt(r.energy_distance)}, off-manifold ${fmt(r.off_manifold_rate, 3)}, ` +
              `segment JSD ${fmt(r.segment_jsd)}, effective generators ${r.effective_generators}`,
          );
        },
      },
    );
    progress.stop();
    if (result.aborted) control.reportInterrupted(result.iterations);
    await writeLinesOutputs(out, result, options, command);
    const m = result.metrics;
    process.stdout.write(
      [
        `out: ${out}`,
        `iterations: ${result.iterations}${result.aborted ? ' (interrupted)' : ''}  ms/iteration: ${fmt(result.ms_per_iteration, 3)}  backend: ${result.backend}`,
        `energy_distance: ${fmt(m.energy_distance)}  off_manifold_rate: ${fmt(m.off_manifold_rate, 3)}  segment_jsd: ${fmt(m.segment_jsd)}  effective_generators: ${m.effective_generators}`,
        `prior: ${m.prior.map((p) => p.toFixed(3)).join(' ')}`,
        ...(result.aborted ? [control.checkpointLine()] : []),
        '',
      ].join('\n'),
    );
    return 0;
  } catch (error) {
    if (!(error instanceof NumericalFaultError)) throw error;
    progress.stop();
    return control.reportFault(error);
  } finally {
    progress.stop();
    control.dispose();
  }
}

/** Sub-directory of `--out` that holds the rotating checkpoints (`step-<iteration>/` and `latest`). */
export const CHECKPOINT_SUBDIR = CHECKPOINTS_DIR;
