import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { initEngine } from '../src/engine/index.js';
import { writeFileAtomic, writeJsonAtomic } from '../plugins/io/atomicFile.js';
import { LINES_DEFAULT, linesVariants, measureLines, type LinesVariant } from './lines.js';
import type { Measurement, Schedule } from './measure.js';
import { linePlotSvg } from './plot.js';
import { formatOnnx, measureOnnx } from './onnx.js';

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
  variant: string;
  config: LinesVariant;
  result: Measurement;
}

const program = new Command('bench')
  .description('dmgan training benchmarks (DESIGN.md workloads), median of repeats after warm-up')
  .option('--workload <name>', 'lines | onnx', 'lines')
  .option('--backend <names>', 'comma-separated: wasm,cpu', 'wasm')
  .option('--iterations <n>', 'timed iterations per repeat', '600')
  .option('--repeats <n>', 'timed repeats (median reported)', '3')
  .option('--warmup <n>', 'warm-up iterations', '120')
  .option('--variants <which>', "'all' or 'default'", 'all')
  .option('--json <file>', 'write the results as JSON')
  .option('--report <dir>', 'write the scaling plots (SVG) here')
  .parse();

const opts = program.opts<{ workload: string; backend: string; iterations: string; repeats: string; warmup: string; variants: string; json?: string; report?: string }>();
if (opts.workload !== 'lines' && opts.workload !== 'onnx') {
  process.stderr.write(`bench: --workload must be lines or onnx (got '${opts.workload}')\n`);
  process.exit(2);
}
if (opts.workload === 'onnx') {
  // ONNX import and forward cost: one measurement on the first backend, then exit.
  const backend = opts.backend.split(',')[0]?.trim() ?? 'wasm';
  await initEngine(backend as 'wasm');
  const result = await measureOnnx({ repeats: Math.max(Number(opts.repeats), 1) });
  process.stdout.write(formatOnnx(result, backend));
  if (opts.json) await writeJsonAtomic(opts.json, { workload: 'onnx', backend, node: process.version, ...result });
  process.exit(0);
}
const schedule: Schedule = { warmup: Number(opts.warmup), iterations: Number(opts.iterations), repeats: Number(opts.repeats) };
for (const [k, v] of Object.entries(schedule)) {
  if (!Number.isInteger(v) || v < (k === 'warmup' ? 0 : 1)) {
    process.stderr.write(`bench: --${k} must be a positive integer (got '${String(v)}')\n`);
    process.exit(2);
  }
}
const backends = opts.backend.split(',').map((b) => b.trim());
const rows: Row[] = [];
for (const backend of backends) {
  if (backend !== 'wasm' && backend !== 'cpu' && backend !== 'tensorflow') {
    process.stderr.write(`bench: --backend must be wasm, cpu or tensorflow (got '${backend}')\n`);
    process.exit(2);
  }
  await initEngine(backend);
  const variants = opts.variants === 'all' && backend === backends[0] ? linesVariants() : [LINES_DEFAULT];
  for (const variant of variants) {
    const result = measureLines(variant, schedule);
    rows.push({ workload: 'lines', backend, variant: variant.name, config: variant, result });
    process.stdout.write(
      `${'lines'.padEnd(6)} ${backend.padEnd(5)} ${variant.name.padEnd(42)} ${result.ms_per_iteration.toFixed(3).padStart(8)} ms/it ` +
        `${result.iterations_per_s.toFixed(0).padStart(6)} it/s  rss ${result.peak_rss_mib.toFixed(0)} MiB  tensors ${result.tensors_before}→${result.tensors_after}\n`,
    );
  }
}

const find = (pred: (r: Row) => boolean) => rows.find(pred)?.result.ms_per_iteration;
const base = find((r) => r.backend === backends[0] && r.variant === 'default') as number;
const one = find((r) => r.variant === 'generators=1');
const twenty = find((r) => r.variant === 'generators=20');
const masked = find((r) => r.variant === 'routing=masked (reference)');
const summary = {
  workload: 'lines',
  backend: backends[0],
  ms_per_iteration: base,
  ratio_to_peer_routed_1_thread: base / PEER.lines_routed_1_thread,
  ratio_to_peer_routed_2_threads: base / PEER.lines_routed_2_threads,
  ...(one && twenty ? { cost_20_generators_over_1: twenty / one } : {}),
  ...(masked ? { masked_over_routed: masked / base } : {}),
  peer: PEER,
  schedule,
  node: process.version,
  rows,
};
process.stdout.write(
  `\nlines default (${backends[0]}): ${base.toFixed(3)} ms/it; ratio to PyTorch peer routed ${(base / PEER.lines_routed_1_thread).toFixed(2)} (1 thread), ` +
    `${(base / PEER.lines_routed_2_threads).toFixed(2)} (2 threads)` +
    (one && twenty ? `; 20 generators / 1 generator = ${(twenty / one).toFixed(2)}` : '') +
    (masked ? `; masked / routed = ${(masked / base).toFixed(2)}` : '') +
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
