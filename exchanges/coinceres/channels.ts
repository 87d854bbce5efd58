/**
 * Channel syntax users write, and the canonical stream keys stored in `raw.stream`.
 *
 * Market (socket C): `<VENUE>:<BASE>/<QUOTE>@<channel>` where channel is `tick`, `trade`, `depth10`
 * (alias `depth`) or `candle@<duration>`; e.g. `OKEX:BTC/USDT@depth10`. The venue is Coinceres'
 * `exchange` field: the upstream exchange it relays. Key: `OKEX:BTC/USDT:depth10`,
 * `OKEX:BTC/USDT:candle:1m`.
 *
 * Trading (socket A): `trading[@<VENUE>:<C1>[,<C2>...]][@<period>]`, key `trading`. The trading
 * socket has no subscriptions: it answers requests. Recording it means connecting (authenticated by
 * the sign in the URL) and polling account (biz_type 14), orders (15), positions (16) and, for each
 * listed contract, fills (17, which requires exchange and contract) every period (`10s` default,
 * `500ms`..., at least 1 s).
 *
 * Notifications (socket B): `notify`, key `notify`. The socket pushes the account's order changes
 * (messageType 1) and margin / take-profit-stop-loss changes (messageType 2) with no subscription:
 * connecting with the signed URL is all it takes.
 */
import { TicktapeError } from '../../core/errors.js';
import type { Instrument } from '../market.js';
import type { StreamSpec } from '../types.js';
import { ACCOUNT_VENUE, CANDLE_DURATIONS, DEFAULT_POLL_INTERVAL_MS, DEFAULT_VENUE, DEPTH_ALIAS, DEPTH_LEVELS, MIN_POLL_INTERVAL_MS, NOTIFY_QUIET_MS, type MarketChannel } from './protocol.js';

export const TRADING_KEY = 'trading';
export const NOTIFY_KEY = 'notify';

export const CHANNEL_HELP: string[] = [
  '<VENUE>:<BASE>/<QUOTE>@tick          24 h ticker of the upstream venue, e.g. OKEX:BTC/USDT@tick (push-tick)',
  '<VENUE>:<BASE>/<QUOTE>@trade         every trade, e.g. HUOBI:BTC/USDT@trade (push-trade; no trade id upstream)',
  '<VENUE>:<BASE>/<QUOTE>@depth10       top-10 book snapshot per push, e.g. OKEX:BTC/USDT@depth10 (alias @depth)',
  '<VENUE>:<BASE>/<QUOTE>@candle@<dur>  candles, dur = 1m|5m|15m|30m|1h|4h|1d, e.g. OKEX:BTC/USDT@candle@1m',
  'trading[@<VENUE>:<C1>,<C2>...][@<period>]  private, needs apiKey+secret: the trading socket is request/response,',
  '      so recording it polls account (biz_type 14), orders (15), positions (16) and fills (17, per listed',
  '      contract) every period (default 10s, min 1s), e.g. trading@TEST:BTC/USDT,ETH/USDT@5s',
  "notify                              private, needs apiKey+secret: the trade-notification socket's pushes of the",
  "      account's order changes (messageType 1) and margin / take-profit-stop-loss changes (messageType 2)",
];

function unknown(channel: string, why: string): TicktapeError {
  return new TicktapeError('TT_UNKNOWN_CHANNEL', `Unknown coinceres channel "${channel}": ${why}. Channels look like OKEX:BTC/USDT@trade, OKEX:BTC/USDT@candle@1m or trading@TEST:BTC/USDT.`, { exchange: 'coinceres', channel });
}

/** `btc_usdt`, `BTC-USDT`, `btc/usdt` → `BTC/USDT` (Coinceres' market spelling). */
export function canonicalContract(contract: string): string {
  return contract.trim().toUpperCase().replace(/[_-]/g, '/');
}

export function marketKey(venue: string, contract: string, channel: MarketChannel, duration?: string): string {
  return channel === 'candle' ? `${venue}:${contract}:candle:${duration}` : `${venue}:${contract}:${channel}`;
}

/** Builds the stream spec of one market subscription (shared by the client and the server side). */
export function marketSpec(venue: string, contract: string, channel: MarketChannel, duration?: string): StreamSpec {
  const base = { symbol: contract, endpoint: 'market', private: false };
  switch (channel) {
    case 'tick':
      return { ...base, key: marketKey(venue, contract, channel), kind: 'ticker', params: { venue, channel }, quietMs: 60_000 };
    case 'trade':
      // Illiquid upstream pairs can go minutes without a trade.
      return { ...base, key: marketKey(venue, contract, channel), kind: 'trade', params: { venue, channel }, quietMs: 300_000 };
    case 'depth10':
      return { ...base, key: marketKey(venue, contract, channel), kind: 'book', params: { venue, channel, levels: DEPTH_LEVELS }, quietMs: 60_000 };
    case 'candle': {
      const intervalMs = CANDLE_DURATIONS[duration ?? ''];
      if (!intervalMs) throw new RangeError(`unknown candle duration ${duration}`);
      return {
        ...base,
        key: marketKey(venue, contract, channel, duration),
        kind: 'kline',
        params: { venue, channel, interval: duration as string, intervalMs },
        quietMs: Math.max(120_000, 2 * intervalMs),
      };
    }
  }
}

/** `subscribe-depth` (the 2019-02 Python client) is accepted as `depth10`. */
export function marketChannelOf(name: string): MarketChannel | null {
  if (name === DEPTH_ALIAS) return 'depth10';
  return (['tick', 'trade', 'depth10', 'candle'] as const).find((c) => c === name) ?? null;
}

function parsePeriod(text: string): number | null {
  const m = /^(\d+)(ms|s|m)$/.exec(text);
  if (!m) return null;
  const n = Number(m[1]);
  return m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000;
}

function tradingSpec(venue: string, contracts: string[], intervalMs: number): StreamSpec {
  return {
    key: TRADING_KEY,
    kind: 'trading',
    symbol: null,
    endpoint: 'trade',
    private: true,
    params: { venue, contracts: contracts.join(','), intervalMs },
    // Every poll answers; three missed polls mean the socket is stuck.
    quietMs: 3 * intervalMs,
  };
}

/**
 * The notification socket's one stream. Kind `order`: the simulator routes the demo account's order
 * events to it, and a replay the recorded notices.
 */
export function notifySpec(): StreamSpec {
  return { key: NOTIFY_KEY, kind: 'order', symbol: null, endpoint: 'notify', private: true, params: {}, quietMs: NOTIFY_QUIET_MS };
}

export function parseChannel(channel: string): StreamSpec {
  const text = channel.trim();
  if (text.toLowerCase() === NOTIFY_KEY) return notifySpec();
  const parts = text.split('@');
  if (parts[0].toLowerCase() === TRADING_KEY) {
    let venue = ACCOUNT_VENUE;
    let contracts: string[] = [];
    let intervalMs = DEFAULT_POLL_INTERVAL_MS;
    for (const part of parts.slice(1)) {
      const period = parsePeriod(part);
      if (period !== null) {
        if (period < MIN_POLL_INTERVAL_MS) throw unknown(channel, `the poll period must be at least ${MIN_POLL_INTERVAL_MS} ms`);
        intervalMs = period;
        continue;
      }
      const m = /^([A-Za-z0-9_]+):(.+)$/.exec(part);
      if (!m) throw unknown(channel, `"${part}" is neither <VENUE>:<CONTRACT>[,...] nor a period like 10s`);
      venue = m[1].toUpperCase();
      contracts = m[2].split(',').map(canonicalContract).filter(Boolean);
    }
    return tradingSpec(venue, contracts, intervalMs);
  }
  const m = /^([A-Za-z0-9_]+):([A-Za-z0-9]+[/_-][A-Za-z0-9]+)$/.exec(parts[0]);
  if (!m) throw unknown(channel, 'expected <VENUE>:<BASE>/<QUOTE> before the first @');
  const venue = m[1].toUpperCase();
  const contract = canonicalContract(m[2]);
  const ch = marketChannelOf((parts[1] ?? '').toLowerCase());
  if (!ch) throw unknown(channel, 'the channel after @ must be tick, trade, depth10 or candle@<duration>');
  if (ch === 'candle') {
    const duration = parts[2];
    if (!duration || !CANDLE_DURATIONS[duration]) {
      throw unknown(channel, `candles need a duration: ${Object.keys(CANDLE_DURATIONS).join(', ')}`);
    }
    if (parts.length > 3) throw unknown(channel, 'too many @ parts');
    return marketSpec(venue, contract, ch, duration);
  }
  if (parts.length > 2) throw unknown(channel, 'too many @ parts');
  return marketSpec(venue, contract, ch);
}

const contractOf = (i: Instrument) => `${i.base}/${i.quote}`.toUpperCase();

export function defaultChannels(instruments: Instrument[]): string[] {
  return instruments.flatMap((i) => {
    const c = `${DEFAULT_VENUE}:${contractOf(i)}`;
    return [`${c}@tick`, `${c}@trade`, `${c}@depth10`, `${c}@candle@1m`];
  });
}

export function privateChannels(instruments: Instrument[]): string[] {
  if (instruments.length === 0) return [TRADING_KEY, NOTIFY_KEY];
  return [`${TRADING_KEY}@${ACCOUNT_VENUE}:${instruments.map(contractOf).join(',')}`, NOTIFY_KEY];
}
