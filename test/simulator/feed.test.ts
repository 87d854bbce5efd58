import { describe, expect, it } from 'vitest';
import type { BookEvent, KlineEvent, MarketEvent, TradeEvent } from '../../exchanges/market.js';
import type { FeedItem, StreamKind, StreamSpec } from '../../exchanges/types.js';
import { createMarketFeed } from '../../simulator/feed.js';
import { Market } from '../../simulator/market.js';

function spec(kind: StreamKind, symbol: string | null, params: Record<string, string | number> = {}, key = `${kind}:${symbol}:${JSON.stringify(params)}`): StreamSpec {
  const priv = ['account', 'order', 'fill', 'position', 'trading'].includes(kind);
  return { key, kind, symbol, endpoint: 'ws', private: priv, params, quietMs: 60_000 };
}

describe('feed: routing', () => {
  it('matches exchange spellings of a symbol by its letters and refuses unknown symbols', () => {
    const m = new Market({ seed: 1, symbols: ['BTC-USDT', 'ETH-USDT', 'LTC-BTC'] });
    const feed = createMarketFeed(m);
    const got = new Map<string, number>();
    for (const s of ['BTCUSDT', 'btcusdt', 'BTC_USDT', 'BTC/USDT', 'ltc-btc', 'LTCBTC']) {
      expect(feed.subscribe(spec('trade', s, {}, s), (it) => got.set(s, (it.type === 'event' && (it.event as TradeEvent).inst.id) || 0))).toEqual({ ok: true });
    }
    const r = feed.subscribe(spec('trade', 'DOGEUSDT'), () => undefined);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.code).toBe('unknown');
    m.step(500);
    expect(got.get('BTCUSDT')).toBe(4);
    expect(got.get('btcusdt')).toBe(4);
    expect(got.get('BTC/USDT')).toBe(4);
    expect(got.get('BTC_USDT')).toBe(4);
    expect(got.get('ltc-btc')).toBe(20);
    feed.close();
  });

  it('delivers every trade of the instrument in order, and nothing after unsubscribe or close', () => {
    const m = new Market({ seed: 2 });
    const all: TradeEvent[] = [];
    m.on({ trade: (t) => all.push(t) });
    const feed = createMarketFeed(m);
    const got: TradeEvent[] = [];
    feed.subscribe(spec('trade', 'ETHUSDT', {}, 't'), (it) => it.type === 'event' && got.push(it.event as TradeEvent));
    m.step(2000);
    const eth = all.filter((t) => t.inst.id === 5);
    expect(got.length).toBeGreaterThan(100);
    expect(got).toEqual(eth);
    feed.unsubscribe('t');
    m.step(500);
    expect(got.length).toBe(eth.length);
    feed.subscribe(spec('trade', 'ETHUSDT', {}, 't'), (it) => it.type === 'event' && got.push(it.event as TradeEvent));
    feed.close();
    m.step(500);
    expect(got.length).toBe(eth.length);
  });

  it('throttles book, kline and ticker snapshots in logical time and sends the state of the moment', () => {
    const m = new Market({ seed: 3, stepMs: 5 });
    const feed = createMarketFeed(m, { throttle: { bookMs: 100, klineMs: 250, tickerMs: 500 } });
    const books: Array<{ e: BookEvent; now: number; live: BookEvent }> = [];
    const klines: Array<{ e: KlineEvent; now: number; live: KlineEvent | null }> = [];
    const tickers: number[] = [];
    const inst = m.instruments[0];
    feed.subscribe(spec('book', 'BTCUSDT', { levels: 20 }), (it) => {
      const e = (it as Extract<FeedItem, { type: 'event' }>).event as BookEvent;
      books.push({ e, now: m.nowMs(), live: m.book(inst) });
    });
    feed.subscribe(spec('kline', 'BTCUSDT', { intervalMs: 300_000 }), (it) => {
      const e = (it as Extract<FeedItem, { type: 'event' }>).event as KlineEvent;
      klines.push({ e, now: m.nowMs(), live: m.kline(inst, 300_000) });
    });
    feed.subscribe(spec('ticker', 'BTCUSDT'), () => tickers.push(m.nowMs()));
    m.step(2000); // 10 s of market time
    expect(books.length).toBeGreaterThanOrEqual(90);
    expect(books.length).toBeLessThanOrEqual(101);
    for (let i = 1; i < books.length; i++) expect(books[i].now - books[i - 1].now).toBeGreaterThanOrEqual(100);
    for (const b of books) expect(b.e).toBe(b.live);
    expect(klines.length).toBeGreaterThanOrEqual(30);
    expect(klines.length).toBeLessThanOrEqual(41);
    for (let i = 1; i < klines.length; i++) expect(klines[i].now - klines[i - 1].now).toBeGreaterThanOrEqual(250);
    for (const k of klines) {
      expect(k.e).toEqual(k.live);
      expect(k.e.intervalMs).toBe(300_000);
    }
    expect(tickers.length).toBeGreaterThanOrEqual(15);
    expect(tickers.length).toBeLessThanOrEqual(21);
    feed.close();
  });

  it('serves non-standard kline intervals within limits and refuses others', () => {
    const m = new Market({ seed: 8 });
    const feed = createMarketFeed(m);
    const got: KlineEvent[] = [];
    expect(feed.subscribe(spec('kline', 'BTCUSDT', { intervalMs: 180_000 }), (it) => it.type === 'event' && got.push(it.event as KlineEvent))).toEqual({ ok: true });
    expect(feed.subscribe(spec('kline', 'BTCUSDT', { intervalMs: 1500 }), () => undefined)).toMatchObject({ ok: false, code: 'unknown' });
    expect(feed.subscribe(spec('kline', 'BTCUSDT', { intervalMs: 'min_1' }), () => undefined)).toMatchObject({ ok: false, code: 'unknown' });
    for (let i = 1; i <= 8; i++) feed.subscribe(spec('kline', 'BTCUSDT', { intervalMs: i * 7_000 }), () => undefined);
    // 180 s plus seven of those eight: the eighth extra interval is over the limit
    expect(feed.subscribe(spec('kline', 'BTCUSDT', { intervalMs: 99_000 }), () => undefined)).toMatchObject({ ok: false });
    m.step(1000);
    expect(got.length).toBeGreaterThan(0);
    expect(got.every((k) => k.intervalMs === 180_000)).toBe(true);
    feed.close();
  });

  it('pushes the window of the latest trades once per period', () => {
    const m = new Market({ seed: 4 });
    const feed = createMarketFeed(m, { throttle: { tradeWindowMs: 1000 } });
    const windows: Array<{ now: number; ids: number[]; last: number }> = [];
    feed.subscribe(spec('trade_window', 'BTC/USDT'), (it) => {
      const e = (it as Extract<FeedItem, { type: 'event' }>).event;
      if (e.type === 'trade_window') windows.push({ now: m.nowMs(), ids: e.trades.map((t) => t.tradeId), last: m.lastTradeId(e.inst) });
    });
    m.step(2000);
    expect(windows.length).toBe(10);
    for (let i = 1; i < windows.length; i++) expect(windows[i].now - windows[i - 1].now).toBe(1000);
    for (const w of windows) {
      expect(w.ids.length).toBe(Math.min(50, w.last));
      expect(w.ids[0]).toBe(w.last);
      for (let k = 1; k < w.ids.length; k++) expect(w.ids[k]).toBe(w.ids[k - 1] - 1);
    }
    feed.close();
  });

  it('a public stream without a symbol covers every instrument', () => {
    const m = new Market({ seed: 5 });
    const feed = createMarketFeed(m);
    const ids = new Set<number>();
    feed.subscribe(spec('ticker', null), (it) => it.type === 'event' && 'inst' in it.event && ids.add(it.event.inst.id));
    m.step(300);
    expect([...ids].sort()).toEqual([4, 5]);
  });

  it('routes the demo account events by kind and symbol', () => {
    const m = new Market({ seed: 6 });
    const feed = createMarketFeed(m);
    const by: Record<string, MarketEvent[]> = {};
    const sink = (name: string) => (it: FeedItem) => {
      if (it.type === 'event') (by[name] ??= []).push(it.event);
    };
    feed.subscribe(spec('account', null), sink('account'));
    feed.subscribe(spec('order', null), sink('order'));
    feed.subscribe(spec('order', 'ETHUSDT'), sink('orderEth'));
    feed.subscribe(spec('fill', null), sink('fill'));
    feed.subscribe(spec('position', null), sink('position'));
    expect(feed.subscribe(spec('trading', null), sink('trading'))).toEqual({ ok: true });
    m.step(20_000);
    expect(by.account.length).toBeGreaterThan(10);
    expect(by.account.every((e) => e.type === 'balance')).toBe(true);
    expect(by.order.every((e) => e.type === 'order')).toBe(true);
    expect(by.fill.length).toBeGreaterThan(0);
    expect(by.fill.every((e) => e.type === 'fill')).toBe(true);
    expect(by.position.every((e) => e.type === 'position')).toBe(true);
    expect(by.orderEth.length).toBeGreaterThan(0);
    expect(by.orderEth.every((e) => e.type === 'order' && e.inst.id === 5)).toBe(true);
    expect(by.order.filter((e) => e.type === 'order' && e.inst.id === 5)).toEqual(by.orderEth);
    expect(by.trading).toBeUndefined();
    feed.close();
  });

  it('a gate can withhold a stream (stalled stream) while others go on', () => {
    const m = new Market({ seed: 7 });
    let trades = 0;
    let books = 0;
    const feed = createMarketFeed(m, { gate: (s) => s.kind !== 'trade' || trades < 5 });
    feed.subscribe(spec('trade', 'BTCUSDT'), () => trades++);
    feed.subscribe(spec('book', 'BTCUSDT'), () => books++);
    m.step(2000);
    expect(trades).toBe(5);
    expect(books).toBeGreaterThan(50);
    feed.close();
  });
});
