import type * as tf from '@tensorflow/tfjs-core';
import { describe, expectTypeOf, it } from 'vitest';
import { DMGAN, LearnedPrior, TOKENS, dmganModule, withDMGAN } from '../../../src/index.js';
import type { GanDefinition, StepLosses, TrainStepResult, TrainerPlugin } from '../../../src/index.js';

// Never called: these lines only have to compile (or, with @ts-expect-error, fail to).
function misuse(gan: GanDefinition, real: tf.Tensor): void {
  // @ts-expect-error latentDim is required
  withDMGAN({ generator: gan.generator, discriminator: gan.discriminator });
  // @ts-expect-error generators is a number
  withDMGAN(gan, { generators: '3' });
  // @ts-expect-error prior is 'learned', 'uniform' or options
  withDMGAN(gan, { prior: 'gaussian' });
  // @ts-expect-error unknown loss name
  withDMGAN(gan, { loss: 'wasserstein' });
  const dmgan = withDMGAN(gan);
  // @ts-expect-error trainStep takes a tensor, not an array
  dmgan.trainStep([[0, 1]]);
  // @ts-expect-error sample's generator is a number
  dmgan.sample(4, { generator: 'g1' });
  // @ts-expect-error the prior is read-only
  dmgan.prior = new LearnedPrior(3);
  // @ts-expect-error a TrainerPlugin needs a name
  const plugin: TrainerPlugin = { onGeneratorStepEnd: () => undefined };
  void plugin;
  // @ts-expect-error LearnedPrior takes n first
  new LearnedPrior({ mode: 'learned' });
  void real;
}

describe('public API types', () => {
  it('trainStep returns numbers, or null losses when not read', () => {
    expectTypeOf<DMGAN['trainStep']>().toBeFunction();
    expectTypeOf<ReturnType<typeof withDMGAN>>().toEqualTypeOf<DMGAN>();
    type Read = TrainStepResult<StepLosses>['losses'];
    expectTypeOf<Read>().toEqualTypeOf<StepLosses>();
    expectTypeOf<StepLosses['generator']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<TrainStepResult<null>['losses']>().toEqualTypeOf<null>();
    expectTypeOf(DMGAN.load).returns.resolves.toEqualTypeOf<DMGAN>();
    expectTypeOf(TOKENS.TrainerPlugin).toBeSymbol();
    expectTypeOf(dmganModule).parameter(0).toMatchTypeOf<{ generators?: number } | undefined>();
    expectTypeOf<LearnedPrior['sample']>().returns.toEqualTypeOf<Int32Array>();
    void misuse;
  });
});
