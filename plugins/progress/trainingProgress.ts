import cliProgress from 'cli-progress';

/** The losses a progress display shows (latest value of each; any may be missing). */
export interface ProgressLosses {
  discriminator?: number;
  generator?: number;
  q?: number;
}

/** Options of {@link createTrainingProgress}. */
export interface TrainingProgressOptions {
  /** Iterations the run will do. */
  readonly total: number;
  /** Where to draw (default `process.stderr`). */
  readonly stream?: NodeJS.WriteStream;
  /** Force the bar (true) or plain log lines (false); default: the bar when `stream` is a TTY. */
  readonly tty?: boolean;
  /** Label before each plain log line. Default `dmgan`. */
  readonly label?: string;
}

/** A progress display for a training loop: a bar on a TTY, a log line every ~10% otherwise. */
export interface TrainingProgress {
  /** Reports the current iteration (cheap; call it every iteration). */
  update(iteration: number): void;
  /** Merges newly read losses into what is shown. */
  losses(losses: ProgressLosses): void;
  /** Prints a message without breaking the bar. */
  log(message: string): void;
  /** Finishes the display (idempotent). */
  stop(): void;
}

function fmt(v: number | undefined): string {
  return v === undefined ? '–' : v.toPrecision(4);
}

function lossText(l: ProgressLosses): string {
  return `D ${fmt(l.discriminator)} G ${fmt(l.generator)} Q ${fmt(l.q)}`;
}

/** Formats seconds as `1h02m`, `3m04s` or `12s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/**
 * Creates a {@link TrainingProgress}. The TTY bar (cli-progress) shows percentage, ETA and the
 * latest losses; without a TTY (logs, CI) one line per ~10% keeps output readable in files.
 */
export function createTrainingProgress(options: TrainingProgressOptions): TrainingProgress {
  const stream = options.stream ?? process.stderr;
  const total = Math.max(1, options.total);
  const current: ProgressLosses = {};
  if (options.tty ?? stream.isTTY === true) return barProgress(stream, total, current);
  return lineProgress(stream, total, current, options.label ?? 'dmgan');
}

function barProgress(stream: NodeJS.WriteStream, total: number, current: ProgressLosses): TrainingProgress {
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: '{bar} {percentage}% | {value}/{total} | ETA {eta_formatted} | {losses}',
      etaBuffer: 200,
      fps: 5,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { losses: lossText(current) });
  let stopped = false;
  return {
    update: (iteration) => bar.update(iteration),
    losses: (l) => {
      Object.assign(current, l);
      bar.update({ losses: lossText(current) });
    },
    log: (message) => {
      // Clear the bar's line, print, and let the next redraw put the bar back.
      stream.write(`\r\x1b[K${message}\n`);
      bar.render();
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}

function lineProgress(stream: NodeJS.WriteStream, total: number, current: ProgressLosses, label: string): TrainingProgress {
  const step = Math.max(1, Math.ceil(total / 10));
  const started = performance.now();
  let next = step;
  return {
    update: (iteration) => {
      if (iteration < next && iteration !== total) return;
      while (next <= iteration) next += step;
      const elapsed = (performance.now() - started) / 1000;
      const eta = (elapsed / iteration) * (total - iteration);
      const pct = Math.round((100 * iteration) / total);
      stream.write(`[${label}] ${iteration}/${total} (${pct}%) ETA ${formatDuration(eta)} | ${lossText(current)}\n`);
    },
    losses: (l) => {
      Object.assign(current, l);
    },
    log: (message) => {
      stream.write(`${message}\n`);
    },
    stop: () => undefined,
  };
}
