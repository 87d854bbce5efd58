#!/usr/bin/env node
/**
 * The `ticktape` command. Thin: parses flags, builds one config, calls the library.
 * Data goes to stdout, logs and progress to stderr. Exit codes: see core/errors.ts EXIT.
 */
import { Command } from 'commander';
import { EXIT, exitCodeFor, isTicktapeError } from '../core/errors.js';
import { registerAnalyze } from './commands/analyze.js';
import { registerDemo } from './commands/demo.js';
import { registerLs } from './commands/ls.js';
import { registerQuery } from './commands/query.js';
import { registerRecord } from './commands/record.js';
import { registerReplay } from './commands/replay.js';
import { registerReport } from './commands/report.js';
import { registerSeal } from './commands/seal.js';
import { registerSimulate } from './commands/simulate.js';
import { registerVerify } from './commands/verify.js';
import { VERSION } from './version.js';

export function buildProgram(): Command {
  const program = new Command('ticktape')
    .description('Record crypto-exchange WebSocket data byte-exact, replay it over the native protocols, analyze it with SQL.')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `
Exit codes:
  0  success
  1  runtime failure (I/O, network, internal)
  2  usage error: bad flag, bad config, unknown exchange or channel
  3  damaged data found (verify)
  4  no data matched

Data folder: --data DIR on every command (default ./data).`,
    );
  // Set before the subcommands are created: commander copies it into each of them.
  program.exitOverride((err) => {
    // commander's own errors (unknown option, missing argument) are usage errors
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') process.exit(EXIT.OK);
    process.exit(err.exitCode === 0 ? EXIT.OK : EXIT.USAGE);
  });
  registerRecord(program);
  registerSimulate(program);
  registerReplay(program);
  registerQuery(program);
  registerAnalyze(program);
  registerReport(program);
  registerLs(program);
  registerVerify(program);
  registerSeal(program);
  registerDemo(program);
  return program;
}

export function reportError(err: unknown): number {
  if (isTicktapeError(err)) {
    process.stderr.write(`ticktape: ${err.message} [${err.code}]\n`);
  } else {
    process.stderr.write(`ticktape: ${(err as Error)?.stack ?? String(err)}\n`);
  }
  return exitCodeFor(err);
}

async function main(): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    process.exitCode = reportError(err);
  }
}

await main();
