#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { CLI_BACKENDS, KERNELS_HELP, UsageError } from './options.js';
import { trainLinesCommand } from './trainLines.js';
import { addRunControlOptions } from './runControl.js';
import { registerImageCommands } from './trainImages.js';
import { registerExportCommand } from './export.js';
import { registerSampleCommand } from './sample.js';
import { LINE_DATASETS } from '../src/experiments/lines/data.js';
import { LINE_MODELS } from '../src/experiments/lines/models.js';

/** Exit code for bad usage (bad options), as most CLIs. */
const EXIT_USAGE = 2;

function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('dmgan')
    .description('Disconnected Manifold Learning for GANs (DMWGAN-PL) on TensorFlow.js')
    // One line per error, prefixed with the program name; exit codes are ours.
    .configureOutput({ outputError: (text, write) => write(`dmgan: ${text.replace(/^error: /, '').trim()}\n`) })
    .exitOverride()
    .showHelpAfterError(false);
  const train = program.command('train').description('train a model on one of the paper’s experiments');
  const lines = train
    .command('lines')
    .description('the 2-D line-segment experiment (balanced / unbalanced segments, or two circles)')
    .option('--dataset <name>', `dataset: ${LINE_DATASETS.join(' | ')}`, 'balanced')
    .option('--model <name>', `model: ${LINE_MODELS.join(' | ')}`, 'dmwgan-pl')
    .option('--iterations <n>', 'iterations (a critic or a generator step each)', '20000')
    .option('--generators <n>', 'generators (ensemble models)', '10')
    .option('--seed <s>', 'random seed', '0')
    .option('--eval-every <n>', 'evaluate every n iterations (and at the end)', '2000')
    .option('--backend <name>', `tfjs backend: ${CLI_BACKENDS.join(' | ')}`, 'auto')
    .option('--kernels <where>', KERNELS_HELP, 'auto')
    .option('--out <dir>', 'output directory (default runs/lines-<dataset>-<model>-s<seed>)')
    .option('--generator-onnx <file>', 'train this ONNX generator (generator 0; the others are re-initialised copies)')
    .option('--discriminator-onnx <file>', 'with --generator-onnx: this ONNX discriminator (Q reads its last hidden layer or second output)');
  addRunControlOptions(lines).action(async (opts: Record<string, unknown>) => {
    setExit(await trainLinesCommand(opts, ['dmgan', ...process.argv.slice(2)].join(' ')));
  });
  registerImageCommands(train, setExit);
  registerExportCommand(program, setExit);
  registerSampleCommand(program, setExit);
  return program;
}

/** Runs the CLI on `argv` (node + script + args); resolves to the exit code. */
export async function main(argv: readonly string[] = process.argv): Promise<number> {
  let code = 0;
  const program = buildProgram((c) => (code = c));
  try {
    await program.parseAsync([...argv]);
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version end with exitCode 0; parse errors were already printed by commander.
      return error.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`dmgan: ${error.message}\n`);
      return EXIT_USAGE;
    }
    // A one-line message for the user; the stack only when asked for (DMGAN_DEBUG=1).
    const debug = process.env.DMGAN_DEBUG === '1' && error instanceof Error;
    process.stderr.write(`dmgan: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n${debug ? `${error.stack ?? ''}\n` : ''}`);
    return 1;
  }
}

process.exitCode = await main();
