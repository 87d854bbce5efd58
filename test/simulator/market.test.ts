import { describe, expect, it } from 'vitest';
import type { FillEvent, Instrument, MarketEvent, OrderEvent, TradeEvent } from '../../exchanges/market.js';
import { ACCOUNT_DECIMALS, MAKER_FEE_BPS, TAKER_FEE_BPS } from '../../simulator/account.js';
import { formatFixed, parseFixed } from '../../simulator/fixed.js';
import { resolveInstruments } from '../../simulator/instruments.js';
import { Market } from '../../simulator/market.js';

function record(market: Market, steps: number): string[] {
  const out: string[] = [];
  const off = market.on({
    trade: (t) => out.push(JSON.stringify({ ...t, inst: t.inst.id })),
    book: (inst, version) => out.push(`book ${inst.id} ${version}`),
    tick: () => {
      if (market.steps() % 20 !== 0) return;
      for (const inst of market.instruments) out.push(JSON.stringify([market.book(inst).bids.slice(0, 3), market.book(inst).asks.slice(0, 3)]));
    },
    account: (e) => out.push(JSON.stringify({ ...e, inst: 'inst' in e ? e.inst.id : null, fill: undefined })),
  });
  market.step(steps);
  off();
  return out;
}

const decimalsRe = (d: number) => (d === 0 ? /^\d+$/ : new RegExp(`^\\d+\\.\\d{${d}}$`));

describe('market: determinism', () => {
  it('the same seed gives the same event sequence, a different seed a different one', () => {
    const a = record(new Market({ seed: 7, symbols: ['BTC-USDT', 'ETH-USDT', 'LTC-BTC'] }), 4000);
    const b = record(new Market({ seed: 7, symbols: ['BTC-USDT', 'ETH-USDT', 'LTC-BTC'] }), 4000);
    const c = record(new Market({ seed: 8, symbols: ['BTC-USDT', 'ETH-USDT', 'LTC-BTC'] }), 4000);
    expect(a.length).toBeGreaterThan(4000);
    expect(a.some((l) => l.includes('"type":"fill"'))).toBe(true);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it('keeps the known instrument ids and derives stable ids for others', () => {
    const list = resolveInstruments(['BTC-USDT', 'ETH-USDT', 'LTC-BTC', 'FOO-USDT']);
    expect(list.map((s) => s.inst.id).slice(0, 3)).toEqual([4, 5, 20]);
    expect(resolveInstruments(['FOO-USDT'])[0].inst.id).toBe(list[3].inst.id);
    expect(() => resolveInstruments(['nonsense-pair-x'])).toThrow(/BASE-QUOTE/);
  });

  it('timestamps follow the logical clock, not the wall clock', () => {
    const m = new Market({ seed: 1, originMs: 1_000_000, stepMs: 10 });
    const ts: number[] = [];
    m.on({ trade: (t) => ts.push(t.tsMs) });
    m.step(100);
    expect(m.nowMs()).toBe(1_000_000 + 1000);
    expect(ts.length).toBeGreaterThan(0);
    for (const t of ts) expect(t).toBeGreaterThan(1_000_000);
    expect(Math.max(...ts)).toBeLessThanOrEqual(1_001_000);
  });
});

describe('market: book', () => {
  it('is never crossed, strictly sorted, positive and at least 100 levels deep over many steps', () => {
    const m = new Market({ seed: 3, symbols: ['BTC-USDT', 'ETH-USDT', 'LTC-BTC', 'EOS-USDT'] });
    let checks = 0;
    for (let i = 0; i < 400; i++) {
      m.step(50);
      for (const inst of m.instruments) {
        const b = m.book(inst);
        // plain loops and one assertion per book: expect() per level would dominate the run time
        const pRe = decimalsRe(inst.priceDecimals);
        const aRe = decimalsRe(inst.amountDecimals);
        const bad: string[] = [];
        if (b.bids.length < 100 || b.asks.length < 100) bad.push(`depth ${b.bids.length}/${b.asks.length}`);
        for (const side of [b.bids, b.asks]) {
          for (const [p, a] of side) {
            if (!pRe.test(p) || !aRe.test(a) || !(Number(a) > 0) || !(Number(p) > 0)) bad.push(`level ${p} ${a}`);
          }
        }
        for (let k = 1; k < b.bids.length; k++) if (!(Number(b.bids[k][0]) < Number(b.bids[k - 1][0]))) bad.push(`bids unsorted at ${k}`);
        for (let k = 1; k < b.asks.length; k++) if (!(Number(b.asks[k][0]) > Number(b.asks[k - 1][0]))) bad.push(`asks unsorted at ${k}`);
        if (!(Number(b.bids[0][0]) < Number(b.asks[0][0]))) bad.push(`crossed ${b.bids[0][0]} >= ${b.asks[0][0]}`);
        expect(bad, `${inst.base}/${inst.quote} after ${m.steps()} steps`).toEqual([]);
        checks++;
      }
    }
    expect(checks).toBe(1600);
  });

  it('trades take the touched levels: price, size reduced or level removed', () => {
    const m = new Market({ seed: 11, autoTrade: false });
    const trades: TradeEvent[] = [];
    m.on({ trade: (t) => trades.push(t) });
    let checked = 0;
    for (let i = 0; i < 2000; i++) {
      const before = new Map(m.instruments.map((inst) => [inst.id, structuredClone(m.book(inst))]));
      trades.length = 0;
      m.step();
      for (const inst of m.instruments) {
        const mine = trades.filter((t) => t.inst.id === inst.id);
        if (mine.length === 0) continue;
        const pre = before.get(inst.id)!;
        const post = m.book(inst);
        const side = mine[0].side;
        const levels = side === 'buy' ? pre.asks : pre.bids;
        const postLevels = side === 'buy' ? post.asks : post.bids;
        mine.forEach((t, k) => {
          expect(t.side).toBe(side);
          expect(t.price).toBe(levels[k][0]);
          const taken = parseFixed(t.amount, inst.amountDecimals)!;
          const had = parseFixed(levels[k][1], inst.amountDecimals)!;
          expect(taken).toBeGreaterThan(0n);
          expect(taken <= had).toBe(true);
          if (k < mine.length - 1) expect(taken).toBe(had); // a sweep takes whole levels before the last
        });
        const last = mine[mine.length - 1];
        const lastK = mine.length - 1;
        const rest = parseFixed(levels[lastK][1], inst.amountDecimals)! - parseFixed(last.amount, inst.amountDecimals)!;
        if (rest > 0n) expect(postLevels[0]).toEqual([last.price, formatFixed(rest, inst.amountDecimals)]);
        else expect(postLevels[0][0]).not.toBe(last.price);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(700);
  });

  it('trade ids and sequence numbers are consecutive per symbol from 1', () => {
    const m = new Market({ seed: 5, symbols: ['BTC-USDT', 'ETH-USDT', 'LTC-BTC'] });
    const last = new Map<number, number>();
    let n = 0;
    m.on({
      trade: (t) => {
        expect(t.tradeId).toBe((last.get(t.inst.id) ?? 0) + 1);
        expect(t.seq).toBe(t.tradeId);
        last.set(t.inst.id, t.tradeId);
        n++;
      },
    });
    m.step(5000);
    expect(n).toBeGreaterThan(3000);
    for (const inst of m.instruments) expect(last.get(inst.id)).toBe(m.lastTradeId(inst));
  });
});

interface Agg {
  openTsMs: number;
  open: string;
  high: number;
  low: number;
  close: string;
  volume: bigint;
  quoteVolume: bigint;
  first: number;
  last: number;
  count: number;
  highS: string;
  lowS: string;
}

function aggregate(trades: TradeEvent[], inst: Instrument, intervalMs: number): Map<number, Agg> {
  const out = new Map<number, Agg>();
  for (const t of trades) {
    const open = Math.floor(t.tsMs / intervalMs) * intervalMs;
    const px = Number(t.price);
    const q = parseFixed(t.amount, inst.amountDecimals)!;
    const pq = parseFixed(t.price, inst.priceDecimals)! * q;
    const a = out.get(open);
    if (!a) {
      out.set(open, { openTsMs: open, open: t.price, high: px, low: px, highS: t.price, lowS: t.price, close: t.price, volume: q, quoteVolume: pq, first: t.tradeId, last: t.tradeId, count: 1 });
    } else {
      if (px > a.high) [a.high, a.highS] = [px, t.price];
      if (px < a.low) [a.low, a.lowS] = [px, t.price];
      a.close = t.price;
      a.volume += q;
      a.quoteVolume += pq;
      a.last = t.tradeId;
      a.count++;
    }
  }
  return out;
}

describe('market: klines and ticker', () => {
  it('klines of every interval equal those recomputed from the trades', () => {
    // 50 ms per step: 30 000 steps are 25 minutes of market time.
    const m = new Market({ seed: 21, stepMs: 50 });
    const trades: TradeEvent[] = [];
    m.on({ trade: (t) => trades.push(t) });
    m.step(30_000);
    for (const inst of m.instruments) {
      const mine = trades.filter((t) => t.inst.id === inst.id);
      for (const intervalMs of [60_000, 300_000, 900_000, 1_800_000, 3_600_000, 14_400_000, 86_400_000]) {
        const expected = [...aggregate(mine, inst, intervalMs).values()];
        const got = m.klineHistory(inst, intervalMs, null, 10_000);
        expect(got.length).toBe(expected.length);
        got.forEach((k, i) => {
          const e = expected[i];
          expect([k.openTsMs, k.open, k.high, k.low, k.close, k.volume, k.quoteVolume, k.firstTradeId, k.lastTradeId, k.tradeCount]).toEqual([
            e.openTsMs,
            e.open,
            e.highS,
            e.lowS,
            e.close,
            formatFixed(e.volume, inst.amountDecimals),
            formatFixed(e.quoteVolume, inst.priceDecimals + inst.amountDecimals),
            e.first,
            e.last,
            e.count,
          ]);
        });
        expect(m.kline(inst, intervalMs)).toEqual(got[got.length - 1]);
      }
      // history with an end time and a limit
      const all = m.klineHistory(inst, 60_000, null, 10_000);
      const part = m.klineHistory(inst, 60_000, all[10].openTsMs, 3);
      expect(part).toEqual(all.slice(8, 11));
    }
  });

  it('the rolling 24 h ticker equals the one recomputed from the trades (minute resolution)', () => {
    // 20 s per step: 6 000 steps are 33 hours, so the window really rolls.
    const m = new Market({ seed: 4, stepMs: 20_000 });
    const trades: TradeEvent[] = [];
    m.on({ trade: (t) => trades.push(t) });
    m.step(6_000);
    const now = m.nowMs();
    for (const inst of m.instruments) {
      const mine = trades.filter((t) => t.inst.id === inst.id);
      const minutes = [...aggregate(mine, inst, 60_000).values()].filter((c) => c.openTsMs > now - 86_400_000);
      expect(minutes.length).toBeGreaterThan(100);
      const tk = m.ticker(inst);
      const high = minutes.reduce((a, c) => (c.high > a.high ? c : a));
      const low = minutes.reduce((a, c) => (c.low < a.low ? c : a));
      expect(tk.open).toBe(minutes[0].open);
      expect(tk.high).toBe(high.highS);
      expect(tk.low).toBe(low.lowS);
      expect(tk.last).toBe(mine[mine.length - 1].price);
      expect(tk.volume).toBe(
        formatFixed(
          minutes.reduce((s, c) => s + c.volume, 0n),
          inst.amountDecimals,
        ),
      );
      expect(tk.quoteVolume).toBe(
        formatFixed(
          minutes.reduce((s, c) => s + c.quoteVolume, 0n),
          inst.priceDecimals + inst.amountDecimals,
        ),
      );
      const book = m.book(inst);
      expect([tk.bid, tk.bidSize, tk.ask, tk.askSize]).toEqual([...book.bids[0], ...book.asks[0]]);
      expect(Number(tk.change)).toBeCloseTo(Number(tk.last) - Number(tk.open), 6);
      // the window excludes the first day's trades
      expect(mine[0].tsMs).toBeLessThan(now - 86_400_000);
    }
  });

  it('the trade window holds the latest 50 trades, newest first', () => {
    const m = new Market({ seed: 9 });
    const trades: TradeEvent[] = [];
    m.on({ trade: (t) => trades.push(t) });
    m.step(2000);
    const inst = m.instruments[0];
    const mine = trades.filter((t) => t.inst.id === inst.id);
    expect(m.tradeWindow(inst).trades).toEqual(mine.slice(-50).reverse());
  });
});

describe('market: demo account', () => {
  const scale = (s: string) => parseFixed(s, ACCOUNT_DECIMALS)!;

  it('balances equal the initial ones plus the fills, and frozen equals what open orders reserve', () => {
    const m = new Market({ seed: 13, symbols: ['BTC-USDT', 'ETH-USDT', 'LTC-BTC'] });
    const initial = new Map(m.account.balances().map((b) => [b.currency, scale(b.available)]));
    const fills: FillEvent[] = [];
    const orders = new Map<string, OrderEvent>();
    const events: MarketEvent[] = [];
    m.on({
      account: (e) => {
        events.push(e);
        if (e.type === 'fill') fills.push(e);
        if (e.type === 'order') orders.set(e.orderId, e);
      },
    });
    m.step(40_000);
    expect(fills.length).toBeGreaterThan(20);
    expect(fills.some((f) => f.liquidity === 'maker')).toBe(true);
    expect(fills.some((f) => f.liquidity === 'taker')).toBe(true);
    expect([...orders.values()].some((o) => o.status === 'canceled')).toBe(true);

    const expected = new Map(initial);
    const add = (cur: string, v: bigint) => expected.set(cur, (expected.get(cur) ?? 0n) + v);
    for (const f of fills) {
      const amount = scale(f.amount);
      const notional = (scale(f.price) * amount) / 10n ** BigInt(ACCOUNT_DECIMALS);
      const fee = (notional * (f.liquidity === 'maker' ? MAKER_FEE_BPS : TAKER_FEE_BPS)) / 10_000n;
      expect(scale(f.fee)).toBe(fee);
      if (f.side === 'buy') {
        add(f.inst.base, amount);
        add(f.inst.quote, -notional - fee);
      } else {
        add(f.inst.base, -amount);
        add(f.inst.quote, notional - fee);
      }
    }
    const reserved = new Map<string, bigint>();
    for (const o of m.account.openOrders()) {
      const rest = scale(o.amount) - scale(o.filledAmount);
      const cur = o.side === 'buy' ? o.inst.quote : o.inst.base;
      const v = o.side === 'buy' ? (((scale(o.price) * rest) / 10n ** BigInt(ACCOUNT_DECIMALS)) * (10_000n + TAKER_FEE_BPS)) / 10_000n : rest;
      reserved.set(cur, (reserved.get(cur) ?? 0n) + v);
    }
    for (const b of m.account.balances()) {
      expect(scale(b.available) + scale(b.frozen), b.currency).toBe(expected.get(b.currency));
      expect(scale(b.frozen), b.currency).toBe(reserved.get(b.currency) ?? 0n);
      expect(scale(b.available)).toBeGreaterThanOrEqual(0n);
    }
    // orders: filled amount is the sum of their fills; positions: the signed sum of the fills
    for (const o of orders.values()) {
      const sum = fills.filter((f) => f.orderId === o.orderId).reduce((s, f) => s + scale(f.amount), 0n);
      expect(scale(o.filledAmount), o.orderId).toBe(sum);
      if (o.status === 'filled') expect(o.filledAmount).toBe(o.amount);
    }
    for (const p of m.account.positions()) {
      const net = fills.filter((f) => f.inst.id === p.inst.id).reduce((s, f) => s + (f.side === 'buy' ? scale(f.amount) : -scale(f.amount)), 0n);
      expect(scale(p.amount)).toBe(net);
    }
    // each fill comes with its order update, the two balances and the position
    const i = events.findIndex((e) => e.type === 'fill');
    expect(events.slice(i - 1, i + 4).map((e) => e.type)).toEqual(['order', 'fill', 'balance', 'balance', 'position']);
  });

  it('places, fills and cancels orders from a trading socket', () => {
    const m = new Market({ seed: 2, autoTrade: false });
    const inst = m.instruments[0];
    const trades: TradeEvent[] = [];
    m.on({ trade: (t) => trades.push(t) });
    m.step(10);
    const bid = m.book(inst).bids[0][0];
    const far = formatFixed(parseFixed(bid, 2)! - 100_000n, 2);
    const placed = m.account.placeOrder({ inst, side: 'buy', orderType: 'limit', price: far, amount: '0.5000', clientOrderId: 'c1' });
    expect(placed.ok).toBe(true);
    if (!placed.ok) return;
    expect(placed.order).toMatchObject({ status: 'new', clientOrderId: 'c1', price: far, filledAmount: '0.0000' });
    const usdt = () => m.account.balances().find((b) => b.currency === 'USDT')!;
    expect(Number(usdt().frozen)).toBeGreaterThan(0);
    expect(m.account.openOrders().map((o) => o.orderId)).toEqual([placed.order.orderId]);
    const canceled = m.account.cancelOrder(placed.order.orderId);
    expect(canceled.ok && canceled.order.status).toBe('canceled');
    expect(usdt().frozen).toBe('0.00');
    expect(usdt().available).toBe('100000.00');
    expect(m.account.cancelOrder(placed.order.orderId)).toEqual({ ok: false, reason: 'order is canceled' });
    expect(m.account.cancelOrder('nope').ok).toBe(false);

    const before = m.lastTradeId(inst);
    const mkt = m.account.placeOrder({ inst, side: 'buy', orderType: 'market', amount: '0.0100' });
    expect(mkt.ok && mkt.order.status).toBe('filled');
    expect(m.lastTradeId(inst)).toBeGreaterThan(before);
    expect(trades[trades.length - 1].side).toBe('buy');
    expect(m.account.fills(1)[0].liquidity).toBe('taker');
    expect(m.account.placeOrder({ inst, side: 'buy', orderType: 'limit', price: bid, amount: '1000000.0000' })).toEqual({ ok: false, reason: 'insufficient USDT balance' });
    expect(m.account.placeOrder({ inst, side: 'sell', orderType: 'limit', price: '1.005', amount: '1' }).ok).toBe(false);
  });
});
