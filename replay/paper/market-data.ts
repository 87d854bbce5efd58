/**
 * The recorded market a paper account trades against, read from the normalized `book` and `trades`
 * views of the replay's tape (the normalizers' output of the recorded frames, sealed or still in
 * the journal). Only the markets the account trades are read, a window of recorded time at a time.
 *
 * One book stream per market: where the recording has several (depth 5 and depth 20, say), the
 * deepest (ASSUMPTION: the most levels say the most about what a taker can get); trades from every
 * trade stream of the market. Rows of one frame keep a fixed order (book levels best first, trades
 * by id, price, amount), so a frame reads the same on every run.
 */
import type { BookStreamSummary } from '../../store/remote/market-summary.js';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Side } from '../../exchanges/market.js';
import { sqlStr } from '../../store/partitions.js';
import type { FrameKey, MarketFrame } from './types.js';

/** How far back a book is looked for when a market is opened mid-recording, widening: a minute, 15 minutes, a day, everything. */
const BOOK_LOOKBACK_NS: readonly (bigint | null)[] = [...[60n, 900n, 86_400n].map((s) => s * 1_000_000_000n), null];

/** A market as the recording has it. */
export interface RecordedMarket {
  symbol: string;
  venue: string | null;
  /** The book stream the account matches against, or null when the market has trades only. */
  bookStream: string | null;
  /** Every recorded book frame of that stream is a snapshot (the market can be opened at any time from its latest book). */
  bookSnapshots: boolean;
  hasTrades: boolean;
}

export interface MarketData {
  /** Markets of an exchange in the recording, in a fixed order. */
  markets(exchange: string): Promise<RecordedMarket[]>;
  /** The latest book frame of the market at or before `atNs`, or null. */
  bookAt(exchange: string, m: RecordedMarket, atNs: bigint): Promise<MarketFrame | null>;
  /** Key of the latest frame (book or trades) of the market at or before `atNs`, or null. */
  latestKey(exchange: string, m: RecordedMarket, atNs: bigint): Promise<FrameKey | null>;
  /** Frames of the market with recv_ns in (fromNs, toNs], in recorded order. */
  frames(exchange: string, m: RecordedMarket, fromNs: bigint, toNs: bigint): Promise<MarketFrame[]>;
}

/** What a read of the tape reads: over a bucket, the days it needs are fetched first (served-days.ts). */
interface MarketNeed {
  tables: readonly string[];
  exchanges: readonly string[];
  /** Recorded time read, ns, end exclusive (open ends: from the start, to the end of the recording). */
  fromNs?: bigint;
  toNs?: bigint;
}

/** Borrows a connection to the tape for one query (whose views hold what `need` reads). */
type ConnectionSource = <T>(need: MarketNeed, fn: (conn: DuckDBConnection) => Promise<T>) => Promise<T>;

/** A book stream of a market with what picks the one the account matches against: its most levels, its rows, all snapshots. */
export type BookStreamStats = BookStreamSummary;

/**
 * The markets of an exchange's recording, in a fixed order, from its book streams and the
 * (symbol, venue) pairs with trades: per market the deepest book stream (then the most rows, then
 * the first name).
 */
export function marketDirectory(books: readonly BookStreamStats[], trades: ReadonlyArray<{ symbol: string; venue: string | null }>): RecordedMarket[] {
  const byKey = new Map<string, RecordedMarket & { rank: [number, number, string] | null }>();
  const k = (symbol: string, venue: string | null) => `${venue ?? ''}|${symbol}`;
  for (const b of books) {
    const key = k(b.symbol, b.venue);
    const rank: [number, number, string] = [b.levels ?? 0, b.rows, b.stream];
    const cur = byKey.get(key);
    const better = !cur?.rank || rank[0] > cur.rank[0] || (rank[0] === cur.rank[0] && (rank[1] > cur.rank[1] || (rank[1] === cur.rank[1] && rank[2] < cur.rank[2])));
    if (better) byKey.set(key, { symbol: b.symbol, venue: b.venue, bookStream: b.stream, bookSnapshots: b.snapshots, hasTrades: cur?.hasTrades ?? false, rank });
  }
  for (const t of trades) {
    const key = k(t.symbol, t.venue);
    const cur = byKey.get(key);
    if (cur) cur.hasTrades = true;
    else byKey.set(key, { symbol: t.symbol, venue: t.venue, bookStream: null, bookSnapshots: true, hasTrades: true, rank: null });
  }
  return [...byKey.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, { rank: _rank, ...m }]) => m);
}

const venueIs = (v: string | null) => (v === null ? 'venue IS NULL' : `venue = ${sqlStr(v)}`);

function marketWhere(exchange: string, m: RecordedMarket): string {
  return `exchange = ${sqlStr(exchange)} AND symbol = ${sqlStr(m.symbol)} AND ${venueIs(m.venue)}`;
}

function bookWhere(exchange: string, m: RecordedMarket): string {
  return `${marketWhere(exchange, m)} AND stream = ${sqlStr(m.bookStream ?? '')}`;
}

type Row = unknown[];
const big = (v: unknown) => (typeof v === 'bigint' ? v : BigInt(v as number));
const keyOf = (r: Row): FrameKey => ({ recvNs: big(r[0]), connId: String(r[1]), seq: Number(r[2]) });
const sameKey = (a: FrameKey, b: FrameKey) => a.recvNs === b.recvNs && a.connId === b.connId && a.seq === b.seq;

function compare(a: FrameKey, b: FrameKey): number {
  if (a.recvNs !== b.recvNs) return a.recvNs < b.recvNs ? -1 : 1;
  if (a.connId !== b.connId) return a.connId < b.connId ? -1 : 1;
  return a.seq - b.seq;
}

/** Book rows (recv_ns, conn_id, seq, side, price_str, amount_str, is_snapshot) → frames. */
function bookFrames(rows: Row[]): MarketFrame[] {
  const out: MarketFrame[] = [];
  let cur: MarketFrame | null = null;
  for (const r of rows) {
    const k = keyOf(r);
    if (!cur || !sameKey(cur.key, k)) {
      cur = { key: k, book: { bids: [], asks: [], snapshot: r[6] === true } };
      out.push(cur);
    }
    const level = { price: String(r[4]), amount: String(r[5]) };
    if (r[3] === 'bid') cur.book!.bids.push(level);
    else cur.book!.asks.push(level);
  }
  return out;
}

/** Trade rows (recv_ns, conn_id, seq, price_str, amount_str, side, trade_id) → frames. */
function tradeFrames(rows: Row[]): MarketFrame[] {
  const out: MarketFrame[] = [];
  let cur: MarketFrame | null = null;
  for (const r of rows) {
    const k = keyOf(r);
    if (!cur || !sameKey(cur.key, k)) {
      cur = { key: k, trades: [] };
      out.push(cur);
    }
    const side = r[5] === 'buy' || r[5] === 'sell' ? (r[5] as Side) : null;
    cur.trades!.push({ price: String(r[3]), amount: String(r[4]), side, tradeId: r[6] === null ? null : String(r[6]) });
  }
  return out;
}

/** Merges book and trade frames by key (a book first at an equal key: the two come from different frames in practice). */
function merge(a: MarketFrame[], b: MarketFrame[]): MarketFrame[] {
  const out: MarketFrame[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && compare(a[i].key, b[j].key) <= 0)) out.push(a[i++]);
    else out.push(b[j++]);
  }
  return out;
}

const BOOK_COLS = 'recv_ns, conn_id, seq, side, price_str, amount_str, is_snapshot';
const BOOK_ORDER = 'ORDER BY recv_ns, conn_id, seq, side, level';
const TRADE_COLS = 'recv_ns, conn_id, seq, price_str, amount_str, side, trade_id';
const TRADE_ORDER = 'ORDER BY recv_ns, conn_id, seq, trade_id, price_str, amount_str, side';

/**
 * The market data of a tape. `markets` gives the directory when the caller has it without reading
 * the tables (over a bucket: from the files' summaries); otherwise it is one read of each table.
 */
export function tapeMarketData(withConn: ConnectionSource, markets?: (exchange: string) => Promise<RecordedMarket[]>): MarketData {
  const rows = (need: MarketNeed, sql: string) => withConn(need, async (c) => (await c.runAndReadAll(sql)).getRows() as Row[]);
  /** The tables of a market read up to `toNs` (exclusive), from `fromNs` (from the start of the recording when absent). */
  const upTo = (exchange: string, tables: readonly string[], toNs: bigint, fromNs?: bigint): MarketNeed => ({ tables, exchanges: [exchange], fromNs, toNs });

  return {
    async markets(exchange) {
      if (markets) return markets(exchange);
      const need: MarketNeed = { tables: ['book', 'trades'], exchanges: [exchange] };
      const books = await rows(need, `SELECT symbol, venue, stream, max(levels), count(*), bool_and(is_snapshot) FROM book WHERE exchange = ${sqlStr(exchange)} GROUP BY symbol, venue, stream`);
      const trades = await rows(need, `SELECT DISTINCT symbol, venue FROM trades WHERE exchange = ${sqlStr(exchange)}`);
      const str = (v: unknown) => (v === null ? null : String(v));
      return marketDirectory(
        books.map(([symbol, venue, stream, levels, n, snapshots]) => ({ symbol: String(symbol), venue: str(venue), stream: String(stream), levels: levels === null ? null : Number(levels), rows: Number(n), snapshots: snapshots === true })),
        trades.map(([symbol, venue]) => ({ symbol: String(symbol), venue: str(venue) })),
      );
    },

    async bookAt(exchange, m, atNs) {
      if (m.bookStream === null) return null;
      for (const back of BOOK_LOOKBACK_NS) {
        const since = back === null ? '' : `AND recv_ns > ${atNs - back}`;
        const last = await rows(
          upTo(exchange, ['book'], atNs + 1n, back === null ? undefined : atNs - back),
          `SELECT recv_ns, conn_id, seq FROM book WHERE ${bookWhere(exchange, m)} AND recv_ns <= ${atNs} ${since} ORDER BY recv_ns DESC, conn_id DESC, seq DESC LIMIT 1`,
        );
        if (last.length === 0) continue;
        const key = keyOf(last[0]);
        const levels = await rows(
          upTo(exchange, ['book'], key.recvNs + 1n, key.recvNs),
          `SELECT ${BOOK_COLS} FROM book WHERE ${bookWhere(exchange, m)} AND recv_ns = ${key.recvNs} AND conn_id = ${sqlStr(key.connId)} AND seq = ${key.seq} ${BOOK_ORDER}`,
        );
        return bookFrames(levels)[0] ?? null;
      }
      return null;
    },

    async latestKey(exchange, m, atNs) {
      for (const back of BOOK_LOOKBACK_NS) {
        const since = back === null ? '' : `AND recv_ns > ${atNs - back}`;
        const parts = [`SELECT recv_ns, conn_id, seq FROM trades WHERE ${marketWhere(exchange, m)} AND recv_ns <= ${atNs} ${since}`];
        if (m.bookStream !== null) parts.push(`SELECT recv_ns, conn_id, seq FROM book WHERE ${bookWhere(exchange, m)} AND recv_ns <= ${atNs} ${since}`);
        const r = await rows(
          upTo(exchange, m.bookStream === null ? ['trades'] : ['trades', 'book'], atNs + 1n, back === null ? undefined : atNs - back),
          `SELECT * FROM (${parts.join(' UNION ALL ')}) ORDER BY recv_ns DESC, conn_id DESC, seq DESC LIMIT 1`,
        );
        if (r.length > 0) return keyOf(r[0]);
      }
      return null;
    },

    async frames(exchange, m, fromNs, toNs) {
      if (toNs <= fromNs) return [];
      const range = `AND recv_ns > ${fromNs} AND recv_ns <= ${toNs}`;
      const book = m.bookStream === null ? [] : bookFrames(await rows(upTo(exchange, ['book'], toNs + 1n, fromNs), `SELECT ${BOOK_COLS} FROM book WHERE ${bookWhere(exchange, m)} ${range} ${BOOK_ORDER}`));
      const trades = m.hasTrades ? tradeFrames(await rows(upTo(exchange, ['trades'], toNs + 1n, fromNs), `SELECT ${TRADE_COLS} FROM trades WHERE ${marketWhere(exchange, m)} ${range} ${TRADE_ORDER}`)) : [];
      return merge(book, trades);
    },
  };
}
