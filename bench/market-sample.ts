/** Trades and book snapshots of one simulated instrument, the input the exchange benchmarks format and normalize. */
import type { BookEvent, TradeEvent } from '../exchanges/market.js';
import { Market } from '../simulator/market.js';

export function marketSample(n: number): { trades: TradeEvent[]; books: BookEvent[] } {
  const market = new Market({ seed: 1, symbols: ['BTC-USDT'] });
  const inst = market.instruments[0];
  const trades: TradeEvent[] = [];
  const books: BookEvent[] = [];
  market.on({ trade: (t) => void (trades.length < n && trades.push(t)) });
  while (trades.length < n) {
    market.step(3);
    if (books.length < n) books.push(market.book(inst));
  }
  return { trades, books };
}
