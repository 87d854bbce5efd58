/**
 * The matching rules, as pure functions over exact decimals:
 *  - a taker (market order, or the crossing part of a limit order) walks the recorded book best
 *    price first, each level at its own price, up to its limit;
 *  - a resting limit order fills when a recorded trade prints at or through its price, at its own
 *    price (it is the maker). With the `position` queue model, the size the recording showed at its
 *    price when it was placed is ahead of it and trades first; a trade through its price means the
 *    whole level traded, queue included. With `touch` (optimistic), the first trade at the price fills it;
 *  - where the recording has no trades (`book` resting fills), a resting order fills when the
 *    recorded book's other side reaches its price, against the size shown there.
 * A fill never exceeds what the recorded trade or level offered.
 */
import { addDecimal, compareDecimal, divDecimal, isZeroDecimal, mulDecimal, signDecimal, subDecimal, trimZeros } from '../../core/decimal.js';
import type { Side } from '../../exchanges/market.js';
import type { BookLevel, MarketTrade, QueueModel } from './types.js';

export interface Take {
  price: string;
  amount: string;
}

const min = (a: string, b: string) => (compareDecimal(a, b) <= 0 ? a : b);

/** `price` is acceptable to a `side` order limited at `limit` (a buy pays at most, a sell gets at least). */
function withinLimit(side: Side, price: string, limit: string | null): boolean {
  if (limit === null) return true;
  const c = compareDecimal(price, limit);
  return side === 'buy' ? c <= 0 : c >= 0;
}

/**
 * What a taker gets from `levels` (the other side of the book, best first): by base `amount`, or by
 * quote to spend (`quote`, each level's quantity rounded down to `amountDecimals`).
 */
export function walkBook(levels: readonly BookLevel[], side: Side, want: { amount: string } | { quote: string }, limit: string | null, amountDecimals: number): Take[] {
  const out: Take[] = [];
  let left = 'amount' in want ? want.amount : want.quote;
  for (const l of levels) {
    if (signDecimal(left) <= 0) break;
    if (!withinLimit(side, l.price, limit)) break;
    let q: string;
    if ('amount' in want) q = min(l.amount, left);
    else {
      if (signDecimal(l.price) <= 0) continue;
      q = min(l.amount, trimZeros(divDecimal(left, l.price, amountDecimals, 'truncate')));
    }
    if (isZeroDecimal(q)) break;
    out.push({ price: l.price, amount: trimZeros(q) });
    left = subDecimal(left, 'amount' in want ? q : mulDecimal(l.price, q));
  }
  return out;
}

/** Σ amount of takes. */
export function takenAmount(takes: readonly Take[]): string {
  let s = '0';
  for (const t of takes) s = trimZeros(addDecimal(s, t.amount));
  return s;
}

/** Σ price × amount of takes. */
export function takenQuote(takes: readonly Take[]): string {
  let s = '0';
  for (const t of takes) s = trimZeros(addDecimal(s, mulDecimal(t.price, t.amount)));
  return s;
}

interface RestingState {
  side: Side;
  price: string;
  /** Quantity still open. */
  remaining: string;
  /** Recorded size still ahead of the order at its price (queue model `position`). */
  ahead: string;
}

/**
 * A recorded trade against one resting order. `available` is what the trade has left for this
 * order (the trade's amount less what the account's orders ahead of it took). Returns the fill
 * and the queue ahead afterwards.
 */
export function fillFromTrade(order: RestingState, trade: MarketTrade, available: string, queue: QueueModel): { fill: string; ahead: string } {
  const none = { fill: '0', ahead: order.ahead };
  // a taker on the order's own side does not trade with it; an unknown side may have been either
  if (trade.side === order.side) return none;
  if (signDecimal(available) <= 0 || signDecimal(order.remaining) <= 0) return none;
  const c = compareDecimal(trade.price, order.price);
  const through = order.side === 'buy' ? c < 0 : c > 0;
  if (!through && c !== 0) return none;
  if (through || queue === 'touch') return { fill: min(order.remaining, available), ahead: '0' };
  const queued = min(order.ahead, available);
  const fillable = subDecimal(available, queued);
  return { fill: trimZeros(min(order.remaining, fillable)), ahead: trimZeros(subDecimal(order.ahead, queued)) };
}

/**
 * A resting order against the recorded book's other side (`book` resting fills): the levels at or
 * through its price, best first, up to its remaining quantity. Fills are at the order's own price;
 * the takes name the levels so the book can be consumed.
 */
export function fillFromBook(order: RestingState, levels: readonly BookLevel[]): Take[] {
  const out: Take[] = [];
  let left = order.remaining;
  for (const l of levels) {
    if (signDecimal(left) <= 0) break;
    if (!withinLimit(order.side, l.price, order.price)) break;
    const q = min(l.amount, left);
    if (isZeroDecimal(q)) continue;
    out.push({ price: l.price, amount: trimZeros(q) });
    left = subDecimal(left, q);
  }
  return out;
}
