/**
 * A SessionFeed per connection on the shared market: routes each subscribed stream to the market
 * data of its kind. Trades and account events are delivered as they happen; snapshots (book,
 * depth chart, kline, ticker, trade window) are delivered at the end of a market step, at most once
 * per throttle interval per stream and instrument, and always with the latest state, so a throttled
 * stream never ends on a stale value. Throttles count logical market time, so what a connection
 * receives depends only on the market and when it subscribed.
 */
import type { SessionFeed } from '../exchanges/host.js';
import type { Instrument, MarketEvent } from '../exchanges/market.js';
import type { FeedItem, PushCadence, StreamKind, StreamSpec } from '../exchanges/types.js';
import type { Market } from './market.js';

export interface FeedThrottle {
  /** Minimum logical time between two book / depth-chart snapshots of one stream, ms. */
  bookMs: number;
  klineMs: number;
  tickerMs: number;
  /** Period of the trade-window push (Coinsuper pushes its window about once a second), ms. */
  tradeWindowMs: number;
}

/** Push periods of the streams whose exchange documents none. */
const DEFAULT_FEED_THROTTLE: FeedThrottle = { bookMs: 100, klineMs: 200, tickerMs: 500, tradeWindowMs: 1000 };

/**
 * Fast pushes for load tests and benchmarks: given as `throttle`, these override every exchange's
 * documented cadence (Coinsuper's book every 1.5 s becomes ten times a second). They are the rates
 * every stream had before the documented cadences, so load figures stay comparable.
 */
export const FAST_FEED_THROTTLE: FeedThrottle = { bookMs: 100, klineMs: 200, tickerMs: 500, tradeWindowMs: 1000 };

const DEFAULT_KLINE_INTERVAL_MS = 60_000;

interface FeedOptions {
  /** Push periods that override the exchange's documented cadence (load tests); a kind left out follows the cadence. */
  throttle?: Partial<FeedThrottle>;
  /** The exchange's documented cadence per stream (ServerSide.cadence); streams without one use DEFAULT_FEED_THROTTLE. */
  cadence?(stream: StreamSpec): PushCadence | null;
  /**
   * Called before every delivery; false withholds the item (fault injection: a stalled stream).
   * The socket and the other streams go on.
   */
  gate?(stream: StreamSpec, item: FeedItem): boolean;
  /** Called after every delivery (statistics). */
  delivered?(stream: StreamSpec): void;
}

const ACCOUNT_KIND: Partial<Record<MarketEvent['type'], StreamKind>> = { balance: 'account', order: 'order', fill: 'fill', position: 'position' };
const PRIVATE_KINDS = new Set<StreamKind>(['account', 'order', 'fill', 'position', 'trading']);

interface Target {
  inst: Instrument;
  pending: boolean;
  lastSentMs: number;
}

interface Sub {
  stream: StreamSpec;
  deliver: (item: FeedItem) => void;
  /** Instruments of this stream; for account-wide streams with no symbol, null (every instrument). */
  targets: Target[] | null;
  intervalMs: number;
  /** Push period of the stream's snapshots (0: not a snapshot stream), and whether it pushes unchanged state too. */
  periodMs: number;
  periodic: boolean;
}

const THROTTLE_KEY: Partial<Record<StreamKind, keyof FeedThrottle>> = {
  book: 'bookMs',
  depth_chart: 'bookMs',
  kline: 'klineMs',
  ticker: 'tickerMs',
  trade_window: 'tradeWindowMs',
};

export function createMarketFeed(market: Market, opts: FeedOptions = {}): SessionFeed {
  const subs = new Map<string, Sub>();
  let off: (() => void) | null = null;

  const send = (sub: Sub, event: MarketEvent) => {
    const item: FeedItem = { type: 'event', event };
    if (opts.gate && !opts.gate(sub.stream, item)) return;
    sub.deliver(item);
    opts.delivered?.(sub.stream);
  };

  /** An explicit throttle first (load tests), then the exchange's documented cadence, then the defaults. */
  const cadenceOf = (stream: StreamSpec): PushCadence | null => {
    const key = THROTTLE_KEY[stream.kind];
    if (!key) return null;
    const forced = opts.throttle?.[key];
    if (forced !== undefined) return { periodMs: forced, periodic: stream.kind === 'trade_window' };
    return opts.cadence?.(stream) ?? { periodMs: DEFAULT_FEED_THROTTLE[key], periodic: stream.kind === 'trade_window' };
  };

  const snapshot = (sub: Sub, inst: Instrument): MarketEvent | null => {
    switch (sub.stream.kind) {
      case 'book':
      case 'depth_chart':
        return market.book(inst);
      case 'kline':
        return market.kline(inst, sub.intervalMs);
      case 'ticker':
        return market.ticker(inst);
      case 'trade_window':
        return market.tradeWindow(inst);
      default:
        return null;
    }
  };

  const markPending = (inst: Instrument, kinds: ReadonlySet<StreamKind>) => {
    for (const sub of subs.values()) {
      if (!kinds.has(sub.stream.kind) || !sub.targets) continue;
      for (const t of sub.targets) if (t.inst.id === inst.id) t.pending = true;
    }
  };

  const BOOK_KINDS = new Set<StreamKind>(['book', 'depth_chart', 'ticker']);
  const TRADE_KINDS = new Set<StreamKind>(['kline', 'ticker']);

  const listen = () => {
    if (off) return;
    off = market.on({
      trade: (t) => {
        for (const sub of subs.values()) {
          if (sub.stream.kind === 'trade' && sub.targets?.some((x) => x.inst.id === t.inst.id)) send(sub, t);
        }
        markPending(t.inst, TRADE_KINDS);
      },
      book: (inst) => markPending(inst, BOOK_KINDS),
      account: (e) => {
        const kind = ACCOUNT_KIND[e.type];
        if (!kind) return;
        const instId = 'inst' in e ? e.inst.id : null;
        for (const sub of subs.values()) {
          if (sub.stream.kind !== kind) continue;
          // A per-symbol private stream gets that symbol's events; balances are account-wide.
          if (sub.targets && instId !== null && !sub.targets.some((x) => x.inst.id === instId)) continue;
          if (sub.targets && instId === null && e.type === 'balance') {
            const cur = e.currency;
            if (!sub.targets.some((x) => x.inst.base === cur || x.inst.quote === cur)) continue;
          }
          send(sub, e);
        }
      },
      tick: (now) => {
        for (const sub of subs.values()) {
          if (sub.periodMs === 0 || !sub.targets) continue;
          for (const t of sub.targets) {
            if (!sub.periodic && !t.pending) continue;
            if (now - t.lastSentMs < sub.periodMs) continue;
            const event = snapshot(sub, t.inst);
            t.pending = false;
            if (!event) continue;
            t.lastSentMs = now;
            send(sub, event);
          }
        }
      },
    });
  };

  return {
    subscribe(stream, deliver) {
      let targets: Target[] | null;
      if (stream.symbol) {
        const inst = market.instrumentFor(stream.symbol);
        if (!inst) return { ok: false, reason: `unknown symbol ${stream.symbol}: the simulator trades ${market.instruments.map((i) => `${i.base}${i.quote}`).join(', ')}`, code: 'unknown' };
        targets = [{ inst, pending: true, lastSentMs: -Infinity }];
      } else if (PRIVATE_KINDS.has(stream.kind)) {
        targets = null;
      } else {
        // A public stream without a symbol (e.g. Coinstore's all-symbols ticker) covers every instrument.
        targets = market.instruments.map((inst) => ({ inst, pending: true, lastSentMs: -Infinity }));
      }
      const raw = stream.params.intervalMs;
      const intervalMs = raw === undefined ? DEFAULT_KLINE_INTERVAL_MS : Number(raw);
      if (stream.kind === 'kline' && !(targets ?? market.instruments.map((inst) => ({ inst }))).every((t) => market.ensureInterval(t.inst, intervalMs))) {
        return { ok: false, reason: `kline interval ${String(raw)} ms is not served: use whole seconds up to 31 days`, code: 'unknown' };
      }
      // The first snapshot goes out at the end of the next step, after the exchange's acknowledgement.
      const cadence = cadenceOf(stream);
      subs.set(stream.key, { stream, deliver, targets, intervalMs, periodMs: cadence?.periodMs ?? 0, periodic: cadence?.periodic ?? false });
      listen();
      return { ok: true };
    },
    unsubscribe(key) {
      subs.delete(key);
      if (subs.size === 0 && off) {
        off();
        off = null;
      }
    },
    close() {
      subs.clear();
      off?.();
      off = null;
    },
  };
}
