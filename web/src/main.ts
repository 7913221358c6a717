/**
 * The page: trains the line experiment live on tfjs' wasm backend (the "Train" view) and samples
 * ONNX ensembles written by `dmgan export` with onnxruntime-web (the "ONNX" view).
 *
 * URL parameters: `dataset`, `model`, `generators`, `seed` (the run's settings), `play=1` (start
 * training), `onnx=URL` (open the ONNX view on that file).
 * Test hook: `window.dmganPage` ({@link PageHook}).
 */
import { LINE_MODELS, type LineModelName } from '../../src/experiments/lines/models.js';
import { isLineDatasetName, type LineDatasetName } from '../../src/metrics/lines/data.js';
import { startEngine } from './engine.js';
import { LiveRun, type LiveConfig } from './live.js';
import { configureOrt, imageAt, imageLayout, readFacts, sampleEnsemble, type EnsembleFacts } from './onnx.js';
import { bounds, drawBars, drawImageRows, drawLines, drawScatter, drawStacked, legend, PALETTE } from './plot.js';

/** What `window.dmganPage.run(n)` resolves to. */
export interface RunSummary {
  readonly iteration: number;
  readonly trained: number;
  /** Training steps per second (evaluations and drawing excluded). */
  readonly iterationsPerSecond: number;
  /** Iterations per second of wall time, evaluations and drawing included. */
  readonly wallIterationsPerSecond: number;
  readonly backend: string;
  readonly prior: number[];
  readonly offManifoldRate: number | null;
  readonly effectiveGenerators: number | null;
  readonly evaluations: number;
}

/** What `window.dmganPage.loadOnnx(url)` resolves to. */
export interface OnnxSummary {
  readonly mode: 'ids' | 'prior';
  readonly generators: number;
  readonly sampleShape: number[];
  readonly samples: number;
  /** 'points' or 'images': how the samples were drawn. */
  readonly shown: 'points' | 'images';
  /** Distinct generators among the samples. */
  readonly generatorsShown: number;
  readonly prior: number[];
}

/** The test hook. */
export interface PageHook {
  /** Resolves once the engine is up and the first run is built. */
  readonly ready: Promise<string>;
  /** Pauses, trains `iterations` more (evaluating and drawing as it goes) and resolves with a summary. */
  run(iterations: number): Promise<RunSummary>;
  /** Starts a new run with these settings (the others kept). */
  reset(config: Partial<LiveConfig>): Promise<void>;
  /** Switches to the ONNX view, loads and samples the file at `url`. */
  loadOnnx(url: string, perGenerator?: number): Promise<OnnxSummary>;
  /** The generator colours, in generator order. */
  readonly palette: readonly string[];
}

declare global {
  interface Window {
    dmganPage: PageHook;
  }
}

const el = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`missing #${id}`);
  return e as T;
};
const params = new URLSearchParams(location.search);
const status = (text: string): void => {
  el('status').textContent = text;
};

// ---- Serialised work: steps, evaluations and loads never overlap. ----
let queue: Promise<unknown> = Promise.resolve();
function serial<T>(job: () => Promise<T>): Promise<T> {
  const next = queue.then(job);
  queue = next.catch(() => undefined);
  return next;
}
const nextFrame = (): Promise<void> => new Promise((resolve) => (document.hidden ? setTimeout(resolve, 0) : requestAnimationFrame(() => resolve())));

// ---- Train view ----
let backend = '';
let run: LiveRun | null = null;
let playing = false;
let view = { min: -1, max: 1 };

function readConfig(): LiveConfig {
  const dataset = el<HTMLSelectElement>('dataset').value;
  const model = el<HTMLSelectElement>('model').value;
  const generators = Math.min(20, Math.max(1, Math.round(Number(el<HTMLInputElement>('generators').value) || 10)));
  const seed = Math.max(0, Math.round(Number(el<HTMLInputElement>('seed').value) || 0));
  return { dataset: isLineDatasetName(dataset) ? dataset : 'balanced', model: (LINE_MODELS as readonly string[]).includes(model) ? (model as LineModelName) : 'dmwgan-pl', generators, seed };
}

function writeConfig(c: Partial<LiveConfig>): void {
  if (c.dataset) el<HTMLSelectElement>('dataset').value = c.dataset;
  if (c.model) el<HTMLSelectElement>('model').value = c.model;
  if (c.generators !== undefined) el<HTMLInputElement>('generators').value = String(c.generators);
  if (c.seed !== undefined) el<HTMLInputElement>('seed').value = String(c.seed);
}

const evalEvery = (): number => Number(el<HTMLSelectElement>('eval-every').value) || 250;
const speed = (): number => Number(el<HTMLInputElement>('speed').value) || 50;

function render(): void {
  if (!run) return;
  const r = run;
  el('iteration').textContent = `iteration ${r.iteration}`;
  drawScatter(el<HTMLCanvasElement>('scatter'), r.real, r.samples?.points ?? null, r.samples?.ids ?? null, view);
  const prior = r.prior();
  drawBars(el<HTMLCanvasElement>('prior-bars'), prior);
  const history = r.history;
  drawStacked(el<HTMLCanvasElement>('prior-time'), history);
  drawLines(
    el<HTMLCanvasElement>('metrics-time'),
    history.map((h) => h.iteration),
    [
      { label: 'off-manifold rate', colour: '#d62728', values: history.map((h) => h.off_manifold_rate), max: 1 },
      { label: 'effective generators', colour: '#1f77b4', values: history.map((h) => h.effective_generators), max: prior.length },
    ],
  );
  const m = r.metrics;
  const rows: Array<[string, string]> = [
    ['model', `${r.config.model} on ${r.config.dataset}, ${prior.length} generator(s), seed ${r.config.seed}`],
    ['backend', backend],
    ['training speed', r.iteration > 0 ? `${((r.iteration / r.trainMs) * 1000).toFixed(0)} iterations/s (${(r.trainMs / r.iteration).toFixed(2)} ms/iteration)` : '–'],
  ];
  if (m) {
    rows.push(
      ['evaluated at', `iteration ${history[history.length - 1]?.iteration ?? 0} on ${r.config.evalSamples} points`],
      ['off-manifold rate', m.off_manifold_rate.toFixed(3)],
      ['effective generators', `${m.effective_generators} (r > 1/(2n)); prior perplexity ${m.prior_perplexity.toFixed(2)}`],
      ['energy distance', m.energy_distance.toFixed(4)],
      ['segment JSD', m.segment_jsd === null ? '–' : m.segment_jsd.toFixed(3)],
    );
  }
  el('metrics').replaceChildren(
    ...rows.map(([k, v]) => {
      const tr = document.createElement('tr');
      const a = document.createElement('td');
      const b = document.createElement('td');
      a.textContent = k;
      b.textContent = v;
      tr.append(a, b);
      return tr;
    }),
  );
  legend(el('legend'), prior.map((_, g) => g), (g) => `G${g} ${(prior[g] ?? 0).toFixed(2)}`);
}

/** Trains `count` iterations, evaluating on the schedule; returns after drawing. */
async function train(count: number): Promise<void> {
  const r = run;
  if (!r) return;
  for (let i = 0; i < count; i++) {
    r.step();
    if (r.iteration % evalEvery() === 0) await r.evaluate();
  }
  render();
}

async function newRun(config: LiveConfig): Promise<void> {
  playing = false;
  updatePlay();
  run?.dispose();
  run = new LiveRun(config);
  const b = bounds(run.real);
  view = { min: Math.min(b.min, -1.1), max: Math.max(b.max, 1.1) };
  await run.evaluate();
  status(`${backend} · ${config.model} on ${config.dataset}`);
  render();
}

function updatePlay(): void {
  el('play').textContent = playing ? '❚❚ pause' : '▶ play';
}

async function playLoop(): Promise<void> {
  while (playing) {
    await serial(() => train(speed()));
    await nextFrame();
  }
}

function fail(error: unknown): void {
  playing = false;
  updatePlay();
  status(`error: ${error instanceof Error ? error.message : String(error)}`);
  console.error(error);
}

// ---- ONNX view ----
let onnxBytes: Uint8Array | null = null;
let onnxFacts: EnsembleFacts | null = null;

function showView(name: 'train' | 'onnx'): void {
  el('view-train').hidden = name !== 'train';
  el('view-onnx').hidden = name !== 'onnx';
  el('tab-train').setAttribute('aria-selected', String(name === 'train'));
  el('tab-onnx').setAttribute('aria-selected', String(name === 'onnx'));
  if (name === 'onnx' && playing) {
    playing = false;
    updatePlay();
  }
}

async function loadBytes(bytes: Uint8Array, perGenerator: number, name: string): Promise<OnnxSummary> {
  el('onnx-error').textContent = '';
  const facts = readFacts(bytes);
  onnxBytes = bytes;
  onnxFacts = facts;
  const table: Array<[string, string]> = [
    ['file', name],
    ['mode', facts.mode === 'ids' ? 'ids (inputs z, generator)' : 'prior (inputs z, u; ids drawn by the baked prior)'],
    ['generators', String(facts.generators)],
    ['latent', `${facts.latentDim}-d ${facts.latent}`],
    ['sample shape', `[${facts.sampleShape.join(', ')}]`],
    ...Object.entries(facts.metadata)
      .filter(([k]) => k !== 'dmgan.prior')
      .map(([k, v]): [string, string] => [k, v.length > 300 ? `${v.slice(0, 300)}…` : v]),
  ];
  el('onnx-facts').replaceChildren(
    ...table.map(([k, v]) => {
      const tr = document.createElement('tr');
      const a = document.createElement('td');
      const b = document.createElement('td');
      a.textContent = k;
      b.textContent = v;
      tr.append(a, b);
      return tr;
    }),
  );
  drawBars(el<HTMLCanvasElement>('onnx-prior'), facts.prior);
  const layout = imageLayout(facts.sampleShape);
  const count = layout ? Math.min(perGenerator, 12) : perGenerator;
  const seed = Math.max(0, Math.round(Number(el<HTMLInputElement>('onnx-seed').value) || 0));
  status(`sampling ${name}…`);
  const { samples, sampleShape, ids } = await sampleEnsemble(bytes, facts, count, seed);
  const present = [...new Set(ids)].sort((a, b) => a - b);
  const canvas = el<HTMLCanvasElement>('onnx-canvas');
  let shown: 'points' | 'images';
  const imageShape = imageLayout(sampleShape);
  if (imageShape) {
    shown = 'images';
    const rows = present.map((g) => ({ generator: g, images: [] as Float32Array[] }));
    ids.forEach((g, i) => {
      const row = rows.find((r) => r.generator === g);
      if (row && row.images.length < 12) row.images.push(imageAt(samples, i, imageShape));
    });
    drawImageRows(canvas, rows, imageShape);
  } else {
    shown = 'points';
    const width = sampleShape.reduce((a, b) => a * b, 1);
    const xy = new Float32Array(ids.length * 2);
    for (let i = 0; i < ids.length; i++) {
      xy[2 * i] = samples[i * width] ?? 0;
      xy[2 * i + 1] = width > 1 ? (samples[i * width + 1] ?? 0) : 0;
    }
    canvas.width = 500;
    canvas.height = 500;
    const b = bounds(xy);
    drawScatter(canvas, null, xy, ids, b);
    if (width !== 2) el('onnx-error').textContent = `samples of shape [${sampleShape.join(', ')}]: the scatter shows the first two coordinates`;
  }
  legend(el('onnx-legend'), present, (g) => `G${g} r=${(facts.prior[g] ?? 0).toFixed(2)}`);
  status(`${name}: ${ids.length} samples from ${present.length} generator(s)`);
  return { mode: facts.mode, generators: facts.generators, sampleShape, samples: ids.length, shown, generatorsShown: present.length, prior: facts.prior };
}

async function loadUrl(url: string, perGenerator: number): Promise<OnnxSummary> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return loadBytes(new Uint8Array(await response.arrayBuffer()), perGenerator, url);
}

const onnxCount = (): number => Math.max(1, Math.round(Number(el<HTMLInputElement>('onnx-count').value) || 200));
function onnxFail(error: unknown): void {
  el('onnx-error').textContent = error instanceof Error ? error.message : String(error);
  status('could not sample the file');
}

function wireOnnx(): void {
  el('onnx-file').addEventListener('change', () => {
    const file = el<HTMLInputElement>('onnx-file').files?.[0];
    if (file) void serial(async () => loadBytes(new Uint8Array(await file.arrayBuffer()), onnxCount(), file.name)).catch(onnxFail);
  });
  el('onnx-load').addEventListener('click', () => {
    const url = el<HTMLInputElement>('onnx-url').value.trim();
    if (url) void serial(() => loadUrl(url, onnxCount())).catch(onnxFail);
  });
  el('onnx-resample').addEventListener('click', () => {
    const bytes = onnxBytes;
    if (bytes && onnxFacts) void serial(() => loadBytes(bytes, onnxCount(), 'the same file')).catch(onnxFail);
  });
  const drop = el('drop');
  for (const target of [drop, document.body]) {
    target.addEventListener('dragover', (e) => {
      e.preventDefault();
      drop.classList.add('over');
    });
    target.addEventListener('dragleave', () => drop.classList.remove('over'));
    target.addEventListener('drop', (e) => {
      e.preventDefault();
      drop.classList.remove('over');
      const file = e.dataTransfer?.files[0];
      if (!file) return;
      showView('onnx');
      void serial(async () => loadBytes(new Uint8Array(await file.arrayBuffer()), onnxCount(), file.name)).catch(onnxFail);
    });
  }
}

// ---- Wiring ----
function wireTrain(): void {
  el('tab-train').addEventListener('click', () => showView('train'));
  el('tab-onnx').addEventListener('click', () => showView('onnx'));
  el('reset').addEventListener('click', () => void serial(() => newRun(readConfig())).catch(fail));
  for (const id of ['dataset', 'model', 'generators', 'seed']) el(id).addEventListener('change', () => void serial(() => newRun(readConfig())).catch(fail));
  el('play').addEventListener('click', () => {
    playing = !playing;
    updatePlay();
    if (playing) void playLoop().catch(fail);
  });
  el('step').addEventListener('click', () => {
    playing = false;
    updatePlay();
    void serial(() => train(1)).catch(fail);
  });
  el('speed').addEventListener('input', () => {
    el('speed-value').textContent = String(speed());
  });
}

async function start(): Promise<string> {
  wireTrain();
  wireOnnx();
  const base = new URL('./', location.href).href;
  configureOrt(`${base}ort/`);
  backend = await startEngine(`${base}tfjs/`);
  const dataset = params.get('dataset');
  const model = params.get('model');
  writeConfig({
    ...(dataset && isLineDatasetName(dataset) ? { dataset: dataset as LineDatasetName } : {}),
    ...(model && (LINE_MODELS as readonly string[]).includes(model) ? { model: model as LineModelName } : {}),
    ...(params.has('generators') ? { generators: Number(params.get('generators')) } : {}),
    ...(params.has('seed') ? { seed: Number(params.get('seed')) } : {}),
  });
  await serial(() => newRun(readConfig()));
  const onnx = params.get('onnx');
  if (onnx) {
    showView('onnx');
    el<HTMLInputElement>('onnx-url').value = onnx;
    void serial(() => loadUrl(onnx, onnxCount())).catch(onnxFail);
  } else if (params.get('play') === '1') {
    playing = true;
    updatePlay();
    void playLoop().catch(fail);
  }
  return backend;
}

const ready = start();
ready.catch(fail);

window.dmganPage = {
  ready,
  palette: PALETTE,
  // Each waits for `ready` outside the queue: the start's own first run is queued after the engine is up.
  run: async (iterations) => {
    await ready;
    return serial(async () => {
      playing = false;
      updatePlay();
      const r = run;
      if (!r) throw new Error('no run');
      const t0 = performance.now();
      const ms0 = r.trainMs;
      const it0 = r.iteration;
      for (let done = 0; done < iterations; ) {
        const chunk = Math.min(100, iterations - done);
        await train(chunk);
        done += chunk;
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
      if (r.history[r.history.length - 1]?.iteration !== r.iteration) await r.evaluate();
      render();
      const trained = r.iteration - it0;
      const m = r.metrics;
      return {
        iteration: r.iteration,
        trained,
        iterationsPerSecond: (trained / (r.trainMs - ms0)) * 1000,
        wallIterationsPerSecond: (trained / (performance.now() - t0)) * 1000,
        backend,
        prior: r.prior(),
        offManifoldRate: m?.off_manifold_rate ?? null,
        effectiveGenerators: m?.effective_generators ?? null,
        evaluations: r.history.length,
      };
    });
  },
  reset: async (config) => {
    await ready;
    return serial(async () => {
      writeConfig(config);
      await newRun(readConfig());
    });
  },
  loadOnnx: async (url, perGenerator) => {
    await ready;
    return serial(async () => {
      showView('onnx');
      el<HTMLInputElement>('onnx-url').value = url;
      return loadUrl(url, perGenerator ?? onnxCount());
    });
  },
};
