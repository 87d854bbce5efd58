/** Hand-made market events for the Coinstore server tests. */
import type { BalanceEvent, BookEvent, Instrument, KlineEvent, OrderEvent, TickerEvent, TradeEvent } from '../../../exchanges/market.js';
import { INSTRUMENTS } from './harness.js';

export const BTC = INSTRUMENTS[0];
export const ETH = INSTRUMENTS[1];
export const EOS = INSTRUMENTS[2];
export const T0 = 1_700_000_000_123;

export const trade = (inst: Instrument, n: number, side: 'buy' | 'sell' = 'sell'): TradeEvent => ({
  type: 'trade',
  inst,
  tradeId: 26460 + n,
  seq: 10000 + n,
  price: '9811.7494086',
  amount: '7.505',
  side,
  tsMs: T0 + n,
});

export const book = (inst: Instrument, depth = 30): BookEvent => ({
  type: 'book',
  inst,
  bids: Array.from({ length: depth }, (_, i) => [(100 - i * 0.5).toFixed(2), `${i + 1}.5`]),
  asks: Array.from({ length: depth }, (_, i) => [(100.5 + i * 0.5).toFixed(2), `${i + 2}`]),
  version: 1,
  tsMs: T0,
});

export const kline = (inst: Instrument, intervalMs = 60_000, openTsMs = 1_700_000_040_000): KlineEvent => ({
  type: 'kline',
  inst,
  intervalMs,
  openTsMs,
  open: '100.00',
  high: '101.50',
  low: '99.00',
  close: '100.50',
  volume: '12.3456',
  quoteVolume: '1240.12',
  firstTradeId: 7,
  lastTradeId: 19,
  tradeCount: 13,
  tsMs: openTsMs + 1000,
});

export const ticker = (inst: Instrument, last = '100.50'): TickerEvent => ({
  type: 'ticker',
  inst,
  open: '98.00',
  high: '102.00',
  low: '97.50',
  last,
  volume: '5000',
  quoteVolume: '500000.5',
  change: '2.50',
  changeRate: '0.0255',
  bid: '100.49',
  bidSize: '1',
  ask: '100.51',
  askSize: '2',
  tsMs: T0,
});

export const balance = (currency: string, available = '3128.29'): BalanceEvent => ({ type: 'balance', currency, available, frozen: '21.03', tsMs: T0 });

export const order = (inst: Instrument, withFill: boolean): OrderEvent => ({
  type: 'order',
  inst,
  orderId: '1722364585836586',
  clientOrderId: 'c1',
  side: 'buy',
  orderType: 'limit',
  price: '128.21',
  amount: '11.21',
  filledAmount: withFill ? '1.9' : '0',
  filledQuote: withFill ? '243.599' : '0',
  avgPrice: withFill ? '128.21' : '0',
  status: withFill ? 'partially_filled' : 'new',
  version: withFill ? 2 : 1,
  createdMs: T0,
  tsMs: T0,
  ...(withFill
    ? {
        fill: {
          type: 'fill' as const,
          inst,
          fillId: '123',
          orderId: '1722364585836586',
          side: 'buy' as const,
          price: '128.21',
          amount: '1.9',
          fee: '0.0038',
          feeCurrency: 'BTC',
          liquidity: 'taker' as const,
          tsMs: T0,
        },
      }
    : {}),
});
