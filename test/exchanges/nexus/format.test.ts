import { describe, expect, it } from 'vitest';
import { cpOrderIdFor, formatOrder, formatPosition, nextProgress } from '../../../exchanges/nexus/account-format.js';
import { aggregatedBook, CROSSED_BOOK_EVERY, EXTERNAL_CPS, formatLegacyAggregatedQuote, formatLegacyQuotes, formatMarketDepth } from '../../../exchanges/nexus/book-format.js';
import { addDecimal, mulDecimal, splitDecimal, subDecimal } from '../../../exchanges/nexus/decimal.js';
import { normalizeFrame } from '../../../exchanges/nexus/normalize.js';
import type { BookEvent, Instrument, OrderEvent } from '../../../exchanges/market.js';
import { frame, loadFixtures } from './fixtures.js';

const BTC: Instrument = { base: 'BTC', quote: 'USDT', id: 4, priceDecimals: 2, amountDecimals: 4 };

function book(version: number, depth = 30): BookEvent {
  return {
    type: 'book',
    inst: BTC,
    bids: Array.from({ length: depth }, (_, i) => [(50_000 - i * 0.5).toFixed(2), (1 + i * 0.1234).toFixed(4)]),
    asks: Array.from({ length: depth }, (_, i) => [(50_000.5 + i * 0.5).toFixed(2), (2 + i * 0.0101).toFixed(4)]),
    version,
    tsMs: 1_700_000_000_000 + version,
  };
}

/** Keys of an object and, recursively, of its first array element / nested objects: the message's shape. */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.length ? [shape(v[0])] : [];
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shape(x)]));
  return typeof v;
}
const doc = (name: string) => JSON.parse(loadFixtures().find((f) => f.name === name)!.payload) as unknown;
const keysInOrder = (v: unknown): string[] => (v && typeof v === 'object' && !Array.isArray(v) ? Object.keys(v) : []);

describe('decimal helpers', () => {
  it('are exact', () => {
    expect(splitDecimal('1.0001', 3n, 5n)).toEqual(['0.6000', '0.4001']);
    expect(addDecimal('0.1', '0.2')).toBe('0.3');
    expect(subDecimal('0.01', '0.0100')).toBe('0.0000');
    expect(subDecimal('1', '2.5')).toBe('-1.5');
    expect(mulDecimal('48577', '0.01')).toBe('485.77');
    expect(mulDecimal('-0.5', '0.5')).toBe('-0.25');
  });
});

describe('API_MARKETDEPTH formatting', () => {
  it('has exactly the documented message and level shape, keys in the documents’ order', () => {
    const ours = formatMarketDepth(book(1), 5);
    expect(shape(ours)).toEqual(shape(doc('en_marketdepth')));
    const theirs = doc('en_marketdepth') as { data: { asks: unknown[] } };
    expect(keysInOrder(ours.data)).toEqual(keysInOrder(theirs.data));
    expect(keysInOrder(ours.data.asks[0])).toEqual(keysInOrder(theirs.data.asks[0]));
  });

  it('sends exactly the requested number of levels per side', () => {
    for (const levels of [1, 5, 10, 20]) {
      const { asks, bids } = aggregatedBook(book(1), levels);
      expect([asks.length, bids.length]).toEqual([levels, levels]);
    }
  });

  it('deals levels to several counterparties, deterministically, with quote times per counterparty', () => {
    const a = formatMarketDepth(book(7), 20);
    expect(formatMarketDepth(book(7), 20)).toEqual(a);
    const cps = new Set([...a.data.asks, ...a.data.bids].map((l) => l.cp));
    expect(cps.size).toBeGreaterThanOrEqual(3);
    for (const l of [...a.data.asks, ...a.data.bids]) {
      expect(EXTERNAL_CPS as readonly string[]).toContain(l.cp);
      expect(l.time).toMatch(/^\d{13}$/);
      expect(Number(l.time)).toBeLessThanOrEqual(1_700_000_000_007);
    }
    const byCp = new Map<string, Set<string>>();
    for (const l of a.data.asks) byCp.set(l.cp, (byCp.get(l.cp) ?? new Set()).add(l.time));
    for (const times of byCp.values()) expect(times.size).toBe(1);
  });

  it('splits shared levels between two providers without losing a digit', () => {
    const ev = book(3, 30);
    const { asks } = aggregatedBook(ev, 200);
    const total = new Map<string, string>();
    for (const l of asks) total.set(l.price, addDecimal(total.get(l.price) ?? '0', l.volume));
    expect(asks.length).toBeGreaterThan(ev.asks.length); // some levels are shared
    for (const [price, amount] of ev.asks) expect(total.get(price)).toBe(amount);
  });

  it('publishes a crossed book every CROSSED_BOOK_EVERY versions, from internal counterparties, and the normalizer keeps it', () => {
    const crossed = formatMarketDepth(book(CROSSED_BOOK_EVERY), 5);
    expect(crossed.data.bids.slice(0, 2).map((l) => l.cp)).toEqual(['xs_mm', 'xs_hedge']);
    expect(Number(crossed.data.bids[0].price)).toBeGreaterThan(Number(crossed.data.asks[0].price));
    const plain = formatMarketDepth(book(CROSSED_BOOK_EVERY + 1), 5);
    expect(Number(plain.data.bids[0].price)).toBeLessThan(Number(plain.data.asks[0].price));
    const rows = normalizeFrame(frame(JSON.stringify(crossed), 'API_MARKETDEPTH:BTCUSDT:5'));
    expect(rows.filter((r) => r.table === 'book' && r.side === 'bid')).toHaveLength(5);
    expect(rows[5]).toMatchObject({ side: 'bid', level: 0, cp: 'xs_mm', price: crossed.data.bids[0].price });
  });

  it('formats the BTHub quotes in their documented shapes', () => {
    const quotes = formatLegacyQuotes(book(2));
    expect(quotes.length).toBeGreaterThanOrEqual(3);
    for (const q of quotes) expect(shape(q)).toEqual(shape(doc('bthub_quote')));
    expect(shape(formatLegacyAggregatedQuote(book(2)))).toEqual(shape(doc('bthub_aggregated_quote')));
  });
});

describe('API_ORDER and API_RISK_POSITION formatting', () => {
  const base: OrderEvent = {
    type: 'order',
    inst: BTC,
    orderId: '1513108459447745045',
    clientOrderId: '111',
    side: 'sell',
    orderType: 'market',
    price: '0',
    amount: '0.01',
    filledAmount: '0.01',
    filledQuote: '485.77',
    avgPrice: '48577',
    status: 'filled',
    version: 2,
    createdMs: 1631950584467,
    tsMs: 1631950584647,
    fill: {
      type: 'fill',
      inst: BTC,
      fillId: '1513108462073399317',
      orderId: '1513108459447745045',
      side: 'sell',
      price: '48577',
      amount: '0.01',
      fee: '0',
      feeCurrency: 'USDT',
      liquidity: 'taker',
      tsMs: 1631950584647,
    },
  };

  it('reproduces the documented order example field for field (ids and comment aside)', () => {
    const ours = formatOrder(base, nextProgress(undefined, base));
    const theirs = doc('en_order') as { data: Array<Record<string, unknown> & { cpOrders: Array<Record<string, unknown>> }> };
    expect(shape(ours)).toEqual(shape(theirs));
    const p = ours.data[0];
    const t = theirs.data[0];
    expect(keysInOrder(p)).toEqual(keysInOrder(t));
    expect(keysInOrder(p.cpOrders[0])).toEqual(keysInOrder(t.cpOrders[0]));
    expect(keysInOrder(p.cpOrders[0].executions[0])).toEqual(keysInOrder((t.cpOrders[0].executions as unknown[])[0]));
    const { cpOrders: _a, ...parent } = p;
    const { cpOrders: _b, ...theirParent } = t;
    expect(parent).toEqual(theirParent);
    const { cp: _c, cpOrderid, orderComment: _d, executions, ...child } = p.cpOrders[0];
    const { cp: _e, cpOrderid: _f, orderComment: _g, executions: theirExecs, ...theirChild } = t.cpOrders[0];
    expect(child).toEqual(theirChild);
    expect(cpOrderid).toBe(cpOrderIdFor(base.orderId));
    expect(cpOrderid).toMatch(/^\d{19}$/);
    const { cp: _h, cpOrderId, ...exec } = executions[0];
    const { cp: _i, cpOrderId: _j, ...theirExec } = (theirExecs as Array<Record<string, unknown>>)[0];
    expect(exec).toEqual(theirExec);
    expect(cpOrderId).toBe(cpOrderid); // same id, spelled cpOrderId in executions (sic)
  });

  it('follows an order through its updates: pending, partial fills with cumulative fee, cancel', () => {
    const fill = (id: string, amount: string, fee: string, tsMs: number) => ({ ...base.fill!, fillId: id, amount, fee, tsMs, price: '100' });
    const placed: OrderEvent = { ...base, orderType: 'limit', amount: '3', filledAmount: '0', filledQuote: '0', status: 'new', fill: undefined, tsMs: 1 };
    let p = nextProgress(undefined, placed);
    const m1 = formatOrder(placed, p).data[0];
    expect([m1.status, m1.orderResult, m1.pendingVolume, m1.executeTime, m1.timeInForce, m1.cpOrders[0].executions]).toEqual(['PENDING', 'NONE', '3', '0', 'GTC', []]);
    const part: OrderEvent = { ...placed, filledAmount: '1', filledQuote: '100', status: 'partially_filled', fill: fill('F1', '1', '0.1', 10), tsMs: 10 };
    p = nextProgress(p, part);
    const part2: OrderEvent = { ...placed, filledAmount: '2', filledQuote: '200', status: 'partially_filled', fill: fill('F2', '1', '0.1', 20), tsMs: 20 };
    p = nextProgress(p, part2);
    const m3 = formatOrder(part2, p).data[0];
    expect([m3.status, m3.orderResult, m3.pendingVolume, m3.executeTime, m3.cpOrders[0].commission]).toEqual(['EXCUTING', 'PARTIAL', '1', '20', '0.2']);
    expect(m3.cpOrders[0].executions.map((e) => [e.executeId, e.executeAmount])).toEqual([['F2', '100']]);
    const canceled: OrderEvent = { ...part2, status: 'canceled', fill: undefined, tsMs: 30 };
    const m4 = formatOrder(canceled, nextProgress(p, canceled)).data[0];
    expect([m4.status, m4.orderResult, m4.pendingVolume, m4.executeTime]).toEqual(['CANCELLED', 'PARTIAL', '0', '20']);
    // normalized, the partial update gives the parent order and a fill with no fee (the cp order has had two)
    const rows = normalizeFrame(frame(JSON.stringify(formatOrder(part2, p)), 'API_ORDER'));
    expect(rows).toEqual([
      { table: 'orders', symbol: 'BTCUSDT', exchange_ts_ms: 20, order_id: base.orderId, client_order_id: '111', side: 'sell', order_type: 'LIMIT', status: 'EXCUTING', price: null, amount: '3', filled_amount: '2', avg_price: null },
      { table: 'fills', symbol: 'BTCUSDT', exchange_ts_ms: 20, fill_id: 'F2', order_id: base.orderId, side: 'sell', price: '100', amount: '1', fee: null, fee_currency: 'USDT', liquidity: null },
    ]);
  });

  it('formats risk positions in the documented shape and normalizes back to the position', () => {
    const ev = { type: 'position' as const, inst: BTC, amount: '-0.5', entryPrice: '100', unrealizedPnl: '2', realizedPnl: '1.5', tsMs: 5 };
    const msg = formatPosition(ev, 'A');
    expect(shape(msg)).toEqual(shape(doc('en_risk_position')));
    expect(keysInOrder(msg.data[0])).toEqual(keysInOrder((doc('en_risk_position') as { data: unknown[] }).data[0]));
    expect(msg.data[0]).toMatchObject({ netVolume: '-0.5', volume: '0.5', amount: '50', grossAmount: '50', mtmAmount: '48', netPl: '3.5', book: 'A', symbol: 'BTCUSDT' });
    expect(normalizeFrame(frame(JSON.stringify(msg), 'API_RISK_POSITION:A:ALL'))).toEqual([
      { table: 'positions', symbol: 'BTCUSDT', exchange_ts_ms: null, side: 'short', amount: '-0.5', entry_price: null, unrealized_pnl: null, realized_pnl: null, margin: null, book: 'A' },
    ]);
  });
});
