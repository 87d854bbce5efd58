/**
 * Channels as users write them, and the MQTT topics they stand for. The canonical stream key is the
 * full topic (`exchange_ha_prod_hk/api/ws/v1/market/orderBook/BTC_USD/0.01`): it is what the broker
 * publishes on, so the client, the server and the data all use the same string.
 *
 * Channel syntax (case-insensitive symbol and kind):
 *   BTC_USD@depth                 depth chart, 50 cumulative buckets per side
 *   BTC_USD@orderBook[@0.01]      order book, top 15 per side, aggregated by step (default 0.01)
 *   BTC_USD@kline@60000           one candle; range in ms, or 1m 5m 15m 30m 1h 2h 4h 6h 12h 1d 1w
 *   BTC_USD@tickers               window of the 50 latest trades
 *   asset@<email>  order@<email>  trade@<email>   private pushes of the account <email>
 *   exchange_ha_prod_hk/...  or  /api/ws/...    a topic written out in full
 */
import { TicktapeError } from '../../core/errors.js';
import type { StreamKind, StreamSpec } from '../types.js';
import { DEPTH_CHART_BUCKETS, ENDPOINT, KLINE_RANGES_MS, MAX_STEP_DECIMALS, ORDER_BOOK_LEVELS, PRIVATE_QUIET_MS, PUBLIC_QUIET_MS, SUBTOPIC, TOPIC_ENV, TRADE_WINDOW_SIZE } from './protocol.js';

type TopicType = keyof typeof SUBTOPIC;

export const CHANNEL_HELP: string[] = [
  'BTC_USD@depth — depth chart: 50 cumulative price buckets per side, pushed every second',
  'BTC_USD@orderBook@0.01 — order book, top 15 levels per side aggregated by step (1.0 0.1 0.01 0.0001 0.000001 0.00000001; default 0.01)',
  'BTC_USD@kline@60000 — current candle; range in ms (60000 … 86400000, 604800000) or 1m 5m 15m 30m 1h 2h 4h 6h 12h 1d 1w',
  'BTC_USD@tickers — window of the 50 latest trades, newest first (de-duplicated when normalized)',
  'asset@<email> — private: balance changes of the account (needs accessKey, secretKey, email)',
  'order@<email> — private: order creation and cancellation',
  'trade@<email> — private: fills of the account',
  'exchange_ha_prod_hk/api/ws/... — any of the above written as the full MQTT topic',
];

const KLINE_ALIASES: Record<string, number> = {
  '1m': 60_000,
  '5m': 300_000,
  '15m': 900_000,
  '30m': 1_800_000,
  '1h': 3_600_000,
  '2h': 7_200_000,
  '4h': 14_400_000,
  '6h': 21_600_000,
  '12h': 43_200_000,
  '1d': 86_400_000,
  '1w': 604_800_000,
};

const SYMBOL_RE = /^[A-Z0-9]{1,16}_[A-Z0-9]{1,16}$/;
const EMAIL_RE = /^[^\s,/#+@]{1,64}@[^\s,/#+@]{1,255}$/;
const STEP_RE = new RegExp(`^\\d{1,12}(?:\\.\\d{1,${MAX_STEP_DECIMALS}})?$`);

function isValidStep(step: string): boolean {
  return STEP_RE.test(step) && /[1-9]/.test(step);
}

export function fullTopic(type: TopicType, p: { symbol?: string; step?: string; range?: number; email?: string }): string {
  const sub = SUBTOPIC[type]
    .replace('{symbol}', p.symbol ?? '')
    .replace('{step}', p.step ?? '')
    .replace('{range}', String(p.range ?? ''))
    .replace('{email}', p.email ?? '');
  return TOPIC_ENV + sub;
}

function spec(key: string, kind: StreamKind, symbol: string | null, isPrivate: boolean, params: Record<string, string | number>): StreamSpec {
  return { key, kind, symbol, endpoint: ENDPOINT, private: isPrivate, params, quietMs: isPrivate ? PRIVATE_QUIET_MS : PUBLIC_QUIET_MS };
}

function depthSpec(symbol: string): StreamSpec {
  return spec(fullTopic('depth', { symbol }), 'depth_chart', symbol, false, { type: 'depth', levels: DEPTH_CHART_BUCKETS });
}
export function orderBookSpec(symbol: string, step: string): StreamSpec {
  return spec(fullTopic('orderBook', { symbol, step }), 'book', symbol, false, { type: 'orderBook', levels: ORDER_BOOK_LEVELS, step });
}
function klineSpec(symbol: string, range: number): StreamSpec {
  return spec(fullTopic('kline', { symbol, range }), 'kline', symbol, false, { type: 'kline', intervalMs: range, interval: String(range) });
}
function tickersSpec(symbol: string): StreamSpec {
  return spec(fullTopic('tickers', { symbol }), 'trade_window', symbol, false, { type: 'tickers', window: TRADE_WINDOW_SIZE });
}
function privateSpec(type: 'asset' | 'order' | 'trade', email: string): StreamSpec {
  const kind: StreamKind = type === 'asset' ? 'account' : type === 'order' ? 'order' : 'fill';
  return spec(fullTopic(type, { email }), kind, null, true, { type, email });
}

/**
 * The stream a full topic names, or null when it is not one of Coinsuper's topics (wildcards,
 * unknown paths, bad parameters). Strict: the topic is the key, so it must already be canonical.
 */
export function topicToSpec(topic: string): StreamSpec | null {
  if (!topic.startsWith(`${TOPIC_ENV}/`)) return null;
  const path = topic.slice(TOPIC_ENV.length);
  let m: RegExpExecArray | null;
  if ((m = /^\/api\/ws\/v1\/market\/depth\/([^/]+)$/.exec(path))) return SYMBOL_RE.test(m[1]) ? depthSpec(m[1]) : null;
  if ((m = /^\/api\/ws\/v1\/market\/orderBook\/([^/]+)\/([^/]+)$/.exec(path))) {
    return SYMBOL_RE.test(m[1]) && isValidStep(m[2]) ? orderBookSpec(m[1], m[2]) : null;
  }
  if ((m = /^\/api\/ws\/v1\/market\/kline\/([^/]+)\/(\d+)$/.exec(path))) {
    const range = Number(m[2]);
    return SYMBOL_RE.test(m[1]) && (KLINE_RANGES_MS as readonly number[]).includes(range) && String(range) === m[2] ? klineSpec(m[1], range) : null;
  }
  if ((m = /^\/api\/ws\/v1\/market\/tickers\/([^/]+)$/.exec(path))) return SYMBOL_RE.test(m[1]) ? tickersSpec(m[1]) : null;
  if ((m = /^\/api\/ws\/personal\/v1\/asset\/change\/([^/]+)$/.exec(path))) return EMAIL_RE.test(m[1]) ? privateSpec('asset', m[1]) : null;
  if ((m = /^\/ws\/personal\/v1\/order\/change\/([^/]+)$/.exec(path))) return EMAIL_RE.test(m[1]) ? privateSpec('order', m[1]) : null;
  if ((m = /^\/ws\/personal\/v1\/trade\/change\/([^/]+)$/.exec(path))) return EMAIL_RE.test(m[1]) ? privateSpec('trade', m[1]) : null;
  return null;
}

function unknown(channel: string, why: string): TicktapeError {
  return new TicktapeError('TT_UNKNOWN_CHANNEL', `Unknown coinsuper channel "${channel}": ${why}. Write it as one of: ${CHANNEL_HELP.map((h) => h.split(' — ')[0]).join(', ')}.`, { exchange: 'coinsuper', channel });
}

/** Parses a channel as users write it (see the header) into its stream. Throws TT_UNKNOWN_CHANNEL. */
export function parseChannel(channel: string): StreamSpec {
  const text = channel.trim();
  if (text.startsWith(`${TOPIC_ENV}/`) || text.startsWith('/')) {
    const s = topicToSpec(text.startsWith('/') ? TOPIC_ENV + text : text);
    if (!s) throw unknown(channel, 'not a Coinsuper topic (check the symbol BASE_QUOTE, the step or the k-line range)');
    return s;
  }
  const at = text.indexOf('@');
  if (at < 0) {
    if (/^(asset|order|trade)$/i.test(text)) throw unknown(channel, `private channels name the account: ${text.toLowerCase()}@<email>`);
    throw unknown(channel, 'missing "@<kind>"');
  }
  const head = text.slice(0, at);
  const rest = text.slice(at + 1);
  const lowerHead = head.toLowerCase();
  if (lowerHead === 'asset' || lowerHead === 'order' || lowerHead === 'trade') {
    if (!EMAIL_RE.test(rest)) throw unknown(channel, `"${rest}" is not an e-mail address`);
    return privateSpec(lowerHead, rest);
  }
  const symbol = head.toUpperCase().replace(/[/-]/, '_');
  if (!SYMBOL_RE.test(symbol)) throw unknown(channel, `"${head}" is not a symbol of the form BASE_QUOTE`);
  const [kind, param, extra] = rest.split('@');
  if (extra !== undefined) throw unknown(channel, 'too many "@" parts');
  switch (kind.toLowerCase()) {
    case 'depth':
      if (param !== undefined) throw unknown(channel, 'depth takes no parameter');
      return depthSpec(symbol);
    case 'orderbook': {
      const step = param ?? '0.01';
      if (!isValidStep(step)) throw unknown(channel, `"${step}" is not a price step`);
      return orderBookSpec(symbol, step);
    }
    case 'kline': {
      if (param === undefined) throw unknown(channel, 'kline needs a range, e.g. @60000 or @1m');
      const range = /^\d+$/.test(param) ? Number(param) : KLINE_ALIASES[param.toLowerCase()];
      if (!range || !(KLINE_RANGES_MS as readonly number[]).includes(range)) throw unknown(channel, `"${param}" is not a documented k-line range`);
      return klineSpec(symbol, range);
    }
    case 'tickers':
      if (param !== undefined) throw unknown(channel, 'tickers takes no parameter');
      return tickersSpec(symbol);
    default:
      throw unknown(channel, `"${kind}" is not a Coinsuper channel kind`);
  }
}
