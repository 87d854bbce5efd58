/** `ticktape query`: SQL over the tables of a data folder (sealed partitions and unsealed journals). */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { storeOver } from '../../api/store.js';
import { sqlError } from '../../analysis/run-query.js';
import { isTicktapeError, TicktapeError } from '../../core/errors.js';
import { writeResult } from '../../store/duck/index.js';
import { DEFAULT_DATA_DIR } from '../../store/open-data.js';
import { openAnalysis } from '../../analysis/open.js';
import { withHoldingsHint } from '../../analysis/filter.js';
import { parseQueryOptions, QUERY_FORMATS, type QueryFormat } from '../../analysis/options-schema.js';
import { addStoreOptions, DATA_HELP } from '../data-source.js';
import { openDataArg } from '../../store/open-data-arg.js';

export { QUERY_FORMATS, type QueryFormat };

/** Writes to stdout, waiting for it to drain (a pipe to a slow reader bounds the memory). */
function stdoutWrite(bytes: Uint8Array): Promise<void> | void {
  if (process.stdout.write(bytes)) return;
  return new Promise((resolve) => process.stdout.once('drain', () => resolve()));
}

export function registerQuery(program: Command): void {
  addStoreOptions(program.command('query'))
    .description('Run SQL over the views raw, trades, book, klines, tickers, orders, fills, balances, positions, gaps and the derived top_of_book, spread, imbalance, latency, quality, bars(), book_at()')
    .argument('<sql>', 'SQL; several statements separated by ";" run in order, the last one is printed')
    .option('--data <dir>', DATA_HELP, DEFAULT_DATA_DIR)
    .option('--format <format>', 'table | csv | json | arrow (an Arrow IPC stream) | parquet (needs --out); default: table on a terminal, csv otherwise')
    .option('--out <file>', 'write the result to this file instead of stdout')
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

An SQL error exits 2 (TT_QUERY) with DuckDB's message on stderr. A result without rows is still printed
(the header) and exits 4 (TT_NO_DATA) with what the data holds: exchanges, symbols, time ranges.
bars() and book_at() match a symbol however it is written; an unknown exchange exits 2.`,
    )
    .action(async (sql: string, flags: Record<string, unknown>) => {
      const opts = parseQueryOptions(flags, 'flag');
      const format: QueryFormat = opts.format ?? (opts.out || !process.stdout.isTTY ? 'csv' : 'table');
      if (format === 'arrow' && !opts.out && process.stdout.isTTY) {
        throw new TicktapeError('TT_CONFIG_INVALID', '--format arrow writes binary: pipe it into a reader (pyarrow, polars) or add --out result.arrows.', { field: '--format' });
      }
      const store = storeOver(await openDataArg(opts.source), { includeJournal: opts.includeJournal, progress: process.stderr.isTTY });
      try {
        let rows: number;
        if (format === 'parquet') {
          const out = path.resolve(opts.out!);
          rows = await store.copyToParquet(sql, out);
          process.stderr.write(`wrote ${rows} rows to ${out}\n`);
        } else {
          const result = await store.stream(sql);
          const fd = opts.out ? fs.openSync(path.resolve(opts.out), 'w') : null;
          const writeBytes = fd === null ? stdoutWrite : (b: Uint8Array) => void fs.writeSync(fd, b);
          try {
            // an error while the rows stream (a failing cast in a later row) is an SQL error too
            rows = await (format === 'arrow'
              ? import('../../store/duck/arrow-result.js').then(({ writeArrowStream }) => writeArrowStream(result, writeBytes))
              : writeResult(result, format, (s) => void writeBytes(Buffer.from(s))).then((w) => w.rows)
            ).catch((err: unknown) => {
              throw sqlError(err);
            });
          } finally {
            if (fd !== null) fs.closeSync(fd);
          }
        }
        // no rows is an answer, but never a silent one (a symbol spelled otherwise than the data,
        // a time outside it): exit 4 and say what the data holds
        if (rows === 0) throw new TicktapeError('TT_NO_DATA', 'The query returned no rows');
      } catch (err) {
        // also a helper (bars(), book_at()) whose filter selects nothing
        if (isTicktapeError(err) && err.code === 'TT_NO_DATA') {
          const tape = await openAnalysis(store.dir, { includeJournal: opts.includeJournal });
          try {
            throw await withHoldingsHint(tape.conn, err);
          } finally {
            tape.close();
          }
        }
        throw err;
      } finally {
        store.close();
      }
    });
}
