import path from 'node:path';
import { Option, type Command } from 'commander';
import { TicktapeError } from '../../core/errors.js';
import { parseTimeArg } from '../../core/time-arg.js';
import { listScripts, runScript, DEFAULT_INTERVAL } from '../../analysis/scripts.js';
import { openAnalysis } from '../../analysis/open.js';
import { defaultFormat, formatReader, formatRows, type OutputFormat } from '../../store/duck/format-result.js';
import { addStoreOptions, DATA_HELP, openDataArg } from '../data-source.js';

export function registerAnalyze(program: Command): void {
  addStoreOptions(program.command('analyze'))
    .description('Run one of the SQL analysis scripts (analysis/sql) over the data: bars, spread, gaps, latency, quality, ...')
    .argument('[script]', 'script name (see --list)')
    .option('--data <dir>', DATA_HELP, './data')
    .option('--list', 'list the scripts with one line each')
    .option('--exchange <id>', 'only this exchange')
    .option('--symbol <symbol>', 'only this symbol (as the exchange spells it, e.g. BTCUSDT)')
    .option('--from <time>', 'start (ISO 8601 or epoch ms/ns)')
    .option('--to <time>', 'end, exclusive')
    .option('--interval <interval>', "bucket interval, e.g. '1 second', '1 minute', '1 hour'", DEFAULT_INTERVAL)
    .addOption(new Option('--format <format>', 'output: table (TTY default), csv (pipe default), json, parquet (needs --out)').choices(['table', 'csv', 'json', 'parquet']))
    .option('--out <file>', 'write the result to this file instead of stdout')
    .option('--no-journal', 'leave unsealed journals out (faster on large folders)')
    .addHelpText(
      'after',
      `
Examples:
  ticktape analyze --list
  ticktape analyze bars --data ./data --exchange coinstore --symbol BTCUSDT --interval '1 minute'
  ticktape analyze gaps --from 2026-11-23T00:00:00Z --to 2026-11-24T00:00:00Z --format json
  ticktape analyze spread --format parquet --out spread.parquet`,
    )
    .action(async (script: string | undefined, o: Record<string, unknown>) => {
      if (o.list || !script) {
        const scripts = listScripts();
        process.stdout.write(formatRows(['script', 'what it answers', 'parameters'], scripts.map((s) => [s.name, s.summary, s.parameters]), defaultFormat() === 'table' ? 'table' : 'csv'));
        return;
      }
      const format = (o.format as string | undefined) ?? (o.out ? 'csv' : defaultFormat());
      if (format === 'parquet' && !o.out) throw new TicktapeError('TT_CONFIG_INVALID', '--format parquet writes a file: add --out result.parquet.');
      const src = await openDataArg(o);
      let tape;
      try {
        tape = await openAnalysis(src.dir, { includeJournal: o.journal !== false, progress: process.stderr.isTTY });
      } catch (err) {
        src.close();
        throw err;
      }
      try {
        const params = {
          exchange: (o.exchange as string | undefined) ?? null,
          symbol: (o.symbol as string | undefined) ?? null,
          fromNs: o.from ? parseTimeArg(String(o.from), '--from') : null,
          toNs: o.to ? parseTimeArg(String(o.to), '--to') : null,
          interval: (o.interval as string) ?? DEFAULT_INTERVAL,
        };
        if (format === 'parquet') {
          const out = path.resolve(String(o.out));
          const copied = await tape.withProgress(() => runScript(tape.conn, script, params, { copyTo: out }));
          process.stderr.write(`wrote ${String(copied.getRows()[0]?.[0] ?? 0)} rows to ${out}\n`);
          return;
        }
        const result = await tape.withProgress(() => runScript(tape.conn, script, params));
        const text = formatReader(result, format as OutputFormat);
        if (o.out) {
          const { writeFileSync } = await import('node:fs');
          writeFileSync(path.resolve(String(o.out)), text);
        } else process.stdout.write(text);
      } finally {
        tape.close();
        src.close();
      }
    });
}
