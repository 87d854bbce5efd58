/** The broker's payloads, from market events, in the documented shapes; they normalize back exactly. */
import { describe, expect, it } from 'vitest';
import { coinsuper } from '../../../exchanges/coinsuper/index.js';
import { assetPayload, depthChartPayload, fillPayload, klinePayload, orderBookPayload, orderPayload, tickersPayload } from '../../../exchanges/coinsuper/format.js';
import { fullTopic } from '../../../exchanges/coinsuper/topics.js';
import type { BookEvent, Instrument, OrderEvent, TradeEvent } from '../../../exchanges/market.js';
import { publishFrame, rawFrame } from './fixtures.js';

const BTC_USD: Instrument = { base: 'BTC', quote: 'USD', id: 1, priceDecimals: 2, amountDecimals: 4 };
const norm = (topic: string, payload: string) => coinsuper.createNormalizer().normalize(rawFrame(topic, publishFrame(topic, payload)));

/** The book of the documented orderBook sample (its first levels). */
const book: BookEvent = {
  type: 'book',
  inst: BTC_USD,
  bids: [
    ['6674.56', '0.8490'],
    ['6660.00', '1.0000'],
    ['6600.00', '2.5000'],
  ],
  asks: [
    ['6674.89', '0.0524'],
    ['6674.96', '0.2399'],
    ['6690.00', '3.0000'],
  ],
  version: 1,
  tsMs: 1532686075803,
};

describe('coinsuper payloads', () => {
  it('orderBook: the sample’s amounts (price × quantity) and key order', () => {
    const text = orderBookPayload(book, '0.01');
    expect(text.startsWith('{"asks":[{"amount":"349.76","limitPrice":"6674.89","quantity":"0.0524"},{"amount":"1601.32","limitPrice":"6674.96","quantity":"0.2399"}')).toBe(true);
    expect(text).toContain('"bids":[{"amount":"5666.70","limitPrice":"6674.56","quantity":"0.8490"}');
    expect(text.endsWith('"limitSize":15,"step":"0.01","symbol":"BTC/USD","timestamp":1532686075803}')).toBe(true);
    const rows = norm(fullTopic('orderBook', { symbol: 'BTC_USD', step: '0.01' }), text);
    expect(rows.filter((r) => r.table === 'book')).toHaveLength(6);
  });

  it('orderBook: aggregates by a coarser step (bids down, asks up) and keeps 15 levels', () => {
    const deep: BookEvent = {
      ...book,
      bids: Array.from({ length: 60 }, (_, i) => [(6674.56 - i * 0.25).toFixed(2), '1.0000'] as [string, string]),
      asks: Array.from({ length: 60 }, (_, i) => [(6674.89 + i * 0.25).toFixed(2), '1.0000'] as [string, string]),
    };
    const msg = JSON.parse(orderBookPayload(deep, '1.0'));
    expect(msg.bids).toHaveLength(15);
    expect(msg.bids[0]).toEqual({ amount: '20022.00', limitPrice: '6674.0', quantity: '3.0000' }); // 6674.56, .31, .06
    expect(msg.asks[0]).toEqual({ amount: '6675.00', limitPrice: '6675.0', quantity: '1.0000' }); // 6674.89
    expect(msg.asks[1].limitPrice).toBe('6676.0'); // 6675.14 … 6675.89
  });

  it('depth chart: 50 cumulative buckets per side on the 0.1 % grid, stepValue null', () => {
    const msg = JSON.parse(depthChartPayload(book)!);
    expect(Object.keys(msg)).toEqual(['symbol', 'asks', 'bids', 'depthPercent', 'asksMinPrice', 'bidsMaxPrice']);
    expect(msg.asks).toHaveLength(50);
    expect(msg.bids).toHaveLength(50);
    // as in the sample: the first bid bucket sits at the mid, above the best bid, and is empty;
    // the next one holds exactly the best bid's quantity
    expect(msg.bids[0]).toEqual({ price: '6674.72', quantity: '0.0000', stepValue: null });
    expect(msg.bids[1]).toEqual({ price: '6668.04', quantity: '0.8490', stepValue: null });
    expect(msg.asks[0]).toEqual({ price: '6681.39', quantity: '0.2923', stepValue: null });
    expect(msg.asks[1].price).toBe('6688.06'); // the sample's four bucket prices are reproduced exactly
    expect(msg.asks[49].quantity).toBe('3.2923');
    const q = (side: Array<{ quantity: string }>) => side.map((b) => Number(b.quantity));
    for (const side of [q(msg.asks), q(msg.bids)]) for (let i = 1; i < side.length; i++) expect(side[i]).toBeGreaterThanOrEqual(side[i - 1]);
    expect(msg.asksMinPrice).toBe('6674.89');
    expect(msg.bidsMaxPrice).toBe('6674.56');
    expect(depthChartPayload({ ...book, asks: [] })).toBeNull();
  });

  it('kline and tickers normalize back to the event’s values', () => {
    const kl = klinePayload({
      type: 'kline',
      inst: BTC_USD,
      intervalMs: 60000,
      openTsMs: 1532686140000,
      open: '6616.40',
      high: '6616.48',
      low: '6616.40',
      close: '6616.45',
      volume: '31.76239814',
      quoteVolume: '1',
      firstTradeId: 1,
      lastTradeId: 2,
      tradeCount: 2,
      tsMs: 1532686150000,
    });
    expect(kl).toBe('{"symbol":"BTC/USD","first":"6616.40","last":"6616.45","max":"6616.48","min":"6616.40","quantity":"31.76239814","timestamp":1532686140000}');
    const trades: TradeEvent[] = [2, 1].map((k) => ({ type: 'trade', inst: BTC_USD, tradeId: k, seq: k, price: `6089.3${k}`, amount: '0.4337', side: k === 2 ? 'buy' : 'sell', tsMs: 1532623321348 + k }));
    const text = tickersPayload(trades);
    expect(text).toBe('[{"symbol":"BTC/USD","price":"6089.32","quantity":"0.4337","action":"BUY","timestamp":1532623321350},{"symbol":"BTC/USD","price":"6089.31","quantity":"0.4337","action":"SELL","timestamp":1532623321349}]');
    const rows = norm(fullTopic('tickers', { symbol: 'BTC_USD' }), text);
    expect(rows.map((r) => (r as { price: string }).price)).toEqual(['6089.31', '6089.32']);
  });

  it('asset change: 30-decimal numbers whose text survives normalization', () => {
    const text = assetPayload([{ type: 'balance', currency: 'BTC', available: '0.738763122563248', frozen: '0.568', tsMs: 1542786801575 }], 'demouser@demo.domain', 1542786802283);
    expect(text).toMatch(
      /^\{"asset":\[\{"available":0\.738763122563248000000000000000,"currency":"BTC","total":1\.306763122563248000000000000000,"utcUpdate":1542786801575\}\],"email":"demouser@demo\.domain","timestamp":1542786802283,"userNo":"16\d{17}"\}$/,
    );
    const [row] = norm(fullTopic('asset', { email: 'demouser@demo.domain' }), text);
    expect(row).toMatchObject({ table: 'balances', currency: 'BTC', available: '0.738763122563248000000000000000', total: '1.306763122563248000000000000000' });
  });

  it('order and trade change in the documented field order', () => {
    const order: OrderEvent = {
      type: 'order',
      inst: { base: 'ETC', quote: 'BTC', id: 2, priceDecimals: 8, amountDecimals: 8 },
      orderId: '1616392747273428993',
      clientOrderId: 'c1',
      side: 'buy',
      orderType: 'limit',
      price: '1234.56000000',
      amount: '0.00081000',
      filledAmount: '0.00000000',
      filledQuote: '0',
      avgPrice: '0',
      status: 'new',
      version: 1,
      createdMs: 1541512249094,
      tsMs: 1541512249094,
    };
    const text = orderPayload(order, 'NEW');
    expect(text).toBe(
      '{"symbol":"ETC/BTC","orderNo":"1616392747273428993","quantity":"0.00081000","quantityRemaining":"0.00081000","priceLimit":"1234.56000000","action":"BUY","priceAverage":"0","amount":"0","amountRemaining":"0.99999360","fee":"0","state":"NEW","utcCreate":1541512249094,"utcUpdate":1541512249094}',
    );
    const fill = fillPayload(
      { type: 'fill', inst: order.inst, fillId: '1616392748072460289', orderId: order.orderId, side: 'buy', price: '1234.56000000', amount: '0.00081000', fee: '0', feeCurrency: 'BTC', liquidity: 'taker', tsMs: 1541512249094 },
      'market',
    );
    expect(fill).toBe('{"action":"BUY","dealNo":"1616392748072460289","matchType":"TAKER","orderNo":"1616392747273428993","orderType":"MKT","price":"1234.56000000","quantity":"0.00081000","symbol":"ETC/BTC","utcDeal":"1541512249094"}');
  });
});
