/**
 * The exchange / symbol / time filter of `analyze` and `report`, checked against the data before a
 * script runs: a filter that selects nothing is an error (TT_NO_DATA, exit 4) whose message lists
 * what the data does hold — exchanges, their symbols and time ranges — instead of an empty table
 * that looks like an answer. Symbols match however they are written (core/symbols.ts).
 *
 * The check is one `LIMIT 1` probe when the filter matches (it stops at the first row); the listing
 * of what the data holds is only computed when it does not.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { TicktapeError } from '../core/errors.js';
import { symbolMatchSql } from '../core/symbols.js';
import type { ExchangeId } from '../exchanges/types.js';
import { NORMALIZED_TABLES } from '../schemas/tables.js';

export interface MarketFilter {
  exchange: ExchangeId | null;
  symbol: string | null;
  fromNs: bigint | null;
  toNs: bigint | null;
}

interface ExchangeHoldings {
  exchange: string;
  symbols: string[];
  firstNs: bigint | null;
  lastNs: bigint | null;
}

/** Symbols listed per exchange in a hint; the rest are counted. */
const HINT_MAX_SYMBOLS = 12;

const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** The tables whose symbols are instruments (balances name currencies, orders and fills repeat instruments). */
const MARKET_TABLES = ['trades', 'book', 'klines', 'tickers'] as const;

function normalizedUnion(where: string, tables: readonly string[] = NORMALIZED_TABLES): string {
  return tables.map((t) => `SELECT exchange, symbol, recv_ns FROM ${t} WHERE ${where}`).join(' UNION ALL ');
}

function conditions(f: MarketFilter, withSymbol: boolean): string {
  const c: string[] = [];
  if (f.exchange) c.push(`exchange = ${lit(f.exchange)}`);
  if (withSymbol && f.symbol) c.push(symbolMatchSql('symbol', [f.symbol]));
  if (f.fromNs !== null) c.push(`recv_ns >= ${f.fromNs}`);
  if (f.toNs !== null) c.push(`recv_ns < ${f.toNs}`);
  return c.join(' AND ') || 'true';
}

async function any(conn: DuckDBConnection, sql: string): Promise<boolean> {
  return (await conn.runAndReadAll(`SELECT 1 FROM (${sql}) LIMIT 1`)).getRows().length > 0;
}

/** What the data holds, per exchange: the instruments of its market rows (trades, book, klines, tickers) and the time range of its records. */
async function dataHoldings(conn: DuckDBConnection): Promise<ExchangeHoldings[]> {
  const range = await conn.runAndReadAll(`SELECT exchange, min(recv_ns), max(recv_ns) FROM raw GROUP BY exchange ORDER BY exchange`);
  const syms = await conn.runAndReadAll(`SELECT DISTINCT exchange, symbol FROM (${normalizedUnion('true', MARKET_TABLES)}) ORDER BY exchange, symbol`);
  const out = new Map<string, ExchangeHoldings>();
  for (const [ex, first, last] of range.getRows() as Array<[string, bigint | null, bigint | null]>) out.set(ex, { exchange: ex, symbols: [], firstNs: first, lastNs: last });
  for (const [ex, sym] of syms.getRows() as Array<[string, string]>) {
    const h = out.get(ex) ?? { exchange: ex, symbols: [], firstNs: null, lastNs: null };
    h.symbols.push(sym);
    out.set(ex, h);
  }
  return [...out.values()].sort((a, b) => (a.exchange < b.exchange ? -1 : 1));
}

function iso(ns: bigint | null): string {
  return ns === null ? '?' : new Date(Number(ns / 1_000_000n)).toISOString();
}

/** "coinstore: BTCUSDT, ETHUSDT, 2026-11-23T10:00:00.000Z to …; nexus: …" */
function holdingsText(h: ExchangeHoldings[]): string {
  if (h.length === 0) return 'nothing: no records at all';
  return h
    .map((e) => {
      const shown = e.symbols.slice(0, HINT_MAX_SYMBOLS).join(', ');
      const more = e.symbols.length > HINT_MAX_SYMBOLS ? ` and ${e.symbols.length - HINT_MAX_SYMBOLS} more` : '';
      return `${e.exchange}: ${e.symbols.length ? `${shown}${more}` : 'no normalized rows'}, ${iso(e.firstNs)} to ${iso(e.lastNs)}`;
    })
    .join('; ');
}

function describe(f: MarketFilter): string {
  return [f.exchange ? `exchange ${f.exchange}` : null, f.symbol ? `symbol ${f.symbol}` : null, f.fromNs !== null ? `from ${iso(f.fromNs)}` : null, f.toNs !== null ? `to ${iso(f.toNs)}` : null].filter(Boolean).join(', ');
}

/**
 * Throws TT_NO_DATA when the data folder holds no record at all, or none the filter selects (with
 * symbol: none of the normalized rows; without: none of the raw records).
 */
export async function requireFilterMatch(conn: DuckDBConnection, f: MarketFilter, dataDir: string): Promise<void> {
  const filtered = f.exchange !== null || f.symbol !== null || f.fromNs !== null || f.toNs !== null;
  const matched = f.symbol ? await any(conn, normalizedUnion(conditions(f, true))) : await any(conn, `SELECT recv_ns FROM raw WHERE ${conditions(f, false)}`);
  if (matched) return;
  const holdings = await dataHoldings(conn);
  if (holdings.length === 0) {
    throw new TicktapeError('TT_NO_DATA', `No recorded data in ${dataDir}: point --data at a folder \`ticktape record\` wrote (check it with \`ticktape ls --data DIR\`).`, { dataDir });
  }
  if (!filtered) return;
  throw new TicktapeError('TT_NO_DATA', `Nothing in ${dataDir} matches ${describe(f)}. The data holds ${holdingsText(holdings)}.`, {
    dataDir,
    filter: describe(f),
    holdings: holdingsText(holdings),
  });
}

/** A TT_NO_DATA raised by a view's own check (bars(), book_at()) with what the data holds added; other errors as they are. */
export async function withHoldingsHint(conn: DuckDBConnection, err: unknown): Promise<unknown> {
  if (!(err instanceof TicktapeError) || err.code !== 'TT_NO_DATA' || err.context.holdings) return err;
  const holdings = holdingsText(await dataHoldings(conn));
  return new TicktapeError('TT_NO_DATA', `${err.message}. The data holds ${holdings}.`, { ...err.context, holdings }, { cause: err });
}
