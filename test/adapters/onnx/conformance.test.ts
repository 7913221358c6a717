import { existsSync, readdirSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { importOnnx } from '../../../adapters/onnx/index.js';
import { FIXTURES, maxAbsDiff, readPb, toTf, useCpu } from './helpers.js';

/** Cases documented as unsupported in adapters/onnx/README.md (none at present). */
const UNSUPPORTED = new Set<string>([]);

const root = `${FIXTURES}onnx-conformance/`;
const cases = readdirSync(root).filter((d) => d.startsWith('test_')).sort();

describe('ONNX backend node tests (conformance subset)', () => {
  beforeAll(useCpu);

  it('has the 158 cases', () => {
    expect(cases.length).toBe(158);
  });

  it.each(cases.filter((c) => !UNSUPPORTED.has(c)))('%s', async (name) => {
    const dir = `${root}${name}/`;
    const model = await importOnnx(`${dir}model.onnx`);
    const data = `${dir}test_data_set_0/`;
    const feeds: Record<string, tf.Tensor> = {};
    model.inputNames.forEach((input, i) => {
      feeds[input] = toTf(readPb(`${data}input_${i}.pb`));
    });
    const before = tf.memory().numTensors;
    const out = model.run(feeds);
    for (let i = 0; existsSync(`${data}output_${i}.pb`); i++) {
      const expected = readPb(`${data}output_${i}.pb`);
      const name = model.outputNames[i] as string;
      const actual = out[name] as tf.Tensor;
      expect(actual.shape, name).toEqual([...expected.dims]);
      expect(maxAbsDiff(expected.data, actual.dataSync()), name).toBeLessThanOrEqual(1e-4);
    }
    tf.dispose(Object.values(out));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(Object.values(feeds));
    model.dispose();
  });
});
