/**
 * `ticktape analyze <script>`: one of the SQL scripts over the data. The options are
 * analysis/options-schema.ts's (validated there); a filter that selects nothing exits 4 with what
 * the data holds.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { DEFAULT_DATA_DIR } from '../../store/open-data.js';
import { addStoreOptions, DATA_HELP } from '../data-source.js';
import { openDataArg } from '../../store/open-data-arg.js';
import { TicktapeError } from '../../core/errors.js';
import { INTERVAL_FORMS } from '../../core/interval-arg.js';
import { listScripts, runScript, DEFAULT_INTERVAL } from '../../analysis/scripts.js';
import { openAnalysis } from '../../analysis/open.js';
import { requireFilterMatch, withHoldingsHint } from '../../analysis/filter.js';
import { parseAnalyzeOptions } from '../../analysis/options-schema.js';
import { defaultFormat, formatReader, formatRows, type OutputFormat } from '../../store/duck/index.js';

export function registerAnalyze(program: Command): void {
  addStoreOptions(program.command('analyze'))
    .description('Run one of the SQL analysis scripts (analysis/sql) over the data: bars, spread, gaps, latency, quality, ...')
    .argument('[script]', 'script name (see --list)')
    .option('--data <dir>', DATA_HELP, DEFAULT_DATA_DIR)
    .option('--list', 'list the scripts with one line each')
    .option('--exchange <id>', 'only this exchange (coinstore, coinsuper, nexus, coinceres)')
    .option('--symbol <symbol>', 'only this symbol, however written: btcusdt, BTCUSDT, BTC/USDT, BTC-USDT select the same instrument')
    .option('--from <time>', 'start (ISO 8601 or epoch ms/ns)')
    .option('--to <time>', 'end, exclusive')
    .option('--interval <interval>', `bucket interval, e.g. ${INTERVAL_FORMS}`, DEFAULT_INTERVAL)
    .addOption(new Option('--format <format>', 'output: table (TTY default), csv (pipe default), json, parquet (needs --out)'))
    .option('--out <file>', 'write the result to this file instead of stdout')
    .option('--no-journal', 'leave unsealed journals out (faster on large folders)')
    .addHelpText(
      'after',
      `
A filter (--exchange, --symbol, --from/--to) that selects nothing exits 4 and lists what the data holds.
Examples:
  ticktape analyze --list
  ticktape analyze bars --data ./data --exchange coinstore --symbol BTCUSDT --interval '1 minute'
  ticktape analyze gaps --from 2026-11-23T00:00:00Z --to 2026-11-24T00:00:00Z --format json
  ticktape analyze spread --format parquet --out spread.parquet`,
    )
    .action(async (script: string | undefined, flags: Record<string, unknown>) => {
      if (flags.list || !script) {
        const scripts = listScripts();
        process.stdout.write(
          formatRows(
            ['script', 'what it answers', 'parameters'],
            scripts.map((s) => [s.name, s.summary, s.parameters]),
            defaultFormat() === 'table' ? 'table' : 'csv',
          ),
        );
        return;
      }
      const o = parseAnalyzeOptions(flags, 'flag');
      const known = listScripts();
      if (!known.some((s) => s.name === script)) {
        throw new TicktapeError('TT_SCRIPT_UNKNOWN', `No analysis script "${script}". Run \`ticktape analyze --list\` to see them: ${known.map((s) => s.name).join(', ')}.`, { name: script });
      }
      const format = o.format ?? (o.out ? 'csv' : defaultFormat());
      const src = await openDataArg(o.source);
      let tape;
      try {
        tape = await openAnalysis(src.dir, { includeJournal: o.includeJournal, progress: process.stderr.isTTY });
      } catch (err) {
        src.close();
        throw err;
      }
      try {
        await requireFilterMatch(tape.conn, o.filter, o.source.data);
        const params = { ...o.filter, interval: o.interval };
        try {
          if (format === 'parquet') {
            const out = path.resolve(o.out!);
            const copied = await tape.withProgress(() => runScript(tape.conn, script, params, { copyTo: out }));
            process.stderr.write(`wrote ${String(copied.getRows()[0]?.[0] ?? 0)} rows to ${out}\n`);
            return;
          }
          const result = await tape.withProgress(() => runScript(tape.conn, script, params));
          const text = formatReader(result, format as OutputFormat);
          if (o.out) writeFileSync(path.resolve(o.out), text);
          else process.stdout.write(text);
        } catch (err) {
          throw await withHoldingsHint(tape.conn, err);
        }
      } finally {
        tape.close();
        src.close();
      }
    });
}
