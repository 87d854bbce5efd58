import { describe, expect, it } from 'vitest';
import { PaperEngine } from '../../../replay/paper/engine.js';
import type { EngineOutput, MarketFrame, MarketSpec, PlaceRequest } from '../../../replay/paper/types.js';
import type { FeeSchedule } from '../../../replay/paper/config.js';
import type { Instrument } from '../../../exchanges/market.js';

const inst: Instrument = { base: 'BTC', quote: 'USDT', id: 1, priceDecimals: 2, amountDecimals: 4 };
const spec = (restingFills: 'trades' | 'book' = 'trades'): MarketSpec => ({ id: 'BTCUSDT', inst, symbol: 'BTCUSDT', venue: null, restingFills });
const lv = (price: string, amount: string) => ({ price, amount });
let seq = 0;
const key = (ms: number) => ({ recvNs: BigInt(ms) * 1_000_000n, connId: 'c', seq: ++seq });
const book = (ms: number, bids: [string, string][], asks: [string, string][]): MarketFrame => ({
  key: key(ms),
  book: { bids: bids.map(([p, a]) => lv(p, a)), asks: asks.map(([p, a]) => lv(p, a)), snapshot: true },
});
const trade = (ms: number, price: string, amount: string, side: 'buy' | 'sell' | null): MarketFrame => ({ key: key(ms), trades: [{ price, amount, side, tradeId: null }] });
const ns = (ms: number) => BigInt(ms) * 1_000_000n;

function engine(fees: FeeSchedule = { maker: '0.001', taker: '0.002', currency: 'quote' }, queue: 'position' | 'touch' = 'position', restingFills: 'trades' | 'book' = 'trades') {
  const outputs: EngineOutput[] = [];
  const e = new PaperEngine({ fees, queue, balances: { USDT: '10000', BTC: '1' }, output: (o) => outputs.push(o) });
  e.addMarket(spec(restingFills));
  e.onFrame(
    'BTCUSDT',
    book(
      1000,
      [
        ['99', '2'],
        ['98', '5'],
      ],
      [
        ['100', '1'],
        ['101', '2'],
        ['102', '10'],
      ],
    ),
  );
  return { e, outputs };
}

const limit = (side: 'buy' | 'sell', price: string, amount: string, extra: Partial<PlaceRequest> = {}): PlaceRequest => ({ market: 'BTCUSDT', side, type: 'limit', price, amount, timeInForce: 'GTC', ...extra });
const bal = (e: PaperEngine) => Object.fromEntries(e.balances().map((b) => [b.currency, [b.available, b.frozen]]));

describe('PaperEngine', () => {
  it('a market buy walks the recorded book; each level at its price, the taker fee in quote', () => {
    const { e, outputs } = engine();
    const r = e.place({ market: 'BTCUSDT', side: 'buy', type: 'market', amount: '2', timeInForce: 'IOC' }, ns(1500), ns(1500));
    expect(r.ok && r.order.status).toBe('filled');
    expect(
      e
        .fills(10)
        .reverse()
        .map((f) => [f.price, f.amount, f.fee, f.liquidity]),
    ).toEqual([
      ['100', '1', '0.2', 'taker'],
      ['101', '1', '0.202', 'taker'],
    ]);
    // 10000 − 201 − 0.402 fees
    expect(bal(e)).toEqual({ USDT: ['9798.598', '0'], BTC: ['3', '0'] });
    expect(r.ok && r.order.avgPrice).toBe('100.5');
    // the account took the level at 100: a second buy starts at 101 until the next snapshot
    e.place({ market: 'BTCUSDT', side: 'buy', type: 'market', amount: '0.5', timeInForce: 'IOC' }, ns(1600), ns(1600));
    expect(e.fills(1)[0].price).toBe('101');
    e.onFrame('BTCUSDT', book(2000, [['99', '2']], [['100', '1']]));
    e.place({ market: 'BTCUSDT', side: 'buy', type: 'market', amount: '0.5', timeInForce: 'IOC' }, ns(2100), ns(2100));
    expect(e.fills(1)[0].price).toBe('100');
    const first = outputs.find((o) => o.event.type === 'order')!;
    expect(first.arrivalNs).toBe(ns(1500));
    expect(first.push).toBe(true);
  });

  it('a market buy by quote amount spends at most that amount', () => {
    const { e } = engine();
    const r = e.place({ market: 'BTCUSDT', side: 'buy', type: 'market', quoteAmount: '150', timeInForce: 'IOC' }, ns(1500), ns(1500));
    expect(r.ok && [r.order.filledAmount, r.order.filledQuote, r.order.status]).toEqual(['1', '100', 'filled']);
    // the second level gets nothing: the book amounts have no fraction digits, 50/101 rounds down to 0
  });

  it('a resting buy waits for the recorded size ahead of it to trade, then fills at its price as maker', () => {
    const { e } = engine();
    const r = e.place(limit('buy', '99', '1'), ns(1100), ns(1100));
    expect(r.ok && r.order.status).toBe('new');
    expect(bal(e).USDT).toEqual(['9900.802', '99.198']); // reserved: 99 × (1 + 0.002, the higher of the two rates)
    e.onFrame('BTCUSDT', trade(1200, '99', '1.5', 'sell')); // 2 ahead: 0.5 left
    expect(e.fills(10)).toEqual([]);
    e.onFrame('BTCUSDT', trade(1300, '99', '0.5', 'buy')); // a buyer taker does not trade with a bid
    expect(e.fills(10)).toEqual([]);
    e.onFrame('BTCUSDT', trade(1400, '99', '0.8', 'sell')); // 0.5 ahead, then 0.3 for us
    expect(e.fills(10).map((f) => [f.price, f.amount, f.liquidity, f.fee])).toEqual([['99', '0.3', 'maker', '0.0297']]);
    e.onFrame('BTCUSDT', trade(1500, '98.5', '5', 'sell')); // through the price: the rest fills
    expect(e.openOrders()).toEqual([]);
    expect(e.orders()[0].status).toBe('filled');
    // 10000 − 99 − 0.099 maker fees; nothing stays frozen
    expect(bal(e)).toEqual({ USDT: ['9900.901', '0'], BTC: ['2', '0'] });
  });

  it('touch fills at the price at once (optimistic)', () => {
    const { e } = engine(undefined, 'touch');
    e.place(limit('buy', '99', '1'), ns(1100), ns(1100));
    e.onFrame('BTCUSDT', trade(1200, '99', '0.4', 'sell'));
    expect(e.fills(10).map((f) => f.amount)).toEqual(['0.4']);
  });

  it('a crossing limit takes what its price allows, then rests; IOC and FOK do not rest; post-only refuses to take', () => {
    const { e } = engine();
    const r = e.place(limit('buy', '101', '4'), ns(1100), ns(1100));
    expect(r.ok && [r.order.status, r.order.filledAmount]).toEqual(['partially_filled', '3']);
    expect(e.openOrders().map((o) => o.orderId)).toEqual([r.ok ? r.order.orderId : '']);
    const ioc = e.place(limit('sell', '99', '3', { timeInForce: 'IOC' }), ns(1200), ns(1200));
    expect(ioc.ok && [ioc.order.status, ioc.order.filledAmount]).toEqual(['canceled', '2']);
    const fok = e.place(limit('buy', '101', '10', { timeInForce: 'FOK' }), ns(1300), ns(1300));
    expect(fok.ok && [fok.order.status, fok.order.filledAmount]).toEqual(['canceled', '0']);
    const post = e.place(limit('buy', '102', '1', { postOnly: true }), ns(1400), ns(1400));
    expect(post.ok && post.order.status).toBe('rejected');
  });

  it('refuses what the account cannot pay for, unknown orders and duplicate client ids; nothing moves', () => {
    const { e, outputs } = engine();
    const before = bal(e);
    const r = e.place(limit('buy', '100', '1000'), ns(1100), ns(1100));
    expect(r).toMatchObject({ ok: false, code: 'insufficient_balance' });
    expect(e.place({ market: 'BTCUSDT', side: 'sell', type: 'market', amount: '5', timeInForce: 'IOC' }, ns(1100), ns(1100))).toMatchObject({ ok: false, code: 'insufficient_balance' });
    expect(e.place({ ...limit('buy', '1', '1'), market: 'ETHUSDT' }, ns(1100), ns(1100))).toMatchObject({ ok: false, code: 'bad_symbol' });
    expect(e.place(limit('buy', '-1', '1'), ns(1100), ns(1100))).toMatchObject({ ok: false, code: 'bad_request' });
    expect(e.cancel({ orderId: '42' }, ns(1100))).toMatchObject({ ok: false, code: 'unknown_order' });
    expect(bal(e)).toEqual(before);
    // the refusals that reached the book are in the results, not pushed
    expect(outputs.filter((o) => o.event.type === 'order').map((o) => [o.push, (o.event as { status: string }).status])).toEqual([
      [false, 'rejected'],
      [false, 'rejected'],
    ]);
    e.place(limit('buy', '90', '1', { clientOrderId: 'a' }), ns(1200), ns(1200));
    expect(e.place(limit('buy', '91', '1', { clientOrderId: 'a' }), ns(1200), ns(1200))).toMatchObject({ ok: false, code: 'duplicate_order' });
  });

  it('cancel releases the reservation; a closed order cannot be canceled', () => {
    const { e } = engine();
    const r = e.place(limit('sell', '105', '0.5', { clientOrderId: 'x1' }), ns(1100), ns(1100));
    expect(bal(e).BTC).toEqual(['0.5', '0.5']);
    const c = e.cancel({ clientOrderId: 'x1' }, ns(1200));
    expect(c.ok && c.order.status).toBe('canceled');
    expect(bal(e).BTC).toEqual(['1', '0']);
    expect(e.cancel({ orderId: r.ok ? r.order.orderId : '' }, ns(1300))).toMatchObject({ ok: false, code: 'order_closed' });
  });

  it('book resting fills: a resting order fills when the other side of the recorded book reaches it', () => {
    const { e } = engine(undefined, 'position', 'book');
    e.place(limit('buy', '99.5', '1.5'), ns(1100), ns(1100));
    e.onFrame('BTCUSDT', trade(1200, '99', '10', 'sell')); // trades mean nothing in this mode
    expect(e.fills(10)).toEqual([]);
    e.onFrame(
      'BTCUSDT',
      book(
        1300,
        [['99', '2']],
        [
          ['99.4', '1'],
          ['99.5', '0.2'],
          ['100', '3'],
        ],
      ),
    );
    expect(
      e
        .fills(10)
        .reverse()
        .map((f) => [f.price, f.amount, f.liquidity]),
    ).toEqual([
      ['99.5', '1', 'maker'],
      ['99.5', '0.2', 'maker'],
    ]);
    expect(e.openOrders()[0].filledAmount).toBe('1.2');
  });

  it('fees in the currency received: a buy pays in base, a sell in quote', () => {
    const { e } = engine({ maker: '0.002', taker: '0.002', currency: 'received' });
    e.place({ market: 'BTCUSDT', side: 'buy', type: 'market', amount: '1', timeInForce: 'IOC' }, ns(1100), ns(1100));
    expect([e.fills(1)[0].fee, e.fills(1)[0].feeCurrency]).toEqual(['0.002', 'BTC']);
    expect(bal(e)).toEqual({ USDT: ['9900', '0'], BTC: ['1.998', '0'] });
    e.place({ market: 'BTCUSDT', side: 'sell', type: 'market', amount: '1', timeInForce: 'IOC' }, ns(1200), ns(1200));
    expect([e.fills(1)[0].fee, e.fills(1)[0].feeCurrency]).toEqual(['0.198', 'USDT']);
  });

  it('positions: entry price, realized and unrealized profit marked at the mid', () => {
    const { e } = engine({ maker: '0', taker: '0', currency: 'quote' });
    e.place({ market: 'BTCUSDT', side: 'buy', type: 'market', amount: '1', timeInForce: 'IOC' }, ns(1100), ns(1100));
    e.onFrame('BTCUSDT', book(1200, [['109', '1']], [['111', '1']]));
    e.place({ market: 'BTCUSDT', side: 'sell', type: 'market', amount: '0.5', timeInForce: 'IOC' }, ns(1300), ns(1300));
    const [p] = e.positions();
    expect([p.amount, p.entryPrice, p.realizedPnl, p.unrealizedPnl]).toEqual(['0.5', '100', '4.5', '5']);
  });

  it('the same frames and requests give the same outputs', () => {
    const run = () => {
      seq = 0;
      const { e, outputs } = engine();
      e.place(limit('buy', '99', '1'), ns(1100), ns(1100));
      e.place(limit('sell', '101.5', '0.7'), ns(1100), ns(1100));
      e.onFrame('BTCUSDT', trade(1200, '99', '2.5', 'sell'));
      e.onFrame('BTCUSDT', trade(1300, '102', '1', 'buy'));
      e.place({ market: 'BTCUSDT', side: 'buy', type: 'market', amount: '1.5', timeInForce: 'IOC' }, ns(1400), ns(1450));
      return JSON.stringify(outputs, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
    };
    const a = run();
    expect(a).toBe(run());
    expect(a.length).toBeGreaterThan(1000);
  });
});
