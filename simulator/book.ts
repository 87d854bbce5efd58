/**
 * One instrument's order book in integer ticks (price) and lots (amount). Bids are kept strictly
 * descending and asks strictly ascending, every size is positive, the best bid stays below the best
 * ask, and each side keeps between MIN_DEPTH_LEVELS and MAX_DEPTH_LEVELS levels: operations that
 * would break one of these rules are refused or repaired here, so the market cannot emit a
 * crossed or thin book.
 */
import type { Side } from '../exchanges/market.js';
import type { Random } from './random.js';

/** Fewer levels than this on a side and the far end is refilled (formatters ask for up to 100). */
export const MIN_DEPTH_LEVELS = 120;
/** More than this and the farthest levels are dropped. */
const MAX_DEPTH_LEVELS = 200;

/** A side normally spans about MIN_DEPTH_LEVELS × unitTicks × SPAN_FACTOR ticks... */
const SPAN_FACTOR = 1.5;
/** ...and levels farther than FAR_SPAN_FACTOR times that from the best price are dropped. */
const FAR_SPAN_FACTOR = 3;

type BookSide = 'bid' | 'ask';
/** [price in ticks, size in lots] */
type TickLevel = [px: number, qty: number];

interface BookShape {
  /** Typical gap between levels, ticks (≥ 1). */
  unitTicks: number;
  /** Mean level size, lots (≥ 1). */
  meanLots: number;
}

interface Take {
  px: number;
  qty: number;
}

export class OrderBook {
  readonly bids: TickLevel[] = [];
  readonly asks: TickLevel[] = [];

  constructor(
    midTicks: number,
    readonly shape: BookShape,
    private readonly rng: Random,
  ) {
    const halfSpread = Math.max(1, Math.round(shape.unitTicks / 2));
    this.bids.push([midTicks - halfSpread, this.size()]);
    this.asks.push([midTicks + halfSpread, this.size()]);
    this.refill();
  }

  bestBid(): TickLevel {
    return this.bids[0];
  }

  bestAsk(): TickLevel {
    return this.asks[0];
  }

  /** Mid price in ticks (may be a half tick). */
  mid(): number {
    return (this.bids[0][0] + this.asks[0][0]) / 2;
  }

  /** A random level size around meanLots (exponential-ish, at least one lot). */
  size(scale = 1): number {
    const u = this.rng.next();
    return Math.max(1, Math.round(-Math.log(1 - u * 0.999) * this.shape.meanLots * scale));
  }

  /** Adds `qty` at `px` on a side; refused (false) when it would cross or touch the other side or price ≤ 0. */
  add(side: BookSide, px: number, qty: number): boolean {
    if (px <= 0 || qty <= 0 || !Number.isInteger(px) || !Number.isInteger(qty)) return false;
    if (side === 'bid' ? px >= this.asks[0][0] : px <= this.bids[0][0]) return false;
    const levels = side === 'bid' ? this.bids : this.asks;
    const better = side === 'bid' ? (a: number, b: number) => a > b : (a: number, b: number) => a < b;
    let i = 0;
    while (i < levels.length && better(levels[i][0], px)) i++;
    if (i < levels.length && levels[i][0] === px) levels[i][1] += qty;
    else levels.splice(i, 0, [px, qty]);
    if (levels.length > MAX_DEPTH_LEVELS) levels.length = MAX_DEPTH_LEVELS;
    return true;
  }

  /** Reduces the level at `index` by `qty` (removes it at zero); keeps at least one level, refills the depth. */
  reduce(side: BookSide, index: number, qty: number): void {
    const levels = side === 'bid' ? this.bids : this.asks;
    if (index >= levels.length) return;
    levels[index][1] -= Math.min(qty, levels[index][1]);
    if (levels[index][1] === 0) {
      if (levels.length === 1)
        levels[0][1] = this.size(); // a side never empties: a new maker steps in
      else levels.splice(index, 1);
    }
    this.refill();
  }

  /**
   * A taker of `side` for up to `qty` lots, walking at most `maxLevels` levels and never past
   * `limitPx` (when given). Returns one fill per level touched, at that level's price.
   */
  take(side: Side, qty: number, maxLevels: number, limitPx: number | null = null): Take[] {
    const levels = side === 'buy' ? this.asks : this.bids;
    const out: Take[] = [];
    let left = qty;
    while (left > 0 && out.length < maxLevels && levels.length > 0) {
      const [px, avail] = levels[0];
      if (limitPx !== null && (side === 'buy' ? px > limitPx : px < limitPx)) break;
      const q = Math.min(left, avail);
      out.push({ px, qty: q });
      left -= q;
      if (q === avail) {
        if (levels.length === 1) {
          // The last level of a side was taken: a maker refills one gap further out so the side never empties.
          const gap = this.gap();
          levels[0] = [side === 'buy' ? px + gap : Math.max(1, px - gap), this.size()];
          if (side === 'sell' && levels[0][0] >= this.asks[0][0]) levels[0][0] = this.asks[0][0] - 1;
        } else levels.shift();
      } else levels[0][1] -= q;
    }
    this.refill();
    return out;
  }

  /** Lots available on the opposite side up to `limitPx` within `maxLevels` (a dry run of take). */
  available(side: Side, maxLevels: number, limitPx: number | null = null): Take[] {
    const levels = side === 'buy' ? this.asks : this.bids;
    const out: Take[] = [];
    for (let i = 0; i < levels.length && i < maxLevels; i++) {
      const [px, q] = levels[i];
      if (limitPx !== null && (side === 'buy' ? px > limitPx : px < limitPx)) break;
      out.push({ px, qty: q });
    }
    return out;
  }

  /** Gap to the next level, ticks: 1 to about 2 × unitTicks. */
  gap(): number {
    return Math.max(1, Math.round(this.shape.unitTicks * (0.25 + this.rng.next() * 1.5)));
  }

  /**
   * Brings both sides back to MIN_DEPTH_LEVELS. A side that already spans its normal range gets
   * the new levels in its widest gaps instead of at the far end: otherwise every level taken at
   * the top would reappear one gap further out and the far end would wander off (to a price of
   * zero on a falling bid side). Levels far beyond the normal range are dropped.
   */
  refill(): void {
    this.refillSide(this.bids, -1);
    this.refillSide(this.asks, 1);
  }

  private refillSide(levels: TickLevel[], dir: -1 | 1): void {
    const normalSpan = Math.ceil(MIN_DEPTH_LEVELS * this.shape.unitTicks * SPAN_FACTOR);
    const best = levels[0][0];
    while (levels.length > 1 && Math.abs(levels[levels.length - 1][0] - best) > FAR_SPAN_FACTOR * normalSpan) levels.pop();
    while (levels.length < MIN_DEPTH_LEVELS) {
      const last = levels[levels.length - 1][0];
      const next = last + dir * this.gap();
      if (Math.abs(last - best) < normalSpan && next > 0) {
        levels.push([next, this.size()]);
        continue;
      }
      let at = -1;
      let width = 1;
      for (let i = 1; i < levels.length; i++) {
        const w = Math.abs(levels[i][0] - levels[i - 1][0]);
        if (w > width) {
          width = w;
          at = i;
        }
      }
      if (at > 0) levels.splice(at, 0, [levels[at - 1][0] + dir * Math.floor(width / 2), this.size()]);
      else if (next > 0) levels.push([next, this.size()]);
      else break; // a bid side packed tick by tick down to one tick: nothing left to add
    }
  }
}
