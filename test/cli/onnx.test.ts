import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The built CLI: `npm test` builds before vitest; build with `npx tsc -p tsconfig.build.json` when running alone.
const CLI = resolve('dist/cli/main.js');
const FIXTURES = resolve('fixtures/onnx');

function dmgan(args: string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000, cwd });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'dmgan-onnx-cli-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('ONNX from the CLI', () => {
  it('trains imported models, exports the checkpoint (prior mode) and samples it', () => {
    const train = dmgan(
      ['train', 'lines', '--iterations', '36', '--eval-every', '36', '--checkpoint-every', '36', '--backend', 'wasm', '--generators', '3',
        '--generator-onnx', join(FIXTURES, 'mlp_generator/model.onnx'), '--discriminator-onnx', join(FIXTURES, 'mlp_discriminator/model.onnx'), '--out', 'run'],
      tmp,
    );
    expect(train.status, train.stderr).toBe(0);
    expect(train.stdout).toMatch(/energy_distance: [\d.e-]+/);

    const exp = dmgan(['export', '--checkpoint', 'run', '--out', 'model.onnx', '--mode', 'prior', '--min-prior', '0.01'], tmp);
    expect(exp.status, exp.stderr).toBe(0);
    expect(exp.stdout).toMatch(/mode prior, opset 13, per-generator, generators kept 0 1 2 \(of 3\), iteration 36/);

    const csv = dmgan(['sample', '--onnx', 'model.onnx', '--count', '500', '--out', 'samples.csv', '--seed', '2'], tmp);
    expect(csv.status, csv.stderr).toBe(0);
    const lines = readFileSync(join(tmp, 'samples.csv'), 'utf8').trim().split('\n');
    expect(lines[0]).toBe('x0,x1,generator');
    expect(lines).toHaveLength(501);
    expect(lines.slice(1).every((l) => /^[-\d.e]+,[-\d.e]+,[012]$/.test(l))).toBe(true);

    const json = dmgan(['sample', '--onnx', 'model.onnx', '--count', '7', '--out', 'samples.json'], tmp);
    expect(json.status, json.stderr).toBe(0);
    const data = JSON.parse(readFileSync(join(tmp, 'samples.json'), 'utf8')) as { ids: number[]; samples: number[][] };
    expect(data.ids).toHaveLength(7);
    expect(data.samples.every((s) => s.length === 2 && s.every(Number.isFinite))).toBe(true);
  });

  it('exports a native run in ids mode', () => {
    const train = dmgan(['train', 'lines', '--iterations', '12', '--eval-every', '12', '--checkpoint-every', '12', '--backend', 'wasm', '--generators', '4', '--out', 'native'], tmp);
    expect(train.status, train.stderr).toBe(0);
    const exp = dmgan(['export', '--checkpoint', 'native', '--out', 'native.onnx'], tmp);
    expect(exp.status, exp.stderr).toBe(0);
    expect(exp.stdout).toMatch(/mode ids, opset 13, stacked-mlp, 4 generators/);
    const s = dmgan(['sample', '--onnx', 'native.onnx', '--count', '3', '--out', 'n.json'], tmp);
    expect(s.status, s.stderr).toBe(0);
  });

  it.each([
    [['export', '--checkpoint', 'nowhere', '--out', 'x.onnx'], /--checkpoint nowhere: no manifest.json/],
    [['export', '--checkpoint', 'run', '--out', 'x.onnx', '--min-prior', '0.1'], /--min-prior needs --mode prior/],
    [['export', '--checkpoint', 'run', '--out', 'x.onnx', '--mode', 'prior', '--min-prior', '2'], /--min-prior must be a number in \[0, 1\]/],
    [['sample', '--onnx', 'model.onnx', '--count', 'many', '--out', 'x.json'], /--count must be an integer/],
    [['sample', '--onnx', 'model.onnx', '--count', '3', '--out', 'x.txt'], /--out must end in .json or .csv/],
    [['sample', '--onnx', 'missing.onnx', '--count', '3', '--out', 'x.json'], /--onnx missing.onnx: /],
    [['train', 'lines', '--generator-onnx', 'g.onnx'], /--generator-onnx needs --discriminator-onnx too/],
    [['train', 'lines', '--generator-onnx', 'g.onnx', '--discriminator-onnx', 'd.onnx', '--out', 'bad'], /--generator-onnx \S*g\.onnx: cannot read model file/],
  ])('bad options → one line naming the option, exit 2: %s', (args, message) => {
    const r = dmgan(args, tmp);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n').filter((l) => l.startsWith('dmgan:'))).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(existsSync(join(tmp, 'bad'))).toBe(false);
  });
});
