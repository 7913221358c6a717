import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activateBackend } from '../../src/engine/index.js';
import { imageLayout, readFacts } from '../../web/src/facts.js';
import { writeEnsembles } from './ensembles.js';

describe("the page's reading of exported ensembles (web/src/facts.ts)", () => {
  let dir = '';
  let files: { lines: Uint8Array; images: Uint8Array };
  beforeAll(async () => {
    await activateBackend('cpu');
    dir = await mkdtemp(join(tmpdir(), 'dmgan-web-onnx-'));
    files = await writeEnsembles(dir);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads an ids-mode point ensemble and a prior-mode image ensemble', () => {
    const lines = readFacts(files.lines);
    expect(lines).toMatchObject({ mode: 'ids', latentDim: 100, latent: 'uniform', generators: 4, sampleShape: [2] });
    expect(lines.prior).toHaveLength(4);
    expect(lines.metadata['dmgan.trained_by']).toBe('test/web (12 iterations)');
    expect(imageLayout(lines.sampleShape)).toBeNull();
    const images = readFacts(files.images);
    expect(images).toMatchObject({ mode: 'prior', generators: 3 });
    expect(images.prior).toHaveLength(3);
    expect(imageLayout(images.sampleShape)).toMatchObject({ height: 28, width: 28, channels: 1 });
  });

  it('refuses a file that is not a dmgan export', () => {
    expect(() => readFacts(new Uint8Array([1, 2, 3, 4]))).toThrow();
  });

});
