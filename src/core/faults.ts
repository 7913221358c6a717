/** A parameter group of the engine: which optimiser (or the prior) a value belongs to. */
export type ParameterGroup = 'generator' | 'discriminator' | 'q' | 'prior' | (string & {});

/** What a {@link NumericalFaultError} found non-finite. */
export type FaultKind = 'loss' | 'gradient' | 'weight';

/** Details of a numerical fault, as precise as the detector could make them. */
export interface NumericalFaultDetails {
  kind: FaultKind;
  /** The parameter group whose weights, gradients or loss held the bad value. */
  group: ParameterGroup;
  /** The variable (weights/gradients) or loss name. */
  name: string;
  /** The first bad value (NaN, Infinity or -Infinity). */
  value: number;
  /** How many values of that variable were non-finite. */
  count?: number;
  /** 1-based iteration during which it was found, when known. */
  iteration?: number;
  /** Step kind, when known. */
  step?: 'discriminator' | 'generator';
  /** The step's losses (as read when the fault was found; may themselves be NaN). */
  losses?: Record<string, number>;
  /** How the fault surfaced when that was not the weight itself (e.g. "gradient of 'd/w0' in group 'discriminator'"). */
  via?: string;
  /** Other variables found non-finite while diagnosing (e.g. the weights that caused NaN gradients). */
  weights?: Array<{ group: ParameterGroup; name: string; count: number }>;
}

const fmt = (v: number): string => (Number.isNaN(v) ? 'NaN' : String(v));

/**
 * A NaN or ±Infinity in a loss, a gradient or a weight. Training must stop (or roll back):
 * the engine checks before applying an update, so the weights on the device were not
 * overwritten with the bad values by the failing step.
 */
export class NumericalFaultError extends Error {
  override readonly name = 'NumericalFaultError';
  readonly details: NumericalFaultDetails;

  constructor(details: NumericalFaultDetails) {
    super(NumericalFaultError.describe(details));
    this.details = details;
  }

  /** Returns a copy with more context (iteration, step kind, losses, diagnosed weights); the message is rebuilt. */
  with(more: Partial<NumericalFaultDetails>): NumericalFaultError {
    return new NumericalFaultError({ ...this.details, ...more });
  }

  /** The one-line message: step, what was bad, parameter group, losses. */
  static describe(d: NumericalFaultDetails): string {
    const where = d.iteration === undefined ? '' : ` at iteration ${d.iteration}${d.step ? ` (${d.step} step)` : ''}`;
    const what =
      d.kind === 'loss'
        ? `loss '${d.name}' is ${fmt(d.value)}`
        : `${d.kind} of '${d.name}' is ${fmt(d.value)}${d.count !== undefined && d.count > 1 ? ` (${d.count} values non-finite)` : ''}`;
    const losses = d.losses && Object.keys(d.losses).length > 0 ? `; losses: ${Object.entries(d.losses).map(([k, v]) => `${k} = ${fmt(v)}`).join(', ')}` : '';
    const weights =
      d.weights && d.weights.length > 0
        ? `; non-finite weights: ${d.weights.map((w) => `${w.group}/${w.name} (${w.count})`).join(', ')}`
        : '';
    const via = d.via ? ` (surfaced as the ${d.via})` : '';
    return `numerical fault${where}: ${what} in parameter group '${d.group}'${via}${losses}${weights}`;
  }
}

/** Index of the first non-finite value in `values[from, to)`, or −1. Allocation-free; the hot-path check. */
export function firstNonFinite(values: ArrayLike<number>, from = 0, to = values.length): number {
  for (let k = from; k < to; k++) {
    const x = values[k] as number;
    // x − x is 0 for finite x and NaN for NaN/±Infinity; one compare per value.
    if (x - x !== 0) return k;
  }
  return -1;
}

/** How many values of `values` are NaN or ±Infinity. */
export function countNonFinite(values: ArrayLike<number>): number {
  let n = 0;
  for (let k = 0; k < values.length; k++) if (!Number.isFinite(values[k])) n++;
  return n;
}

// Which parameter group each of the trainer's and the DMGAN plugin's losses trains; a plugin's
// other losses (`plugin/name`) belong to the plugin.
const GROUP_OF_LOSS: Readonly<Record<string, ParameterGroup>> = {
  discriminator: 'discriminator',
  gradientPenalty: 'discriminator',
  generator: 'generator',
  q: 'q',
  prior: 'prior',
};

/**
 * Throws a {@link NumericalFaultError} naming the iteration, the loss and its parameter group if
 * any of `losses` is NaN or ±Infinity. Cheap: a handful of numbers already on the host.
 */
export function checkFiniteLosses(iteration: number, step: 'discriminator' | 'generator', losses: object): void {
  for (const [name, value] of Object.entries(losses) as Array<[string, number | undefined]>) {
    if (value !== undefined && !Number.isFinite(value)) {
      const group = GROUP_OF_LOSS[name] ?? name.split('/')[0] ?? name;
      throw new NumericalFaultError({ kind: 'loss', group, name, value, iteration, step, losses: { ...losses } as Record<string, number> });
    }
  }
}

/**
 * Runs an optimiser step; if it reports a numerical fault, adds the step's losses to it (read
 * now: the fault path only), keeping any the fault already carries.
 */
export function withLossesOnFault(apply: () => void, losses: () => Readonly<Record<string, { isDisposed: boolean; dataSync(): ArrayLike<number> } | null | undefined>>): void {
  try {
    apply();
  } catch (error) {
    if (!(error instanceof NumericalFaultError)) throw error;
    const read: Record<string, number> = {};
    for (const [name, t] of Object.entries(losses())) {
      if (t && !t.isDisposed) read[name] = t.dataSync()[0] as number;
    }
    throw error.with({ losses: { ...read, ...error.details.losses } });
  }
}

/** A real batch the engine cannot train on (empty, wrong rank, dtype or sample shape, NaN/±Infinity). */
export class InvalidBatchError extends RangeError {
  override readonly name = 'InvalidBatchError';
}

/**
 * Checks a real batch before a step (or samples before inference; `what` names them in the
 * message): rank ≥ 2, at least one sample, float32, every value finite.
 * Reads the batch to the host (cheap next to a step, which reads all weights and gradients).
 * @throws InvalidBatchError naming what is wrong and where.
 */
export function checkRealBatch(real: { shape: readonly number[]; dtype: string; dataSync(): ArrayLike<number> }, what = 'the real batch'): void {
  if (real.shape.length < 2) throw new InvalidBatchError(`${what} must have shape [batch, ...sample], got [${real.shape.join(', ')}]`);
  if ((real.shape[0] as number) < 1) throw new InvalidBatchError(`${what} is empty (shape [${real.shape.join(', ')}])`);
  if (real.dtype !== 'float32') throw new InvalidBatchError(`${what} has dtype ${real.dtype}; expected float32`);
  const values = real.dataSync();
  const bad = firstNonFinite(values);
  if (bad >= 0) {
    const per = values.length / (real.shape[0] as number);
    throw new InvalidBatchError(`${what} holds ${countNonFinite(values)} non-finite values (first: ${String(values[bad])} in sample ${Math.floor(bad / per)})`);
  }
}
