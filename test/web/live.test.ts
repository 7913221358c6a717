import { beforeAll, describe, expect, it } from 'vitest';
import type { StepLosses } from '../../src/core/trainer/steps.js';
import { activateBackend } from '../../src/engine/index.js';
import { runLinesExperiment } from '../../src/experiments/lines/run.js';
import { LiveRun } from '../../web/src/live.js';

describe("the page's live run (web/src/live.ts)", () => {
  beforeAll(async () => {
    await activateBackend('wasm');
  });

  it.each([
    ['balanced', 'dmwgan-pl', 10],
    ['circles', 'wgan-gp', 1],
  ] as const)('trains %s / %s through the same first iterations as `dmgan train lines` (runLinesExperiment), seed 3', async (dataset, model, generators) => {
    const iterations = 14;
    const cli: StepLosses[] = [];
    await runLinesExperiment({ dataset, model, generators, seed: 3, iterations, evalEvery: 1000, evalSamples: 200, logEvery: 1 }, { onLosses: (_, l) => cli.push(l) });
    const live = new LiveRun({ dataset, model, generators, seed: 3, evalSamples: 200 });
    try {
      const page: StepLosses[] = [];
      for (let i = 0; i < iterations; i++) {
        const r = live.step();
        if (r.losses) page.push(r.losses);
      }
      expect(page).toHaveLength(iterations);
      expect(page).toEqual(cli);
      const point = await live.evaluate();
      expect(point.iteration).toBe(iterations);
      expect(point.prior).toHaveLength(generators);
      expect(live.samples?.ids).toHaveLength(200);
      expect(point.off_manifold_rate).toBeGreaterThanOrEqual(0);
    } finally {
      live.dispose();
    }
  });
});
