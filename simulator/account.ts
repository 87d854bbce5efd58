/**
 * The demo account: balances, orders, fills and positions that move against the simulated market.
 * Amounts are bigints at ACCOUNT_DECIMALS (18) so every balance change is exact; the invariant the
 * tests check is `available + frozen = initial + Σ fill effects` per currency, and `frozen` equals
 * what the open orders reserve.
 *
 * Model: the account is a small, hidden participant. Its resting limit orders are not in the public
 * book; they fill (as maker, at their own price) when a public taker trade prints at or through
 * their price. Its market orders, and the crossing part of a limit order, are takers on the public
 * book and print public trades. Fees are charged in the quote currency.
 */
import type { BalanceEvent, DemoAccount, FillEvent, Instrument, MarketEvent, OrderEvent, OrderStatus, PositionEvent, Side, TradeEvent } from '../exchanges/market.js';
import { formatFixed, formatTrimmed, parseFixed, pow10 } from './fixed.js';

export const ACCOUNT_DECIMALS = 18;
export const TAKER_FEE_BPS = 10n;
export const MAKER_FEE_BPS = 5n;
const BPS = 10_000n;
/** Orders and fills kept for `orders()` / `fills()`. */
const MAX_ACCOUNT_HISTORY = 1_000;
/** A taker order walks at most this many levels; the rest of a market order expires. */
export const MAX_TAKER_LEVELS = 20;
/** Order and fill ids start here so they look like an exchange's long numeric ids. */
const ORDER_ID_BASE = 7_000_000_000;
const FILL_ID_BASE = 9_000_000_000;

/** What the account needs from the market. */
export interface Venue {
  nowMs(): number;
  instruments(): Instrument[];
  /** Best bid / ask in ticks, null when the side is empty. */
  touch(inst: Instrument): { bid: number; ask: number };
  /** Lots and prices a taker could get now (dry run). */
  quote(inst: Instrument, side: Side, lots: number, limitTicks: number | null): Array<{ px: number; qty: number }>;
  /** Executes a taker on the public book: prints the public trades and returns them. */
  take(inst: Instrument, side: Side, lots: number, limitTicks: number | null): Array<{ px: number; qty: number; trade: TradeEvent }>;
  emit(event: MarketEvent): void;
}

interface Balance {
  available: bigint;
  frozen: bigint;
}

interface OrderState {
  inst: Instrument;
  orderId: string;
  clientOrderId: string;
  side: Side;
  orderType: 'limit' | 'market';
  limitTicks: number | null;
  lots: number;
  filledLots: number;
  /** Σ price ticks × lots of the fills. */
  filledPxQty: bigint;
  status: OrderStatus;
  version: number;
  createdMs: number;
  tsMs: number;
  /** What this order still reserves (quote for buys, base for sells), at ACCOUNT_DECIMALS. */
  frozen: bigint;
}

interface PositionState {
  lots: number;
  /** Entry cost of the open position, quote at ACCOUNT_DECIMALS. */
  cost: bigint;
  realized: bigint;
}

export function defaultInitialBalances(instruments: Instrument[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const i of instruments) {
    for (const cur of [i.base, i.quote]) {
      if (out[cur]) continue;
      out[cur] = /^(USDT|USDC|USD|EUR)$/.test(cur) ? '100000' : cur === 'BTC' ? '5' : cur === 'ETH' ? '50' : '10000';
    }
  }
  return out;
}

function fmtAccount(v: bigint): string {
  return formatTrimmed(v, ACCOUNT_DECIMALS, 2);
}

export class SimAccount implements DemoAccount {
  private readonly bal = new Map<string, Balance>();
  private readonly orderMap = new Map<string, OrderState>();
  private readonly open: OrderState[] = [];
  private readonly fillLog: FillEvent[] = [];
  private readonly pos = new Map<number, PositionState>();
  private orderSeq = 0;
  private fillSeq = 0;

  constructor(
    private readonly venue: Venue,
    initial: Record<string, string>,
  ) {
    for (const [cur, amount] of Object.entries(initial)) {
      const v = parseFixed(amount, ACCOUNT_DECIMALS);
      if (v === null || v < 0n) throw new Error(`bad initial balance for ${cur}: ${amount}`);
      this.bal.set(cur, { available: v, frozen: 0n });
    }
  }

  // --- reading ---------------------------------------------------------------------------------

  balances(): BalanceEvent[] {
    return [...this.bal.keys()].sort().map((c) => this.balanceEvent(c));
  }

  openOrders(): OrderEvent[] {
    return this.open.map((o) => this.orderEvent(o));
  }

  orders(): OrderEvent[] {
    return [...this.orderMap.values()].map((o) => this.orderEvent(o));
  }

  fills(limit: number): FillEvent[] {
    return this.fillLog.slice(Math.max(0, this.fillLog.length - limit)).reverse();
  }

  positions(): PositionEvent[] {
    return this.venue
      .instruments()
      .filter((i) => this.pos.has(i.id))
      .map((i) => this.positionEvent(i));
  }

  /** Open orders of the account, oldest first (the market's automatic trader cancels the oldest). */
  openOrderIds(): string[] {
    return this.open.map((o) => o.orderId);
  }

  available(currency: string): bigint {
    return this.bal.get(currency)?.available ?? 0n;
  }

  // --- trading ---------------------------------------------------------------------------------

  placeOrder(req: { inst: Instrument; side: Side; orderType: 'limit' | 'market'; price?: string; amount: string; clientOrderId?: string }): { ok: true; order: OrderEvent } | { ok: false; reason: string } {
    const { inst, side, orderType } = req;
    const lotsBig = parseFixed(req.amount, inst.amountDecimals);
    if (lotsBig === null || lotsBig <= 0n) return { ok: false, reason: `amount must be a positive number with at most ${inst.amountDecimals} decimals` };
    const lots = Number(lotsBig);
    let limitTicks: number | null = null;
    if (orderType === 'limit') {
      const p = req.price === undefined ? null : parseFixed(req.price, inst.priceDecimals);
      if (p === null || p <= 0n) return { ok: false, reason: `price must be a positive number with at most ${inst.priceDecimals} decimals` };
      limitTicks = Number(p);
    }
    const base = this.balance(inst.base);
    const quote = this.balance(inst.quote);
    // Check the worst case before anything moves: a buy may pay up to its limit (or the book's
    // prices for a market order) plus the taker fee; a sell needs the base amount.
    if (side === 'buy') {
      let worst: bigint;
      if (limitTicks !== null) worst = this.quote18(inst, limitTicks, lots);
      else {
        const avail = this.venue.quote(inst, 'buy', lots, null);
        worst = avail.reduce((s, l) => s + this.quote18(inst, l.px, l.qty), 0n);
        if (avail.length === 0) return { ok: false, reason: 'no liquidity' };
      }
      if (withFee(worst, TAKER_FEE_BPS) > quote.available) return { ok: false, reason: `insufficient ${inst.quote} balance` };
    } else if (this.base18(inst, lots) > base.available) {
      return { ok: false, reason: `insufficient ${inst.base} balance` };
    }

    const now = this.venue.nowMs();
    this.orderSeq += 1;
    const o: OrderState = {
      inst,
      orderId: String(ORDER_ID_BASE + this.orderSeq),
      clientOrderId: req.clientOrderId ?? `demo-${this.orderSeq}`,
      side,
      orderType,
      limitTicks,
      lots,
      filledLots: 0,
      filledPxQty: 0n,
      status: 'new',
      version: 1,
      createdMs: now,
      tsMs: now,
      frozen: 0n,
    };
    this.orderMap.set(o.orderId, o);
    this.trimHistory();
    this.venue.emit(this.orderEvent(o));

    // The crossing part executes at once as a taker.
    const takes = this.venue.take(inst, side, lots, limitTicks);
    for (const t of takes) this.applyFill(o, t.px, t.qty, 'taker');

    const rest = o.lots - o.filledLots;
    if (rest > 0 && orderType === 'limit') {
      // The rest rests: reserve it (buys reserve the taker fee too, an upper bound released on fill).
      const reserve = side === 'buy' ? withFee(this.quote18(inst, limitTicks!, rest), TAKER_FEE_BPS) : this.base18(inst, rest);
      const cur = side === 'buy' ? quote : base;
      cur.available -= reserve;
      cur.frozen += reserve;
      o.frozen = reserve;
      this.open.push(o);
      this.venue.emit(this.balanceEvent(side === 'buy' ? inst.quote : inst.base));
    } else if (rest > 0) {
      // A market order's unfilled rest expires.
      this.finish(o, 'canceled');
    }
    return { ok: true, order: this.orderEvent(o) };
  }

  cancelOrder(orderId: string): { ok: true; order: OrderEvent } | { ok: false; reason: string } {
    const o = this.orderMap.get(orderId);
    if (!o) return { ok: false, reason: 'order not found' };
    if (!this.open.includes(o)) return { ok: false, reason: `order is ${o.status}` };
    this.finish(o, 'canceled');
    return { ok: true, order: this.orderEvent(o) };
  }

  /** A public trade printed: resting orders it went through fill as maker at their own price. */
  onPublicTrade(trade: TradeEvent, px: number, qty: number): void {
    let left = qty;
    for (const o of [...this.open]) {
      if (left <= 0) break;
      if (o.inst.id !== trade.inst.id || o.side === trade.side) continue;
      const through = o.side === 'buy' ? px <= o.limitTicks! : px >= o.limitTicks!;
      if (!through) continue;
      const q = Math.min(left, o.lots - o.filledLots);
      left -= q;
      this.applyFill(o, o.limitTicks!, q, 'maker');
    }
  }

  // --- internals -------------------------------------------------------------------------------

  private applyFill(o: OrderState, px: number, q: number, liquidity: 'maker' | 'taker'): void {
    const inst = o.inst;
    const now = this.venue.nowMs();
    const base = this.balance(inst.base);
    const quote = this.balance(inst.quote);
    const notional = this.quote18(inst, px, q);
    const fee = (notional * (liquidity === 'maker' ? MAKER_FEE_BPS : TAKER_FEE_BPS)) / BPS;
    const amount = this.base18(inst, q);
    if (o.side === 'buy') {
      if (liquidity === 'maker') {
        const release = withFee(this.quote18(inst, o.limitTicks!, q), TAKER_FEE_BPS);
        quote.frozen -= release;
        o.frozen -= release;
        quote.available += release;
      }
      quote.available -= notional + fee;
      base.available += amount;
    } else {
      if (liquidity === 'maker') {
        base.frozen -= amount;
        o.frozen -= amount;
      } else base.available -= amount;
      quote.available += notional - fee;
    }
    o.filledLots += q;
    o.filledPxQty += BigInt(px) * BigInt(q);
    o.version += 1;
    o.tsMs = now;
    o.status = o.filledLots === o.lots ? 'filled' : 'partially_filled';
    if (o.status === 'filled') this.removeOpen(o);

    this.fillSeq += 1;
    const fill: FillEvent = {
      type: 'fill',
      inst,
      fillId: String(FILL_ID_BASE + this.fillSeq),
      orderId: o.orderId,
      side: o.side,
      price: formatFixed(px, inst.priceDecimals),
      amount: formatFixed(q, inst.amountDecimals),
      fee: fmtAccount(fee),
      feeCurrency: inst.quote,
      liquidity,
      tsMs: now,
    };
    this.fillLog.push(fill);
    if (this.fillLog.length > MAX_ACCOUNT_HISTORY) this.fillLog.splice(0, this.fillLog.length - MAX_ACCOUNT_HISTORY);
    this.updatePosition(inst, o.side === 'buy' ? q : -q, px);

    this.venue.emit({ ...this.orderEvent(o), fill });
    this.venue.emit(fill);
    this.venue.emit(this.balanceEvent(inst.base));
    this.venue.emit(this.balanceEvent(inst.quote));
    this.venue.emit(this.positionEvent(inst));
  }

  private finish(o: OrderState, status: OrderStatus): void {
    if (o.frozen > 0n) {
      const cur = o.side === 'buy' ? o.inst.quote : o.inst.base;
      const b = this.balance(cur);
      b.frozen -= o.frozen;
      b.available += o.frozen;
      o.frozen = 0n;
      this.venue.emit(this.balanceEvent(cur));
    }
    this.removeOpen(o);
    o.status = status;
    o.version += 1;
    o.tsMs = this.venue.nowMs();
    this.venue.emit(this.orderEvent(o));
  }

  private removeOpen(o: OrderState): void {
    const i = this.open.indexOf(o);
    if (i >= 0) this.open.splice(i, 1);
    if (o.status === 'filled' && o.frozen !== 0n) {
      // Sells release exactly; buys reserve per lot, so nothing may be left either.
      throw new Error(`internal: order ${o.orderId} filled with ${o.frozen} still reserved`);
    }
  }

  private updatePosition(inst: Instrument, signedLots: number, px: number): void {
    const p = this.pos.get(inst.id) ?? { lots: 0, cost: 0n, realized: 0n };
    this.pos.set(inst.id, p);
    const q = Math.abs(signedLots);
    if (p.lots === 0 || Math.sign(p.lots) === Math.sign(signedLots)) {
      p.cost += this.quote18(inst, px, q);
      p.lots += signedLots;
      return;
    }
    const closing = Math.min(q, Math.abs(p.lots));
    const released = (p.cost * BigInt(closing)) / BigInt(Math.abs(p.lots));
    const proceeds = this.quote18(inst, px, closing);
    p.realized += p.lots > 0 ? proceeds - released : released - proceeds;
    p.cost -= released;
    p.lots += signedLots;
    if (p.lots === 0) p.cost = 0n;
    else if (Math.sign(p.lots) === Math.sign(signedLots)) p.cost = this.quote18(inst, px, Math.abs(p.lots)); // flipped
  }

  private balance(cur: string): Balance {
    let b = this.bal.get(cur);
    if (!b) {
      b = { available: 0n, frozen: 0n };
      this.bal.set(cur, b);
    }
    return b;
  }

  private trimHistory(): void {
    if (this.orderMap.size <= MAX_ACCOUNT_HISTORY) return;
    for (const [id, o] of this.orderMap) {
      if (this.orderMap.size <= MAX_ACCOUNT_HISTORY) break;
      if (!this.open.includes(o)) this.orderMap.delete(id);
    }
  }

  private quote18(inst: Instrument, px: number, lots: number): bigint {
    return BigInt(px) * BigInt(lots) * pow10(ACCOUNT_DECIMALS - inst.priceDecimals - inst.amountDecimals);
  }

  private base18(inst: Instrument, lots: number): bigint {
    return BigInt(lots) * pow10(ACCOUNT_DECIMALS - inst.amountDecimals);
  }

  private balanceEvent(cur: string): BalanceEvent {
    const b = this.balance(cur);
    return { type: 'balance', currency: cur, available: fmtAccount(b.available), frozen: fmtAccount(b.frozen), tsMs: this.venue.nowMs() };
  }

  private orderEvent(o: OrderState): OrderEvent {
    const d = o.inst.priceDecimals;
    return {
      type: 'order',
      inst: o.inst,
      orderId: o.orderId,
      clientOrderId: o.clientOrderId,
      side: o.side,
      orderType: o.orderType,
      price: o.limitTicks === null ? '0' : formatFixed(o.limitTicks, d),
      amount: formatFixed(o.lots, o.inst.amountDecimals),
      filledAmount: formatFixed(o.filledLots, o.inst.amountDecimals),
      filledQuote: formatFixed(o.filledPxQty, d + o.inst.amountDecimals),
      avgPrice: o.filledLots === 0 ? formatFixed(0, d) : formatFixed(o.filledPxQty / BigInt(o.filledLots), d),
      status: o.status,
      version: o.version,
      createdMs: o.createdMs,
      tsMs: o.tsMs,
    };
  }

  private positionEvent(inst: Instrument): PositionEvent {
    const p = this.pos.get(inst.id) ?? { lots: 0, cost: 0n, realized: 0n };
    const absBase = this.base18(inst, Math.abs(p.lots));
    const entry18 = p.lots === 0 ? 0n : (p.cost * pow10(ACCOUNT_DECIMALS)) / absBase;
    const { bid, ask } = this.venue.touch(inst);
    const markValue = this.quote18(inst, bid + ask, Math.abs(p.lots)) / 2n;
    const unrealized = p.lots === 0 ? 0n : p.lots > 0 ? markValue - p.cost : p.cost - markValue;
    return {
      type: 'position',
      inst,
      amount: formatFixed(p.lots, inst.amountDecimals),
      entryPrice: formatFixed(entry18 / pow10(ACCOUNT_DECIMALS - inst.priceDecimals), inst.priceDecimals),
      unrealizedPnl: fmtAccount(unrealized),
      realizedPnl: fmtAccount(p.realized),
      tsMs: this.venue.nowMs(),
    };
  }
}

function withFee(v: bigint, bps: bigint): bigint {
  return (v * (BPS + bps)) / BPS;
}
