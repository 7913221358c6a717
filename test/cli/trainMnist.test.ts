import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { trainImagesCommand } from '../../cli/trainImages.js';
import { trainMnistCommand } from '../../cli/trainMnist.js';
import { UsageError } from '../../cli/options.js';
import { activateBackend } from '../../src/engine/backend.js';

const TINY = { iterations: '6', generators: '3', seed: '1', evalEvery: '3', evalSamples: '40', batchSize: '8', backend: 'wasm' };

describe('dmgan train mnist / images (tiny budgets)', () => {
  let dir: string;
  beforeAll(async () => {
    await activateBackend('wasm');
    dir = await mkdtemp(join(tmpdir(), 'dmgan-mnist-cli-'));
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs the whole MNIST pipeline: training, metrics with the committed classifier, report', async () => {
    const out = join(dir, 'mnist');
    const code = await trainMnistCommand({ ...TINY, model: 'dmwgan-pl', trainLimit: '200', testSamples: '40', classifierWait: '0', out }, 'dmgan train mnist (test)');
    expect(code).toBe(0);
    const metrics = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8')) as Record<string, unknown>;
    expect(metrics['iterations']).toBe(6);
    for (const k of ['inter_mode_jsd', 'intra_mode_msd', 'sample_quality', 'fid', 'ms_per_iteration']) expect(typeof metrics[k]).toBe('number');
    expect(metrics['classifier_test_accuracy'] as number).toBeGreaterThanOrEqual(0.99);
    // --kernels auto with onnxruntime-node installed (a dev dependency): recorded with the results.
    expect(metrics['engine']).toMatch(/^wasm, heavy kernels on onnxruntime/);
    expect((metrics['per_generator'] as unknown[]).length).toBe(3);
    // Q's mean posterior on real images, overall and per generator: where the learned prior is pulled.
    const empirical = metrics['empirical_prior'] as number[];
    expect(empirical).toHaveLength(3);
    expect(empirical.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect((metrics['per_generator'] as Array<{ empirical_prior: number }>).map((g) => g.empirical_prior)).toEqual(empirical);
    const files = await readdir(out);
    expect(files).toEqual(expect.arrayContaining(['index.html', 'metrics.json', 'metrics.jsonl', 'samples.png', 'generator-0.png', 'generator-2.png']));
    const lines = (await readFile(join(out, 'metrics.jsonl'), 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(2);
    expect((JSON.parse(lines[1] as string) as { empirical_prior: number[] }).empirical_prior).toEqual(empirical);
    const html = await readFile(join(out, 'index.html'), 'utf8');
    expect(html).toContain('inter_mode_jsd');
    expect(html).toContain('prior · Q on real · quality');
    expect(html).toContain('generator × class');
  });

  it('trains on an image folder, skipping and reporting unreadable files; rejects an empty folder', async () => {
    const data = join(dir, 'images');
    const empty = join(dir, 'empty');
    await import('node:fs/promises').then(async (fs) => {
      await fs.mkdir(data);
      await fs.mkdir(empty);
    });
    for (let i = 0; i < 4; i++) {
      const png = new PNG({ width: 10, height: 10 });
      png.data.fill(40 * i);
      await writeFile(join(data, `img${i}.png`), PNG.sync.write(png));
    }
    await writeFile(join(data, 'broken.png'), 'not a png');
    const before = tf.memory().numTensors;
    const out = join(dir, 'images-out');
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const code = await trainImagesCommand({ ...TINY, model: 'dmwgan', iterations: '2', evalEvery: '2', data, size: '8', channels: '1', onError: 'skip', out }, 'test');
    expect(code).toBe(0);
    expect(stderr.mock.calls.map((c) => String(c[0])).join('')).toContain('broken.png');
    stderr.mockRestore();
    expect(tf.memory().numTensors).toBe(before);
    const metrics = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8')) as { images: number; skipped: unknown[] };
    expect(metrics.images).toBe(4);
    expect(metrics.skipped).toHaveLength(1);
    const none = trainImagesCommand({ ...TINY, data: empty, size: '8', channels: '1', onError: 'skip', model: 'dmwgan' }, 'test');
    await expect(none).rejects.toThrow(UsageError);
    await expect(none).rejects.toThrow(`--data ${empty}: loadImageFolder: no PNG/JPEG images in ${empty} (0 entries, extensions .png .jpg .jpeg)`);
    await expect(trainImagesCommand({ ...TINY, data, size: '8', channels: '1', onError: 'stop', model: 'dmwgan' }, 'test')).rejects.toThrow(/broken\.png/);
    await expect(trainMnistCommand({ ...TINY, model: 'nope', testSamples: '40', classifierWait: '0' }, 'test')).rejects.toThrow(/--model must be one of/);
  });
});
