/**
 * Reading a Coinstore server frame: what it is, which stream it belongs to, its exchange sequence
 * numbers and timestamp. Pure.
 *
 * Stream identity comes from the frame's `symbol` field plus the channel's type, not from the
 * `channel` string: the docs leave open whether a subscription by name is pushed back under the
 * name or under the numeric id (protocols.md §1.5), and keying on `symbol` makes `4@trade` and
 * `btcusdt@trade` the same stream `btcusdt@trade`.
 */
import { DEFAULT_DEPTH_LEVELS, KLINE_INTERVALS, KLINE_INTERVAL_ALIASES, toMs } from './protocol.js';

const DATA_TYPES = new Set(['trade', 'kline', 'ticker', 'depth', 'account', 'order']);

type ServerFrame =
  | { kind: 'malformed' }
  | { kind: 'welcome'; S: number | null; sid: string | null }
  | { kind: 'echo'; S: number | null; echo: Record<string, unknown> }
  | { kind: 'resp'; S: number | null; C: number | null; M: string; payload: string | null; msg: Record<string, unknown> }
  | { kind: 'data'; S: number | null; T: string; msg: Record<string, unknown> }
  | { kind: 'other'; S: number | null; msg: Record<string, unknown> };

export function parseServerFrame(data: Uint8Array): ServerFrame {
  let msg: unknown;
  try {
    msg = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
  } catch {
    return { kind: 'malformed' };
  }
  if (!msg || typeof msg !== 'object' || Array.isArray(msg)) return { kind: 'malformed' };
  const m = msg as Record<string, unknown>;
  const S = typeof m.S === 'number' && Number.isInteger(m.S) ? m.S : null;
  const T = typeof m.T === 'string' ? m.T : null;
  if (T === 'resp' && m.M === 'established') return { kind: 'welcome', S, sid: typeof m.sid === 'string' ? m.sid : null };
  if (T === 'echo') return { kind: 'echo', S, echo: m.echo && typeof m.echo === 'object' ? (m.echo as Record<string, unknown>) : {} };
  if (T === 'resp') {
    return {
      kind: 'resp',
      S,
      C: typeof m.C === 'number' ? m.C : null,
      M: typeof m.M === 'string' ? m.M : '',
      payload: typeof m.payload === 'string' ? m.payload : null,
      msg: m,
    };
  }
  // Data pushes carry T; the doc examples without an envelope are recognised by their fields.
  const t = T ?? inferType(m);
  if (t && DATA_TYPES.has(t)) return { kind: 'data', S, T: t, msg: m };
  return { kind: 'other', S, msg: m };
}

/** Type of a push shown without its envelope in the docs (k-line, ticker, account, order examples). */
export function inferType(m: Record<string, unknown>): string | null {
  if (typeof m.channel === 'string') {
    const t = m.channel.split('@')[1];
    if (t && DATA_TYPES.has(t)) return t;
  }
  if (Array.isArray(m.data)) {
    const first = m.data[0] as Record<string, unknown> | undefined;
    return first && typeof first === 'object' ? inferType(first) : null;
  }
  if ('ordId' in m && 'ordState' in m) return 'order';
  if ('currency' in m && 'available' in m) return 'account';
  if (Array.isArray(m.a) && Array.isArray(m.b)) return 'depth';
  if ('tradeId' in m && 'takerSide' in m) return 'trade';
  if ('interval' in m && 'startTime' in m) return 'kline';
  if ('close' in m && 'open' in m && 'symbol' in m) return 'ticker';
  return null;
}

/** Channel interval name of a frame's interval (`1m` → `min_1`), or the text as sent. */
export function channelInterval(interval: string): string {
  if (interval in KLINE_INTERVALS) return interval;
  const ms = KLINE_INTERVAL_ALIASES[interval];
  const name = Object.entries(KLINE_INTERVALS).find(([, v]) => v === ms)?.[0];
  return name ?? interval;
}

/** Part of the channel after the symbol, canonical (`depth` → `depth@20`). */
function channelSuffix(type: string, m: Record<string, unknown>): string {
  const channel = typeof m.channel === 'string' ? m.channel.toLowerCase() : null;
  const parts = channel ? channel.split('@') : [];
  switch (type) {
    case 'depth': {
      const levels = parts[2] ?? (typeof m.level === 'number' ? String(m.level) : String(DEFAULT_DEPTH_LEVELS));
      return `depth@${levels}`;
    }
    case 'kline': {
      const interval = parts[2] ?? (typeof m.interval === 'string' ? channelInterval(m.interval) : 'unknown');
      return `kline@${interval}`;
    }
    default:
      return type;
  }
}

/**
 * Canonical stream key of a data push. `allStreams` lists the `!@` streams the connection
 * subscribed, for pushes that do not carry their channel.
 */
export function frameStreamKey(type: string, m: Record<string, unknown>, allStreams: ReadonlySet<string> = new Set()): string {
  if (Array.isArray(m.data)) {
    if (type === 'ticker') return '!@ticker';
    const first = m.data[0];
    return first && typeof first === 'object' ? frameStreamKey(type, first as Record<string, unknown>, allStreams) : '';
  }
  const channel = typeof m.channel === 'string' ? m.channel.toLowerCase() : null;
  if (channel?.startsWith('!@')) return channel;
  if (!channel && allStreams.has(`!@${type}`)) return `!@${type}`;
  const suffix = channelSuffix(type, m);
  if (type === 'account') {
    if (typeof m.currency === 'string') return `${m.currency.toLowerCase()}@account`;
  } else if (typeof m.symbol === 'string' && m.symbol !== '') {
    return `${m.symbol.toLowerCase()}@${suffix}`;
  }
  // No symbol: the channel's own spelling (an id) is all there is.
  return channel ? `${channel.split('@')[0]}@${suffix}` : '';
}

/**
 * The time that orders a push among its stream's frames, ms: `ts`, `time` or `timestamp`, where it
 * is given in ms. A time in whole seconds (order, balance and ticker pushes, the older trade form)
 * is null: frames of one second could not be told apart by it, so at a reconnect a new frame of
 * the second already recorded would pass for a repeat (handoff.ts decides those by receive time).
 */
export function frameTimestampMs(m: Record<string, unknown>): number | null {
  if (Array.isArray(m.data)) {
    let last: number | null = null;
    for (const d of m.data) if (d && typeof d === 'object') last = frameTimestampMs(d as Record<string, unknown>) ?? last;
    return last;
  }
  return msOnly(m.ts) ?? msOnly(m.time) ?? msOnly(m.timestamp);
}

/** A time given in ms, or null (absent, or in seconds: below 1e11, as `toMs` tells them). */
function msOnly(value: unknown): number | null {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && n >= 1e11 ? toMs(n) : null;
}

/** Trade `seq` values of a trade push (one, or one per batch element), ascending. */
export function tradeSeqs(m: Record<string, unknown>): number[] {
  const items = Array.isArray(m.data) ? m.data : [m];
  const out: number[] = [];
  for (const d of items) {
    const seq = d && typeof d === 'object' ? (d as Record<string, unknown>).seq : undefined;
    if (typeof seq === 'number' && Number.isInteger(seq)) out.push(seq);
  }
  return out.sort((a, b) => a - b);
}
