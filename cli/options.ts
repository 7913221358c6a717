import { z } from 'zod';
import { KERNEL_CHOICES } from '../adapters/onnxruntime/index.js';

/** Backends the CLI accepts (`initEngine` choices). */
export const CLI_BACKENDS = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;

/** Thrown for a bad command-line option; the CLI prints `message` and exits with code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A choice among fixed values, with a message naming the option and the allowed values. */
export function oneOf<const T extends readonly [string, ...string[]]>(flag: string, values: T) {
  return z.enum(values, { error: (issue) => `${flag} must be one of ${values.join(', ')} (got '${String(issue.input)}')` });
}

// Integers arrive as strings from commander: accept only plain decimal digits (no 1e3, 1.5, 0x10).
export function integer(flag: string, min: number, what: string) {
  const message = (input: unknown): string => `${flag} must be ${what} (got '${String(input)}')`;
  return z
    .string({ error: (issue) => message(issue.input) })
    .trim()
    .refine((s) => /^[+-]?\d+$/.test(s) && Number.isSafeInteger(Number(s)) && Number(s) >= min, { error: (issue) => message(issue.input) })
    .transform(Number);
}

/** A decimal integer option ≥ min, its message saying so. */
export function intOption(flag: string, min: number) {
  return integer(flag, min, `an integer ≥ ${min}`);
}

/** Parses raw options with `schema`; throws a {@link UsageError} naming the first bad one. */
export function parseWith<S extends z.ZodType>(schema: S, raw: Record<string, unknown>): z.output<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  throw new UsageError(result.error.issues[0]?.message ?? 'invalid options');
}

/**
 * The run-reliability options every training command takes (`--checkpoint-every`,
 * `--keep-checkpoints`, `--on-fault`, `--resume`; cli/runControl.ts implements them).
 */
export const runControlShape = {
  checkpointEvery: integer('--checkpoint-every', 0, 'a non-negative integer (0: no checkpoints)'),
  keepCheckpoints: integer('--keep-checkpoints', 1, 'a positive integer (checkpoints kept)').default(3),
  onFault: oneOf('--on-fault', ['stop', 'rollback'] as const).default('stop'),
  resume: z.string().trim().min(1, { error: '--resume must be a non-empty path' }).optional(),
};

/** `--kernels`: where the wasm backend's heavy kernels run. Commander hands the default over; callers in code may leave it out. */
export const kernelsOption = oneOf('--kernels', KERNEL_CHOICES).default('auto');
export const KERNELS_HELP = `the wasm backend's large convolutions and batched products: ${KERNEL_CHOICES.join(' | ')} (auto: onnxruntime when onnxruntime-node is installed)`;

/**
 * `--ema DECAY`: generator weight averaging with this decay, a decimal number in (0, 1) (e.g.
 * 0.999). Absent: off. Numbers also arrive as such from a checkpoint's recorded options.
 */
export const emaOption = z
  .union([z.string(), z.number()], { error: (issue) => `--ema must be a number in (0, 1), the decay of the generator weight average (got '${String(issue.input)}')` })
  .transform((v, ctx) => {
    const text = String(v).trim();
    const value = typeof v === 'number' ? v : /^(0?\.\d+|\d+(\.\d*)?)(e-?\d+)?$/i.test(text) ? Number(text) : NaN;
    if (!(Number.isFinite(value) && value > 0 && value < 1)) {
      ctx.addIssue({ code: 'custom', message: `--ema must be a number in (0, 1), the decay of the generator weight average, e.g. 0.999 (got '${text}')` });
      return z.NEVER;
    }
    return value;
  })
  .optional();
export const EMA_HELP = 'average the generator weights with this decay in (0, 1), e.g. 0.999 (sampling, evaluation and export use the averages; default off)';
