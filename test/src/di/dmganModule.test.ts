import { Container } from 'inversify';
import { beforeAll, describe, expect, it } from 'vitest';
import { DMGAN, DmganPlugin, LearnedPrior, TOKENS, dmganModule, hingeLoss } from '../../../src/index.js';
import type { AdversarialLoss, TrainerPlugin } from '../../../src/index.js';
import type { DmganCore } from '../../../src/entry/engine.js';
import { activateBackend } from '../../../src/engine/index.js';
import { linesGan } from '../api/helpers.js';

describe('dmganModule', () => {
  beforeAll(async () => {
    await activateBackend('cpu');
  });

  it('binds the DMGAN plugin under TOKENS.TrainerPlugin (multi-injection) beside other plugins', () => {
    const container = new Container();
    container.load(dmganModule({ generators: 3 }));
    const other: TrainerPlugin = { name: 'progress' };
    container.bind<TrainerPlugin>(TOKENS.TrainerPlugin).toConstantValue(other);
    const plugins = container.getAll<TrainerPlugin>(TOKENS.TrainerPlugin);
    expect(plugins.map((p) => p.name).sort()).toEqual(['dmgan', 'progress']);
    const dmgan = plugins.find((p) => p.name === 'dmgan') as DmganPlugin;
    expect(dmgan).toBeInstanceOf(DmganPlugin);
    expect(dmgan.prior).toBe(container.get(TOKENS.Prior));
  });

  it('binds each part under its own token; without a GAN there is no core', () => {
    const container = new Container();
    container.load(dmganModule({ generators: 2, loss: 'hinge', backend: 'cpu' }));
    expect(container.get<LearnedPrior>(TOKENS.Prior).n).toBe(2);
    expect(container.get<AdversarialLoss>(TOKENS.Loss).name).toBe('hinge');
    expect(container.get(TOKENS.Backend)).toBe('cpu');
    expect(typeof container.get(TOKENS.QHead)).toBe('function');
    expect(container.isBound(TOKENS.Core)).toBe(false);
  });

  it('rebind replaces one piece of withDMGAN\'s engine and keeps the rest', () => {
    const { gan } = linesGan(0, 2, 4);
    const container = new Container();
    container.load(dmganModule({ gan, generators: 2 }));
    const prior = new LearnedPrior(2, { mode: 'uniform' });
    container.rebind<LearnedPrior>(TOKENS.Prior).toConstantValue(prior);
    const loss = hingeLoss();
    container.rebind<AdversarialLoss>(TOKENS.Loss).toConstantValue(loss);
    const dmgan = DMGAN.fromContainer(container);
    expect(dmgan.prior).toBe(prior);
    expect(dmgan.core.loss).toBe(loss);
    expect(container.get<DmganCore>(TOKENS.Core)).toBe(dmgan.core);
    dmgan.dispose();
  });

  it('DMGAN.fromContainer explains a container without a GAN', () => {
    const container = new Container();
    container.load(dmganModule());
    expect(() => DMGAN.fromContainer(container)).toThrow(/dmganModule\(\{ gan/);
  });
});
