#!/usr/bin/env node
/**
 * The `ticktape` command. Thin: parses flags, builds one config, calls the library.
 * Data goes to stdout, logs and progress to stderr. Exit codes: see core/errors.ts EXIT.
 */
import { Command } from 'commander';
import { exitCodesHelp } from '../core/error-codes.js';
import { EXIT, exitCodeFor, isTicktapeError } from '../core/errors.js';
import { createLogger } from '../core/log.js';
import { envWarnings } from './env-warnings.js';
import { registerAnalyze } from './commands/analyze.js';
import { registerDemo } from './commands/demo.js';
import { registerLs } from './commands/ls.js';
import { registerQuery } from './commands/query.js';
import { registerRecord } from './commands/record.js';
import { registerReplay } from './commands/replay.js';
import { registerReport } from './commands/report.js';
import { registerSeal } from './commands/seal.js';
import { registerSimulate } from './commands/simulate.js';
import { registerUpload } from './commands/upload.js';
import { registerVerify } from './commands/verify.js';
import { VERSION } from './version.js';

function buildProgram(): Command {
  const program = new Command('ticktape')
    .description('Record crypto-exchange WebSocket data byte-exact, replay it over the native protocols, analyze it with SQL.')
    .version(VERSION)
    .addHelpText('afterAll', `\n${exitCodesHelp()}`)
    .addHelpText('after', '\nData folder: --data DIR on every command (default ./data); the reading commands also take\n--data s3://bucket/prefix (read through a local cache, --cache-gb).');
  // Set before the subcommands are created: commander copies both into each of them. commander's
  // own errors (unknown option, missing argument) are printed like every other error: one line,
  // `ticktape: <what is wrong> (what to do) [TT_USAGE]`, exit 2.
  let parseError = '';
  let current = 'ticktape';
  program.hook('preSubcommand', (_parent, sub) => {
    current = `ticktape ${sub.name()}`;
  });
  // a misspelled TICKTAPE_* variable (a credential that would silently not arrive) is named at once
  program.hook('preAction', () => {
    const warnings = envWarnings(process.env);
    if (warnings.length) {
      const log = createLogger('ticktape');
      for (const w of warnings) log.warn(w);
    }
  });
  program.configureOutput({ outputError: (text) => (parseError = text.replace(/^error: /, '').trim()) });
  program.exitOverride((err) => {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') process.exit(EXIT.OK);
    if (err.exitCode === 0) process.exit(EXIT.OK);
    const code = err.code === 'commander.invalidArgument' ? 'TT_CONFIG_INVALID' : 'TT_USAGE';
    process.stderr.write(`ticktape: ${parseError || err.message} (run ${current} --help for usage) [${code}]\n`);
    process.exit(EXIT.USAGE);
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
  registerUpload(program);
  registerDemo(program);
  return program;
}

/**
 * Prints an error as one line, `ticktape: <message> [<code>]`, and returns its exit code. An error
 * that is not a TicktapeError is a bug: its message is printed as TT_INTERNAL, and its stack only
 * with TICKTAPE_LOG_LEVEL=debug (a user never has to read one).
 */
function reportError(err: unknown): number {
  if (isTicktapeError(err)) {
    process.stderr.write(`ticktape: ${err.message} [${err.code}]\n`);
  } else {
    const message = (err as Error)?.message ?? String(err);
    process.stderr.write(`ticktape: ${message} (an unexpected error: please report it) [TT_INTERNAL]\n`);
    if (process.env.TICKTAPE_LOG_LEVEL === 'debug' && (err as Error)?.stack) process.stderr.write(`${(err as Error).stack}\n`);
  }
  return exitCodeFor(err);
}

async function main(): Promise<void> {
  // stdout closed by its reader (`ticktape query ... | head`): stop quietly, as other commands do
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? EXIT.OK);
    throw err;
  });
  const program = buildProgram();
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    process.exitCode = reportError(err);
  }
}

await main();
