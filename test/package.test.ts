import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The runtime names of each entry point, sorted. The root holds what README.md's "Using dmgan
 * as a library" teaches; engine parts, ONNX tools, checkpoints and experiments live behind
 * subpaths (src/entry/). A change here is a change of the public API: update README.md too.
 */
const ENTRY_NAMES: Record<string, string[]> = {
  '.': [
    'CheckpointError', 'DMGAN', 'DmganConfigError', 'DmganPlugin', 'EmaPlugin', 'InvalidBatchError', 'LearnedPrior',
    'NumericalFaultError', 'OnnxImportError', 'PluginList', 'TOKENS', 'adversarialLoss', 'countEffectiveGenerators', 'currentBackend',
    'dmganModule', 'effectiveGeneratorThreshold', 'exportOnnx', 'ganLoss', 'hingeLoss', 'importOnnx', 'initEngine', 'layersCritic',
    'layersGenerator', 'plainCritic', 'plainGenerator', 'priorEquilibrium', 'priorPerplexity', 'wganLoss', 'withDMGAN',
  ],
  './engine': [
    'DmganCore', 'FusedMlpEnsemble', 'GanTrainer', 'GeneratorEnsemble', 'MODEL_KINDS', 'MlpCritic', 'MlpGenerator', 'QHead',
    'REFERENCE_OPTIMIZERS', 'Random', 'VariableAdam', 'adaptCritic', 'adaptGenerator', 'adversarialLoss', 'autodiffGradients',
    'buildGanParts', 'closedFormGradients', 'defaultQHeadFactory', 'dmganOptionsSchema', 'drawLatents', 'fuseGenerators', 'ganLoss',
    'generatorRecreator', 'gradientPenalty', 'hingeLoss', 'isLayersModel', 'modelKindOf', 'recreateLayersModel', 'registerEngineFixes',
    'resolveOptions', 'routeIds', 'trainingStreams', 'wganLoss',
  ],
  './onnx': [
    'EXPORT_METADATA', 'GENERATOR_EXPORTERS', 'KERNEL_CHOICES', 'OnnxImportError', 'OnnxModel', 'applyKernelChoice', 'buildOnnxExport',
    'exportOnnx', 'exportPartOf', 'importOnnx', 'onnxRuntimeKernels', 'stopOnnxRuntimeKernels', 'useOnnxRuntimeKernels',
  ],
  './checkpoint': [
    'CHECKPOINTS_DIR', 'CHECKPOINT_FORMAT', 'CheckpointError', 'DEFAULT_KEEP_CHECKPOINTS', 'LATEST_FILE', 'MANIFEST_FILE', 'loadCheckpoint',
    'loadNewestCheckpoint', 'restoreCheckpoint', 'saveCheckpoint', 'saveRotatingCheckpoint',
  ],
  './experiments': [
    'ConvCritic', 'ConvGenerator', 'LINES_LATENT_DIM', 'LINE_DATASETS', 'LINE_MODELS', 'MNIST_LATENT_DIM', 'MNIST_MODELS', 'MNIST_SHAPE',
    'OFF_MANIFOLD_THRESHOLD', 'buildLinesModel', 'buildMnistModel', 'empiricalPrior', 'evaluateLines', 'evaluateMnist', 'imageExperiment',
    'isLineDatasetName', 'lineDataset', 'linesExperiment', 'pieceProbabilities', 'realReference', 'runExperiment', 'runImageExperiment',
    'runLinesExperiment', 'sampleImages', 'sampleLineData', 'samplePrior', 'shuffledEpochs',
  ],
};

/** An entry of package.json "exports": the TypeScript source (a custom condition for tsc, vitest and tsx), then the built files. */
type EntryTarget = { 'dmgan-source': string; types: string; import: string };

describe('the package', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
    name: string;
    type: string;
    main: string;
    types: string;
    bin: Record<string, string>;
    exports: Record<string, EntryTarget | string>;
    dependencies: Record<string, string>;
    peerDependencies: Record<string, string>;
    peerDependenciesMeta: Record<string, { optional?: boolean }>;
  };

  const entries = (): [string, EntryTarget][] =>
    Object.entries(pkg.exports).filter((e): e is [string, EntryTarget] => typeof e[1] === 'object');

  it('is an ESM package named dmgan with a dmgan bin and typed exports that exist after the build', () => {
    expect(pkg.name).toBe('dmgan');
    expect(pkg.type).toBe('module');
    expect(existsSync(pkg.bin['dmgan'] as string)).toBe(true);
    for (const [subpath, target] of entries()) {
      expect(existsSync(target.import), `${subpath} → ${target.import}`).toBe(true);
      expect(existsSync(target.types), `${subpath} → ${target.types}`).toBe(true);
    }
  });

  it('exports the root, four documented subpaths and package.json; each points where tsconfig.build.json writes its source', () => {
    expect(Object.keys(pkg.exports)).toEqual(['.', './engine', './onnx', './checkpoint', './experiments', './package.json']);
    expect(pkg.exports['./package.json']).toBe('./package.json');
    const config = ts.getParsedCommandLineOfConfigFile(resolve('tsconfig.build.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
    expect(config?.errors).toEqual([]);
    const { outDir, rootDir } = config?.options ?? {};
    const built = new Set(config?.fileNames.map((f) => resolve(f)));
    for (const [subpath, target] of entries()) {
      // The source condition comes first (conditions match in order); published consumers never set it.
      expect(Object.keys(target), subpath).toEqual(['dmgan-source', 'types', 'import']);
      const source = resolve(target['dmgan-source']);
      expect(built.has(source), `${subpath}: ${target['dmgan-source']} is compiled by tsconfig.build.json`).toBe(true);
      const out = `./${relative('.', join(outDir as string, relative(rootDir as string, source))).split('\\').join('/')}`.replace(/\.ts$/, '');
      expect(target.types, subpath).toBe(`${out}.d.ts`);
      expect(target.import, subpath).toBe(`${out}.js`);
      expect(readFileSync(source, 'utf8'), `${subpath} documents itself`).toContain('@packageDocumentation');
    }
    expect(pkg.main).toBe((pkg.exports['.'] as EntryTarget).import.slice(2));
    expect(pkg.types).toBe((pkg.exports['.'] as EntryTarget).types.slice(2));
  });

  it.each(Object.keys(ENTRY_NAMES))('pins the runtime names of the entry %s', async (subpath) => {
    const target = pkg.exports[subpath] as EntryTarget;
    const m = (await import(pathToFileURL(resolve(target['dmgan-source'])).href)) as Record<string, unknown>;
    expect(Object.keys(m).sort()).toEqual(ENTRY_NAMES[subpath]);
    for (const name of Object.keys(m)) expect(m[name], name).toBeDefined();
  });

  it('imports as `dmgan` and its subpaths from plain Node ESM (the built files), with the pinned names', () => {
    const specifiers = Object.keys(ENTRY_NAMES).map((subpath) => pkg.name + subpath.slice(1));
    const script =
      `const out = {};` +
      `for (const s of ${JSON.stringify(specifiers)}) out[s] = Object.keys(await import(s)).sort();` +
      "out.trainerPlugin = typeof (await import('dmgan')).TOKENS.TrainerPlugin;" +
      'console.log(JSON.stringify(out));';
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop() as string) as Record<string, unknown>;
    for (const subpath of Object.keys(ENTRY_NAMES)) expect(out[pkg.name + subpath.slice(1)], subpath).toEqual(ENTRY_NAMES[subpath]);
    expect(out.trainerPlugin).toBe('symbol');
  });

  it('has examples that import dmgan as users do: the package name and its subpaths, never the sources', () => {
    const files = readdirSync('examples', { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      for (const { fileName } of ts.preProcessFile(readFileSync(join('examples', file), 'utf8'), true, true).importedFiles) {
        if (fileName.startsWith('.')) expect(fileName, `examples/${file}`).toMatch(/^\.\/[^/]+$/);
      }
    }
  });

  it('keeps native TensorFlow optional: tfjs-node packages are optional peers, never dependencies', () => {
    for (const name of ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs']) expect(pkg.dependencies[name]).toBeUndefined();
    expect(pkg.peerDependenciesMeta['@tensorflow/tfjs-node']?.optional).toBe(true);
    expect(pkg.peerDependenciesMeta['@tensorflow/tfjs-node-gpu']?.optional).toBe(true);
    // onnxruntime-node (the convolutions' multi-threaded path) is optional too: its binding is
    // used below its public API, so the peer range pins the minor version that was tested.
    expect(pkg.dependencies['onnxruntime-node']).toBeUndefined();
    expect(pkg.peerDependenciesMeta['onnxruntime-node']?.optional).toBe(true);
    expect(pkg.peerDependencies['onnxruntime-node']).toBe('~1.30.0');
    expect(readFileSync('.npmrc', 'utf8')).toContain('onnxruntime-node-install=skip');
  });
});
