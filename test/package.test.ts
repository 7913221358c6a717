import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('the package', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
    name: string;
    type: string;
    bin: Record<string, string>;
    exports: Record<string, { types: string; import: string }>;
    dependencies: Record<string, string>;
    peerDependencies: Record<string, string>;
    peerDependenciesMeta: Record<string, { optional?: boolean }>;
  };

  it('is an ESM package named dmgan with a dmgan bin and typed exports that exist after the build', () => {
    expect(pkg.name).toBe('dmgan');
    expect(pkg.type).toBe('module');
    expect(existsSync(pkg.bin['dmgan'] as string)).toBe(true);
    const root = pkg.exports['.'] as { types: string; import: string };
    expect(existsSync(root.import)).toBe(true);
    expect(existsSync(root.types)).toBe(true);
  });

  it('imports as `dmgan` from plain Node ESM, with the fixed public names', () => {
    const script =
      "const m = await import('dmgan');" +
      "const names = ['withDMGAN','DMGAN','LearnedPrior','dmganModule','TOKENS','importOnnx','initEngine'];" +
      "const missing = names.filter((n) => m[n] === undefined);" +
      "console.log(JSON.stringify({ missing, trainerPlugin: typeof m.TOKENS.TrainerPlugin }));";
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop() as string) as { missing: string[]; trainerPlugin: string };
    expect(out.missing).toEqual([]);
    expect(out.trainerPlugin).toBe('symbol');
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
