import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync, existsSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint, loadNewestCheckpoint, restoreCheckpoint } from '../../plugins/checkpoint/index.js';
import type { CheckpointManifest } from '../../plugins/checkpoint/index.js';
import { importOnnx, withDMGAN } from '../../src/index.js';
import type { DMGANOptions } from '../../src/index.js';
import { activateBackend } from '../../src/engine/index.js';
import { buildLinesModel } from '../../src/experiments/lines/models.js';
import { linesGan } from '../src/api/helpers.js';
import { dmgan, snapshot } from './helpers.js';

/** One row of the bad-input table (docs/reliability.md). */
interface Case {
  where: 'CLI' | 'API' | 'dataset' | 'checkpoint' | 'ONNX';
  input: string;
  /** Returns what the user gets: the message (CLI: stderr) and the exit code where there is one. */
  act: () => Promise<{ message: string; exit?: number | null }>;
  expect: RegExp;
  exit?: number;
}

let tmp: string;
let base: string; // a finished CLI run with one checkpoint (step-12)
let mnistBase: string; // a finished `train mnist` run with one checkpoint (step-4)
const GEN = ['--backend', 'cpu', '--generators', '4', '--eval-every', '1000'];
const MNIST_GEN = ['--backend', 'wasm', '--generators', '2', '--train-limit', '64', '--batch-size', '8', '--eval-every', '1000', '--eval-samples', '20', '--test-samples', '20'];
const rows: string[] = [];
let baseOnnx: string; // base exported in ids mode
let basePriorOnnx: string; // and in prior mode

beforeAll(async () => {
  await activateBackend('cpu');
  tmp = mkdtempSync(join(tmpdir(), 'dmgan-bad-'));
  base = join(tmp, 'base');
  const r = dmgan(['train', 'lines', ...GEN, '--iterations', '12', '--checkpoint-every', '12', '--out', base]);
  expect(r.status).toBe(0);
  mnistBase = join(tmp, 'mnist-base');
  expect(dmgan(['train', 'mnist', ...MNIST_GEN, '--iterations', '4', '--checkpoint-every', '4', '--out', mnistBase]).status).toBe(0);
  baseOnnx = join(tmp, 'base.onnx');
  expect(dmgan(['export', '--checkpoint', base, '--out', baseOnnx]).status).toBe(0);
  basePriorOnnx = join(tmp, 'base-prior.onnx');
  expect(dmgan(['export', '--checkpoint', base, '--out', basePriorOnnx, '--mode', 'prior']).status).toBe(0);
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
  console.log(`bad-input table (${rows.length} rows):\n${rows.join('\n')}`);
});

const cli = async (args: string[]): Promise<{ message: string; exit: number | null }> => {
  const r = dmgan(['train', 'lines', ...args]);
  return { message: r.stderr.trim(), exit: r.status };
};
// `train mnist` / `train images` (same exit codes and messages as `train lines`).
const imageCli = async (command: 'mnist' | 'images', args: string[]): Promise<{ message: string; exit: number | null }> => {
  const r = dmgan(['train', command, ...args]);
  return { message: r.stderr.trim(), exit: r.status };
};
const thrown = async (f: () => unknown): Promise<{ message: string }> => {
  try {
    await f();
  } catch (error) {
    return { message: `${(error as Error).name}: ${(error as Error).message}` };
  }
  return { message: '(no error)' };
};

// A copy of the base run's out dir with its checkpoint damaged by `damage(checkpointDir, manifest)`.
let copies = 0;
function damaged(damage: (dir: string, manifest: CheckpointManifest) => void): string {
  const out = join(tmp, `damaged-${copies++}`);
  cpSync(base, out, { recursive: true });
  const dir = join(out, 'checkpoints', 'step-12');
  damage(dir, JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as CheckpointManifest);
  return out;
}
const editManifest = (edit: (m: Record<string, unknown>) => unknown) => (dir: string, m: CheckpointManifest) =>
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(edit(m as unknown as Record<string, unknown>) ?? m));
const resume = (out: string, more: string[] = []) => cli([...GEN, '--iterations', '30', '--resume', out, ...more]);
const batchOf = (values: number[], shape: number[], dtype: 'float32' | 'int32' = 'float32') => () => tf.tensor(values, shape, dtype);
const api = (options: unknown) => () => thrown(() => withDMGAN(linesGan(0, 2, 4).gan, options as DMGANOptions));
const dataset = (make: () => unknown) => () =>
  thrown(() => {
    const { gan } = linesGan(0, 2, 4);
    const model = withDMGAN(gan, { generators: 2 });
    const real = make();
    try {
      return model.trainStep(real as tf.Tensor);
    } finally {
      model.dispose();
      if (real instanceof tf.Tensor) real.dispose();
    }
  });
const onnxFile = join('fixtures', 'onnx', 'mlp_generator', 'model.onnx');

// `dmgan export` / `dmgan sample`: stderr and exit code.
const tool = async (args: string[]): Promise<{ message: string; exit: number | null }> => {
  const r = dmgan(args);
  return { message: r.stderr.trim(), exit: r.status };
};
// A path inside a regular file (its parent is not a directory).
const insideFile = (name: string): string => {
  const f = join(tmp, 'a-file');
  if (!existsSync(f)) writeFileSync(f, 'not a folder\n');
  return join(f, name);
};
// A folder nobody may write to: a fresh read-only one, or, as root (who writes anywhere), /sys.
const readOnlyDir = (): string => {
  if (process.getuid?.() === 0) return '/sys';
  const d = join(tmp, `damaged-${copies++}`);
  mkdirSync(d);
  chmodSync(d, 0o555);
  return d;
};

const CASES: Case[] = [
  // CLI options (exit 2, one line, nothing created)
  { where: 'CLI', input: '--dataset spirals', act: () => cli(['--dataset', 'spirals']), expect: /^dmgan: --dataset must be one of balanced, unbalanced, circles \(got 'spirals'\)$/, exit: 2 },
  { where: 'CLI', input: '--model gan', act: () => cli(['--model', 'gan']), expect: /^dmgan: --model must be one of .*\(got 'gan'\)$/, exit: 2 },
  { where: 'CLI', input: '--iterations 0', act: () => cli(['--iterations', '0']), expect: /^dmgan: --iterations must be a positive integer \(got '0'\)$/, exit: 2 },
  { where: 'CLI', input: '--iterations 1e3', act: () => cli(['--iterations', '1e3']), expect: /^dmgan: --iterations must be a positive integer \(got '1e3'\)$/, exit: 2 },
  { where: 'CLI', input: '--seed -1', act: () => cli(['--seed', '-1']), expect: /^dmgan: --seed must be a non-negative integer \(got '-1'\)$/, exit: 2 },
  { where: 'CLI', input: '--eval-every abc', act: () => cli(['--eval-every', 'abc']), expect: /^dmgan: --eval-every must be a positive integer \(got 'abc'\)$/, exit: 2 },
  { where: 'CLI', input: '--backend cuda', act: () => cli(['--backend', 'cuda']), expect: /^dmgan: --backend must be one of auto, tensorflow, wasm, cpu \(got 'cuda'\)$/, exit: 2 },
  { where: 'CLI', input: '--kernels onnxruntime on --backend cpu', act: () => cli(['--backend', 'cpu', '--kernels', 'onnxruntime']), expect: /^dmgan: --kernels onnxruntime: onnxruntime kernels replace the wasm backend's, but the active backend is cpu$/, exit: 2 },
  { where: 'CLI', input: '--checkpoint-every -5', act: () => cli(['--checkpoint-every', '-5']), expect: /^dmgan: --checkpoint-every must be a non-negative integer/, exit: 2 },
  { where: 'CLI', input: '--keep-checkpoints 0', act: () => cli(['--keep-checkpoints', '0']), expect: /^dmgan: --keep-checkpoints must be a positive integer/, exit: 2 },
  { where: 'CLI', input: '--on-fault retry', act: () => cli(['--on-fault', 'retry']), expect: /^dmgan: --on-fault must be one of stop, rollback \(got 'retry'\)$/, exit: 2 },
  { where: 'CLI', input: 'unknown option --lr 1', act: () => cli(['--lr', '1']), expect: /^dmgan: unknown option '--lr'$/, exit: 2 },
  {
    where: 'CLI',
    input: '--out naming an existing file',
    act: () => {
      const f = join(tmp, 'a-file');
      writeFileSync(f, 'x');
      return cli(['--out', f]);
    },
    expect: /^dmgan: --out '.*a-file' exists and is not a directory$/,
    exit: 2,
  },
  { where: 'CLI', input: '--resume of a folder with no checkpoint', act: () => cli(['--resume', tmp]), expect: /^dmgan: --resume .*: no readable checkpoint in .*: no manifest\.json, checkpoints\/step-\*\/ or checkpoint\/ there$/, exit: 2 },
  { where: 'CLI', input: '--resume with other options (--generators 3)', act: () => cli(['--backend', 'cpu', '--generators', '3', '--eval-every', '1000', '--iterations', '30', '--resume', base]), expect: /^dmgan: --resume .*: options differ from the checkpointed run: --generators was 4, now 3$/, exit: 2 },
  { where: 'CLI', input: '--resume with --iterations not past the checkpoint', act: () => cli([...GEN, '--iterations', '12', '--resume', base]), expect: /^dmgan: --resume .*: the checkpoint is at iteration 12; --iterations 12 leaves nothing to do$/, exit: 2 },
  { where: 'CLI', input: 'train mnist --checkpoint-every -1', act: () => imageCli('mnist', ['--checkpoint-every', '-1']), expect: /^dmgan: --checkpoint-every must be a non-negative integer \(0: no checkpoints\) \(got '-1'\)$/, exit: 2 },
  { where: 'CLI', input: 'train images --on-fault retry', act: () => imageCli('images', ['--data', tmp, '--on-fault', 'retry']), expect: /^dmgan: --on-fault must be one of stop, rollback \(got 'retry'\)$/, exit: 2 },
  { where: 'CLI', input: 'train mnist --resume with another --model (dmwgan)', act: () => imageCli('mnist', [...MNIST_GEN, '--iterations', '10', '--model', 'dmwgan', '--resume', mnistBase]), expect: /^dmgan: --resume .*: options differ from the checkpointed run: --model was dmwgan-pl, now dmwgan$/, exit: 2 },
  { where: 'CLI', input: 'train mnist --resume with another --seed (5)', act: () => imageCli('mnist', [...MNIST_GEN, '--iterations', '10', '--seed', '5', '--resume', mnistBase]), expect: /^dmgan: --resume .*: options differ from the checkpointed run: --seed was 0, now 5$/, exit: 2 },
  // Checkpoints handed to --resume (exit 2, the checkpoint untouched)
  { where: 'checkpoint', input: 'manifest.json truncated', act: () => resume(damaged((d) => truncateSync(join(d, 'manifest.json'), 100))), expect: /manifest\.json is not valid JSON \(truncated or corrupt checkpoint\)/, exit: 2 },
  { where: 'checkpoint', input: 'manifest of another format version', act: () => resume(damaged(editManifest((m) => ({ ...m, format: 'dmgan.checkpoint/v0' })))), expect: /checkpoint format "dmgan\.checkpoint\/v0" is not supported \(this dmgan reads dmgan\.checkpoint\/v1\)/, exit: 2 },
  { where: 'checkpoint', input: 'manifest without counters', act: () => resume(damaged(editManifest((m) => ({ ...m, counters: undefined })))), expect: /manifest\.json: field 'counters': /, exit: 2 },
  { where: 'checkpoint', input: 'manifest with a negative iteration', act: () => resume(damaged(editManifest((m) => ({ ...m, counters: { ...(m.counters as object), iteration: -4 } })))), expect: /field 'counters\.iteration': Too small/, exit: 2 },
  { where: 'checkpoint', input: 'manifest is a JSON array', act: () => resume(damaged(editManifest(() => []))), expect: /is not a checkpoint manifest \(not a JSON object\)/, exit: 2 },
  { where: 'checkpoint', input: 'variable table does not match the weights file', act: () => resume(damaged(editManifest((m) => ({ ...m, variables: (m.variables as unknown[]).slice(1) })))), expect: /the variables hold \d+ values but the weights file is \d+ bytes/, exit: 2 },
  { where: 'checkpoint', input: 'weights file truncated', act: () => resume(damaged((d, m) => truncateSync(join(d, m.files.weights.name), 1000))), expect: /weights-[0-9a-f]{16}\.bin has 1000 bytes, the manifest says \d+ \(truncated checkpoint\)/, exit: 2 },
  {
    where: 'checkpoint',
    input: 'one byte of the optimizer file flipped',
    act: () =>
      resume(
        damaged((d, m) => {
          const p = join(d, m.files.optimizers.name);
          const b = readFileSync(p);
          b[10] = (b[10] as number) ^ 0xff;
          writeFileSync(p, b);
        }),
      ),
    expect: /optimizers-[0-9a-f]{16}\.bin does not match its sha256 in the manifest \(corrupt checkpoint\)/,
    exit: 2,
  },
  { where: 'checkpoint', input: 'weights file missing', act: () => resume(damaged((d, m) => unlinkSync(join(d, m.files.weights.name)))), expect: /weights-[0-9a-f]{16}\.bin named by the manifest cannot be read \(incomplete checkpoint\)/, exit: 2 },
  {
    where: 'checkpoint',
    input: 'newest checkpoint partial (killed mid-write), an older one complete',
    act: async () => {
      const out = damaged(() => undefined);
      cpSync(join(out, 'checkpoints', 'step-12'), join(out, 'checkpoints', 'step-24'), { recursive: true });
      unlinkSync(join(out, 'checkpoints', 'step-24', 'manifest.json'));
      const r = await resume(out);
      // The resumed run's own output is not part of the answer: keep the warning and the resume line.
      return { ...r, message: r.message.split('\n').filter((l) => /warning|resumed/.test(l)).join('\n') };
    },
    expect: /^dmgan: warning: skipping checkpoint .*step-24: no readable checkpoint in .*step-24: ENOENT[^\n]*\ndmgan: resumed from .*step-12 at iteration 12$/,
    exit: 0,
  },
  { where: 'checkpoint', input: 'a `train lines` checkpoint given to `train mnist --resume`', act: () => imageCli('mnist', [...MNIST_GEN, '--iterations', '30', '--resume', base]), expect: /^dmgan: --resume .*: the checkpoint was not written by 'dmgan train mnist' \(it is a 'dmgan train lines' checkpoint\)$/, exit: 2 },
  { where: 'checkpoint', input: 'written by the API, not by `train lines`', act: () => resume(damaged(editManifest((m) => ({ ...m, extra: { options: {} } })))), expect: /the checkpoint was not written by 'dmgan train lines'/, exit: 2 },
  {
    where: 'checkpoint',
    input: 'of another model (4 generators restored into 10)',
    act: async () => {
      const loaded = await loadCheckpoint(join(base, 'checkpoints', 'step-12'));
      const core = buildLinesModel('dmwgan-pl', { generators: 10, seed: 0 });
      try {
        return await thrown(() => restoreCheckpoint(core, loaded));
      } finally {
        core.dispose();
      }
    },
    expect: /^CheckpointError: checkpoint variable \d+ \(.+\) has shape \[.*\], the model's \(.+\) has \[.*\]$/,
  },
  { where: 'checkpoint', input: 'a file instead of a checkpoint folder', act: () => thrown(() => loadNewestCheckpoint(join(tmp, 'a-file'))), expect: /^CheckpointError: no readable checkpoint in .*a-file: not a directory$/ },
  // dmgan export / dmgan sample (exit 2, one line, no .onnx/.png/.json left behind)
  { where: 'CLI', input: 'export --mode all', act: () => tool(['export', '--checkpoint', base, '--out', join(tmp, 'x.onnx'), '--mode', 'all']), expect: /^dmgan: --mode must be one of ids, prior \(got 'all'\)$/, exit: 2 },
  {
    where: 'CLI',
    input: 'export of a folder with a random manifest.json',
    act: () => tool(['export', '--checkpoint', join(damaged(editManifest(() => ({ hello: 'world' }))), 'checkpoints', 'step-12'), '--out', join(tmp, 'x.onnx')]),
    expect: /^dmgan: --checkpoint .*step-12: .*checkpoint format .* is not supported/,
    exit: 2,
  },
  {
    where: 'CLI',
    input: 'export of a checkpoint of another kind (command train audio)',
    act: () => tool(['export', '--checkpoint', join(damaged(editManifest((m) => ({ ...m, extra: { ...(m.extra as object), command: 'train audio' } }))), 'checkpoints', 'step-12'), '--out', join(tmp, 'x.onnx')]),
    expect: /^dmgan: --checkpoint .*step-12: not a checkpoint of 'dmgan train lines', 'dmgan train mnist' or 'dmgan train images' \(it records 'train audio'\); export cannot tell which model to rebuild$/,
    exit: 2,
  },
  {
    where: 'CLI',
    input: 'export of a checkpoint written by the API (no train command)',
    act: () => tool(['export', '--checkpoint', join(damaged(editManifest((m) => ({ ...m, extra: { options: {} } }))), 'checkpoints', 'step-12'), '--out', join(tmp, 'x.onnx')]),
    expect: /^dmgan: --checkpoint .*step-12: not a checkpoint of .*\(it records no train command\)/,
    exit: 2,
  },
  { where: 'CLI', input: 'export --out inside a file', act: () => tool(['export', '--checkpoint', base, '--out', insideFile('x.onnx')]), expect: /^dmgan: --out '.*a-file\/x\.onnx' cannot be written: '.*a-file' is a file, not a directory$/, exit: 2 },
  { where: 'CLI', input: 'export --out in a read-only folder', act: () => tool(['export', '--checkpoint', base, '--out', join(readOnlyDir(), 'x.onnx')]), expect: /^dmgan: --out '.*x\.onnx' cannot be written: (permission denied|read-only file system)$/, exit: 2 },
  { where: 'CLI', input: 'sample --out inside a file', act: () => tool(['sample', '--onnx', baseOnnx, '--count', '3', '--out', insideFile('x.json')]), expect: /^dmgan: --out '.*a-file\/x\.json' cannot be written: '.*a-file' is a file, not a directory$/, exit: 2 },
  { where: 'CLI', input: 'sample --out in a read-only folder', act: () => tool(['sample', '--onnx', baseOnnx, '--count', '3', '--out', join(readOnlyDir(), 'x.json')]), expect: /^dmgan: --out '.*x\.json' cannot be written: (permission denied|read-only file system)$/, exit: 2 },
  { where: 'CLI', input: 'sample a .png of a points model', act: () => tool(['sample', '--onnx', baseOnnx, '--count', '3', '--out', join(tmp, 'x.png')]), expect: /^dmgan: --out .*x\.png: a \.png grid needs an image model; .*base\.onnx makes samples of shape \[2\] \(use \.json, \.csv or \.npy\)$/, exit: 2 },
  { where: 'CLI', input: 'sample --generator 4 of a 4-generator model', act: () => tool(['sample', '--onnx', baseOnnx, '--count', '3', '--generator', '4', '--out', join(tmp, 'x.json')]), expect: /^dmgan: --generator must be below 4, the generators of .*base\.onnx \(got '4'\)$/, exit: 2 },
  { where: 'CLI', input: 'sample --generator of a prior-mode file', act: () => tool(['sample', '--onnx', basePriorOnnx, '--count', '3', '--generator', '0', '--out', join(tmp, 'x.json')]), expect: /^dmgan: --generator needs a model exported with --mode ids \(.*base-prior\.onnx draws generators with its prior\)$/, exit: 2 },
  // API options (DmganConfigError naming the field and the range)
  { where: 'API', input: '{ generators: 0 }', act: api({ generators: 0 }), expect: /^DmganConfigError: invalid DMGAN options — generators: generators must be ≥ 1$/ },
  { where: 'API', input: '{ generators: 2.5 }', act: api({ generators: 2.5 }), expect: /^DmganConfigError: invalid DMGAN options — generators: Invalid input: expected int, received number$/ },
  { where: 'API', input: '{ qWeight: -1 }', act: api({ qWeight: -1 }), expect: /^DmganConfigError: invalid DMGAN options — qWeight: Too small: expected number to be >=0$/ },
  { where: 'API', input: "{ generatorz: 3 } (misspelt key)", act: api({ generatorz: 3 }), expect: /^DmganConfigError: invalid DMGAN options — \(options\): Unrecognized key: "generatorz"$/ },
  { where: 'API', input: '{ optimizers: { generator: { beta1: 1, … } } }', act: api({ optimizers: { generator: { learningRate: 1e-4, beta1: 1, beta2: 0.9, epsilon: 1e-8 } } }), expect: /^DmganConfigError: invalid DMGAN options — optimizers\.generator\.beta1: Too small|Too big: expected number to be <1/ },
  { where: 'API', input: "{ backend: 'cuda' }", act: api({ backend: 'cuda' }), // Known weakness (src/api/withDMGAN.ts checks the active backend before the schema): the message does not say 'cuda' is not a backend.
    expect: /^DmganConfigError: backend 'cuda' was asked for but 'cpu' is active: call await initEngine\('cuda'\) before withDMGAN$/ },
  { where: 'API', input: 'a GAN that is not an object', act: () => thrown(() => withDMGAN(null as never)), expect: /^DmganConfigError: withDMGAN needs a GAN \{ latentDim, generator, discriminator, loss\? \}$/ },
  // Datasets: real batches handed to trainStep
  { where: 'dataset', input: 'empty batch [0, 2]', act: dataset(batchOf([], [0, 2])), expect: /^InvalidBatchError: the real batch is empty \(shape \[0, 2\]\)$/ },
  { where: 'dataset', input: 'NaN in a sample', act: dataset(batchOf([0, 1, NaN, 2], [2, 2])), expect: /^InvalidBatchError: the real batch holds 1 non-finite values \(first: NaN in sample 1\)$/ },
  { where: 'dataset', input: 'Infinity in a sample', act: dataset(batchOf([Infinity, 1, 0, 2], [2, 2])), expect: /^InvalidBatchError: the real batch holds 1 non-finite values \(first: Infinity in sample 0\)$/ },
  { where: 'dataset', input: 'int32 batch', act: dataset(batchOf([0, 1, 1, 2], [2, 2], 'int32')), expect: /^InvalidBatchError: the real batch has dtype int32; expected float32$/ },
  { where: 'dataset', input: 'samples of the wrong shape [2, 3]', act: dataset(batchOf([0, 1, 2, 3, 4, 5], [2, 3])), expect: /^InvalidBatchError: the real batch has samples of shape \[3\], the generators make \[2\]$/ },
  { where: 'dataset', input: 'rank-1 tensor', act: dataset(batchOf([0, 1], [2])), expect: /^DmganConfigError: trainStep needs a batch tensor \[B, \.\.\.\] of real samples$/ },
  { where: 'dataset', input: 'a plain array instead of a tensor', act: dataset(() => [[0, 1]]), expect: /^DmganConfigError: trainStep needs a batch tensor/ },
  // ONNX files handed to importOnnx
  { where: 'ONNX', input: 'missing file', act: () => thrown(() => importOnnx(join(tmp, 'nope.onnx'))), expect: /^OnnxImportError: cannot read model file ".*nope\.onnx".*ENOENT/ },
  { where: 'ONNX', input: 'empty file', act: () => thrown(() => importOnnx(new Uint8Array(0))), expect: /^OnnxImportError: / },
  { where: 'ONNX', input: 'a text file', act: () => thrown(() => importOnnx(new TextEncoder().encode('this is not an onnx model\n'))), expect: /^OnnxImportError: cannot parse ONNX ModelProto \(truncated or corrupted protobuf\)/ },
  { where: 'ONNX', input: 'truncated model (first 60%)', act: () => thrown(() => { const b = readFileSync(onnxFile); return importOnnx(b.subarray(0, Math.floor(b.length * 0.6))); }), expect: /^OnnxImportError: / },
];

describe('bad inputs', () => {
  it(`has at least 30 kinds across CLI, API, datasets, checkpoints and ONNX files`, () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
    expect(new Set(CASES.map((c) => c.where))).toEqual(new Set(['CLI', 'API', 'dataset', 'checkpoint', 'ONNX']));
  });

  for (const c of CASES) {
    it(`${c.where}: ${c.input}`, { timeout: 60_000 }, async () => {
      const before = snapshot(tmp);
      const got = await c.act();
      rows.push(`| ${c.where} | ${c.input} | ${got.message.replaceAll('|', '\\|').replaceAll(tmp, '…').replaceAll('\n', ' ⏎ ')}${got.exit !== undefined ? ` (exit ${got.exit})` : ''} |`);
      expect(got.message).toMatch(c.expect);
      // A message, never a stack trace.
      expect(got.message).not.toMatch(/\n\s+at /);
      if (c.exit !== undefined) expect(got.exit).toBe(c.exit);
      // Nothing written, nothing partial left: files present before are unchanged, and no new ones but the damaged copy the case made.
      const after = snapshot(tmp);
      for (const [f, sig] of Object.entries(before)) expect(after[f], f).toBe(sig);
      const added = Object.keys(after).filter((f) => !(f in before) && !/^damaged-\d+\//.test(f) && f !== 'a-file');
      expect(added).toEqual([]);
      expect(existsSync(join(tmp, 'runs'))).toBe(false);
    });
  }
});
