/**
 * The matching engine of one paper account (one replay session on one exchange). It is fed, in
 * recorded order, the recorded frames of the markets the account trades and the account's own
 * requests, each at the recorded time it takes effect, and answers synchronously: the same frames
 * and requests in the same order give the same orders, fills and balances, byte for byte. Time,
 * I/O and latency belong to the driver (paper-account.ts); this file only matches and books.
 *
 * Balances: a resting buy reserves price × quantity (plus the higher fee rate when fees are charged
 * in the quote currency), a resting sell its quantity; a market order is checked against the book
 * when it executes and refused (`insufficient_balance`) if it cannot be paid for in full. Fees are
 * charged per fill at the maker or taker rate, in the quote currency or in the currency received.
 */
import { addDecimal, compareDecimal, divDecimal, isDecimal, isZeroDecimal, mulDecimal, signDecimal, subDecimal, trimZeros } from '../../core/decimal.js';
import type { BalanceEvent, FillEvent, OrderEvent, OrderStatus, PositionEvent, Side } from '../../exchanges/market.js';
import { BookView } from './book-view.js';
import type { FeeSchedule } from './config.js';
import { ENTRY_PRICE_DECIMALS, Ledger } from './ledger.js';
import { fillFromBook, fillFromTrade, takenAmount, takenQuote, walkBook, type Take } from './matching.js';
import { rejection, type EngineOutput, type MarketFrame, type MarketSpec, type OrderResult, type PaperEvent, type PlaceRequest, type QueueModel, type Rejection, type TimeInForce } from './types.js';

/** Order ids count up from here (they look like an exchange's long numeric ids). */
const PAPER_ORDER_ID_BASE = 8_000_000_000;
const PAPER_FILL_ID_BASE = 9_500_000_000;
/** Orders and fills kept for queries (the results keep everything). */
const MAX_ORDER_HISTORY = 10_000;

interface EngineOptions {
  fees: FeeSchedule;
  queue: QueueModel;
  balances: Record<string, string>;
  output(o: EngineOutput): void;
}

interface Order {
  id: string;
  clientOrderId: string;
  market: MarketState;
  side: Side;
  type: 'limit' | 'market';
  price: string | null;
  amount: string;
  timeInForce: TimeInForce;
  postOnly: boolean;
  filled: string;
  filledQuote: string;
  status: OrderStatus;
  version: number;
  createdNs: bigint;
  updatedNs: bigint;
  /** Recorded size ahead of the order at its price (queue model `position`). */
  ahead: string;
  /** What the order still holds frozen. */
  frozen: string;
  /** Frozen per unit of quantity (buys: price, plus the fee when charged in quote; sells: 1). */
  reservePerUnit: string;
  /** Arrival order: earlier orders at a price come first. */
  seq: number;
}

interface MarketState {
  spec: MarketSpec;
  book: BookView;
  open: Order[];
  lastTradePrice: string | null;
}

const ms = (ns: bigint) => Number(ns / 1_000_000n);
const t = (v: string) => trimZeros(v);
const positive = (v: string | undefined): v is string => v !== undefined && isDecimal(v) && signDecimal(v) > 0;

export class PaperEngine {
  private readonly ledger: Ledger;
  private readonly markets = new Map<string, MarketState>();
  private readonly orderMap = new Map<string, Order>();
  private readonly fillLog: FillEvent[] = [];
  private nowNs = 0n;
  private orderSeq = 0;
  private fillSeq = 0;

  constructor(private readonly opts: EngineOptions) {
    this.ledger = new Ledger(opts.balances);
  }

  // --- markets -----------------------------------------------------------------------------------

  addMarket(spec: MarketSpec): void {
    if (!this.markets.has(spec.id)) this.markets.set(spec.id, { spec, book: new BookView(), open: [], lastTradePrice: null });
  }

  hasMarket(id: string): boolean {
    return this.markets.has(id);
  }

  /** Whether the market has resting orders (frames of a market without any change nothing but its book). */
  hasOpenOrders(id: string): boolean {
    return (this.markets.get(id)?.open.length ?? 0) > 0;
  }

  /** One recorded frame of a market, in recorded order. */
  onFrame(marketId: string, frame: MarketFrame): void {
    const m = this.markets.get(marketId);
    if (!m) return;
    this.nowNs = frame.key.recvNs;
    if (frame.book) {
      m.book.apply(frame.book);
      if (m.spec.restingFills === 'book') this.matchBook(m);
    }
    if (frame.trades) {
      for (const trade of frame.trades) {
        if (m.spec.restingFills === 'trades') this.matchTrade(m, trade);
        m.lastTradePrice = trade.price;
      }
    }
  }

  // --- requests ----------------------------------------------------------------------------------

  /** A new order, acting at `atNs` (its request reached the exchange at `arrivalNs`). */
  place(req: PlaceRequest, arrivalNs: bigint, atNs: bigint): OrderResult {
    this.nowNs = atNs;
    const m = this.markets.get(req.market);
    if (!m) return rejection('bad_symbol', `no market ${req.market} in the recording`);
    const bad = this.validate(req);
    if (bad) return bad;
    if (req.clientOrderId !== undefined && m.open.some((o) => o.clientOrderId === req.clientOrderId)) {
      return rejection('duplicate_order', `an open order already has client order id ${req.clientOrderId}`);
    }
    const { base, quote } = m.spec.inst;
    const fees = this.opts.fees;
    const quoteFee = fees.currency === 'quote';
    const maxRate = compareDecimal(fees.maker, fees.taker) >= 0 ? fees.maker : fees.taker;

    let takes: Take[] = [];
    let amount: string;
    let reservePerUnit = '1';
    if (req.type === 'market') {
      const levels = m.book.levels(req.side === 'buy' ? 'ask' : 'bid');
      const decimals = Math.max(m.book.amountDecimals(), 0);
      if (req.side === 'buy' && req.quoteAmount !== undefined) {
        const need = quoteFee ? mulDecimal(req.quoteAmount, addDecimal('1', fees.taker)) : req.quoteAmount;
        if (!this.ledger.covers(quote, need)) return this.refuse(req, m, arrivalNs, 'insufficient_balance', `insufficient ${quote} balance: ${t(need)} needed, ${this.ledger.available(quote)} available`);
        takes = walkBook(levels, 'buy', { quote: req.quoteAmount }, null, decimals);
      } else {
        takes = walkBook(levels, req.side, { amount: req.amount! }, null, decimals);
        if (req.side === 'buy') {
          const cost = takenQuote(takes);
          const need = quoteFee ? addDecimal(cost, mulDecimal(cost, fees.taker)) : cost;
          if (!this.ledger.covers(quote, need)) return this.refuse(req, m, arrivalNs, 'insufficient_balance', `insufficient ${quote} balance: ${t(need)} needed, ${this.ledger.available(quote)} available`);
        } else if (!this.ledger.covers(base, req.amount!)) {
          return this.refuse(req, m, arrivalNs, 'insufficient_balance', `insufficient ${base} balance: ${req.amount} needed, ${this.ledger.available(base)} available`);
        }
      }
      amount = req.amount ?? takenAmount(takes);
    } else {
      amount = req.amount!;
      const price = req.price!;
      if (req.side === 'buy') {
        reservePerUnit = t(quoteFee ? mulDecimal(price, addDecimal('1', maxRate)) : price);
        const need = mulDecimal(reservePerUnit, amount);
        if (!this.ledger.covers(quote, need)) return this.refuse(req, m, arrivalNs, 'insufficient_balance', `insufficient ${quote} balance: ${t(need)} needed, ${this.ledger.available(quote)} available`);
      } else if (!this.ledger.covers(base, amount)) {
        return this.refuse(req, m, arrivalNs, 'insufficient_balance', `insufficient ${base} balance: ${amount} needed, ${this.ledger.available(base)} available`);
      }
    }

    const o = this.newOrder(req, m, amount, reservePerUnit);
    this.emitOrder(o, undefined, arrivalNs);

    if (req.type === 'market') {
      for (const tk of takes) this.fill(o, tk.price, tk.amount, 'taker', tk.price);
      if (o.status !== 'filled') this.finish(o, 'canceled'); // the book ran out: the rest expires
      return { ok: true, order: this.orderEvent(o) };
    }

    const price = o.price!;
    const other = m.book.levels(o.side === 'buy' ? 'ask' : 'bid');
    const crossing = walkBook(other, o.side, { amount }, price, m.book.amountDecimals());
    if (req.postOnly && crossing.length > 0) {
      o.status = 'rejected';
      o.version++;
      this.emitOrder(o);
      return { ok: true, order: this.orderEvent(o) };
    }
    if (o.timeInForce === 'FOK' && compareDecimal(takenAmount(crossing), amount) < 0) {
      this.finish(o, 'canceled');
      return { ok: true, order: this.orderEvent(o) };
    }
    // the whole order is reserved first; each fill then releases its part
    const cur = o.side === 'buy' ? quote : base;
    o.frozen = t(mulDecimal(reservePerUnit, amount));
    this.ledger.freeze(cur, o.frozen);
    this.flushBalances();
    for (const tk of crossing) this.fill(o, tk.price, tk.amount, 'taker', tk.price);
    if (o.status === 'filled') return { ok: true, order: this.orderEvent(o) };
    if (o.timeInForce !== 'GTC') {
      this.finish(o, 'canceled');
      return { ok: true, order: this.orderEvent(o) };
    }
    // it rests: the recorded size at its price is ahead of it
    o.ahead = m.book.recordedSizeAt(o.side === 'buy' ? 'bid' : 'ask', price);
    m.open.push(o);
    return { ok: true, order: this.orderEvent(o) };
  }

  /** Cancels an open order by id or client order id, acting at `atNs`. */
  cancel(ref: { orderId?: string; clientOrderId?: string }, atNs: bigint): OrderResult {
    this.nowNs = atNs;
    const o = this.find(ref);
    if (!o) return rejection('unknown_order', `no order ${ref.orderId ?? ref.clientOrderId ?? ''} in this account`);
    if (!o.market.open.includes(o)) return rejection('order_closed', `order ${o.id} is ${o.status}`);
    this.finish(o, 'canceled');
    return { ok: true, order: this.orderEvent(o) };
  }

  /** Cancels every open order (of one market, when given), oldest first. */
  cancelAll(marketId: string | null, atNs: bigint): OrderEvent[] {
    this.nowNs = atNs;
    const out: OrderEvent[] = [];
    for (const m of this.markets.values()) {
      if (marketId !== null && m.spec.id !== marketId) continue;
      for (const o of [...m.open].sort((a, b) => a.seq - b.seq)) {
        this.finish(o, 'canceled');
        out.push(this.orderEvent(o));
      }
    }
    return out;
  }

  // --- reading -----------------------------------------------------------------------------------

  balances(): BalanceEvent[] {
    return this.ledger.currencies().map((c) => this.balanceEvent(c));
  }

  order(ref: { orderId?: string; clientOrderId?: string }): OrderEvent | null {
    const o = this.find(ref);
    return o ? this.orderEvent(o) : null;
  }

  /** Every order, oldest first. */
  orders(): OrderEvent[] {
    return [...this.orderMap.values()].map((o) => this.orderEvent(o));
  }

  openOrders(): OrderEvent[] {
    return [...this.orderMap.values()].filter((o) => o.market.open.includes(o)).map((o) => this.orderEvent(o));
  }

  /** The latest `limit` fills, newest first. */
  fills(limit: number): FillEvent[] {
    return this.fillLog.slice(Math.max(0, this.fillLog.length - limit)).reverse();
  }

  positions(): PositionEvent[] {
    return this.ledger
      .positionKeys()
      .map((k) => this.markets.get(k))
      .filter((m): m is MarketState => m !== undefined)
      .map((m) => this.positionEvent(m));
  }

  /** Recorded time of the last frame or request the engine acted on. */
  now(): bigint {
    return this.nowNs;
  }

  // --- internals ---------------------------------------------------------------------------------

  private validate(req: PlaceRequest): Rejection | null {
    if (req.side !== 'buy' && req.side !== 'sell') return rejection('bad_request', 'side must be buy or sell');
    if (req.type === 'limit') {
      if (!positive(req.price)) return rejection('bad_request', 'a limit order needs a positive price');
      if (!positive(req.amount)) return rejection('bad_request', 'a limit order needs a positive quantity');
      return null;
    }
    if (req.type !== 'market') return rejection('bad_request', 'order type must be limit or market');
    if (req.side === 'buy' && req.amount === undefined) {
      return positive(req.quoteAmount) ? null : rejection('bad_request', 'a market buy needs a positive quote amount or quantity');
    }
    return positive(req.amount) ? null : rejection('bad_request', `a market ${req.side} needs a positive quantity`);
  }

  /** A request refused when it executes: the results keep it as a rejected order; the bot gets the error reply only. */
  private refuse(req: PlaceRequest, m: MarketState, arrivalNs: bigint, code: Rejection['code'], message: string): Rejection {
    const o = this.newOrder(req, m, req.amount ?? '0', '1', false);
    o.status = 'rejected';
    this.emitOrder(o, undefined, arrivalNs, false);
    return rejection(code, message);
  }

  /** A new order with the next id; `register` false for one refused at once (kept in the results only). */
  private newOrder(req: PlaceRequest, m: MarketState, amount: string, reservePerUnit: string, register = true): Order {
    this.orderSeq++;
    const o: Order = {
      id: String(PAPER_ORDER_ID_BASE + this.orderSeq),
      clientOrderId: req.clientOrderId ?? `paper-${this.orderSeq}`,
      market: m,
      side: req.side,
      type: req.type,
      price: req.type === 'limit' ? t(req.price!) : null,
      amount: t(amount),
      timeInForce: req.type === 'market' ? 'IOC' : req.timeInForce,
      postOnly: req.type === 'limit' && req.postOnly === true,
      filled: '0',
      filledQuote: '0',
      status: 'new',
      version: 1,
      createdNs: this.nowNs,
      updatedNs: this.nowNs,
      ahead: '0',
      frozen: '0',
      reservePerUnit,
      seq: this.orderSeq,
    };
    if (register) {
      this.orderMap.set(o.id, o);
      this.trimHistory();
    }
    return o;
  }

  private matchTrade(m: MarketState, trade: NonNullable<MarketFrame['trades']>[number]): void {
    if (m.open.length === 0) return;
    for (const side of ['buy', 'sell'] as const) {
      if (trade.side === side) continue;
      let available = trade.amount;
      for (const o of this.byPriority(m, side)) {
        if (signDecimal(available) <= 0) break;
        const r = fillFromTrade({ side: o.side, price: o.price!, remaining: subDecimal(o.amount, o.filled), ahead: o.ahead }, trade, available, this.opts.queue);
        o.ahead = r.ahead;
        if (signDecimal(r.fill) <= 0) continue;
        available = subDecimal(available, r.fill);
        this.fill(o, o.price!, r.fill, 'maker', trade.price);
      }
    }
  }

  private matchBook(m: MarketState): void {
    if (m.open.length === 0) return;
    for (const side of ['buy', 'sell'] as const) {
      for (const o of this.byPriority(m, side)) {
        const otherSide = side === 'buy' ? 'ask' : 'bid';
        const takes = fillFromBook({ side, price: o.price!, remaining: subDecimal(o.amount, o.filled), ahead: '0' }, m.book.levels(otherSide));
        for (const tk of takes) {
          m.book.consume(otherSide, tk.price, tk.amount);
          this.fill(o, o.price!, tk.amount, 'maker', tk.price);
        }
      }
    }
  }

  /** Open orders of one side, best price first, then oldest. */
  private byPriority(m: MarketState, side: Side): Order[] {
    return m.open
      .filter((o) => o.side === side)
      .sort((a, b) => {
        const c = compareDecimal(a.price!, b.price!);
        if (c !== 0) return side === 'buy' ? -c : c;
        return a.seq - b.seq;
      });
  }

  /** One execution of `q` at `price`; `touched` is the recorded price it happened against (book level or trade). */
  private fill(o: Order, price: string, q: string, liquidity: 'maker' | 'taker', touched: string): void {
    const m = o.market;
    const { base, quote } = m.spec.inst;
    const fees = this.opts.fees;
    const rate = liquidity === 'maker' ? fees.maker : fees.taker;
    const notional = mulDecimal(price, q);
    if (liquidity === 'taker') m.book.consume(o.side === 'buy' ? 'ask' : 'bid', touched, q);
    let fee: string;
    let feeCurrency: string;
    if (o.side === 'buy') {
      if (!isZeroDecimal(o.frozen)) {
        const release = mulDecimal(o.reservePerUnit, q);
        this.ledger.unfreeze(quote, release);
        o.frozen = t(subDecimal(o.frozen, release));
      }
      if (fees.currency === 'quote') {
        fee = mulDecimal(notional, rate);
        feeCurrency = quote;
        this.ledger.debit(quote, addDecimal(notional, fee));
        this.ledger.credit(base, q);
      } else {
        fee = mulDecimal(q, rate);
        feeCurrency = base;
        this.ledger.debit(quote, notional);
        this.ledger.credit(base, subDecimal(q, fee));
      }
    } else {
      if (!isZeroDecimal(o.frozen)) {
        this.ledger.unfreeze(base, q);
        o.frozen = t(subDecimal(o.frozen, q));
      }
      fee = mulDecimal(notional, rate);
      feeCurrency = quote;
      this.ledger.debit(base, q);
      this.ledger.credit(quote, subDecimal(notional, fee));
    }
    o.filled = t(addDecimal(o.filled, q));
    o.filledQuote = t(addDecimal(o.filledQuote, notional));
    o.version++;
    o.updatedNs = this.nowNs;
    const done = compareDecimal(o.filled, o.amount) >= 0;
    o.status = done ? 'filled' : 'partially_filled';
    if (done) {
      this.removeOpen(o);
      // price improvement on a buy leaves nothing frozen: reservations are released per unit
      if (!isZeroDecimal(o.frozen)) throw new Error(`internal: order ${o.id} filled with ${o.frozen} still frozen`);
    }
    this.fillSeq++;
    const f: FillEvent = {
      type: 'fill',
      inst: m.spec.inst,
      fillId: String(PAPER_FILL_ID_BASE + this.fillSeq),
      orderId: o.id,
      side: o.side,
      price: t(price),
      amount: t(q),
      fee: t(fee),
      feeCurrency,
      liquidity,
      feeRate: t(rate),
      tsMs: ms(this.nowNs),
    };
    this.fillLog.push(f);
    if (this.fillLog.length > MAX_ORDER_HISTORY) this.fillLog.splice(0, this.fillLog.length - MAX_ORDER_HISTORY);
    this.ledger.applyToPosition(m.spec.id, o.side, price, q);
    this.emitOrder(o, f);
    this.out(f, true, undefined, m);
    this.flushBalances();
    this.out(this.positionEvent(m), true, undefined, m);
  }

  private finish(o: Order, status: OrderStatus): void {
    if (!isZeroDecimal(o.frozen)) {
      this.ledger.unfreeze(o.side === 'buy' ? o.market.spec.inst.quote : o.market.spec.inst.base, o.frozen);
      o.frozen = '0';
    }
    this.removeOpen(o);
    o.status = status;
    o.version++;
    o.updatedNs = this.nowNs;
    this.emitOrder(o);
    this.flushBalances();
  }

  private removeOpen(o: Order): void {
    const i = o.market.open.indexOf(o);
    if (i >= 0) o.market.open.splice(i, 1);
  }

  private find(ref: { orderId?: string; clientOrderId?: string }): Order | undefined {
    if (ref.orderId !== undefined) return this.orderMap.get(ref.orderId);
    if (ref.clientOrderId === undefined) return undefined;
    let found: Order | undefined;
    for (const o of this.orderMap.values()) if (o.clientOrderId === ref.clientOrderId) found = o; // the latest with that id
    return found;
  }

  private trimHistory(): void {
    if (this.orderMap.size <= MAX_ORDER_HISTORY) return;
    for (const [id, o] of this.orderMap) {
      if (this.orderMap.size <= MAX_ORDER_HISTORY) break;
      if (!o.market.open.includes(o)) this.orderMap.delete(id);
    }
  }

  private out(event: PaperEvent, push = true, arrivalNs?: bigint, market?: MarketState): void {
    this.opts.output({ atNs: this.nowNs, event, push, ...(arrivalNs !== undefined ? { arrivalNs } : {}), ...(market ? { market: market.spec } : {}) });
  }

  private emitOrder(o: Order, fill?: FillEvent, arrivalNs?: bigint, push = true): void {
    const e = this.orderEvent(o);
    this.out(fill ? { ...e, fill } : e, push, arrivalNs, o.market);
  }

  private flushBalances(): void {
    for (const c of this.ledger.takeChanged()) this.out(this.balanceEvent(c));
  }

  private orderEvent(o: Order): OrderEvent {
    return {
      type: 'order',
      inst: o.market.spec.inst,
      orderId: o.id,
      clientOrderId: o.clientOrderId,
      side: o.side,
      orderType: o.type,
      price: o.price ?? '0',
      amount: o.amount,
      filledAmount: o.filled,
      filledQuote: o.filledQuote,
      avgPrice: isZeroDecimal(o.filled) ? '0' : t(divDecimal(o.filledQuote, o.filled, ENTRY_PRICE_DECIMALS, 'half-away-from-zero')),
      status: o.status,
      version: o.version,
      createdMs: ms(o.createdNs),
      tsMs: ms(o.updatedNs),
      timeInForce: o.timeInForce,
      ...(o.postOnly ? { postOnly: true } : {}),
    };
  }

  private balanceEvent(cur: string): BalanceEvent {
    return { type: 'balance', currency: cur, available: this.ledger.available(cur), frozen: this.ledger.frozen(cur), tsMs: ms(this.nowNs) };
  }

  private positionEvent(m: MarketState): PositionEvent {
    const key = m.spec.id;
    const mark = m.book.mid() ?? m.lastTradePrice;
    return {
      type: 'position',
      inst: m.spec.inst,
      amount: this.ledger.position(key).net,
      entryPrice: this.ledger.entryPrice(key),
      unrealizedPnl: this.ledger.unrealized(key, mark),
      realizedPnl: this.ledger.position(key).realized,
      tsMs: ms(this.nowNs),
    };
  }
}
