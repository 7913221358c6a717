#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { UsageError } from './options.js';
import { registerTrainCommand } from './trainCommand.js';
import { trainImages } from './trainImages.js';
import { trainLines } from './trainLines.js';
import { trainMnist } from './trainMnist.js';
import { registerExportCommand } from './export.js';
import { registerSampleCommand } from './sample.js';
import { registerSummarizeCommand } from './summarize.js';
import { registerSweepCommand } from './sweep.js';

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
  // Each train command declares its options, data, models and evaluation; cli/trainCommand.ts runs them alike.
  registerTrainCommand(train, trainLines, setExit);
  registerTrainCommand(train, trainMnist, setExit);
  registerTrainCommand(train, trainImages, setExit);
  registerExportCommand(program, setExit);
  registerSampleCommand(program, setExit);
  registerSweepCommand(program, setExit);
  registerSummarizeCommand(program, setExit);
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
