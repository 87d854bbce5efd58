/**
 * Coinstore channel names (protocols.md §1.5): parsing, canonical stream keys, StreamSpecs.
 *
 * `<symbol>` is a lower-case symbol name (`btcusdt@trade`) or a numeric instrument id (`4@trade`);
 * the docs allow both and real clients use both. The canonical stream key uses the lower-case
 * name whenever the symbol is known, so that both spellings land in the same stream; an id whose
 * symbol is not known keeps the id form.
 */
import { TicktapeError } from '../../core/errors.js';
import type { Instrument } from '../market.js';
import { matchInstrument } from '../market.js';
import type { StreamKind, StreamSpec } from '../types.js';
import { DEFAULT_DEPTH_LEVELS, DEPTH_LEVELS, KLINE_INTERVALS, type ChannelType } from './protocol.js';

type ChannelTarget = { kind: 'all' } | { kind: 'id'; id: number } | { kind: 'name'; name: string };

export interface ParsedChannel {
  /** The channel as written (lower-cased). */
  name: string;
  type: ChannelType;
  target: ChannelTarget;
  /** Canonical part after the symbol: `trade`, `depth@20`, `kline@min_1`, `ticker`, `account`, `order`. */
  suffix: string;
  levels?: number;
  interval?: string;
}

export const ENDPOINT = 'ws';

/** How long each kind of stream normally stays silent (ms): default threshold of the stale detector. */
const QUIET_MS: Record<ChannelType, number> = {
  // Pushes happen only on change (min interval 100 ms): a quiet market can go minutes without a trade.
  trade: 10 * 60_000,
  // Depth is pushed "every 1 s or every 100 ms".
  depth: 60_000,
  // "pushes the latest candle every second".
  kline: 5 * 60_000,
  ticker: 5 * 60_000,
  // Private streams only move when the account does.
  account: 24 * 60 * 60_000,
  order: 24 * 60 * 60_000,
};

const KIND: Record<ChannelType, StreamKind> = {
  trade: 'trade',
  depth: 'book',
  kline: 'kline',
  ticker: 'ticker',
  account: 'account',
  order: 'order',
};

export const PRIVATE_TYPES: ReadonlySet<ChannelType> = new Set(['account', 'order']);

const SYMBOL_RE = /^[a-z0-9]+$/;

function unknown(channel: string, why: string): TicktapeError {
  return new TicktapeError(
    'TT_UNKNOWN_CHANNEL',
    `Unknown Coinstore channel "${channel}": ${why}. Use one of: <symbol>@trade, <symbol>@depth[@5|10|20|50|100], <symbol>@kline@<min_1|min_5|min_15|min_30|hour_1|hour_4|hour_12|day_1|week_1>, <symbol>@ticker, !@ticker, <currency>@account, !@account, <symbol>@order, !@order (symbol: lower-case name like btcusdt or numeric id like 4).`,
    { exchange: 'coinstore', channel },
  );
}

/** Parses a channel string. Throws TT_UNKNOWN_CHANNEL. Pure. */
export function parseChannelName(channel: string): ParsedChannel {
  const name = channel.trim().toLowerCase();
  const parts = name.split('@');
  const [sym, type, arg, ...rest] = parts;
  if (!sym || !type) throw unknown(channel, 'expected <symbol>@<type>');
  if (rest.length > 0) throw unknown(channel, 'too many @-separated parts');
  let target: ChannelTarget;
  if (sym === '!') target = { kind: 'all' };
  else if (/^[0-9]+$/.test(sym)) target = { kind: 'id', id: Number(sym) };
  else if (SYMBOL_RE.test(sym)) target = { kind: 'name', name: sym };
  else throw unknown(channel, `"${sym}" is neither a lower-case symbol name nor a numeric id`);

  switch (type) {
    case 'trade':
    case 'ticker':
    case 'account':
    case 'order': {
      if (arg !== undefined) throw unknown(channel, `${type} takes no parameter`);
      if (target.kind === 'all' && type === 'trade') throw unknown(channel, '!@ is only documented for ticker, account and order');
      return { name, type, target, suffix: type };
    }
    case 'depth': {
      if (target.kind === 'all') throw unknown(channel, '!@ is only documented for ticker, account and order');
      const levels = arg === undefined ? DEFAULT_DEPTH_LEVELS : Number(arg);
      if (!(DEPTH_LEVELS as readonly number[]).includes(levels)) throw unknown(channel, `depth levels must be one of ${DEPTH_LEVELS.join(', ')}`);
      return { name, type, target, suffix: `depth@${levels}`, levels };
    }
    case 'kline': {
      if (target.kind === 'all') throw unknown(channel, '!@ is only documented for ticker, account and order');
      if (arg === undefined || !(arg in KLINE_INTERVALS)) throw unknown(channel, `kline interval must be one of ${Object.keys(KLINE_INTERVALS).join(', ')}`);
      return { name, type, target, suffix: `kline@${arg}`, interval: arg };
    }
    default:
      throw unknown(channel, `unknown stream type "${type}"`);
  }
}

/** Exchange spelling of an instrument's symbol (BTCUSDT). */
export function symbolOf(inst: Instrument): string {
  return `${inst.base}${inst.quote}`.toUpperCase();
}

/** Canonical key from a symbol name (any case) or id and a suffix: `btcusdt@depth@20`. */
export function streamKey(symbolOrId: string | number, suffix: string): string {
  return `${String(symbolOrId).toLowerCase()}@${suffix}`;
}

/**
 * Currencies of the instruments, sorted: `<currency>@account` accepts a currency code or a
 * numeric currency id. No currency id table is published; ASSUMPTION: id n is the n-th (1-based)
 * currency of this sorted list, which is stable for a given instrument set.
 */
export function currencies(instruments: readonly Instrument[]): string[] {
  return [...new Set(instruments.flatMap((i) => [i.base.toUpperCase(), i.quote.toUpperCase()]))].sort();
}

/** Instrument a channel target names, when known. */
export function resolveInstrument(target: ChannelTarget, instruments: readonly Instrument[]): Instrument | undefined {
  // id 0 stands for "not known" in a replay's instruments (a recording whose frames name no id)
  if (target.kind === 'id') return target.id > 0 ? instruments.find((i) => i.id === target.id) : undefined;
  if (target.kind === 'name') return matchInstrument(instruments, target.name);
  return undefined;
}

/**
 * StreamSpec of a parsed channel. With `instruments` (server side) ids resolve to names; without
 * them (client side, before any frame) an id keeps the id form and the symbol stays unknown.
 */
export function specOf(ch: ParsedChannel, instruments?: readonly Instrument[]): StreamSpec {
  const params: Record<string, string | number> = { channel: ch.name };
  if (ch.levels !== undefined) params.levels = ch.levels;
  if (ch.interval !== undefined) {
    params.interval = ch.interval;
    params.intervalMs = KLINE_INTERVALS[ch.interval];
  }
  let key: string;
  let symbol: string | null = null;
  if (ch.target.kind === 'all') {
    key = `!@${ch.suffix}`;
  } else if (ch.type === 'account') {
    let cur: string = ch.target.kind === 'name' ? ch.target.name.toUpperCase() : String(ch.target.id);
    if (ch.target.kind === 'id' && instruments) {
      const byId = currencies(instruments)[ch.target.id - 1];
      if (byId) cur = byId;
    }
    params.currency = cur;
    key = streamKey(cur, ch.suffix);
  } else {
    const inst = instruments ? resolveInstrument(ch.target, instruments) : undefined;
    if (ch.target.kind === 'id') params.instrumentId = ch.target.id;
    if (inst) {
      symbol = symbolOf(inst);
      params.instrumentId = inst.id;
      key = streamKey(symbol, ch.suffix);
    } else if (ch.target.kind === 'name') {
      symbol = ch.target.name.toUpperCase();
      key = streamKey(symbol, ch.suffix);
    } else {
      key = streamKey(ch.target.id, ch.suffix);
    }
  }
  return {
    key,
    kind: KIND[ch.type],
    symbol,
    endpoint: ENDPOINT,
    private: PRIVATE_TYPES.has(ch.type),
    params,
    quietMs: QUIET_MS[ch.type],
  };
}

/** The channel string to put on the wire for a spec (what the user wrote). */
export function wireChannel(spec: StreamSpec): string {
  const ch = spec.params.channel;
  return typeof ch === 'string' && ch !== '' ? ch : spec.key;
}

export const CHANNEL_HELP: string[] = [
  '<symbol>@trade            trades, one push per trade (e.g. btcusdt@trade, 4@trade)',
  '<symbol>@depth[@N]        top-N book snapshot, N in 5|10|20|50|100 (default 20)',
  '<symbol>@kline@<interval> current candle: min_1 min_5 min_15 min_30 hour_1 hour_4 hour_12 day_1 week_1',
  '<symbol>@ticker           24 h mini-ticker of one symbol',
  '!@ticker                  24 h mini-tickers of all symbols (array)',
  '<currency>@account        balance of one currency (private, needs apiKey and userId)',
  '!@account                 balances of all currencies (private)',
  '<symbol>@order            order updates and fills of one symbol (private)',
  '!@order                   order updates and fills of all symbols (private)',
  '<symbol> is a lower-case symbol name (btcusdt) or a numeric instrument id (4).',
];
