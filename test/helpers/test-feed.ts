/**
 * A small deterministic feed for exchange tests: on subscribe it delivers an event of the stream's
 * kind every `intervalMs`, built from a counter (no randomness), so server sides can be tested
 * before and apart from the simulator's market.
 */
import type { SessionFeed } from '../../exchanges/host.js';
import { matchInstrument, type Instrument, type MarketEvent, type Level } from '../../exchanges/market.js';
import type { FeedItem, StreamSpec } from '../../exchanges/types.js';

export const TEST_INSTRUMENTS: Instrument[] = [
  { base: 'BTC', quote: 'USDT', id: 4, priceDecimals: 2, amountDecimals: 4 },
  { base: 'ETH', quote: 'USDT', id: 5, priceDecimals: 2, amountDecimals: 4 },
];

export interface TestFeedStats {
  delivered: Map<string, number>;
}

const ACCOUNT_KINDS = new Set(['account', 'order', 'fill', 'position', 'trading']);

export function eventFor(stream: StreamSpec, inst: Instrument, n: number, nowMs: number): MarketEvent | null {
  const mid = 100 + (n % 10);
  const px = (v: number) => v.toFixed(inst.priceDecimals);
  const qty = (v: number) => v.toFixed(inst.amountDecimals);
  const trade = (k: number) => ({
    type: 'trade' as const,
    inst,
    tradeId: k,
    seq: k,
    price: px(mid + 0.5),
    amount: qty(1 + (k % 3)),
    side: k % 2 === 0 ? ('buy' as const) : ('sell' as const),
    tsMs: nowMs,
  });
  switch (stream.kind) {
    case 'trade':
      return trade(n);
    case 'trade_window':
      return { type: 'trade_window', inst, trades: Array.from({ length: Math.min(n, 50) }, (_, i) => trade(n - i)), tsMs: nowMs };
    case 'book':
    case 'depth_chart': {
      const bids: Level[] = Array.from({ length: 100 }, (_, i) => [px(mid - 0.01 * (i + 1)), qty(1 + i)]);
      const asks: Level[] = Array.from({ length: 100 }, (_, i) => [px(mid + 0.01 * (i + 1)), qty(1 + i)]);
      return { type: 'book', inst, bids, asks, version: n, tsMs: nowMs };
    }
    case 'kline': {
      const intervalMs = Number(stream.params.intervalMs ?? 60_000);
      return {
        type: 'kline',
        inst,
        intervalMs,
        openTsMs: Math.floor(nowMs / intervalMs) * intervalMs,
        open: px(mid),
        high: px(mid + 1),
        low: px(mid - 1),
        close: px(mid + 0.5),
        volume: qty(n),
        quoteVolume: px(n * mid),
        firstTradeId: 1,
        lastTradeId: n,
        tradeCount: n,
        tsMs: nowMs,
      };
    }
    case 'ticker':
      return {
        type: 'ticker',
        inst,
        open: px(mid - 1),
        high: px(mid + 2),
        low: px(mid - 2),
        last: px(mid),
        volume: qty(n * 10),
        quoteVolume: px(n * 10 * mid),
        change: px(1),
        changeRate: '0.0100',
        bid: px(mid - 0.01),
        bidSize: qty(1),
        ask: px(mid + 0.01),
        askSize: qty(2),
        tsMs: nowMs,
      };
    case 'account':
      return { type: 'balance', currency: inst.quote, available: px(1000 + n), frozen: px(10), tsMs: nowMs };
    case 'order':
    case 'fill': {
      const fill = {
        type: 'fill' as const,
        inst,
        fillId: `F${n}`,
        orderId: `O${n}`,
        side: 'buy' as const,
        price: px(mid),
        amount: qty(1),
        fee: px(0.1),
        feeCurrency: inst.quote,
        liquidity: 'taker' as const,
        tsMs: nowMs,
      };
      if (stream.kind === 'fill') return fill;
      return {
        type: 'order',
        inst,
        orderId: `O${n}`,
        clientOrderId: `C${n}`,
        side: 'buy',
        orderType: 'limit',
        price: px(mid),
        amount: qty(1),
        filledAmount: qty(1),
        filledQuote: px(mid),
        avgPrice: px(mid),
        status: 'filled',
        version: n,
        createdMs: nowMs,
        tsMs: nowMs,
        fill,
      };
    }
    case 'position':
      return { type: 'position', inst, amount: qty(n), entryPrice: px(mid), unrealizedPnl: px(1), realizedPnl: px(0), tsMs: nowMs };
    case 'trading':
      return null;
  }
}

/** A SessionFeed factory: one feed per connection (`startHost({ connection: () => ({ context, feed: factory() }) })`). */
export function createTestFeedFactory(opts: { instruments?: Instrument[]; intervalMs?: number; stats?: TestFeedStats } = {}) {
  const instruments = opts.instruments ?? TEST_INSTRUMENTS;
  const intervalMs = opts.intervalMs ?? 20;
  return (): SessionFeed => {
    const timers = new Map<string, NodeJS.Timeout>();
    return {
      subscribe(stream: StreamSpec, deliver: (item: FeedItem) => void) {
        const inst = stream.symbol ? matchInstrument(instruments, stream.symbol) : instruments[0];
        if (!inst && !ACCOUNT_KINDS.has(stream.kind)) return { ok: false, reason: `unknown symbol ${stream.symbol}`, code: 'unknown' };
        const instrument = inst ?? instruments[0];
        clearInterval(timers.get(stream.key));
        let n = 0;
        timers.set(
          stream.key,
          setInterval(() => {
            n += 1;
            const event = eventFor(stream, instrument, n, Date.now());
            if (!event) return;
            opts.stats?.delivered.set(stream.key, (opts.stats.delivered.get(stream.key) ?? 0) + 1);
            deliver({ type: 'event', event });
          }, intervalMs),
        );
        return { ok: true };
      },
      unsubscribe(key: string) {
        clearInterval(timers.get(key));
        timers.delete(key);
      },
      close() {
        for (const t of timers.values()) clearInterval(t);
        timers.clear();
      },
    };
  };
}
