import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKPOINT_FORMAT, loadCheckpoint, restoreCheckpoint, saveCheckpoint } from '../../../plugins/checkpoint/index.js';
import type { CheckpointManifest } from '../../../plugins/checkpoint/index.js';
import { withDMGAN } from '../../../src/index.js';
import { activateBackend } from '../../../src/engine/index.js';
import { lineBatches, linesGan, runBatches } from '../../src/api/helpers.js';

let root: string;
const fresh = (name: string): string => join(root, name);

describe('checkpoints', () => {
  beforeAll(async () => {
    await activateBackend('cpu');
    root = mkdtempSync(join(tmpdir(), 'dmgan-ckpt-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('write a manifest (format, counters, prior, optimiser steps, sha256 per file) and hash-named binaries', async () => {
    const { gan } = linesGan(0, 2, 4);
    const dmgan = withDMGAN(gan, { generators: 2, discriminatorSteps: 1 });
    runBatches(lineBatches(0, 4), (real) => dmgan.trainStep(real));
    const dir = fresh('a');
    const manifest = await saveCheckpoint(dir, dmgan.core, { note: 'x' });
    const onDisk = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as CheckpointManifest;
    expect(onDisk.format).toBe(CHECKPOINT_FORMAT);
    expect(onDisk.extra).toEqual({ note: 'x' });
    expect(onDisk.counters.iteration).toBe(4);
    expect(onDisk.counters.generatorSteps).toBe(2);
    expect(onDisk.prior.updates).toBe(2);
    expect(onDisk.optimizers.generator.step).toBe(2);
    expect(onDisk.optimizers.discriminator.step).toBe(2);
    for (const f of Object.values(manifest.files)) {
      const bytes = readFileSync(join(dir, f.name));
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(f.sha256);
      expect(f.name).toContain(f.sha256.slice(0, 16));
    }
    // Saving again after training replaces the files; nothing stale is left behind.
    runBatches(lineBatches(1, 2), (real) => dmgan.trainStep(real));
    const second = await saveCheckpoint(dir, dmgan.core);
    expect(readdirSync(dir).sort()).toEqual(['manifest.json', second.files.optimizers.name, second.files.weights.name].sort());
    dmgan.dispose();
  });

  it('restores the prior into a core that trained on, and detects a corrupt binary or a different architecture', async () => {
    const { gan } = linesGan(0, 2, 4);
    const dmgan = withDMGAN(gan, { generators: 2, discriminatorSteps: 1 });
    runBatches(lineBatches(0, 2), (real) => dmgan.trainStep(real));
    const dir = fresh('b');
    const manifest = await saveCheckpoint(dir, dmgan.core);
    const loaded = await loadCheckpoint(dir);
    // Train on: the prior moves past the checkpoint's; restoring brings it back exactly.
    runBatches(lineBatches(2, 2), (real) => dmgan.trainStep(real));
    expect(dmgan.core.prior.updates).not.toBe(manifest.prior.updates);
    restoreCheckpoint(dmgan.core, loaded);
    expect(dmgan.core.prior.toJSON()).toEqual(manifest.prior);
    const other = withDMGAN(linesGan(0, 3, 4).gan, { generators: 3 });
    expect(() => restoreCheckpoint(other.core, loaded)).toThrow(/^checkpoint variable 0 \(ensemble\/layer_0\/kernel_\d+\) has shape \[2, 4, 32\], the model's \(ensemble\/layer_0\/kernel_\d+\) has \[3, 4, 32\]$/);
    const weights = join(dir, manifest.files.weights.name);
    const bytes = readFileSync(weights);
    bytes[0] = (bytes[0] as number) ^ 0xff;
    writeFileSync(weights, bytes);
    await expect(loadCheckpoint(dir)).rejects.toThrow(/sha256/);
    await expect(loadCheckpoint(fresh('missing'))).rejects.toThrow(/no readable checkpoint/);
    dmgan.dispose();
    other.dispose();
  });
});
