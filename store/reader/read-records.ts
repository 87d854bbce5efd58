/**
 * The reader: records from sealed partitions and unsealed journals, in (recv_ns, conn_id, seq)
 * order, filtered by exchange, stream, direction and time, in batches.
 *
 * Sealed raw files are written in that order (SORT_KEYS), and one recorder instance's files cover
 * disjoint stretches of time. So the files are grouped into chains (files in order, each starting
 * after the previous one ends) that DuckDB scans in file order without sorting, and the chains are
 * k-way merged here (a few: one per instance and day range). Whatever is not known to be in order
 * (staged journals, files written before raw files were sorted by time) forms one more input,
 * sorted by DuckDB window by window as before.
 *
 * Memory stays bounded: every input is read in windows of recv_ns of about READER_WINDOW_ROWS rows
 * (DuckDB spills a sort beyond its memory cap); unsealed journals are staged into DuckDB, not into
 * JS arrays. Filters are pushed down: whole files are skipped by their exchange and date folders and
 * by their recv_ns range, row groups by their recv_ns statistics.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { TapeRecord, Direction } from '../../schemas/record.js';
import { liveFilesOf } from '../duck/live-files.js';
import type { DuckSession } from '../duck/session.js';
import { borrowSession, releaseSession } from '../duck/session-pool.js';
import { dayBoundsNs, sqlStr } from '../partitions.js';
import { journalSegmentKeys } from '../seal/compact.js';
import { RANK_BLOCK_ORDER, RAW_BLOCK_ROWS, SORT_KEYS_META } from '../seal/parquet-file.js';
import { readKvMetadata, type LiveFile } from '../duck/live-files.js';
import { ChunkDecoder, type DecodedRows, HEADER_SELECT, NULLABLE_RECORD_COLUMNS, RECORD_SELECT, recordSelect, TEMPLATE_SELECT } from './chunk-decoder.js';
import { rawRowsSql, SLOT_COLUMNS, TEMPLATE_EMPTY_TABLE } from '../template/index.js';
import { batchRecords, mergeBatches, sliceBatch, type RecordBatch } from './record-batch.js';
import { hasJournalSegments, stageJournals } from './journal-stage.js';
import { streamChunks } from './result-chunks.js';

export interface ReadRecordsOptions {
  dataDir: string;
  exchanges?: readonly string[];
  streams?: readonly string[];
  directions?: readonly Direction[];
  /** Inclusive lower bound on recv_ns. */
  fromNs?: bigint;
  /** Exclusive upper bound on recv_ns. */
  toNs?: bigint;
  /** Read unsealed journals too (default true). */
  includeJournal?: boolean;
  /** Reuse a DuckDB session (it is left open). */
  session?: DuckSession;
  /** Rows a query window aims at (default READER_WINDOW_ROWS). */
  windowRows?: number;
  /**
   * Also give every frame's JSON value (RecordBatch.messages; readRecords: each record's
   * `message`), built straight from its payload template where it has one (store/template/build-value.ts)
   * instead of rebuilding the text and parsing it. Default false.
   */
  parse?: boolean;
}

const RAW_COLUMNS = 'exchange, conn_id, seq, recv_ns, direction, kind, stream, endpoint, payload, malformed, redacted, flags';
/** The payload template columns the decoder reads (store/template), NULL where a source has none. */
const TEMPLATE_COLS = `tpl, pre, rest, ${SLOT_COLUMNS.join(', ')}, "rank"`;
const NO_TEMPLATE_COLS = `NULL::VARCHAR AS tpl, NULL::BLOB AS pre, NULL::VARCHAR AS rest, ${SLOT_COLUMNS.map((c) => `NULL::BIGINT AS ${c}`).join(', ')}, NULL::BIGINT AS "rank"`;

/** Sealed files as a source with the raw columns and the template columns (older files: NULL). */
function sealedSource(paths: readonly string[], where: string): string {
  return `SELECT ${RAW_COLUMNS}, ${TEMPLATE_COLS} FROM (SELECT * FROM ${parquetList(paths)} UNION ALL BY NAME SELECT * FROM ${TEMPLATE_EMPTY_TABLE}) ${where}`;
}

function whereClause(o: ReadRecordsOptions): string {
  const conds: string[] = [];
  if (o.exchanges?.length) conds.push(`exchange IN (${o.exchanges.map(sqlStr).join(', ')})`);
  if (o.streams?.length) conds.push(`stream IN (${o.streams.map(sqlStr).join(', ')})`);
  if (o.directions?.length) conds.push(`direction IN (${o.directions.map(sqlStr).join(', ')})`);
  if (o.fromNs !== undefined) conds.push(`recv_ns >= ${o.fromNs}`);
  if (o.toNs !== undefined) conds.push(`recv_ns < ${o.toNs}`);
  return conds.length ? `WHERE ${conds.join(' AND ')}` : '';
}

function recordFilter(o: ReadRecordsOptions): (r: TapeRecord) => boolean {
  const ex = o.exchanges?.length ? new Set(o.exchanges) : null;
  const st = o.streams?.length ? new Set(o.streams) : null;
  const dir = o.directions?.length ? new Set<string>(o.directions) : null;
  return (r) => (!ex || ex.has(r.exchange)) && (!st || st.has(r.stream)) && (!dir || dir.has(r.direction)) && (o.fromNs === undefined || r.recvNs >= o.fromNs) && (o.toNs === undefined || r.recvNs < o.toNs);
}

/**
 * Rows a window aims at. Each input is queried window by window of recv_ns (a streaming result,
 * sorted by DuckDB when the input is not already in order, decoded chunk by chunk: result-chunks.ts),
 * sizing windows from the observed density: a window of about this many rows keeps memory bounded
 * (a sort's, or the rank reorder's, tens of MB) and amortizes the per-query cost.
 */
export const READER_WINDOW_ROWS = 200_000;

/** Chains read in parallel at most; files beyond go to the sorted input (each chain holds a DuckDB connection). */
const MAX_READER_CHAINS = 8;

/** The sort order that lets a raw file be streamed as it is. */
const REPLAY_ORDER = 'recv_ns,conn_id,seq';

function parquetList(paths: readonly string[]): string {
  return `read_parquet([${paths.map(sqlStr).join(', ')}], hive_partitioning=false, union_by_name=true)`;
}

async function sealedFiles(session: DuckSession, o: ReadRecordsOptions): Promise<LiveFile[]> {
  const pending = journalSegmentKeys(o.dataDir);
  return (await liveFilesOf(session.conn, o.dataDir, ['raw'], pending)).filter((f) => {
    if (o.exchanges?.length && !o.exchanges.includes(f.exchange)) return false;
    const { startNs, endNs } = dayBoundsNs(f.date);
    if (o.fromNs !== undefined && endNs <= o.fromNs) return false;
    if (o.toNs !== undefined && startNs >= o.toNs) return false;
    return true;
  });
}

/** The union of every source (sealed files, staged journals), filtered; null when there is none. */
export async function buildReaderSource(session: DuckSession, o: ReadRecordsOptions): Promise<string | null> {
  const files = await sealedFiles(session, o);
  const where = whereClause(o);
  const parts: string[] = [];
  if (files.length)
    parts.push(
      rawRowsSql(
        sealedSource(
          files.map((f) => f.path),
          where,
        ),
      ),
    );
  if (o.includeJournal !== false && hasJournalSegments(o.dataDir)) {
    const staged = await stageJournals(session.conn, o.dataDir, 'reader_j_', { normalize: false, filter: recordFilter(o) });
    if (staged.records > 0) parts.push(`SELECT ${RAW_COLUMNS} FROM reader_j_raw`);
  }
  return parts.length ? `(${parts.join(' UNION ALL ')})` : null;
}

interface FileRange {
  path: string;
  min: bigint;
  max: bigint;
  /** The least recv_ns of each row group. */
  starts: bigint[];
  /** Templated file in rank blocks (RANK_BLOCK_ORDER): read by rank, not by recv_ns. */
  ranked: boolean;
}

/** Files that follow one another in time, and where their row groups start (window boundaries). */
interface Chain {
  paths: string[];
  /** Least recv_ns of every row group of the chain, ascending. */
  rowGroupStarts: bigint[];
  /** The chain's files in order, each with its own row-group starts and order. */
  files: Array<{ path: string; starts: bigint[]; ranked: boolean }>;
}

/**
 * Splits files in replay order into chains: each chain's files follow one another in time (a file
 * starts strictly after the previous one ends), so scanning a chain's files in order yields its
 * rows in order. Returns the chains and the files left over (not in replay order, or beyond
 * MAX_READER_CHAINS).
 */
export async function planChains(conn: DuckDBConnection, paths: readonly string[]): Promise<{ chains: Chain[]; unordered: string[] }> {
  if (paths.length === 0) return { chains: [], unordered: [] };
  const kv = await readKvMetadata(conn, paths);
  const inOrder = (p: string) => kv.get(p)?.[SORT_KEYS_META] === REPLAY_ORDER || kv.get(p)?.[SORT_KEYS_META] === RANK_BLOCK_ORDER;
  const ordered = paths.filter(inOrder);
  const unordered = paths.filter((p) => !inOrder(p));
  const ranges: FileRange[] = [];
  if (ordered.length) {
    const r = await conn.runAndReadAll(
      `SELECT file_name, min(TRY_CAST(stats_min_value AS BIGINT)), max(TRY_CAST(stats_max_value AS BIGINT)), count(*) - count(TRY_CAST(stats_min_value AS BIGINT)), list(TRY_CAST(stats_min_value AS BIGINT) ORDER BY row_group_id)
       FROM parquet_metadata([${ordered.map(sqlStr).join(', ')}]) WHERE path_in_schema = 'recv_ns' GROUP BY file_name`,
    );
    const seen = new Set<string>();
    for (const [path, min, max, missing, starts] of r.getRows() as [string, bigint | null, bigint | null, bigint, { items: (bigint | null)[] }][]) {
      seen.add(path);
      if (min === null || max === null || missing > 0n) unordered.push(path);
      else ranges.push({ path, min, max, starts: starts.items as bigint[], ranked: kv.get(path)?.[SORT_KEYS_META] === RANK_BLOCK_ORDER });
    }
    for (const p of ordered) if (!seen.has(p)) unordered.push(p); // no row group: nothing to read, harmless either way
  }
  ranges.sort((a, b) => (a.min < b.min ? -1 : a.min > b.min ? 1 : 0));
  const chains: FileRange[][] = [];
  for (const f of ranges) {
    const chain = chains.find((c) => c[c.length - 1].max < f.min);
    if (chain) chain.push(f);
    else if (chains.length < MAX_READER_CHAINS) chains.push([f]);
    else unordered.push(f.path);
  }
  return {
    chains: chains.map((c) => ({ paths: c.map((f) => f.path), rowGroupStarts: c.flatMap((f) => f.starts), files: c.map((f) => ({ path: f.path, starts: f.starts, ranked: f.ranked })) })),
    unordered,
  };
}

/**
 * Learns every header and template of a source, in one scan of it (the distinct pairs of the two:
 * a few per stream; two queries, one for each, cost 28–70 % more).
 */
async function learnSource(conn: DuckDBConnection, decoder: ChunkDecoder, src: string): Promise<void> {
  const rows = (await conn.runAndReadAll(`SELECT DISTINCT ${HEADER_SELECT}, ${TEMPLATE_SELECT} FROM ${src}`)).getRows();
  const headers = new Map<unknown, unknown[]>();
  const templates = new Map<unknown, unknown[]>();
  for (const r of rows) {
    if (!headers.has(r[0])) headers.set(r[0], r.slice(0, HEADER_FIELDS));
    const tpl = r[HEADER_FIELDS + 1];
    if (tpl !== null && !templates.has(r[HEADER_FIELDS])) templates.set(r[HEADER_FIELDS], [r[HEADER_FIELDS], tpl]);
  }
  decoder.addHeaders([...headers.values()]);
  decoder.addTemplates([...templates.values()]);
}

/** Columns of HEADER_SELECT (the hash and the six strings). */
const HEADER_FIELDS = 7;

/** One input of the merge: a source read window by window, in (recv_ns, conn_id, seq) order. */
async function* readWindows(conn: DuckDBConnection, src: string, chain: Chain | null, o: ReadRecordsOptions): AsyncGenerator<RecordBatch> {
  const stats = (await conn.runAndReadAll(`SELECT min(recv_ns), max(recv_ns), count(*) FROM ${src}`)).getRows()[0] as [bigint | null, bigint | null, bigint];
  const [min, max, count] = stats;
  if (min === null || max === null || count === 0n) return;
  const decoder = new ChunkDecoder(new Set(), o.parse === true);
  await learnSource(conn, decoder, src);
  const target = BigInt(Math.max(1, o.windowRows ?? READER_WINDOW_ROWS));
  let span = ((max - min + 1n) * target) / count;
  if (span < 1n) span = 1n;
  // A chain is scanned as it lies (DuckDB keeps insertion order); other inputs are sorted.
  const order = chain ? '' : ' ORDER BY recv_ns, conn_id, seq';
  // A chain's windows end where a row group starts, so that no row group is decoded by two windows
  // (about 25% of DuckDB's work otherwise), unless that would more than double the window (memory).
  const starts = chain?.rowGroupStarts ?? [];
  let s = 0;
  const windowEnd = (lo: bigint): bigint => {
    const want = lo + span;
    while (s < starts.length && starts[s] < want) s++;
    return s < starts.length && starts[s] - lo <= 2n * span ? starts[s] : want;
  };
  // Headers and templates are fetched up front for the whole source (a journal growing meanwhile
  // cannot add any: it was staged once), so a window's stream never needs another query mid-way.
  let lo: bigint | null = min;
  while (lo !== null && lo <= max) {
    const hi = windowEnd(lo);
    let rows = 0;
    for await (const chunk of streamChunks(conn, `SELECT ${RECORD_SELECT} FROM ${src} WHERE recv_ns >= ${lo} AND recv_ns < ${hi}${order}`)) {
      rows += chunk.rowCount;
      const batch = decoder.decodeBatch(chunk);
      if (!batch) throw new Error('reader: a record header is missing from its source');
      yield batch;
    }
    // Adapt the next window to the density just seen; jump over empty stretches.
    if (rows > Number(target) * 2) span = span / 2n > 0n ? span / 2n : 1n;
    else if (rows < Number(target) / 2) span *= 2n;
    lo = rows > 0 ? hi : ((await conn.runAndReadAll(`SELECT min(recv_ns) FROM ${src} WHERE recv_ns >= ${hi}`)).getRows()[0][0] as bigint | null);
  }
}

/** Records per batch handed out (DuckDB's vector size, as a result chunk gives them). */
const READER_BATCH_ROWS = 2048;

/** The NULLABLE_RECORD_COLUMNS a file holds no value in (every row group's statistics count only NULLs). */
async function emptyColumns(conn: DuckDBConnection, path: string): Promise<Set<string>> {
  const rows = (
    await conn.runAndReadAll(
      `SELECT path_in_schema FROM parquet_metadata(${sqlStr(path)}) WHERE path_in_schema IN (${NULLABLE_RECORD_COLUMNS.map(sqlStr).join(', ')})
       GROUP BY path_in_schema HAVING bool_and(stats_null_count IS NOT NULL AND stats_null_count = num_values)`,
    )
  ).getRows() as [string][];
  return new Set(rows.map((r) => r[0]));
}

/**
 * A templated file in rank blocks, in replay order: windows of whole blocks by rank, each block's
 * rows (stored stream by stream) put back in order by their rank — no sort.
 */
async function* readRanked(conn: DuckDBConnection, path: string, where: string, o: ReadRecordsOptions): AsyncGenerator<RecordBatch> {
  const src = `(${sealedSource([path], where)})`;
  // Ranks are replay order, so the rows a filter keeps lie between its least and greatest rank:
  // only the blocks holding those are read (a rank window's row groups are skipped by their rank
  // statistics), not every block of the day. The bounds cost a scan of the filtered columns and the rank.
  const bounds = where ? `SELECT min("rank"), max("rank") + 1 FROM ${src}` : `SELECT 0, max("rank") + 1 FROM read_parquet(${sqlStr(path)}, hive_partitioning=false)`;
  const [first, rows] = (await conn.runAndReadAll(bounds)).getRows()[0] as [bigint | number | null, bigint | null];
  if (rows === null || first === null) return;
  const total = Number(rows);
  const start = Math.floor(Number(first) / RAW_BLOCK_ROWS) * RAW_BLOCK_ROWS;
  const absent = await emptyColumns(conn, path);
  const decoder = new ChunkDecoder(absent, o.parse === true);
  await learnSource(conn, decoder, src);
  const blocks = Math.max(1, Math.round((o.windowRows ?? READER_WINDOW_ROWS) / RAW_BLOCK_ROWS));
  const span = blocks * RAW_BLOCK_ROWS;
  const select = recordSelect(absent);
  for (let lo = start; lo < total; lo += span) {
    // Each chunk's rows decoded but for their payloads, which are then built straight into rank order.
    const parts: DecodedRows[] = [];
    const rankParts: Int32Array[] = [];
    let count = 0;
    let top = 0;
    for await (const chunk of streamChunks(conn, `SELECT ${select} FROM ${src} WHERE "rank" >= ${lo} AND "rank" < ${lo + span}`)) {
      const ranks = new Int32Array(chunk.rowCount);
      const rows = decoder.decodeRows(chunk, ranks);
      if (!rows) throw new Error('reader: a record header is missing from its source');
      for (let i = 0; i < ranks.length; i++) {
        const at = ranks[i] - lo; // rank < 2^31 within a file
        ranks[i] = at;
        if (at >= top) top = at + 1;
      }
      parts.push(rows);
      rankParts.push(ranks);
      count += rows.n;
    }
    if (count === 0) continue;
    const place = new Int32Array(count);
    let k = 0;
    for (const r of rankParts) {
      place.set(r, k);
      k += r.length;
    }
    const parse = o.parse === true;
    const ordered = decoder.emitRows(parts, place, top, parse);
    // Handed out in batches of a DuckDB chunk at most, as the other inputs do; with parse, each
    // slice's values are built as it goes out (young objects, not a whole window's promoted ones).
    for (let i = 0; i < ordered.length; i += READER_BATCH_ROWS) {
      const to = Math.min(ordered.length, i + READER_BATCH_ROWS);
      const slice = sliceBatch(ordered, i, to);
      yield parse ? { ...slice, messages: decoder.messagesOf(ordered, i, to) } : slice;
    }
  }
}

/** One chain's files in order: templated ones by rank, older ones by recv_ns windows. */
async function* readChain(conn: DuckDBConnection, chain: Chain, where: string, o: ReadRecordsOptions): AsyncGenerator<RecordBatch> {
  for (const f of chain.files) {
    if (f.ranked) yield* readRanked(conn, f.path, where, o);
    else yield* readWindows(conn, `(${sealedSource([f.path], where)})`, { paths: [f.path], rowGroupStarts: f.starts, files: [f] }, o);
  }
}

/**
 * The records of readRecords as column batches (record-batch.ts): the same rows in the same order,
 * with no object per record. Batches are handed out as they are decoded: a batch stays valid after
 * the next one is asked for.
 */
export async function* readRecordBatches(o: ReadRecordsOptions): AsyncGenerator<RecordBatch> {
  const session = o.session ?? (await borrowSession());
  const extra: DuckDBConnection[] = [];
  let failed = false;
  try {
    const conn = session.conn;
    await conn.run('SET parquet_metadata_cache = true');
    const where = whereClause(o);
    const files = await sealedFiles(session, o);
    const { chains, unordered } = await planChains(
      conn,
      files.map((f) => f.path),
    );
    // The sorted input: files not known to be in order, and the unsealed journals.
    const parts: string[] = [];
    if (unordered.length) parts.push(sealedSource(unordered, where));
    if (o.includeJournal !== false && hasJournalSegments(o.dataDir)) {
      const staged = await stageJournals(conn, o.dataDir, 'reader_j_', { normalize: false, filter: recordFilter(o) });
      if (staged.records > 0) parts.push(`SELECT ${RAW_COLUMNS}, ${NO_TEMPLATE_COLS} FROM reader_j_raw`);
    }
    const inputs: AsyncGenerator<RecordBatch>[] = [];
    // Each input runs its own queries concurrently with the others: one connection each.
    const connFor = async () => {
      if (inputs.length === 0) return conn;
      const c = await session.instance.connect();
      extra.push(c);
      return c;
    };
    if (parts.length) inputs.push(readWindows(await connFor(), `(${parts.join(' UNION ALL ')})`, null, o));
    for (const chain of chains) inputs.push(readChain(await connFor(), chain, where, o));
    if (inputs.length === 1) yield* inputs[0];
    else if (inputs.length > 1) yield* mergeBatches(inputs);
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    for (const c of extra) c.closeSync();
    if (!o.session) await releaseSession(session, failed);
  }
}

/** The records in (recv_ns, conn_id, seq) order, in batches; with `parse`, each record also has its `message` (ParsedTapeRecord). */
export async function* readRecords(o: ReadRecordsOptions): AsyncGenerator<TapeRecord[]> {
  for await (const batch of readRecordBatches(o)) yield batchRecords(batch);
}
