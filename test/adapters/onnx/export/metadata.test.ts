import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildOnnxExport, EXPORT_METADATA } from '../../../../adapters/onnx/export/index.js';
import { decodeModel } from '../../../../adapters/onnx/proto.js';
import { DMGAN_VERSION } from '../../../../src/core/version.js';
import { activateBackend } from '../../../../src/engine/index.js';
import { buildLinesModel } from '../../../../src/experiments/lines/models.js';

describe('exportOnnx metadata', () => {
  beforeAll(async () => {
    await activateBackend('cpu');
  });

  it('says which dmgan wrote the file (the version package.json has) and carries the caller\'s own keys after dmgan\'s', () => {
    expect(DMGAN_VERSION).toBe((JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version);
    const core = buildLinesModel('dmwgan-pl', { generators: 3 });
    const { bytes } = buildOnnxExport(core, { mode: 'prior', metadata: { 'dmgan.trained_by': 'dmgan train lines', 'my.run': 'r42' } });
    const props = Object.fromEntries(decodeModel(bytes).metadataProps.map((p) => [p.key, p.value]));
    expect(props[EXPORT_METADATA.version]).toBe(DMGAN_VERSION);
    expect(props[EXPORT_METADATA.generators]).toBe('3');
    expect(props['my.run']).toBe('r42');
    expect(props['dmgan.trained_by']).toBe('dmgan train lines');
    expect(() => buildOnnxExport(core, { metadata: { [EXPORT_METADATA.prior]: '[1]' } })).toThrow(/metadata key 'dmgan\.prior' is dmgan's own/);
    core.dispose();
  });
});
