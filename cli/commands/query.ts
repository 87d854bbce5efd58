/** `ticktape query`: SQL over the tables of a data folder (sealed partitions and unsealed journals). */
import { InvalidArgumentError, type Command } from 'commander';
import { openAnalysis } from '../../analysis/open.js';
import { runQuery, sqlError } from '../../analysis/run-query.js';
import { OUTPUT_FORMATS, writeResult, type OutputFormat } from '../../store/duck/format-result.js';
import { DEFAULT_DATA_DIR } from '../options.js';
import { addStoreOptions, DATA_HELP, openDataArg } from '../data-source.js';

function formatArg(value: string): OutputFormat {
  if (!(OUTPUT_FORMATS as readonly string[]).includes(value)) throw new InvalidArgumentError(`--format must be one of ${OUTPUT_FORMATS.join(', ')}`);
  return value as OutputFormat;
}

export function registerQuery(program: Command): void {
  addStoreOptions(program.command('query'))
    .description('Run SQL over the views raw, trades, book, klines, tickers, orders, fills, balances, positions, gaps and the derived top_of_book, spread, imbalance, latency, quality, bars(), book_at()')
    .argument('<sql>', 'SQL; several statements separated by ";" run in order, the last one is printed')
    .option('--data <dir>', DATA_HELP, DEFAULT_DATA_DIR)
    .option('--format <format>', 'table | csv | json (default: table on a terminal, csv otherwise)', formatArg)
    .option('--no-journal', 'sealed partitions only (skip the unsealed journals)')
    .addHelpText(
      'after',
      `
Examples:
  ticktape query --data ./data "SELECT exchange, stream, count(*) FROM raw GROUP BY ALL"
  ticktape query --format json "SELECT * FROM trades WHERE symbol = 'BTCUSDT' ORDER BY recv_ns LIMIT 10"
  ticktape query "SELECT recv_ns, stream, decode(payload) AS text FROM raw WHERE direction = 'out' LIMIT 5"

raw.payload is a BLOB (the exact bytes): decode(payload) shows a text frame as text.
Views also have the partition column "date" (DATE).

An SQL error exits 2 (TT_QUERY) with DuckDB's message on stderr.`,
    )
    .action(async (sql: string, opts: { data: string; format?: OutputFormat; journal: boolean; cacheGb?: number; config?: string }) => {
      const format: OutputFormat = opts.format ?? (process.stdout.isTTY ? 'table' : 'csv');
      const src = await openDataArg(opts);
      let tape;
      try {
        tape = await openAnalysis(src.dir, { includeJournal: opts.journal, progress: process.stderr.isTTY });
      } catch (err) {
        src.close();
        throw err;
      }
      try {
        const result = await tape.withProgress(() => runQuery(tape.conn, sql));
        // an error while the rows stream (a failing cast in a later row) is an SQL error too
        await writeResult(result, format, (s) => process.stdout.write(s)).catch((err: unknown) => {
          throw sqlError(err);
        });
      } finally {
        tape.close();
        src.close();
      }
    });
}
