/**
 * One market's order book as the recording shows it at the replay time, for the matching engine:
 * the latest recorded book (a snapshot replaces it, an update changes its levels), minus what the
 * paper account itself has taken from it since that book arrived. The account's takers consume
 * recorded liquidity; the next recorded snapshot restores it, because the real market never saw
 * the paper order (ASSUMPTION, the usual backtesting choice).
 *
 * Crossed books (Nexus mixes counterparties) are kept as recorded: levels are walked best price
 * first whatever the other side shows.
 */
import { addDecimal, compareDecimal, divDecimal, isZeroDecimal, signDecimal, subDecimal, trimZeros } from '../../core/decimal.js';
import type { BookLevel } from './types.js';

type BookSide = 'bid' | 'ask';

/** Digits of a mid price beyond the book's own: (bid + ask) ÷ 2 needs at most one more. */
const MID_EXTRA_DIGITS = 1;

const key = (price: string) => trimZeros(price.trim());

function sortLevels(levels: BookLevel[], side: BookSide): BookLevel[] {
  // stable: levels at one price (several counterparties) keep their recorded order
  return [...levels].sort((a, b) => (side === 'bid' ? compareDecimal(b.price, a.price) : compareDecimal(a.price, b.price)));
}

export class BookView {
  private bids: BookLevel[] = [];
  private asks: BookLevel[] = [];
  private readonly consumed: Record<BookSide, Map<string, string>> = { bid: new Map(), ask: new Map() };
  /** False until the first recorded book of the market arrives. */
  known = false;

  apply(book: { bids: BookLevel[]; asks: BookLevel[]; snapshot: boolean }): void {
    if (book.snapshot) {
      this.bids = sortLevels(
        book.bids.filter((l) => signDecimal(l.amount) > 0),
        'bid',
      );
      this.asks = sortLevels(
        book.asks.filter((l) => signDecimal(l.amount) > 0),
        'ask',
      );
      this.consumed.bid.clear();
      this.consumed.ask.clear();
    } else {
      this.bids = this.merge(this.bids, book.bids, 'bid');
      this.asks = this.merge(this.asks, book.asks, 'ask');
    }
    this.known = true;
  }

  /** Levels of one side, best first, with what the account took subtracted (empty levels left out). */
  levels(side: BookSide): BookLevel[] {
    const taken = this.consumed[side];
    const recorded = side === 'bid' ? this.bids : this.asks;
    if (taken.size === 0) return recorded;
    const left = new Map(taken);
    const out: BookLevel[] = [];
    for (const l of recorded) {
      const k = key(l.price);
      const c = left.get(k);
      if (c === undefined) {
        out.push(l);
        continue;
      }
      if (compareDecimal(c, l.amount) >= 0) {
        left.set(k, trimZeros(subDecimal(c, l.amount)));
        continue;
      }
      left.delete(k);
      out.push({ price: l.price, amount: trimZeros(subDecimal(l.amount, c)) });
    }
    return out;
  }

  best(side: BookSide): BookLevel | null {
    return this.levels(side)[0] ?? null;
  }

  /** The size the recording shows at exactly `price` on `side` (all counterparties at that price), "0" when none. */
  recordedSizeAt(side: BookSide, price: string): string {
    let sum = '0';
    for (const l of side === 'bid' ? this.bids : this.asks) if (compareDecimal(l.price, price) === 0) sum = addDecimal(sum, l.amount);
    return trimZeros(sum);
  }

  /** The account took `amount` at `price` from `side`. */
  consume(side: BookSide, price: string, amount: string): void {
    if (isZeroDecimal(amount)) return;
    const m = this.consumed[side];
    const k = key(price);
    m.set(k, trimZeros(addDecimal(m.get(k) ?? '0', amount)));
  }

  /** (best bid + best ask) ÷ 2 of the recorded book, or the one side there is, or null. */
  mid(): string | null {
    const b = this.bids[0]?.price;
    const a = this.asks[0]?.price;
    if (b && a) {
      const digits = Math.max(decimals(a), decimals(b)) + MID_EXTRA_DIGITS;
      return trimZeros(divDecimal(addDecimal(a, b), '2', digits, 'half-away-from-zero'));
    }
    return b ?? a ?? null;
  }

  /** The largest number of fraction digits the recorded amounts use (how finely a quantity can be split). */
  amountDecimals(): number {
    let d = 0;
    for (const l of this.bids) d = Math.max(d, decimals(l.amount));
    for (const l of this.asks) d = Math.max(d, decimals(l.amount));
    return d;
  }

  private merge(levels: BookLevel[], changes: BookLevel[], side: BookSide): BookLevel[] {
    const byPrice = new Map(levels.map((l) => [key(l.price), l]));
    for (const c of changes) {
      const k = key(c.price);
      if (signDecimal(c.amount) <= 0) byPrice.delete(k);
      else byPrice.set(k, c);
      this.consumed[side].delete(k);
    }
    return sortLevels([...byPrice.values()], side);
  }
}

function decimals(text: string): number {
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}
