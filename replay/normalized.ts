/**
 * Normalized replay: `GET /normalized?exchange=a,b&kinds=trade,book&symbol=..&from=..&to=..` streams
 * normalized rows as NDJSON, merged across exchanges and kinds in (recv_ns, conn_id, seq) order,
 * each row with a `kind` field. The same stream is served over WebSocket on `/normalized` (one
 * text message per row, closed with 1000 at the end).
 */
import type http from 'node:http';
import type { WebSocket } from 'ws';
import { TicktapeError } from '../core/errors.js';
import { parseTimeArg } from '../core/time-arg.js';
import { symbolMatchSql } from '../core/symbols.js';
import { isExchangeId } from '../exchanges/registry.js';
import { EXCHANGE_IDS } from '../exchanges/types.js';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Tape } from '../store/duck/index.js';
import { sqlStr } from '../store/partitions.js';
import type { NormalizedTable } from '../schemas/tables.js';

const KIND_TABLES: Record<string, NormalizedTable> = {
  trade: 'trades',
  trades: 'trades',
  book: 'book',
  kline: 'klines',
  klines: 'klines',
  ticker: 'tickers',
  tickers: 'tickers',
  order: 'orders',
  orders: 'orders',
  fill: 'fills',
  fills: 'fills',
  balance: 'balances',
  balances: 'balances',
  position: 'positions',
  positions: 'positions',
};

/** Above this many buffered bytes the WebSocket form waits for the client to read. */
const NORMALIZED_BUFFER_HIGH_BYTES = 1 << 20;

interface NormalizedQuery {
  exchanges: string[];
  tables: NormalizedTable[];
  symbols: string[];
  fromNs: bigint | null;
  toNs: bigint | null;
}

/**
 * The query parameters `/normalized` reads, each also in the other number (the library's options
 * are `exchanges`, `symbols`, `kinds`). Any other parameter is refused: ignoring a misspelled
 * filter (`symbls=`) would stream everything as if it had matched.
 */
const NORMALIZED_PARAMS: Record<string, string> = {
  exchange: 'exchange',
  exchanges: 'exchange',
  symbol: 'symbol',
  symbols: 'symbol',
  kind: 'kinds',
  kinds: 'kinds',
  from: 'from',
  to: 'to',
};

function parseNormalizedQuery(url: URL): NormalizedQuery {
  for (const k of url.searchParams.keys()) {
    if (!(k in NORMALIZED_PARAMS)) {
      throw new TicktapeError('TT_CONFIG_INVALID', `unknown parameter "${k}": /normalized takes exchange, symbol, kinds, from and to (e.g. ?exchange=coinstore&symbol=BTCUSDT&kinds=trade,book)`);
    }
  }
  const list = (name: string) =>
    [...url.searchParams.entries()]
      .filter(([k]) => NORMALIZED_PARAMS[k] === name)
      .flatMap(([, v]) => v.split(','))
      .map((s) => s.trim())
      .filter(Boolean);
  const kinds = list('kinds');
  const tables = [
    ...new Set(
      (kinds.length ? kinds : ['trade', 'book']).map((k) => {
        const t = KIND_TABLES[k];
        if (!t)
          throw new TicktapeError(
            'TT_CONFIG_INVALID',
            `unknown kind "${k}": use ${Object.keys(KIND_TABLES)
              .filter((x) => !x.endsWith('s') || x === 'trades')
              .join(', ')}`,
          );
        return t;
      }),
    ),
  ];
  for (const ex of list('exchange')) {
    if (!isExchangeId(ex)) throw new TicktapeError('TT_UNKNOWN_EXCHANGE', `unknown exchange "${ex}": use one of ${EXCHANGE_IDS.join(', ')}`, { exchange: ex });
  }
  const fromNs = url.searchParams.has('from') ? parseTimeArg(url.searchParams.get('from')!, 'from') : null;
  const toNs = url.searchParams.has('to') ? parseTimeArg(url.searchParams.get('to')!, 'to') : null;
  if (fromNs !== null && toNs !== null && fromNs >= toNs) throw new TicktapeError('TT_BAD_TIME', 'to must be after from (the range is empty or reversed)');
  return { exchanges: list('exchange'), tables, symbols: list('symbol'), fromNs, toNs };
}

function normalizedSql(q: NormalizedQuery): string {
  const conds: string[] = [];
  if (q.exchanges.length) conds.push(`exchange IN (${q.exchanges.map(sqlStr).join(', ')})`);
  // however the client writes a symbol (btcusdt, BTC-USDT, BTC/USDT), it selects the same instrument
  if (q.symbols.length) conds.push(symbolMatchSql('symbol', q.symbols));
  if (q.fromNs !== null) conds.push(`recv_ns >= ${q.fromNs}`);
  if (q.toNs !== null) conds.push(`recv_ns < ${q.toNs}`);
  const where = conds.length ? `WHERE ${conds.join(' AND ')}` : '';
  // Several rows come from one frame (book levels, trade batches): a tie-break keeps their order the
  // same on every run (book levels best first; other rows by their content).
  const tie = (t: NormalizedTable) => (t === 'book' ? `side || ':' || lpad(level::VARCHAR, 6, '0')` : 'to_json(x)::VARCHAR');
  const parts = q.tables.map((t) => `SELECT '${t}' AS kind, * EXCLUDE (date), ${tie(t)} AS _tie FROM ${t} x ${where}`);
  return `SELECT * EXCLUDE (_tie) FROM (${parts.join(' UNION ALL BY NAME ')}) ORDER BY recv_ns, conn_id, seq, kind, _tie`;
}

/** Normalized streams running at once; more wait for a free connection. */
const NORMALIZED_CONNECTIONS = 4;

/** What a read of the store needs (a bucket's replay server fetches those days only; nothing set: all of it). */
export interface TapeNeed {
  tables?: readonly string[];
  exchanges?: readonly string[];
  /** The time range read, ns, end exclusive. */
  fromNs?: bigint | null;
  toNs?: bigint | null;
}

/**
 * Connections to the tape the replay opened at start (its views over the data folder). Kept open:
 * opening and closing a DuckDB database per request would block the event loop, and with it every
 * paced replay, for tens of milliseconds. Over a bucket the source is a function that brings the
 * days a read needs into the tape's folder first (served-days.ts ServedTables) and returns the
 * same tape each time.
 */
export class NormalizedPool {
  private readonly free: DuckDBConnection[] = [];
  private readonly waiting: Array<(c: DuckDBConnection) => void> = [];
  private opened = 0;

  private tape: Promise<Tape> | null = null;

  constructor(private readonly source: Tape | ((need: TapeNeed) => Promise<Tape>)) {
    if (typeof source !== 'function') this.tape = Promise.resolve(source);
  }

  /** A connection whose views hold what `need` reads (at least). */
  async acquire(need: TapeNeed = {}): Promise<DuckDBConnection> {
    const tape = typeof this.source === 'function' ? this.source(need) : (this.tape as Promise<Tape>);
    await tape;
    const c = this.free.pop();
    if (c) return c;
    if (this.opened < NORMALIZED_CONNECTIONS) {
      this.opened++;
      try {
        return (await tape).session.connect();
      } catch (err) {
        this.opened--;
        throw err;
      }
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(c: DuckDBConnection): void {
    const next = this.waiting.shift();
    if (next) next(c);
    else this.free.push(c);
  }
}

/** Streams the rows; `write` may make us wait (a full consumer) and answers false when the consumer is gone. */
async function streamRows(pool: NormalizedPool, q: NormalizedQuery, write: (line: string) => boolean | Promise<boolean>): Promise<number> {
  const conn = await pool.acquire({ tables: q.tables, exchanges: q.exchanges.length ? q.exchanges : undefined, fromNs: q.fromNs, toNs: q.toNs });
  let n = 0;
  try {
    const result = await conn.stream(normalizedSql(q));
    for await (const rows of result.yieldRowObjectJson()) {
      for (const row of rows) {
        // drop nulls: rows of different kinds share one wide schema
        const compact: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(row)) if (v !== null) compact[k] = v;
        const r = write(JSON.stringify(compact));
        if (!(r instanceof Promise ? await r : r)) return n;
        n++;
      }
    }
  } finally {
    pool.release(conn);
  }
  return n;
}

export async function handleNormalized(req: http.IncomingMessage, res: http.ServerResponse, pool: NormalizedPool): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname !== '/normalized' || req.method !== 'GET') return false;
  let q: NormalizedQuery;
  try {
    q = parseNormalizedQuery(url);
  } catch (err) {
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: (err as Error).message }));
    return true;
  }
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  let gone = false;
  res.once('close', () => {
    gone = true;
    res.emit('drain');
  });
  await streamRows(pool, q, (line) => {
    if (gone) return false;
    if (res.write(`${line}\n`)) return true;
    return new Promise<boolean>((resolve) => res.once('drain', () => resolve(!gone)));
  });
  if (!gone) res.end();
  return true;
}

/** The same stream over WebSocket: one message per row, then close 1000. */
export async function serveNormalizedSocket(ws: WebSocket, url: URL, pool: NormalizedPool): Promise<void> {
  let q: NormalizedQuery;
  try {
    q = parseNormalizedQuery(url);
  } catch (err) {
    ws.close(1008, (err as Error).message.slice(0, 120));
    return;
  }
  await streamRows(pool, q, (line) => {
    if (ws.readyState !== ws.OPEN) return false;
    ws.send(line);
    if (ws.bufferedAmount < NORMALIZED_BUFFER_HIGH_BYTES) return true;
    return new Promise<boolean>((resolve) => {
      const poll = () => (ws.readyState !== ws.OPEN ? resolve(false) : ws.bufferedAmount < NORMALIZED_BUFFER_HIGH_BYTES / 2 ? resolve(true) : setTimeout(poll, 2));
      poll();
    });
  });
  if (ws.readyState === ws.OPEN) ws.close(1000, 'end of range');
}
