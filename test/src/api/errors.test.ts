import { beforeAll, describe, expect, it } from 'vitest';
import { activateBackend } from '../../../src/engine/index.js';
import { DmganConfigError, LearnedPrior, withDMGAN } from '../../../src/index.js';
import { resolveOptions } from '../../../src/entry/engine.js';
import { linesGan } from './helpers.js';

describe('clear errors', () => {
  beforeAll(async () => {
    await activateBackend('cpu');
  });

  it('generators < 1 names the option', () => {
    expect(() => resolveOptions({ generators: 0 })).toThrow(new DmganConfigError('invalid DMGAN options — generators: generators must be ≥ 1'));
    expect(() => withDMGAN(linesGan(0, 1, 4).gan, { generators: 0 })).toThrow(/generators: generators must be ≥ 1/);
  });

  it('unknown and ill-typed options are rejected with their path', () => {
    expect(() => resolveOptions({ qWeight: -1 })).toThrow('invalid DMGAN options — qWeight: Too small: expected number to be >=0');
    expect(() => resolveOptions({ prior: { entropyDecay: 2 } })).toThrow('invalid DMGAN options — prior.entropyDecay: Too big: expected number to be <=1');
    expect(() => resolveOptions({ generatorz: 3 } as never)).toThrow('invalid DMGAN options — (options): Unrecognized key: "generatorz"');
  });

  it('a prior update whose posterior width differs from n says both', () => {
    const prior = new LearnedPrior(3);
    expect(() => prior.update([[0.5, 0.5]])).toThrow(/posterior row 0 has 2 entries, the prior has n = 3/);
    expect(() => prior.update({ columnSums: [1, 2, 3, 4], batchSize: 4 })).toThrow(/4 columns, the prior has n = 3/);
  });

  it('a backend that is not active is named, with the call that activates it', () => {
    expect(() => withDMGAN(linesGan(0, 1, 4).gan, { generators: 1, backend: 'tensorflow' })).toThrow(/initEngine\('tensorflow'\)/);
  });
});
