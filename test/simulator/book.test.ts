import { describe, expect, it } from 'vitest';
import { MIN_DEPTH_LEVELS, OrderBook } from '../../simulator/book.js';
import { createRandom } from '../../simulator/random.js';

function check(b: OrderBook): string[] {
  const bad: string[] = [];
  if (b.bids.length < 100 || b.asks.length < 100) bad.push(`depth ${b.bids.length}/${b.asks.length}`);
  for (let i = 1; i < b.bids.length; i++) if (!(b.bids[i][0] < b.bids[i - 1][0])) bad.push(`bids unsorted at ${i}`);
  for (let i = 1; i < b.asks.length; i++) if (!(b.asks[i][0] > b.asks[i - 1][0])) bad.push(`asks unsorted at ${i}`);
  for (const [px, q] of [...b.bids, ...b.asks]) if (!(px > 0 && q > 0 && Number.isInteger(px) && Number.isInteger(q))) bad.push(`level ${px} ${q}`);
  if (!(b.bids[0][0] < b.asks[0][0])) bad.push('crossed');
  return bad;
}

describe('order book', () => {
  it('refuses orders that would cross or touch the other side', () => {
    const b = new OrderBook(10_000, { unitTicks: 2, meanLots: 50 }, createRandom(1));
    const ask = b.bestAsk()[0];
    const bid = b.bestBid()[0];
    expect(b.add('bid', ask, 5)).toBe(false);
    expect(b.add('ask', bid, 5)).toBe(false);
    expect(b.add('bid', 0, 5)).toBe(false);
    expect(b.add('bid', bid, 0)).toBe(false);
    expect(b.add('bid', bid, 7)).toBe(true);
    expect(check(b)).toEqual([]);
  });

  it('a market that keeps swinging keeps its far ends near the price instead of wandering off', () => {
    // A coarse tick (one tick ≈ 8 bp, like LTC/BTC). Each swing eats one side level by level while
    // makers re-quote behind the touch; a refill that always extended the far end would leave the
    // far ends a little farther out after every swing.
    const rng = createRandom(2);
    const b = new OrderBook(1_300, { unitTicks: 1, meanLots: 400 }, rng);
    for (let i = 0; i < 40_000; i++) {
      // swings of 400 steps, kept within a band around the start price (this tests the book, not a crash)
      const mid = b.mid();
      const down = mid > 1_600 ? true : mid < 1_000 ? false : Math.floor(i / 400) % 2 === 0;
      b.take(down ? 'sell' : 'buy', b.size(), 1);
      if (down) b.add('ask', b.bestBid()[0] + 1, b.size());
      else b.add('bid', b.bestAsk()[0] - 1, b.size());
      // cancels near the touch on both sides, as the market's makers do
      b.reduce('bid', rng.int(0, 10), Number.MAX_SAFE_INTEGER);
      b.reduce('ask', rng.int(0, 10), Number.MAX_SAFE_INTEGER);
      b.add('bid', b.bestBid()[0] - rng.int(1, 3), b.size());
      b.add('ask', b.bestAsk()[0] + rng.int(1, 3), b.size());
      if (i % 500 === 0) expect(check(b), `step ${i} best ${b.bids[0][0]}/${b.asks[0][0]} far ${b.bids[b.bids.length - 1][0]}`).toEqual([]);
    }
    const limit = 3 * Math.ceil(MIN_DEPTH_LEVELS * 1.5);
    expect(b.bids[0][0] - b.bids[b.bids.length - 1][0]).toBeLessThanOrEqual(limit);
    expect(b.asks[b.asks.length - 1][0] - b.asks[0][0]).toBeLessThanOrEqual(limit);
    expect(b.bids[b.bids.length - 1][0]).toBeGreaterThan(0);
    expect(check(b)).toEqual([]);
  });

  it('a sweep returns one take per level, at the level prices, and never past the limit', () => {
    const b = new OrderBook(100_000, { unitTicks: 5, meanLots: 10 }, createRandom(3));
    const levels = b.asks.slice(0, 3).map((l) => [...l] as [number, number]);
    const takes = b.take('buy', levels[0][1] + levels[1][1] + 1, 5, levels[1][0]);
    expect(takes).toEqual([
      { px: levels[0][0], qty: levels[0][1] },
      { px: levels[1][0], qty: levels[1][1] },
    ]);
    expect(b.bestAsk()[0]).toBe(levels[2][0]);
    expect(check(b)).toEqual([]);
  });
});
