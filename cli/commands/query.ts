/** `ticktape query`: SQL over the tables of a data folder (sealed partitions and unsealed journals). */
import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { storeOver } from '../../api/store.js';
import { sqlError } from '../../analysis/run-query.js';
import { TicktapeError } from '../../core/errors.js';
import { writeArrowStream } from '../../store/duck/arrow-result.js';
import { OUTPUT_FORMATS, writeResult, type OutputFormat } from '../../store/duck/format-result.js';
import { DEFAULT_DATA_DIR } from '../options.js';
import { addStoreOptions, DATA_HELP, openDataArg } from '../data-source.js';

/** Text formats, plus Arrow (an IPC stream) and Parquet (a file, with --out). */
export const QUERY_FORMATS = [...OUTPUT_FORMATS, 'arrow', 'parquet'] as const;
export type QueryFormat = (typeof QUERY_FORMATS)[number];

function formatArg(value: string): QueryFormat {
  if (!(QUERY_FORMATS as readonly string[]).includes(value)) throw new InvalidArgumentError(`--format must be one of ${QUERY_FORMATS.join(', ')}`);
  return value as QueryFormat;
}

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
    .option('--format <format>', 'table | csv | json | arrow (an Arrow IPC stream) | parquet (needs --out); default: table on a terminal, csv otherwise', formatArg)
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

An SQL error exits 2 (TT_QUERY) with DuckDB's message on stderr.`,
    )
    .action(async (sql: string, opts: { data: string; format?: QueryFormat; out?: string; journal: boolean; cacheGb?: number; config?: string }) => {
      const format: QueryFormat = opts.format ?? (opts.out || !process.stdout.isTTY ? 'csv' : 'table');
      if (format === 'parquet' && !opts.out) throw new TicktapeError('TT_CONFIG_INVALID', '--format parquet writes a file: add --out result.parquet.', { field: '--out' });
      if (format === 'arrow' && !opts.out && process.stdout.isTTY) {
        throw new TicktapeError('TT_CONFIG_INVALID', '--format arrow writes binary: pipe it into a reader (pyarrow, polars) or add --out result.arrows.', { field: '--format' });
      }
      const store = storeOver(await openDataArg(opts), { includeJournal: opts.journal, progress: process.stderr.isTTY });
      try {
        if (format === 'parquet') {
          const out = path.resolve(opts.out!);
          const rows = await store.copyToParquet(sql, out);
          process.stderr.write(`wrote ${rows} rows to ${out}\n`);
          return;
        }
        const result = await store.stream(sql);
        const fd = opts.out ? fs.openSync(path.resolve(opts.out), 'w') : null;
        const writeBytes = fd === null ? stdoutWrite : (b: Uint8Array) => void fs.writeSync(fd, b);
        try {
          // an error while the rows stream (a failing cast in a later row) is an SQL error too
          if (format === 'arrow') {
            await writeArrowStream(result, writeBytes).catch((err: unknown) => {
              throw sqlError(err);
            });
          } else {
            await writeResult(result, format, (s) => void writeBytes(Buffer.from(s))).catch((err: unknown) => {
              throw sqlError(err);
            });
          }
        } finally {
          if (fd !== null) fs.closeSync(fd);
        }
      } finally {
        store.close();
      }
    });
}
