/**
 * Typed market messages straight from the normalized tables (trades, book, klines, tickers), in
 * the recorded order (recv_ns, conn_id, seq) across tables: the fast path for consumers that want
 * parsed data. Nothing is parsed from JSON here — the values were extracted once, at seal time, and
 * stored as typed columns: numbers come out of DOUBLE vectors, short strings out of the vectors'
 * own bytes (vector-strings.ts), and the few header strings (exchange, symbol, connection, stream)
 * are fetched once per source by hash, as the raw reader does.
 *
 * A book message is the frame's rows regrouped (bids and asks, best first). Each table is read in
 * windows of recv_ns (streaming results, a chunk fetched ahead while one is decoded: result-chunks.ts),
 * and the tables are merged in JS. Unsealed journals are included, normalized on the fly.
 */
import type { DuckDBConnection, DuckDBDataChunk, DuckDBVector } from '@duckdb/node-api';
import type { TableName } from '../../schemas/tables.js';
import { liveFilesOf, readKvMetadata } from '../duck/live-files.js';
import type { DuckSession } from '../duck/session.js';
import { borrowSession, releaseSession } from '../duck/session-pool.js';
import { symbolMatchSql } from '../../core/symbols.js';
import { sqlStr } from '../partitions.js';
import { SORT_KEYS_META } from '../seal/parquet-file.js';
import { SORT_KEYS } from '../../schemas/tables.js';
import { mergeRuns } from './merge-runs.js';
import { journalSegmentKeys } from '../seal/compact.js';
import { hasJournalSegments, stageJournals } from './journal-stage.js';
import { mergeOrdered } from './merge.js';
import { streamChunks } from './result-chunks.js';
import { varcharColumn } from './vector-strings.js';

export type NormalizedKind = 'trade' | 'book' | 'kline' | 'ticker';
const NORMALIZED_KINDS: readonly NormalizedKind[] = ['trade', 'book', 'kline', 'ticker'];

/** Where a message came from: the raw frame's keys (join back to `raw` on conn_id, seq). */
interface MessageHead {
  exchange: string;
  symbol: string;
  stream: string;
  connId: string;
  seq: number;
  /** Receive time of the frame, ns since the epoch. */
  recvNs: bigint;
  /** Exchange time, ms since the epoch, where the message carries one. */
  exchangeTsMs: number | null;
}

export interface TradeMessage extends MessageHead {
  type: 'trade';
  id: string | null;
  price: number;
  amount: number;
  /** The exact decimal text the exchange sent. */
  priceStr: string;
  amountStr: string;
  side: 'buy' | 'sell' | null;
  venue: string | null;
}

export interface BookLevel {
  price: number;
  amount: number;
  priceStr: string;
  amountStr: string;
  /** Counterparty (Nexus), upstream venue (Coinceres). */
  cp?: string;
  venue?: string;
}

export interface BookMessage extends MessageHead {
  type: 'book';
  isSnapshot: boolean;
  /** Levels per side the stream carries, where known. */
  depth: number | null;
  bids: BookLevel[];
  asks: BookLevel[];
}

export interface KlineMessage extends MessageHead {
  type: 'kline';
  interval: string;
  intervalMs: number | null;
  openTsMs: number;
  open: number | null;
  high: number | null;
  low: number | null;
  close: number | null;
  volume: number | null;
  quoteVolume: number | null;
}

export interface TickerMessage extends MessageHead {
  type: 'ticker';
  last: number | null;
  open: number | null;
  high: number | null;
  low: number | null;
  volume: number | null;
  quoteVolume: number | null;
  change: number | null;
  bid: number | null;
  ask: number | null;
}

export type NormalizedMessage = TradeMessage | BookMessage | KlineMessage | TickerMessage;

export interface ReadNormalizedOptions {
  dataDir: string;
  /** Message types (default: all four). */
  kinds?: readonly NormalizedKind[];
  exchanges?: readonly string[];
  /** Symbols however written: `btcusdt`, `BTC/USDT` and `BTC-USDT` select the same instrument (core/symbols.ts). */
  symbols?: readonly string[];
  streams?: readonly string[];
  /** Inclusive lower bound on recv_ns. */
  fromNs?: bigint;
  /** Exclusive upper bound on recv_ns. */
  toNs?: bigint;
  /** Read unsealed journals too, normalized on the fly (default true). */
  includeJournal?: boolean;
  session?: DuckSession;
  /** Rows a query window aims at (default NORMALIZED_WINDOW_ROWS). */
  windowRows?: number;
}

/** Rows per query window: bounded memory, per-query cost amortized. */
const NORMALIZED_WINDOW_ROWS = 200_000;

const TABLE_OF: Record<NormalizedKind, TableName> = { trade: 'trades', book: 'book', kline: 'klines', ticker: 'tickers' };
const HEAD_HASH = 'hash(exchange, symbol, conn_id, stream)';
const HEAD_SELECT = `${HEAD_HASH} AS h, exchange, symbol, conn_id, stream`;
const KEYS = `${HEAD_HASH} AS h, recv_ns, seq, exchange_ts_ms`;
const SELECT: Record<NormalizedKind, string> = {
  trade: `${KEYS}, price, amount, price_str, amount_str, trade_id, CASE side WHEN 'buy' THEN 1 WHEN 'sell' THEN 2 ELSE 0 END::INTEGER AS side, venue`,
  book: `${KEYS}, price, amount, price_str, amount_str, (side = 'ask')::INTEGER AS ask, is_snapshot::INTEGER AS snap, levels, cp, venue`,
  kline: `${KEYS}, "interval", interval_ms, open_ts_ms, open, high, low, close, volume, quote_volume`,
  ticker: `${KEYS}, last, open, high, low, volume, quote_volume, change, bid, ask`,
};
const ORDER: Record<NormalizedKind, string> = {
  trade: 'recv_ns, conn_id, seq',
  book: 'recv_ns, conn_id, seq, side, level',
  kline: 'recv_ns, conn_id, seq',
  ticker: 'recv_ns, conn_id, seq',
};
const TWO_32 = 2 ** 32;

interface Head {
  exchange: string;
  symbol: string;
  connId: string;
  stream: string;
}

interface Vec {
  items?: ArrayLike<number> & { buffer: ArrayBufferLike; byteOffset: number };
  getItem(i: number): unknown;
  validity?: { itemValid(i: number): boolean; data?: unknown };
  dataView?: DataView;
}

function whereOf(o: ReadNormalizedOptions): string {
  const c: string[] = [];
  if (o.exchanges?.length) c.push(`exchange IN (${o.exchanges.map(sqlStr).join(', ')})`);
  if (o.symbols?.length) c.push(`symbol IN (${o.symbols.map(sqlStr).join(', ')})`);
  if (o.streams?.length) c.push(`stream IN (${o.streams.map(sqlStr).join(', ')})`);
  if (o.fromNs !== undefined) c.push(`recv_ns >= ${o.fromNs}`);
  if (o.toNs !== undefined) c.push(`recv_ns < ${o.toNs}`);
  return c.length ? `WHERE ${c.join(' AND ')}` : '';
}

/** 64-bit integers of a BIGINT vector as Numbers (exact below 2^53; ns times stay bigint elsewhere), null where NULL. */
function int64Column(v: Vec, n: number): (number | null)[] {
  const out = new Array<number | null>(n);
  const items = v.items as unknown as BigInt64Array | undefined;
  const allValid = !v.validity || v.validity.data === null;
  if (!items) {
    for (let i = 0; i < n; i++) {
      const x = v.getItem(i) as bigint | null;
      out[i] = x === null ? null : Number(x);
    }
    return out;
  }
  const w = new Int32Array(items.buffer, items.byteOffset, n * 2);
  for (let i = 0; i < n; i++) out[i] = !allValid && !v.validity!.itemValid(i) ? null : (w[2 * i] >>> 0) + w[2 * i + 1] * TWO_32;
  return out;
}

function doubleColumn(v: Vec, n: number): (number | null)[] | Float64Array {
  const items = v.items as unknown as Float64Array | undefined;
  const allValid = !v.validity || v.validity.data === null;
  if (items && allValid) return items;
  const out = new Array<number | null>(n);
  for (let i = 0; i < n; i++) out[i] = v.validity && !v.validity.itemValid(i) ? null : items ? items[i] : (v.getItem(i) as number | null);
  return out;
}

function intColumn(v: Vec, n: number): (number | null)[] {
  const items = v.items as unknown as Int32Array | undefined;
  const out = new Array<number | null>(n);
  const allValid = !v.validity || v.validity.data === null;
  for (let i = 0; i < n; i++) out[i] = !allValid && !v.validity!.itemValid(i) ? null : items ? items[i] : (v.getItem(i) as number | null);
  return out;
}

type Decoder = (chunk: DuckDBDataChunk, heads: Map<number, Head>, out: NormalizedMessage[], open: { book: BookMessage | null }, absent: ReadonlySet<string>) => boolean;

/** Text columns a decoder skips when its source holds no value in them (each vector costs a copy out of DuckDB). */
const OPTIONAL_TEXT_COLUMNS = ['venue', 'cp'];

/** A VARCHAR column of the chunk, or NULLs without touching its vector when the source holds none. */
function optionalText(chunk: DuckDBDataChunk, index: number, name: string, absent: ReadonlySet<string>, n: number): (string | null)[] {
  return absent.has(name) ? new Array<string | null>(n).fill(null) : varcharColumn(chunk.getColumnVector(index) as unknown as Vec, n);
}

function headKey(words: Uint32Array, i: number): number {
  return words[2 * i] + (words[2 * i + 1] & 0xfffff) * TWO_32;
}

function common(chunk: DuckDBDataChunk) {
  const col = (i: number) => chunk.getColumnVector(i) as unknown as DuckDBVector & Vec;
  const n = chunk.rowCount;
  const h = col(0).items as unknown as BigUint64Array;
  const recv = col(1).items as unknown as BigInt64Array;
  return { col, n, hWords: new Uint32Array(h.buffer, h.byteOffset, n * 2), recv, seq: int64Column(col(2), n), ts: int64Column(col(3), n) };
}

const decodeTrades: Decoder = (chunk, heads, out, _open, absent) => {
  const { col, n, hWords, recv, seq, ts } = common(chunk);
  const price = doubleColumn(col(4), n);
  const amount = doubleColumn(col(5), n);
  const priceStr = varcharColumn(col(6), n);
  const amountStr = varcharColumn(col(7), n);
  const id = varcharColumn(col(8), n);
  const side = intColumn(col(9), n);
  const venue = optionalText(chunk, 10, 'venue', absent, n);
  for (let i = 0; i < n; i++) {
    const hd = heads.get(headKey(hWords, i));
    if (!hd) return false;
    const s = side[i];
    out.push({
      type: 'trade',
      exchange: hd.exchange,
      symbol: hd.symbol,
      stream: hd.stream,
      connId: hd.connId,
      seq: seq[i]!,
      recvNs: recv[i],
      exchangeTsMs: ts[i],
      id: id[i],
      price: price[i] as number,
      amount: amount[i] as number,
      priceStr: priceStr[i] as string,
      amountStr: amountStr[i] as string,
      side: s === 1 ? 'buy' : s === 2 ? 'sell' : null,
      venue: venue[i],
    });
  }
  return true;
};

const decodeBook: Decoder = (chunk, heads, out, open, absent) => {
  const { col, n, hWords, recv, seq, ts } = common(chunk);
  const price = doubleColumn(col(4), n);
  const amount = doubleColumn(col(5), n);
  const priceStr = varcharColumn(col(6), n);
  const amountStr = varcharColumn(col(7), n);
  const ask = intColumn(col(8), n);
  const snap = intColumn(col(9), n);
  const levels = intColumn(col(10), n);
  const cp = optionalText(chunk, 11, 'cp', absent, n);
  const venue = optionalText(chunk, 12, 'venue', absent, n);
  for (let i = 0; i < n; i++) {
    const hd = heads.get(headKey(hWords, i));
    if (!hd) return false;
    let m = open.book;
    if (!m || m.seq !== seq[i] || m.connId !== hd.connId) {
      m = {
        type: 'book',
        exchange: hd.exchange,
        symbol: hd.symbol,
        stream: hd.stream,
        connId: hd.connId,
        seq: seq[i]!,
        recvNs: recv[i],
        exchangeTsMs: ts[i],
        isSnapshot: snap[i] === 1,
        depth: levels[i],
        bids: [],
        asks: [],
      };
      open.book = m;
      out.push(m);
    }
    const level: BookLevel = { price: price[i] as number, amount: amount[i] as number, priceStr: priceStr[i] as string, amountStr: amountStr[i] as string };
    if (cp[i] !== null) level.cp = cp[i]!;
    if (venue[i] !== null) level.venue = venue[i]!;
    (ask[i] === 1 ? m.asks : m.bids).push(level);
  }
  return true;
};

function numbers(chunk: DuckDBDataChunk, from: number, count: number, n: number): ((number | null)[] | Float64Array)[] {
  const out: ((number | null)[] | Float64Array)[] = [];
  for (let k = 0; k < count; k++) out.push(doubleColumn(chunk.getColumnVector(from + k) as unknown as Vec, n));
  return out;
}

const decodeKlines: Decoder = (chunk, heads, out) => {
  const { col, n, hWords, recv, seq, ts } = common(chunk);
  const interval = varcharColumn(col(4), n);
  const intervalMs = int64Column(col(5), n);
  const openTs = int64Column(col(6), n);
  const [o, h, l, c, v, q] = numbers(chunk, 7, 6, n);
  for (let i = 0; i < n; i++) {
    const hd = heads.get(headKey(hWords, i));
    if (!hd) return false;
    out.push({
      type: 'kline',
      exchange: hd.exchange,
      symbol: hd.symbol,
      stream: hd.stream,
      connId: hd.connId,
      seq: seq[i]!,
      recvNs: recv[i],
      exchangeTsMs: ts[i],
      interval: interval[i] as string,
      intervalMs: intervalMs[i],
      openTsMs: openTs[i]!,
      open: o[i],
      high: h[i],
      low: l[i],
      close: c[i],
      volume: v[i],
      quoteVolume: q[i],
    });
  }
  return true;
};

const decodeTickers: Decoder = (chunk, heads, out) => {
  const { n, hWords, recv, seq, ts } = common(chunk);
  const [last, o, h, l, v, q, ch, bid, ask] = numbers(chunk, 4, 9, n);
  for (let i = 0; i < n; i++) {
    const hd = heads.get(headKey(hWords, i));
    if (!hd) return false;
    out.push({
      type: 'ticker',
      exchange: hd.exchange,
      symbol: hd.symbol,
      stream: hd.stream,
      connId: hd.connId,
      seq: seq[i]!,
      recvNs: recv[i],
      exchangeTsMs: ts[i],
      last: last[i],
      open: o[i],
      high: h[i],
      low: l[i],
      volume: v[i],
      quoteVolume: q[i],
      change: ch[i],
      bid: bid[i],
      ask: ask[i],
    });
  }
  return true;
};

const DECODERS: Record<NormalizedKind, Decoder> = { trade: decodeTrades, book: decodeBook, kline: decodeKlines, ticker: decodeTickers };

async function loadHeads(conn: DuckDBConnection, src: string, heads: Map<number, Head>): Promise<void> {
  const rows = (await conn.runAndReadAll(`SELECT DISTINCT ${HEAD_SELECT} FROM ${src}`)).getRows() as [bigint, string, string, string, string][];
  for (const [h, exchange, symbol, connId, stream] of rows) heads.set(Number(BigInt.asUintN(52, h)), { exchange, symbol, connId, stream });
}

/**
 * One table's messages in order, window by window. A source of files written in their table's sort
 * order (`presorted`: exchange, symbol, recv_ns, conn_id, seq, ...) is scanned as it lies and its
 * runs (one per symbol and file) merged in JS (merge-runs.ts); other sources are sorted by DuckDB.
 */
async function* readKind(conn: DuckDBConnection, kind: NormalizedKind, src: string, target: number, presorted: boolean, absent: ReadonlySet<string>): AsyncGenerator<NormalizedMessage[]> {
  const [min, max, count] = (await conn.runAndReadAll(`SELECT min(recv_ns), max(recv_ns), count(*) FROM ${src}`)).getRows()[0] as [bigint | null, bigint | null, bigint];
  if (min === null || max === null || count === 0n) return;
  const heads = new Map<number, Head>();
  await loadHeads(conn, src, heads);
  let span = ((max - min + 1n) * BigInt(target)) / count;
  if (span < 1n) span = 1n;
  const decode = DECODERS[kind];
  let lo: bigint | null = min;
  while (lo !== null && lo <= max) {
    const hi: bigint = lo + span;
    // A book message never spans two windows (its rows share recv_ns), but may span two chunks:
    // a window is handed out whole.
    const open = { book: null as BookMessage | null };
    const out: NormalizedMessage[] = [];
    let rows = 0;
    for await (const chunk of streamChunks(conn, `SELECT ${SELECT[kind]} FROM ${src} WHERE recv_ns >= ${lo} AND recv_ns < ${hi}${presorted ? '' : ` ORDER BY ${ORDER[kind]}`}`)) {
      rows += chunk.rowCount;
      if (!decode(chunk, heads, out, open, absent)) throw new Error('normalized reader: a message header is missing from its source');
    }
    if (out.length) yield presorted ? mergeRuns(out) : out;
    if (rows > target * 2) span = span / 2n > 0n ? span / 2n : 1n;
    else if (rows < target / 2) span *= 2n;
    lo = rows > 0 ? hi : ((await conn.runAndReadAll(`SELECT min(recv_ns) FROM ${src} WHERE recv_ns >= ${hi}`)).getRows()[0][0] as bigint | null);
  }
}

/** Of `columns`, those every one of `paths` has only NULLs in (Parquet statistics); a file without the column counts as NULLs. */
async function emptyColumns(conn: DuckDBConnection, paths: readonly string[], columns: readonly string[]): Promise<Set<string>> {
  if (paths.length === 0) return new Set();
  const rows = (
    await conn.runAndReadAll(
      `SELECT path_in_schema, count(DISTINCT file_name), bool_and(stats_null_count IS NOT NULL AND stats_null_count = num_values)
       FROM parquet_metadata([${paths.map(sqlStr).join(', ')}]) WHERE path_in_schema IN (${columns.map(sqlStr).join(', ')}) GROUP BY path_in_schema`,
    )
  ).getRows() as [string, bigint, boolean][];
  const present = new Set(rows.filter((r) => !r[2]).map((r) => r[0]));
  return new Set(columns.filter((c) => !present.has(c)));
}

/** Typed messages in recorded order, in batches. */
export async function* readNormalized(o: ReadNormalizedOptions): AsyncGenerator<NormalizedMessage[]> {
  const session = o.session ?? (await borrowSession());
  const extra: DuckDBConnection[] = [];
  let failed = false;
  try {
    const conn = session.conn;
    await conn.run('SET parquet_metadata_cache = true');
    const kinds = o.kinds?.length ? o.kinds : NORMALIZED_KINDS;
    const tables = kinds.map((k) => TABLE_OF[k]);
    const files = (await liveFilesOf(conn, o.dataDir, tables, journalSegmentKeys(o.dataDir))).filter((f) => !o.exchanges?.length || o.exchanges.includes(f.exchange));
    let journal = false;
    if (o.includeJournal !== false && hasJournalSegments(o.dataDir)) journal = (await stageJournals(conn, o.dataDir, 'rn_j_', { normalize: true })).records > 0;
    const sourceOf = (table: TableName, where: string): string | null => {
      const paths = files.filter((f) => f.table === table).map((f) => f.path);
      const parts: string[] = [];
      if (paths.length) parts.push(`SELECT * FROM read_parquet([${paths.map(sqlStr).join(', ')}], hive_partitioning=false, union_by_name=true) ${where}`);
      if (journal) parts.push(`SELECT * EXCLUDE ("date") FROM rn_j_${table} ${where}`);
      return parts.length ? `(${parts.join(' UNION ALL BY NAME ')})` : null;
    };
    let filter = o;
    if (o.symbols?.length) {
      // Symbols however written (btcusdt, BTC-USDT): the spellings the data uses, so the filter
      // stays an equality on the sorted symbol column and row groups are still skipped.
      const spellings = new Set<string>();
      const unfiltered = whereOf({ ...o, symbols: undefined });
      for (const kind of kinds) {
        const src = sourceOf(TABLE_OF[kind], unfiltered);
        if (!src) continue;
        const rows = (await conn.runAndReadAll(`SELECT DISTINCT symbol FROM ${src} WHERE ${symbolMatchSql('symbol', o.symbols)}`)).getRows();
        for (const [sym] of rows) spellings.add(sym as string);
      }
      if (spellings.size === 0) return;
      filter = { ...o, symbols: [...spellings] };
    }
    const where = whereOf(filter);
    const inputs: AsyncGenerator<NormalizedMessage[]>[] = [];
    const kv = journal
      ? new Map<string, Record<string, string>>()
      : await readKvMetadata(
          conn,
          files.filter((f) => tables.includes(f.table)).map((f) => f.path),
        );
    for (const kind of kinds) {
      const table = TABLE_OF[kind];
      const src = sourceOf(table, where);
      if (!src) continue;
      const c = inputs.length === 0 ? conn : await session.instance.connect();
      if (c !== conn) extra.push(c);
      const sortKeys = SORT_KEYS[table].join(',');
      const paths = files.filter((f) => f.table === table).map((f) => f.path);
      const presorted = !journal && paths.every((p) => kv.get(p)?.[SORT_KEYS_META] === sortKeys);
      const absent = journal ? new Set<string>() : await emptyColumns(conn, paths, OPTIONAL_TEXT_COLUMNS);
      inputs.push(readKind(c, kind, src, Math.max(1, o.windowRows ?? NORMALIZED_WINDOW_ROWS), presorted, absent));
    }
    if (inputs.length === 1) yield* inputs[0];
    else if (inputs.length > 1) yield* mergeOrdered(inputs);
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    for (const c of extra) c.closeSync();
    if (!o.session) await releaseSession(session, failed);
  }
}
