import { availableParallelism } from 'node:os';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { activateBackend } from '../src/engine/index.js';
import { initEngine } from '../src/api/initEngine.js';
import { applyKernelChoice, KERNEL_CHOICES, type KernelChoice } from '../adapters/onnxruntime/index.js';
import { writeFileAtomic, writeJsonAtomic } from '../adapters/files/atomicFile.js';
import { LINES_DEFAULT, linesVariants, measureLines, soakLines, type LinesVariant } from './lines.js';
import type { Measurement, Schedule, SoakSample } from './measure.js';
import { MNIST_DEFAULT, measureMnist, mnistVariants, type MnistVariant } from './mnist.js';
import { linePlotSvg } from './plot.js';
import { formatOnnx, measureOnnx } from './onnx.js';
import { runLayersWorkload } from './layersWorkload.js';

/** PyTorch peer figures (BASELINES.md, 2 cores): ms per iteration. */
const PEER = {
  lines_routed_1_thread: 1.68,
  lines_routed_2_threads: 1.88,
  lines_masked_2_threads: 4.19,
  lines_single_generator_1_thread: 1.01,
  mnist_routed_2_threads: 213,
};

interface Row {
  workload: string;
  backend: string;
  /** Where the backend's heavy kernels ran (onnxruntime, or the backend's own). */
  kernels: string;
  variant: string;
  config: LinesVariant | MnistVariant;
  result: Measurement;
}

const program = new Command('bench')
  .description('dmgan training benchmarks (DESIGN.md workloads), median of repeats after warm-up')
  .option('--workload <name>', 'lines | mnist | onnx | layers (your tfjs-layers DCGAN wrapped, against its PyTorch twin)', 'lines')
  .option('--backend <names>', 'comma-separated: wasm,cpu', 'wasm')
  .option('--kernels <where>', `wasm's large convolutions and batched products: ${KERNEL_CHOICES.join(' | ')}`, 'auto')
  .option('--iterations <n>', 'timed iterations per repeat (default 600 lines, 12 mnist, 24 layers: whole 5 D : 1 G cycles)')
  .option('--repeats <n>', 'timed repeats (median reported)', '3')
  .option('--warmup <n>', 'warm-up iterations (default 120 lines, 6 mnist, 12 layers)')
  .option('--variants <which>', "'all' or 'default'", 'all')
  .option('--soak <n>', 'also train the default n iterations, sampling tensors and RSS (0: skip; default 10000 lines, 0 layers)')
  .option('--json <file>', 'write the results as JSON')
  .option('--report <dir>', 'write the scaling plots (SVG) here')
  .parse();

const opts = program.opts<{ workload: string; backend: string; kernels: string; iterations?: string; repeats: string; warmup?: string; variants: string; soak?: string; json?: string; report?: string }>();
if (opts.workload !== 'lines' && opts.workload !== 'mnist' && opts.workload !== 'onnx' && opts.workload !== 'layers') {
  process.stderr.write(`bench: --workload must be lines, mnist, onnx or layers (got '${opts.workload}')\n`);
  process.exit(2);
}
if (opts.workload === 'onnx') {
  // ONNX import and forward cost: one measurement on the first backend, then exit.
  const backend = opts.backend.split(',')[0]?.trim() ?? 'wasm';
  await activateBackend(backend as 'wasm');
  const result = await measureOnnx({ repeats: Math.max(Number(opts.repeats), 1) });
  process.stdout.write(formatOnnx(result, backend));
  if (opts.json) await writeJsonAtomic(opts.json, { workload: 'onnx', backend, node: process.version, ...result });
  process.exit(0);
}
const mnist = opts.workload === 'mnist';
const layers = opts.workload === 'layers';
const schedule: Schedule = {
  warmup: Number(opts.warmup ?? (mnist ? 6 : layers ? 12 : 120)),
  iterations: Number(opts.iterations ?? (mnist ? 12 : layers ? 24 : 600)),
  repeats: Number(opts.repeats),
};
const soakIterations = Number(opts.soak ?? (layers ? 0 : 10000));
if (!Number.isInteger(soakIterations) || soakIterations < 0) {
  process.stderr.write(`bench: --soak must be a non-negative integer (got '${opts.soak}')\n`);
  process.exit(2);
}
for (const [k, v] of Object.entries(schedule)) {
  if (!Number.isInteger(v) || v < (k === 'warmup' ? 0 : 1)) {
    process.stderr.write(`bench: --${k} must be a positive integer (got '${String(v)}')\n`);
    process.exit(2);
  }
}
if (!(KERNEL_CHOICES as readonly string[]).includes(opts.kernels)) {
  process.stderr.write(`bench: --kernels must be ${KERNEL_CHOICES.join(', ')} (got '${opts.kernels}')\n`);
  process.exit(2);
}
/** Applies a kernel choice; a failure (onnxruntime asked for, not loadable) ends the run with a usage error. */
function placeKernels(choice: string): string {
  try {
    return applyKernelChoice(choice as KernelChoice);
  } catch (error) {
    process.stderr.write(`bench: --kernels ${choice}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  }
}
if (layers) {
  await initEngine('wasm', { kernels: opts.kernels as KernelChoice });
  const threads = availableParallelism();
  await runLayersWorkload({ schedule, threads, variants: opts.variants === 'all' ? 'all' : 'default', soak: soakIterations, ...(opts.json ? { json: opts.json } : {}), ...(opts.report ? { report: opts.report } : {}) });
  process.exit(0);
}
const backends = opts.backend.split(',').map((b) => b.trim());
const rows: Row[] = [];
for (const backend of backends) {
  if (backend !== 'wasm' && backend !== 'cpu' && backend !== 'tensorflow') {
    process.stderr.write(`bench: --backend must be wasm, cpu or tensorflow (got '${backend}')\n`);
    process.exit(2);
  }
  await activateBackend(backend);
  const kernels = placeKernels(opts.kernels);
  const all = opts.variants === 'all' && backend === backends[0];
  const variants: Array<LinesVariant | MnistVariant> = mnist ? (all ? mnistVariants() : [MNIST_DEFAULT]) : all ? linesVariants() : [LINES_DEFAULT];
  for (const variant of variants) {
    const ownKernels = 'wasmKernels' in variant && variant.wasmKernels === true;
    if (ownKernels) placeKernels('wasm');
    const result = 'routing' in variant ? measureLines(variant, schedule) : measureMnist(variant, schedule);
    if (ownKernels) placeKernels(opts.kernels);
    rows.push({ workload: opts.workload, backend, kernels: ownKernels ? backend : kernels, variant: variant.name, config: variant, result });
    process.stdout.write(
      `${opts.workload.padEnd(6)} ${backend.padEnd(5)} ${variant.name.padEnd(42)} ${result.ms_per_iteration.toFixed(3).padStart(8)} ms/it ` +
        `${result.iterations_per_s.toFixed(0).padStart(6)} it/s  rss ${result.peak_rss_mib.toFixed(0)} MiB  tensors ${result.tensors_before}→${result.tensors_after}` +
        `  kernels ${rows[rows.length - 1]?.kernels ?? ''}` +
        '\n',
    );
  }
}

const find = (pred: (r: Row) => boolean) => rows.find(pred)?.result.ms_per_iteration;
const base = find((r) => r.backend === backends[0] && r.variant === 'default') as number;
if (mnist) {
  const single = find((r) => r.variant.startsWith('wgan-gp'));
  const one = find((r) => r.variant === 'generators=1');
  const wasmOnly = find((r) => r.variant.startsWith('kernels=wasm'));
  const summary = {
    workload: 'mnist',
    backend: backends[0],
    kernels: rows.find((r) => r.variant === 'default')?.kernels,
    ms_per_iteration: base,
    ratio_to_peer_routed_2_threads: base / PEER.mnist_routed_2_threads,
    ...(wasmOnly ? { ms_per_iteration_wasm_kernels: wasmOnly, ratio_wasm_kernels_to_peer: wasmOnly / PEER.mnist_routed_2_threads } : {}),
    ...(one ? { cost_20_generators_over_1: base / one } : {}),
    ...(single ? { cost_20_generators_over_1_full_width: base / single } : {}),
    peer: PEER,
    schedule,
    node: process.version,
    rows,
  };
  process.stdout.write(
    `\nmnist default (${backends[0]}, heavy kernels on ${summary.kernels}): ${base.toFixed(1)} ms/it; ratio to PyTorch peer routed ${(base / PEER.mnist_routed_2_threads).toFixed(2)} (2 threads)` +
      (wasmOnly ? `; wasm kernels only: ${wasmOnly.toFixed(1)} ms/it (${(wasmOnly / PEER.mnist_routed_2_threads).toFixed(2)})` : '') +
      (one ? `; 20 generators / 1 generator = ${(base / one).toFixed(2)}` : '') +
      '\n',
  );
  if (opts.json) await writeJsonAtomic(opts.json, summary);
  process.exit(0);
}
let soak: { samples: SoakSample[]; tensors_first: number; tensors_last: number; rss_mib_at_10pct: number; rss_mib_last: number } | null = null;
if (soakIterations > 0) {
  const samples = soakLines(soakIterations, Math.max(1, Math.floor(soakIterations / 10)));
  const first = samples[0] as SoakSample;
  const last = samples[samples.length - 1] as SoakSample;
  const early = samples[Math.min(1, samples.length - 1)] as SoakSample;
  soak = { samples, tensors_first: first.tensors, tensors_last: last.tensors, rss_mib_at_10pct: early.rss_mib, rss_mib_last: last.rss_mib };
  process.stdout.write(
    `soak: ${soakIterations} iterations of the default: tensors ${first.tensors} → ${last.tensors} (bytes ${first.bytes} → ${last.bytes}), ` +
      `RSS ${early.rss_mib.toFixed(0)} MiB after ${early.iteration} → ${last.rss_mib.toFixed(0)} MiB after ${last.iteration}\n`,
  );
}
const one = find((r) => r.variant === 'generators=1');
const twenty = find((r) => r.variant === 'generators=20');
const wasmDefault = find((r) => r.variant === 'kernels=wasm');
const wasmOne = find((r) => r.variant === 'generators=1, kernels=wasm');
const wasmTwenty = find((r) => r.variant === 'generators=20, kernels=wasm');
const masked = find((r) => r.variant === 'routing=masked (reference)');
const autodiff = find((r) => r.variant.startsWith('gradients=autodiff'));
const summary = {
  workload: 'lines',
  backend: backends[0],
  kernels: rows.find((r) => r.variant === 'default')?.kernels,
  ms_per_iteration: base,
  ratio_to_peer_routed_1_thread: base / PEER.lines_routed_1_thread,
  ratio_to_peer_routed_2_threads: base / PEER.lines_routed_2_threads,
  ...(one && twenty ? { cost_20_generators_over_1: twenty / one } : {}),
  ...(wasmDefault ? { ms_per_iteration_wasm_kernels: wasmDefault, ratio_wasm_kernels_to_peer_routed_1_thread: wasmDefault / PEER.lines_routed_1_thread } : {}),
  ...(wasmOne && wasmTwenty ? { cost_20_generators_over_1_wasm_kernels: wasmTwenty / wasmOne } : {}),
  ...(masked ? { masked_over_routed: masked / base } : {}),
  ...(autodiff ? { autodiff_over_closed_form: autodiff / base } : {}),
  ...(soak ? { soak } : {}),
  peer: PEER,
  schedule,
  node: process.version,
  rows,
};
process.stdout.write(
  `\nlines default (${backends[0]}, heavy kernels on ${summary.kernels}): ${base.toFixed(3)} ms/it; ratio to PyTorch peer routed ${(base / PEER.lines_routed_1_thread).toFixed(2)} (1 thread), ` +
    `${(base / PEER.lines_routed_2_threads).toFixed(2)} (2 threads)` +
    (one && twenty ? `; 20 generators / 1 generator = ${(twenty / one).toFixed(2)}` : '') +
    (wasmDefault ? `; wasm kernels only: ${wasmDefault.toFixed(3)} ms/it` : '') +
    (wasmOne && wasmTwenty ? `, 20 / 1 = ${(wasmTwenty / wasmOne).toFixed(2)}` : '') +
    (masked ? `; masked / routed = ${(masked / base).toFixed(2)}` : '') +
    (autodiff ? `; autodiff / closed form = ${(autodiff / base).toFixed(2)}` : '') +
    '\n',
);
if (opts.json) await writeJsonAtomic(opts.json, summary);
if (opts.report && one !== undefined) {
  await mkdir(opts.report, { recursive: true });
  const byGenerators = [1, 5, 10, 20].flatMap((n) => {
    const ms = n === 10 ? base : find((r) => r.variant === `generators=${n}`);
    return ms === undefined ? [] : [{ x: n, y: ms }];
  });
  const byBatch = [16, 32, 64, 128].flatMap((b) => {
    const ms = b === 32 ? base : find((r) => r.variant === `batch=${b}`);
    return ms === undefined ? [] : [{ x: b, y: ms }];
  });
  const flat = (y: number, xs: number[]) => xs.map((x) => ({ x, y }));
  await writeFileAtomic(
    join(opts.report, 'scaling-generators.svg'),
    linePlotSvg('lines: cost vs number of generators (batch 32)', 'generators n', 'ms / iteration', [
      { label: 'dmgan routed (fused)', points: byGenerators },
      { label: 'reference masked ~ n × 1 G', points: [1, 5, 10, 20].map((n) => ({ x: n, y: n * (one as number) })) },
      { label: 'PyTorch peer, 10 G routed', points: flat(PEER.lines_routed_1_thread, [10]) },
    ]),
  );
  await writeFileAtomic(
    join(opts.report, 'scaling-batch.svg'),
    linePlotSvg('lines: cost vs batch size (10 generators)', 'batch size', 'ms / iteration', [{ label: 'dmgan routed (fused)', points: byBatch }]),
  );
}
