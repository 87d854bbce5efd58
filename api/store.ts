/**
 * `openStore(data)`: one data folder or s3:// store as an object — SQL over its tables and views
 * (rows, or an Apache Arrow Table), its inventory, verification and sealing. `ticktape query`,
 * `ls`, `verify` and `seal` are this object driven from the command line.
 *
 * The SQL views see the data as it stood when the first query ran (one DuckDB snapshot, sealed
 * partitions plus unsealed journals normalized on the fly; for an s3:// store, its committed files
 * fetched into the local cache then); `seal()` drops that snapshot, so the next query sees the
 * sealed (or compacted) files. `verify()` and `seal()` of an s3:// store work on the bucket itself.
 */
import type { DuckDBResult, DuckDBValue } from '@duckdb/node-api';
import { blobValue, timestampValue } from '@duckdb/node-api';
import type { Table } from 'apache-arrow';
import { openAnalysis, type AnalysisTape } from '../analysis/open.js';
import { runQuery, sqlError } from '../analysis/run-query.js';
import { TicktapeError } from '../core/errors.js';
import { optionName, type OptionNaming } from '../core/parse-options.js';
import { silentLogger, type Logger } from '../core/log.js';
import { inventory, type Inventory } from '../store/duck/index.js';
import { openData, type DataLocation, type RemoteDataOptions } from '../store/open-data.js';
import { BucketStore } from '../store/remote/bucket-store.js';
import type { BucketCompactResult } from '../store/remote/compact-remote.js';
import type { StoreConfigFile } from '../store/remote/store-config.js';
import { isStoreUrl } from '../store/remote/store-url.js';
import type { BucketVerifyReport, InstanceSummary } from '../store/remote/verify-remote.js';
import { compactAll, parseSealOptions, recoverDeadSegments, sealClosedSegments, verifyStore, type CompactResult, type DeadSegmentRecovery, type SealCommandOptions, type SealReport, type VerifyReport } from '../store/seal/index.js';

export type { Inventory, StreamInventory, ExchangeBytes, JournalInventory } from '../store/duck/index.js';
export type { VerifyReport, Finding, SealReport, CompactResult, DeadSegmentRecovery } from '../store/seal/index.js';
export type { BucketVerifyReport, InstanceSummary } from '../store/remote/verify-remote.js';
export type { BucketCompactResult } from '../store/remote/compact-remote.js';

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

/** What `seal()` did in a data folder. */
export interface FolderSealReport {
  /** Open segments a stopped recorder left, recovered and closed before sealing. */
  recovered: DeadSegmentRecovery[];
  sealed: SealReport;
  /** Day partitions compacted (null without `compact`). */
  compacted: CompactResult[] | null;
}

/** What `seal({ compact: true })` did in an s3:// store (a bucket holds sealed files only: it is compacted in place). */
export interface BucketSealReport {
  /** The store, as s3://bucket/prefix. */
  url: string;
  /** Day files written (`output`), retired inputs deleted after their grace period (`deleted`), days another compactor held (`busy`). */
  compacted: BucketCompactResult[];
}

/** A data folder's report, or an s3:// store's (the one with `url`). */
export type StoreSealReport = FolderSealReport | BucketSealReport;

/** The inventory of an s3:// store: also every recorder instance that wrote into it, from the manifests. */
export interface BucketInventory extends Inventory {
  /** The store, as s3://bucket/prefix. */
  url: string;
  instances: InstanceSummary[];
}

/** A data folder's report, or an s3:// store's (the one with `url`: also its instances). */
export type StoreVerifyReport = VerifyReport | BucketVerifyReport;

export interface Store {
  /** The local data folder; for an s3:// store, its cache folder (the committed files fetched so far, in a data folder's layout). */
  readonly dir: string;
  /**
   * Runs SQL over the views raw, trades, book, klines, tickers, orders, fills, balances, positions,
   * gaps and the derived ones (top_of_book, spread, bars(), book_at(), …). Several statements
   * separated by ";" run in order and the last one's rows are returned. TT_QUERY on an SQL error.
   */
  query<T extends Row = Row>(sql: string, params?: QueryParams): Promise<T[]>;
  /** The same, as an Apache Arrow Table (64-bit integers and bytes kept; see store/duck/arrow-result.ts for the types). */
  queryArrow(sql: string, params?: QueryParams): Promise<Table>;
  /** Inventory: streams, time ranges, frame counts, gaps, bytes on disk, journals pending seal; for an s3:// store also its `url` and recorder `instances`. */
  ls(): Promise<Inventory | BucketInventory>;
  /**
   * Checks every sealed partition and journal segment; `damaged` is true when something is. For an
   * s3:// store, every committed object is read from the bucket and checked against its manifest
   * first (missing, other size or SHA-256: damage; objects no manifest lists: notices), and the
   * report has the store's `url` and recorder `instances`. TT_STORE_UNREACHABLE when it cannot be reached.
   */
  verify(): Promise<StoreVerifyReport>;
  /**
   * Recovers what dead recorders left, seals closed journal segments, and optionally compacts. An
   * s3:// store holds sealed files only: it needs `compact: true` and is compacted in the bucket,
   * each day under its lease, inputs deleted by a later seal once their grace period is over.
   */
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

/** Where a Store's data is: a local folder, or an s3:// store held open (store/remote/bucket-store.ts). */
type StoreGround = { folder: string; bucket?: undefined; close(): void } | { folder?: undefined; bucket: BucketStore };

/** The Store, with the streaming entry the CLI writes its output formats from. */
class TapeStore implements Store {
  private tape: Promise<AnalysisTape> | null = null;
  private closed = false;

  constructor(
    private readonly ground: StoreGround,
    private readonly options: StoreOptions & { progress?: boolean },
  ) {}

  get dir(): string {
    return this.ground.folder ?? this.ground.bucket.cacheDir;
  }

  /** The folder SQL and ls read (an s3:// store: its snapshot in the cache, synced at the first read). */
  private readFolder(): Promise<string> {
    return this.ground.bucket ? this.ground.bucket.folder() : Promise.resolve(this.ground.folder);
  }

  private open(): Promise<AnalysisTape> {
    if (this.closed) throw new TicktapeError('TT_CONFIG_INVALID', 'This store is closed: open it again with openStore(data).');
    this.tape ??= this.readFolder().then((dir) => openAnalysis(dir, { includeJournal: this.options.includeJournal, progress: this.options.progress }));
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
      // apache-arrow is loaded only by the calls that hand out Arrow.
      const { resultToTable } = await import('../store/duck/arrow-result.js');
      return await resultToTable(result);
    } catch (err) {
      throw sqlError(err);
    }
  }

  async ls(): Promise<Inventory | BucketInventory> {
    const inv = await inventory(await this.readFolder());
    const { bucket } = this.ground;
    return bucket ? { ...inv, url: bucket.url, instances: await bucket.instances() } : inv;
  }

  verify(): Promise<StoreVerifyReport> {
    return this.ground.bucket ? this.ground.bucket.verify() : verifyStore(this.ground.folder);
  }

  seal(options: SealStoreOptions = {}): Promise<StoreSealReport> {
    return this.sealAs(options, 'option');
  }

  /** seal(), its options named the caller's way in messages (`ticktape seal` names them as flags). */
  async sealAs(options: SealStoreOptions | Record<string, unknown>, naming: OptionNaming): Promise<StoreSealReport> {
    const { log: given, ...rest } = options as SealStoreOptions;
    // `ticktape seal`'s schema: the same bounds and messages, named as options here.
    const { compact, compactToday, zstdLevel, instance } = parseSealOptions(rest, naming);
    const log = given ?? silentLogger;
    const today = new Date().toISOString().slice(0, 10);
    const beforeDate = compactToday ? undefined : today;
    const { bucket } = this.ground;
    if (bucket) {
      if (!compact) {
        const how = naming === 'flag' ? `ticktape seal --compact --data ${bucket.url}` : `seal({ compact: true })`;
        throw new TicktapeError('TT_CONFIG_INVALID', `A bucket holds sealed files only, there is nothing to seal there: add ${optionName('compact', naming)} to compact it (${how}).`, { field: optionName('compact', naming) });
      }
      const compacted = await bucket.compact({ instance, beforeDate, zstdLevel, log });
      await this.dropSnapshot();
      return { url: bucket.url, compacted };
    }
    const dir = this.ground.folder;
    const recovered = recoverDeadSegments(dir);
    for (const r of recovered) log.info({ segment: r.closedAs, records: r.report.records, truncated: r.report.truncated, quarantined: r.report.quarantined }, 'recovered open segment of a dead recorder');
    const sealed = await sealClosedSegments(dir, { instance, log });
    const compacted = compact ? await compactAll(dir, { instance, beforeDate, zstdLevel }) : null;
    await this.dropSnapshot();
    return { recovered, sealed, compacted };
  }

  /** Closes the DuckDB snapshot, then (an s3:// store) the cache snapshot it read. */
  private async dropSnapshot(): Promise<void> {
    const t = this.tape;
    this.tape = null;
    if (t) (await t.catch(() => null))?.close();
    await this.ground.bucket?.dropSnapshot();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const g = this.ground;
    void this.dropSnapshot().finally(() => (g.bucket ? g.bucket.close() : g.close()));
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
 * Opens a data folder or an s3:// store as a Store. TT_NO_DATA when nothing is there (a mistyped
 * path or prefix reads as no data, never as an empty recording). An `s3://bucket/prefix` store is
 * read through the local cache: its committed files are fetched (or found cached) at the first
 * query or ls, and the Store reads that snapshot; `verify()` and `seal({ compact: true })` work on
 * the bucket.
 *
 * @example
 * const store = await openStore('./data');
 * const remote = await openStore('s3://my-bucket/ticktape', { remote: { endpoint: 'http://127.0.0.1:9000' } });
 * const [{ n }] = await store.query<{ n: bigint }>("SELECT count(*) AS n FROM trades WHERE exchange = $1", ['coinstore']);
 * const report = await remote.verify();
 * store.close();
 */
export async function openStore(data: DataLocation, options: StoreOptions = {}): Promise<Store> {
  return openTapeStore(data, options);
}

/** A TapeStore over a folder another opener resolved (the CLI's `--data`, an s3:// snapshot included); close() releases it. */
export function storeOver(source: { dir: string; close(): void }, options: StoreOptions & { progress?: boolean } = {}): TapeStore {
  return new TapeStore({ folder: source.dir, close: () => source.close() }, options);
}

/**
 * openStore, typed as the TapeStore the CLI drives (with its streaming, COPY and flag-named seal
 * entries); `storeConfig` is a config file's `store` section under `remote`, `log` the one for the
 * s3:// cache's warnings.
 */
export async function openTapeStore(data: DataLocation, options: StoreOptions & { progress?: boolean; storeConfig?: Partial<StoreConfigFile>; log?: Logger } = {}): Promise<TapeStore> {
  const location = data instanceof URL ? data.href : data;
  if ((!(data instanceof URL) || data.protocol === 's3:') && isStoreUrl(location)) {
    const r = options.remote ?? {};
    const storeConfig: Partial<StoreConfigFile> = { ...options.storeConfig };
    if (r.endpoint !== undefined) storeConfig.endpoint = r.endpoint;
    if (r.region !== undefined) storeConfig.region = r.region;
    if (r.forcePathStyle !== undefined) storeConfig.forcePathStyle = r.forcePathStyle;
    return new TapeStore({ bucket: await BucketStore.open(location, { storeConfig, cacheDir: r.cacheDir, cacheGb: r.cacheGb, log: options.log }) }, options);
  }
  const opened = await openData(data);
  return new TapeStore({ folder: opened.dir, close: () => opened.close() }, options);
}
