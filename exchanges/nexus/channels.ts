/**
 * Nexus channels: the syntax users write, the canonical stream keys stored in raw.stream, and the
 * StreamSpec both sides build from them (the client and the server share these functions, so a key
 * is spelled the same everywhere).
 *
 *   channel (as written)          stream key                      native subscription
 *   BTCUSDT@depth@5               API_MARKETDEPTH:BTCUSDT:5       {"action":"SUBSCRIBE","event":"API_MARKETDEPTH","symbol":"BTCUSDT","depth":5}
 *   BTCUSDT@depth                 API_MARKETDEPTH:BTCUSDT:5       (depth defaults to 5)
 *   orders                        API_ORDER                       {"action":"SUBSCRIBE","event":"API_ORDER"}
 *   positions@A                   API_RISK_POSITION:A:ALL         {"action":"SUBSCRIBE","event":"API_RISK_POSITION","symbol":"ALL","book":"A"}
 *   positions@A@BTCUSDT           API_RISK_POSITION:A:BTCUSDT     ... "symbol":"BTCUSDT","book":"A"
 *
 * The stream keys themselves are accepted as channels too. Two more keys serve the BTHub text
 * commands: API_QUOTE:<SYMBOL> and API_AGGREGATED_QUOTE:<SYMBOL>.
 *
 * Every Nexus stream is `private` (needs credentials): the venue has no anonymous access, the socket
 * opens only with a login token, and the aggregated book is the broker's book for that login (its
 * counterparties and prices are per operator), not a public market feed.
 */
import { TicktapeError } from '../../core/errors.js';
import type { StreamSpec } from '../types.js';
import { ALL_SYMBOLS, DEFAULT_DEPTH_LEVELS, MAX_DEPTH_LEVELS } from './protocol.js';

export const ENDPOINT = 'realtime';

/** Quiet thresholds of the stale-stream detector. */
/** The aggregated book changes many times a second on a live venue; 10 s of silence means trouble. */
const BOOK_QUIET_MS = 10_000;
/** Orders arrive only when the account trades: a day of silence is normal. */
const ORDER_QUIET_MS = 24 * 3_600_000;
/** Risk positions change with fills and marks; an hour without one is unusual but possible. */
const POSITION_QUIET_MS = 3_600_000;

const SYMBOL_RE = /^[A-Za-z0-9]{2,30}$/;
const BOOK_RE = /^[A-Za-z0-9_-]{1,32}$/;

export const CHANNEL_HELP: string[] = [
  '<SYMBOL>@depth[@<levels>]        aggregated multi-counterparty book, top <levels> per side (1-50, default 5), e.g. BTCUSDT@depth@5 → API_MARKETDEPTH',
  'orders                           parent orders with their counterparty orders and executions → API_ORDER',
  'positions@<book>[@<SYMBOL>|@ALL] risk positions of a book (ledger), one symbol or all (default ALL), e.g. positions@A → API_RISK_POSITION',
  'stream keys are accepted too: API_MARKETDEPTH:BTCUSDT:5, API_ORDER, API_RISK_POSITION:A:ALL',
  'every Nexus channel needs the login token (credential "token", env TICKTAPE_NEXUS_TOKEN), the book included',
];

export function depthKey(symbol: string, levels: number): string {
  return `API_MARKETDEPTH:${symbol}:${levels}`;
}
export const ORDER_KEY = 'API_ORDER';
export function positionKey(book: string, symbol: string): string {
  return `API_RISK_POSITION:${book}:${symbol}`;
}
export function quoteKey(symbol: string): string {
  return `API_QUOTE:${symbol}`;
}
export function aggregatedQuoteKey(symbol: string): string {
  return `API_AGGREGATED_QUOTE:${symbol}`;
}

export function depthStream(symbol: string, levels: number): StreamSpec {
  return {
    key: depthKey(symbol, levels),
    kind: 'book',
    symbol,
    endpoint: ENDPOINT,
    private: true,
    params: { event: 'API_MARKETDEPTH', levels },
    quietMs: BOOK_QUIET_MS,
  };
}

export function orderStream(): StreamSpec {
  return { key: ORDER_KEY, kind: 'order', symbol: null, endpoint: ENDPOINT, private: true, params: { event: 'API_ORDER' }, quietMs: ORDER_QUIET_MS };
}

/** `symbol` ALL is stored as a null StreamSpec.symbol (an account-wide stream), `params.symbol` keeps the native value. */
export function positionStream(book: string, symbol: string): StreamSpec {
  return {
    key: positionKey(book, symbol),
    kind: 'position',
    symbol: symbol === ALL_SYMBOLS ? null : symbol,
    endpoint: ENDPOINT,
    private: true,
    params: { event: 'API_RISK_POSITION', book, symbol },
    quietMs: POSITION_QUIET_MS,
  };
}

/** BTHub `subscribe:apiQuote:<symbol>`: one message per counterparty, 5 levels each (server side only). */
export function quoteStream(symbol: string): StreamSpec {
  return { key: quoteKey(symbol), kind: 'book', symbol, endpoint: ENDPOINT, private: true, params: { event: 'API_QUOTE' }, quietMs: BOOK_QUIET_MS };
}

/** BTHub `subscribe:apiAggregatedQuote:<symbol>` (server side only). */
export function aggregatedQuoteStream(symbol: string): StreamSpec {
  return {
    key: aggregatedQuoteKey(symbol),
    kind: 'book',
    symbol,
    endpoint: ENDPOINT,
    private: true,
    params: { event: 'API_AGGREGATED_QUOTE' },
    quietMs: BOOK_QUIET_MS,
  };
}

function unknown(channel: string, why: string): TicktapeError {
  return new TicktapeError('TT_UNKNOWN_CHANNEL', `Unknown Nexus channel "${channel}": ${why}. Use one of: BTCUSDT@depth@5, orders, positions@A, positions@A@BTCUSDT.`, { exchange: 'nexus', channel });
}

function symbolOf(channel: string, s: string | undefined): string {
  if (!s || !SYMBOL_RE.test(s)) throw unknown(channel, `"${s ?? ''}" is not a symbol like BTCUSDT`);
  return s.toUpperCase();
}

function levelsOf(channel: string, s: string | undefined): number {
  if (s === undefined) return DEFAULT_DEPTH_LEVELS;
  const n = Number(s);
  if (!/^\d+$/.test(s) || n < 1 || n > MAX_DEPTH_LEVELS) throw unknown(channel, `depth must be 1-${MAX_DEPTH_LEVELS} levels`);
  return n;
}

function bookOf(channel: string, s: string | undefined): string {
  if (!s || !BOOK_RE.test(s)) throw unknown(channel, 'a book (ledger) abbreviation like A is required');
  return s;
}

function positionSymbolOf(channel: string, s: string | undefined): string {
  if (s === undefined || s.toUpperCase() === ALL_SYMBOLS) return ALL_SYMBOLS;
  return symbolOf(channel, s);
}

/** Parses a channel as users write it, or a stream key. Throws TT_UNKNOWN_CHANNEL. */
export function parseChannel(channel: string): StreamSpec {
  const c = channel.trim();
  if (c === 'orders' || c === ORDER_KEY) return orderStream();

  if (c.includes(':')) {
    const [event, a, b, ...rest] = c.split(':');
    if (rest.length === 0) {
      if (event === 'API_MARKETDEPTH' && b !== undefined) return depthStream(symbolOf(c, a), levelsOf(c, b));
      if (event === 'API_RISK_POSITION' && b !== undefined) return positionStream(bookOf(c, a), positionSymbolOf(c, b));
      if (event === 'API_QUOTE' && b === undefined) return quoteStream(symbolOf(c, a));
      if (event === 'API_AGGREGATED_QUOTE' && b === undefined) return aggregatedQuoteStream(symbolOf(c, a));
    }
    throw unknown(c, 'not a stream key');
  }

  const parts = c.split('@');
  if (parts[0] === 'positions') {
    if (parts.length > 3) throw unknown(c, 'too many parts');
    return positionStream(bookOf(c, parts[1]), positionSymbolOf(c, parts[2]));
  }
  if (parts[1] === 'depth' && parts.length <= 3) return depthStream(symbolOf(c, parts[0]), levelsOf(c, parts[2]));
  throw unknown(c, 'not a known pattern');
}
