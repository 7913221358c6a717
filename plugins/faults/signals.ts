/** Signals that ask a run to stop gracefully. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;
/** One of {@link STOP_SIGNALS}. */
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** Exit code after a second stop signal (128 + SIGINT's 2, the shell convention). */
export const EXIT_FORCED = 130;

/** What {@link handleStopSignals} returns. */
export interface StopSignalHandle {
  /** Aborted by the first SIGINT/SIGTERM; the training loop stops after its current step. */
  readonly signal: AbortSignal;
  /** The first signal received, if any. */
  readonly received: StopSignal | null;
  /** Removes the handlers (call when the run is over). */
  dispose(): void;
}

/** Options of {@link handleStopSignals}. */
export interface StopSignalOptions {
  /** Called on the first signal (e.g. to tell the user a checkpoint is coming). */
  onFirst?(signal: StopSignal): void;
  /** Ends the process on the second signal. Default: `process.exit(EXIT_FORCED)`. */
  exit?(code: number): void;
}

/**
 * Graceful stop: the first SIGINT or SIGTERM aborts the returned signal (the loop finishes the
 * step in hand, writes a checkpoint and returns); a second one exits at once. Exiting at once
 * is safe for files because every write is atomic (temporary file + rename): an interrupted
 * write leaves at most a stray temporary file, never a partial checkpoint or report.
 */
export function handleStopSignals(options: StopSignalOptions = {}): StopSignalHandle {
  const controller = new AbortController();
  let received: StopSignal | null = null;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const handlers = STOP_SIGNALS.map((name) => {
    const handler = (): void => {
      if (controller.signal.aborted) {
        exit(EXIT_FORCED);
        return;
      }
      received = name;
      controller.abort();
      options.onFirst?.(name);
    };
    process.on(name, handler);
    return [name, handler] as const;
  });
  return {
    signal: controller.signal,
    get received() {
      return received;
    },
    dispose() {
      for (const [name, handler] of handlers) process.off(name, handler);
    },
  };
}
