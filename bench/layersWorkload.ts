import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import { onnxRuntimeKernels } from '../adapters/onnxruntime/index.js';
import { writeFileAtomic, writeJsonAtomic } from '../adapters/files/atomicFile.js';
import { LAYERS_DEFAULT, layersVariants, measureLayers, soakLayers, type LayersVariant } from './layers.js';
import { measureLayersPeer, type PeerMeasurement } from './layersPeer.js';
import type { Measurement, Schedule, SoakSample } from './measure.js';

/** Options of {@link runLayersWorkload}. */
export interface LayersWorkloadOptions {
  schedule: Schedule;
  /** Threads of both sides: onnxruntime's (set by initEngine) and the twin's torch threads. */
  threads: number;
  variants: 'all' | 'default';
  soak: number;
  json?: string;
  /** A folder for `layers.md`, the table of every variant's ratio. */
  report?: string;
}

interface LayersRow {
  variant: LayersVariant;
  dmgan: Measurement;
  peer: PeerMeasurement | { error: string };
  /** dmgan ms/iteration ÷ the twin's, null when the twin could not run. */
  ratio: number | null;
}

const fmt = (ms: number) => ms.toFixed(1).padStart(7);

/**
 * The user path: every variant of the wrapped tfjs-layers DCGAN timed next to its PyTorch twin
 * in the same run, the order alternating between variants so that neither side always runs on
 * a machine the other has just warmed (or heated).
 */
export async function runLayersWorkload(options: LayersWorkloadOptions): Promise<void> {
  const { schedule, threads } = options;
  const kernels = onnxRuntimeKernels();
  const where = kernels.active ? `onnxruntime (${kernels.threads} threads)` : tf.getBackend();
  process.stdout.write(`layers: withDMGAN(tfjs-layers DCGAN) on ${tf.getBackend()}, heavy kernels on ${where}; PyTorch twin on ${threads} threads\n`);
  process.stdout.write(`${'variant'.padEnd(34)} ${'dmgan'.padStart(7)} ${'torch'.padStart(7)}  ratio  (ms/iteration)\n`);
  const rows: LayersRow[] = [];
  const variants = options.variants === 'all' ? layersVariants() : [LAYERS_DEFAULT];
  variants.forEach((variant, i) => {
    let dmgan: Measurement;
    let peer: PeerMeasurement | { error: string };
    if (i % 2 === 0) {
      dmgan = measureLayers(variant, schedule);
      peer = measureLayersPeer(variant, schedule, threads);
    } else {
      peer = measureLayersPeer(variant, schedule, threads);
      dmgan = measureLayers(variant, schedule);
    }
    const ratio = 'error' in peer ? null : dmgan.ms_per_iteration / peer.ms_per_iteration;
    rows.push({ variant, dmgan, peer, ratio });
    process.stdout.write(
      `${variant.name.padEnd(34)} ${fmt(dmgan.ms_per_iteration)} ${'error' in peer ? '      –' : fmt(peer.ms_per_iteration)}  ${ratio === null ? '  –  ' : ratio.toFixed(2).padStart(5)}` +
        `  tensors ${dmgan.tensors_before}→${dmgan.tensors_after}${'error' in peer ? `  (twin: ${peer.error})` : ''}\n`,
    );
  });
  let soak: SoakSample[] | null = null;
  if (options.soak > 0) {
    soak = soakLayers(options.soak, Math.max(1, Math.floor(options.soak / 10)));
    const [first, early, last] = [soak[0], soak[Math.min(1, soak.length - 1)], soak[soak.length - 1]] as SoakSample[];
    process.stdout.write(
      `soak: ${options.soak} iterations of the default: tensors ${first?.tensors} → ${last?.tensors} (bytes ${first?.bytes} → ${last?.bytes}), ` +
        `RSS ${early?.rss_mib.toFixed(0)} MiB after ${early?.iteration} → ${last?.rss_mib.toFixed(0)} MiB after ${last?.iteration}\n`,
    );
  }
  const summary = { workload: 'layers', backend: tf.getBackend(), kernels: where, threads, schedule, node: process.version, rows, ...(soak ? { soak } : {}) };
  if (options.json) await writeJsonAtomic(options.json, summary);
  if (options.report) {
    await mkdir(options.report, { recursive: true });
    await writeFileAtomic(join(options.report, 'layers.md'), markdownTable(rows, where, threads));
  }
}

function markdownTable(rows: readonly LayersRow[], where: string, threads: number): string {
  const torch = rows.map((r) => ('error' in r.peer ? null : r.peer.torch)).find((v) => v !== null) ?? 'not run';
  const lines = [
    `| generators | batch | loss | dmgan ms/it | PyTorch ms/it | ratio |`,
    `|---:|---:|---|---:|---:|---:|`,
    ...rows.map(
      (r) =>
        `| ${r.variant.generators} | ${r.variant.batch} | ${r.variant.loss} | ${r.dmgan.ms_per_iteration.toFixed(1)} | ` +
        `${'error' in r.peer ? '–' : r.peer.ms_per_iteration.toFixed(1)} | ${r.ratio === null ? '–' : r.ratio.toFixed(2)} |`,
    ),
  ];
  return `<!-- written by npm run bench -- --workload layers --report DIR -->\nheavy kernels on ${where}; PyTorch ${torch}, ${threads} threads\n\n${lines.join('\n')}\n`;
}
