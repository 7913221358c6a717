import { mkdtempSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../../src/core/random.js';
import { decodeModel, encodeModel, importOnnx, OnnxImportError } from '../../../adapters/onnx/index.js';
import type { ModelProto } from '../../../adapters/onnx/index.js';
import { FIXTURES, useCpu } from './helpers.js';

const mlpBytes = (): Uint8Array => readFileSync(`${FIXTURES}onnx/mlp_generator/model.onnx`);
const mlp = (): ModelProto => decodeModel(mlpBytes());

async function importError(input: string | Uint8Array): Promise<OnnxImportError> {
  try {
    const m = await importOnnx(input);
    m.dispose();
  } catch (e) {
    expect(e).toBeInstanceOf(OnnxImportError);
    return e as OnnxImportError;
  }
  throw new Error('import unexpectedly succeeded');
}

describe('ONNX import of untrusted files', () => {
  beforeAll(useCpu);

  it('refuses bytes that are not a ModelProto', async () => {
    expect((await importError(new Uint8Array())).message).toMatch(/empty/);
    expect((await importError(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).message).toMatch(/ModelProto/);
    const pb = readFileSync(`${FIXTURES}onnx-conformance/test_add/test_data_set_0/input_0.pb`);
    expect((await importError(pb)).message).toMatch(/^cannot parse ONNX ModelProto \(truncated or corrupted protobuf\): /);
  });

  it('refuses truncated files', async () => {
    const bytes = mlpBytes();
    for (const cut of [10, 100, 1000, bytes.length - 7]) {
      expect((await importError(bytes.subarray(0, cut))).message).toMatch(/^cannot parse ONNX ModelProto \(truncated or corrupted protobuf\): index out of range/);
    }
  });

  it('lists every unsupported op with its node name', async () => {
    const model = mlp();
    const nodes = model.graph?.node ?? [];
    if (nodes[0]) nodes[0].opType = 'FancyAttention';
    if (nodes[1]) {
      nodes[1].opType = 'MysteryOp';
      nodes[1].name = 'mystery';
    }
    if (nodes[2]) nodes[2].domain = 'com.example';
    const e = await importError(encodeModel(model));
    expect(e.message).toMatch(/FancyAttention \(node "\/net\/net.0\/Gemm"\)/);
    expect(e.message).toMatch(/MysteryOp \(node "mystery"\)/);
    expect(e.message).toMatch(/com\.example::Gemm/);
  });

  it('refuses absurd dimensions before allocating', async () => {
    const model = mlp();
    const init = model.graph?.initializer[0];
    if (!init) throw new Error('fixture has no initializer');
    init.dims = [1_000_000, 1_000_000];
    const e = await importError(encodeModel(model));
    expect(e.message).toMatch(/initializer "net.0.weight".*exceeds/);
    init.dims = [32, -100];
    expect((await importError(encodeModel(model))).message).toMatch(/invalid dimension -100/);
  });

  it('refuses run-time shapes over the cap, naming the node', async () => {
    const model = await importOnnx(`${FIXTURES}onnx-conformance/test_reshape_extended_dims/model.onnx`);
    const x = tf.zeros([2, 3, 4]);
    const shape = tf.tensor([100000, 100000, 1000, 1], [4], 'int32');
    expect(() => model.run({ [model.inputNames[0] as string]: x, [model.inputNames[1] as string]: shape })).toThrow(OnnxImportError);
    expect(() => model.run({ [model.inputNames[0] as string]: x, [model.inputNames[1] as string]: shape })).toThrow(
      'node "Reshape#0": Reshape output: shape [100000, 100000, 1000, 1] exceeds the 134217728-element limit',
    );
    tf.dispose([x, shape]);
    model.dispose();
  });

  it('reads external data inside the model folder and refuses paths that leave it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dmgan-onnx-'));
    mkdirSync(join(dir, 'model'));
    const model = mlp();
    const init = model.graph?.initializer[1];
    if (!init) throw new Error('fixture has no initializer');
    const raw = init.rawData;
    writeFileSync(join(dir, 'model', 'weights.bin'), Buffer.concat([Buffer.alloc(16), Buffer.from(raw)]));
    writeFileSync(join(dir, 'secret.bin'), Buffer.from(raw));
    init.rawData = new Uint8Array();
    init.dataLocation = 1;
    const write = (location: string, offset = 0): string => {
      init.externalData = [{ key: 'location', value: location }, { key: 'offset', value: String(offset) }, { key: 'length', value: String(raw.length) }];
      const file = join(dir, 'model', 'model.onnx');
      writeFileSync(file, encodeModel(model));
      return file;
    };
    const ok = await importOnnx(write('weights.bin', 16));
    expect(Array.from(ok.variables.get('net.0.bias')?.dataSync() ?? [])).toEqual(Array.from(new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length))));
    ok.dispose();
    expect((await importError(write('../secret.bin'))).message).toMatch(/leaves the model folder/);
    expect((await importError(write(join(dir, 'secret.bin')))).message).toMatch(/relative/);
    expect((await importError(encodeModel(model))).message).toMatch(/needs the model loaded from a path/);
  });

  it('fuzz: mutated fixtures load or fail with OnnxImportError, never anything else', async () => {
    const sources = [
      ...['mlp_generator', 'mlp_discriminator', 'mlp_generator_opset9', 'concat_generator', 'dcgan_discriminator_28'].map((m) => `${FIXTURES}onnx/${m}/model.onnx`),
      ...readdirSync(`${FIXTURES}onnx-conformance`).filter((d) => d.startsWith('test_')).map((d) => `${FIXTURES}onnx-conformance/${d}/model.onnx`),
    ].map((p) => readFileSync(p));
    const rng = new Random('onnx-fuzz');
    const before = tf.memory().numTensors;
    let loaded = 0;
    let refused = 0;
    for (let i = 0; i < 400; i++) {
      const src = sources[rng.int(sources.length)] as Uint8Array;
      let bytes = Uint8Array.from(src);
      const kind = i % 3;
      if (kind === 0) {
        for (let k = 1 + rng.int(8); k > 0; k--) {
          const at = rng.int(bytes.length);
          bytes[at] = (bytes[at] ?? 0) ^ (1 << rng.int(8));
        }
      } else if (kind === 1) {
        bytes = bytes.subarray(0, rng.int(bytes.length));
      } else {
        const at = rng.int(bytes.length);
        const extra = Uint8Array.from({ length: 1 + rng.int(16) }, () => rng.int(256));
        bytes = Uint8Array.from([...bytes.subarray(0, at), ...extra, ...bytes.subarray(at)]);
      }
      try {
        const m = await importOnnx(bytes);
        loaded++;
        m.dispose();
      } catch (e) {
        if (!(e instanceof OnnxImportError)) throw new Error(`mutation ${i} threw ${String(e)}`, { cause: e });
        refused++;
      }
    }
    console.log(`fuzz: ${loaded} loaded, ${refused} refused`);
    expect(loaded + refused).toBe(400);
    expect(refused).toBeGreaterThan(100);
    expect(tf.memory().numTensors).toBe(before);
  });
});
