/**
 * The paper account's money: per currency an available and a frozen balance in exact decimals, and
 * per instrument a spot position (net base bought, its cost, realized profit). Every change goes
 * through here, so `available + frozen = start + Σ fills − Σ fees` holds per currency, and a
 * balance never goes below zero (a move that would is a bug in the caller and throws).
 */
import { addDecimal, compareDecimal, divDecimal, isZeroDecimal, mulDecimal, negDecimal, signDecimal, subDecimal, trimZeros } from '../../core/decimal.js';

/** Fraction digits of an entry price (cost ÷ size): finer than any exchange quotes. */
export const ENTRY_PRICE_DECIMALS = 12;

interface Balance {
  available: string;
  frozen: string;
}

interface PositionState {
  /** Signed base amount: bought minus sold. */
  net: string;
  /** Quote paid for the open position (its entry cost), positive for long and short alike. */
  cost: string;
  realized: string;
}

const ZERO = '0';
const t = (v: string) => trimZeros(v);

export class Ledger {
  private readonly bal = new Map<string, Balance>();
  private readonly pos = new Map<string, PositionState>();
  /** Currencies changed since the last `takeChanged()`, in the order they first changed. */
  private changed: string[] = [];

  constructor(initial: Record<string, string>) {
    for (const [cur, amount] of Object.entries(initial)) {
      if (signDecimal(amount) < 0) throw new RangeError(`negative starting balance for ${cur}: ${amount}`);
      this.bal.set(cur, { available: t(amount), frozen: ZERO });
    }
  }

  currencies(): string[] {
    return [...this.bal.keys()].sort();
  }

  available(cur: string): string {
    return this.bal.get(cur)?.available ?? ZERO;
  }

  frozen(cur: string): string {
    return this.bal.get(cur)?.frozen ?? ZERO;
  }

  total(cur: string): string {
    return t(addDecimal(this.available(cur), this.frozen(cur)));
  }

  covers(cur: string, amount: string): boolean {
    return compareDecimal(this.available(cur), amount) >= 0;
  }

  /** Moves `amount` from available to frozen (an order's reservation). */
  freeze(cur: string, amount: string): void {
    const b = this.balance(cur);
    b.available = this.nonNegative(cur, subDecimal(b.available, amount));
    b.frozen = t(addDecimal(b.frozen, amount));
  }

  /** Moves `amount` back from frozen to available. */
  unfreeze(cur: string, amount: string): void {
    const b = this.balance(cur);
    b.frozen = this.nonNegative(cur, subDecimal(b.frozen, amount));
    b.available = t(addDecimal(b.available, amount));
  }

  credit(cur: string, amount: string): void {
    const b = this.balance(cur);
    b.available = t(addDecimal(b.available, amount));
  }

  debit(cur: string, amount: string): void {
    const b = this.balance(cur);
    b.available = this.nonNegative(cur, subDecimal(b.available, amount));
  }

  /** Currencies whose balance moved since the last call, oldest change first. */
  takeChanged(): string[] {
    const out = this.changed;
    this.changed = [];
    return out;
  }

  position(key: string): PositionState {
    return this.pos.get(key) ?? { net: ZERO, cost: ZERO, realized: ZERO };
  }

  positionKeys(): string[] {
    return [...this.pos.keys()];
  }

  /**
   * A fill of `amount` at `price` (signed by `side`) on the instrument `key`: adds to the position,
   * or closes part of it against its average cost and realizes the difference; a fill larger than
   * the position flips it, the rest opening at `price`.
   */
  applyToPosition(key: string, side: 'buy' | 'sell', price: string, amount: string): void {
    const p = { ...this.position(key) };
    const signed = side === 'buy' ? amount : negDecimal(amount);
    const netSign = signDecimal(p.net);
    if (netSign === 0 || netSign === signDecimal(signed)) {
      p.cost = t(addDecimal(p.cost, mulDecimal(price, amount)));
      p.net = t(addDecimal(p.net, signed));
    } else {
      const open = netSign > 0 ? p.net : negDecimal(p.net);
      const closing = compareDecimal(amount, open) <= 0 ? amount : open;
      // the cost of the part closed, pro rata (exact: cost × closing ÷ open, kept to the entry digits)
      const released = compareDecimal(closing, open) === 0 ? p.cost : divDecimal(mulDecimal(p.cost, closing), open, ENTRY_PRICE_DECIMALS, 'half-away-from-zero');
      const proceeds = mulDecimal(price, closing);
      p.realized = t(addDecimal(p.realized, netSign > 0 ? subDecimal(proceeds, released) : subDecimal(released, proceeds)));
      p.cost = t(subDecimal(p.cost, released));
      p.net = t(addDecimal(p.net, signed));
      if (isZeroDecimal(p.net)) p.cost = ZERO;
      else if (signDecimal(p.net) !== netSign) {
        // flipped: what is left opened at this fill's price
        const left = signDecimal(p.net) > 0 ? p.net : negDecimal(p.net);
        p.cost = t(mulDecimal(price, left));
      }
    }
    this.pos.set(key, p);
  }

  /** Average entry price of a position ("0" when flat). */
  entryPrice(key: string): string {
    const p = this.position(key);
    if (isZeroDecimal(p.net)) return ZERO;
    const size = signDecimal(p.net) > 0 ? p.net : negDecimal(p.net);
    return t(divDecimal(p.cost, size, ENTRY_PRICE_DECIMALS, 'half-away-from-zero'));
  }

  /** Unrealized profit of a position marked at `mark` (quote currency). */
  unrealized(key: string, mark: string | null): string {
    const p = this.position(key);
    if (mark === null || isZeroDecimal(p.net)) return ZERO;
    const size = signDecimal(p.net) > 0 ? p.net : negDecimal(p.net);
    const value = mulDecimal(mark, size);
    return t(signDecimal(p.net) > 0 ? subDecimal(value, p.cost) : subDecimal(p.cost, value));
  }

  private balance(cur: string): Balance {
    let b = this.bal.get(cur);
    if (!b) {
      b = { available: ZERO, frozen: ZERO };
      this.bal.set(cur, b);
    }
    if (!this.changed.includes(cur)) this.changed.push(cur);
    return b;
  }

  private nonNegative(cur: string, v: string): string {
    if (signDecimal(v) < 0) throw new Error(`internal: ${cur} balance would go negative (${v})`);
    return t(v);
  }
}
