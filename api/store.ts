/**
 * `openStore(data)`: one data folder as an object — SQL over its tables and views (rows, or an
 * Apache Arrow Table), its inventory, verification and sealing. `ticktape query`, `ls`, `verify`
 * and `seal` are this object driven from the command line.
 *
 * The SQL views see the data as it stood when the first query ran (one DuckDB snapshot, sealed
 * partitions plus unsealed journals normalized on the fly); `seal()` drops that snapshot, so the
 * next query sees the sealed files.
 */
import type { DuckDBResult, DuckDBValue } from '@duckdb/node-api';
import { blobValue, timestampValue } from '@duckdb/node-api';
import type { Table } from 'apache-arrow';
import { openAnalysis, type AnalysisTape } from '../analysis/open.js';
import { runQuery, sqlError } from '../analysis/run-query.js';
import { TicktapeError } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/log.js';
import { inventory, resultToTable, type Inventory } from '../store/duck/index.js';
import { openData, type DataLocation, type OpenedData, type RemoteDataOptions } from '../store/open-data.js';
import { compactAll, parseSealOptions, recoverDeadSegments, sealClosedSegments, verifyStore, type CompactResult, type DeadSegmentRecovery, type SealCommandOptions, type SealReport, type VerifyReport } from '../store/seal/index.js';

export type { Inventory, StreamInventory, ExchangeBytes, JournalInventory } from '../store/duck/index.js';
export type { VerifyReport, Finding, SealReport, CompactResult, DeadSegmentRecovery } from '../store/seal/index.js';

/** A query parameter: `$1` / `?` take them in order (an array), `$name` by name (an object). */
export type QueryValue = string | number | bigint | boolean | null | Date | Uint8Array;
export type QueryParams = readonly QueryValue[] | Readonly<Record<string, QueryValue>>;

/** A result row: column name → value (BIGINT as bigint, BLOB as Uint8Array, TIMESTAMP and DATE as Date). */
export type Row = Record<string, unknown>;

export interface StoreOptions {
  /** Include unsealed journals in the SQL views (default true; false is faster on large folders). */
  includeJournal?: boolean;
  /** With an `s3://bucket/prefix` data location: endpoint, region and the local cache (default: the AWS_* environment). */
  remote?: RemoteDataOptions;
}

/** `ticktape seal`'s flags camel-cased (`compact`, `compactToday`, `zstdLevel`, `instance`; its schema's fields), plus a logger. */
export interface SealStoreOptions extends SealCommandOptions {
  log?: Logger;
}

export interface StoreSealReport {
  /** Open segments a stopped recorder left, recovered and closed before sealing. */
  recovered: DeadSegmentRecovery[];
  sealed: SealReport;
  /** Day partitions compacted (null without `compact`). */
  compacted: CompactResult[] | null;
}

export interface Store {
  /** The local data folder. */
  readonly dir: string;
  /**
   * Runs SQL over the views raw, trades, book, klines, tickers, orders, fills, balances, positions,
   * gaps and the derived ones (top_of_book, spread, bars(), book_at(), …). Several statements
   * separated by ";" run in order and the last one's rows are returned. TT_QUERY on an SQL error.
   */
  query<T extends Row = Row>(sql: string, params?: QueryParams): Promise<T[]>;
  /** The same, as an Apache Arrow Table (64-bit integers and bytes kept; see store/duck/arrow-result.ts for the types). */
  queryArrow(sql: string, params?: QueryParams): Promise<Table>;
  /** Inventory: streams, time ranges, frame counts, gaps, bytes on disk, journals pending seal. */
  ls(): Promise<Inventory>;
  /** Checks every sealed partition and journal segment; `damaged` is true when something is. */
  verify(): Promise<VerifyReport>;
  /** Recovers what dead recorders left, seals closed journal segments, and optionally compacts. */
  seal(options?: SealStoreOptions): Promise<StoreSealReport>;
  /** Releases the DuckDB snapshot (the object cannot be used afterwards). */
  close(): void;
}

function duckValue(v: QueryValue): DuckDBValue {
  if (v instanceof Date) return timestampValue(BigInt(v.getTime()) * 1000n);
  if (v instanceof Uint8Array) return blobValue(v);
  return v;
}

function duckParams(params: QueryParams | undefined): DuckDBValue[] | Record<string, DuckDBValue> | undefined {
  if (params === undefined) return undefined;
  if (Array.isArray(params)) return params.map(duckValue);
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, duckValue(v as QueryValue)]));
}

/** The Store, with the streaming entry the CLI writes its output formats from. */
class TapeStore implements Store {
  private tape: Promise<AnalysisTape> | null = null;
  private closed = false;

  constructor(
    private readonly data: OpenedData,
    private readonly options: StoreOptions & { progress?: boolean },
  ) {}

  get dir(): string {
    return this.data.dir;
  }

  private open(): Promise<AnalysisTape> {
    if (this.closed) throw new TicktapeError('TT_CONFIG_INVALID', 'This store is closed: open it again with openStore(data).');
    this.tape ??= openAnalysis(this.data.dir, { includeJournal: this.options.includeJournal, progress: this.options.progress });
    return this.tape;
  }

  /** The last statement's result as DuckDB streams it (the CLI formats it chunk by chunk). */
  async stream(sql: string, params?: QueryParams): Promise<DuckDBResult> {
    const tape = await this.open();
    return tape.withProgress(() => runQuery(tape.conn, sql, duckParams(params)));
  }

  /** Runs `sql` but the last statement, then `COPY (last) TO file (FORMAT parquet)`; returns the rows written. */
  async copyToParquet(sql: string, file: string, params?: QueryParams): Promise<number> {
    const tape = await this.open();
    return tape.withProgress(async () => {
      try {
        const statements = await tape.conn.extractStatements(sql);
        const n = statements.count;
        if (n === 0) throw new TicktapeError('TT_QUERY', 'SQL error: no statement given.');
        for (let i = 0; i < n - 1; i++) await (await statements.prepare(i)).run();
        const copy = await tape.conn.prepare(`COPY (${lastStatementText(sql, n)}) TO '${file.replace(/'/g, "''")}' (FORMAT parquet, COMPRESSION zstd)`);
        const p = duckParams(params);
        if (p !== undefined) copy.bind(p);
        const r = await copy.run();
        return Number((await r.getRows())[0]?.[0] ?? 0);
      } catch (err) {
        throw sqlError(err);
      }
    });
  }

  async query<T extends Row = Row>(sql: string, params?: QueryParams): Promise<T[]> {
    const result = await this.stream(sql, params);
    try {
      return (await result.getRowObjectsJS()) as T[];
    } catch (err) {
      throw sqlError(err);
    }
  }

  async queryArrow(sql: string, params?: QueryParams): Promise<Table> {
    const result = await this.stream(sql, params);
    try {
      return await resultToTable(result);
    } catch (err) {
      throw sqlError(err);
    }
  }

  ls(): Promise<Inventory> {
    return inventory(this.data.dir);
  }

  verify(): Promise<VerifyReport> {
    return verifyStore(this.data.dir);
  }

  async seal(options: SealStoreOptions = {}): Promise<StoreSealReport> {
    const { log: given, ...rest } = options;
    // `ticktape seal`'s schema: the same bounds and messages, named as options here.
    const { compact, compactToday, zstdLevel, instance } = parseSealOptions(rest, 'option');
    const log = given ?? silentLogger;
    const recovered = recoverDeadSegments(this.data.dir);
    for (const r of recovered) log.info({ segment: r.closedAs, records: r.report.records, truncated: r.report.truncated, quarantined: r.report.quarantined }, 'recovered open segment of a dead recorder');
    const sealed = await sealClosedSegments(this.data.dir, { instance, log });
    let compacted: CompactResult[] | null = null;
    if (compact) {
      const today = new Date().toISOString().slice(0, 10);
      compacted = await compactAll(this.data.dir, { instance, beforeDate: compactToday ? undefined : today, zstdLevel });
    }
    await this.dropSnapshot();
    return { recovered, sealed, compacted };
  }

  private async dropSnapshot(): Promise<void> {
    const t = this.tape;
    this.tape = null;
    if (t) (await t.catch(() => null))?.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    void this.dropSnapshot().finally(() => this.data.close());
  }
}

/**
 * The text of the last of `n` statements of `sql`, for wrapping in COPY. Statements are split on
 * semicolons outside quotes and comments, the way DuckDB's parser counts them (checked against
 * its count).
 */
function lastStatementText(sql: string, n: number): string {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i];
    if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1);
      const stop = end < 0 ? sql.length : end;
      cur += sql.slice(i, stop + 1);
      i = stop;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end;
      cur += '\n';
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 1;
      cur += ' ';
    } else if (c === ';') {
      if (cur.trim()) parts.push(cur);
      cur = '';
    } else cur += c;
  }
  if (cur.trim()) parts.push(cur);
  if (parts.length !== n) throw new TicktapeError('TT_QUERY', 'SQL error: cannot find the last statement to write as Parquet: run it alone.');
  return parts[n - 1].trim();
}

/**
 * Opens a data folder as a Store. TT_NO_DATA when nothing is there (a mistyped path reads as no
 * data, never as an empty recording). An `s3://bucket/prefix` store is read through the local
 * cache: its committed files are fetched (or found cached) and the Store reads that snapshot.
 *
 * @example
 * const store = await openStore('./data');
 * const remote = await openStore('s3://my-bucket/ticktape', { remote: { endpoint: 'http://127.0.0.1:9000' } });
 * const [{ n }] = await store.query<{ n: bigint }>("SELECT count(*) AS n FROM trades WHERE exchange = $1", ['coinstore']);
 * store.close();
 */
export async function openStore(data: DataLocation, options: StoreOptions = {}): Promise<Store> {
  return openTapeStore(data, options);
}

/** A TapeStore over a location another opener resolved (the CLI's `--data`, s3:// included); close() releases it. */
export function storeOver(source: { dir: string; close(): void }, options: StoreOptions & { progress?: boolean } = {}): TapeStore {
  return new TapeStore({ dir: source.dir, location: source.dir, close: () => source.close() }, options);
}

/** openStore, typed as the TapeStore the CLI drives (with its streaming and COPY entries). */
async function openTapeStore(data: DataLocation, options: StoreOptions & { progress?: boolean } = {}): Promise<TapeStore> {
  return new TapeStore(await openData(data, { remote: options.remote }), options);
}
