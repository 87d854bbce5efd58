/**
 * The synthetic market: one order book per instrument, trades that hit it, klines and a rolling
 * ticker computed from those trades, and a demo account trading against it.
 *
 * Determinism: everything the market produces depends only on the seed, the instrument list and
 * the number of steps taken (plus any orders placed from outside through the account). Time is a
 * logical clock, `originMs + steps × stepMs`, advanced by `step()`; the server's pacer calls
 * `step()` at the configured rate so that the logical clock follows the wall clock, but no wall time
 * ever enters the market. Two markets with the same seed, origin and step size stepped the same
 * number of times emit the same events, byte for byte once formatted.
 *
 * One step: every instrument, in list order, takes one action from its own random stream (a taker
 * trade, a maker order or a cancel; the instrument's fair price walks at the same time), then the
 * demo account maybe acts, then tick listeners run.
 */
import { matchInstrument, type BookEvent, type Instrument, type KlineEvent, type Level, type MarketEvent, type Side, type TickerEvent, type TradeEvent, type TradeWindowEvent } from '../exchanges/market.js';
import { defaultInitialBalances, MAX_TAKER_LEVELS, SimAccount, type Venue } from './account.js';
import { OrderBook } from './book.js';
import { CandleSeries, KLINE_INTERVALS_MS, rollingDay, type Candle } from './candles.js';
import { formatFixed } from './fixed.js';
import { resolveInstruments, type SimInstrument } from './instruments.js';
import { createRandom, mixSeed, type Random } from './random.js';

/** Trades kept for the trade window (Coinsuper pushes the latest 50). */
const TRADE_WINDOW_SIZE = 50;
/** Default logical time per step: 5 ms, i.e. 200 steps per logical second. */
export const DEFAULT_STEP_MS = 5;
/** Default origin of the logical clock, 2026-01-01T00:00:00Z (tests); the server passes the wall clock. */
const DEFAULT_ORIGIN_MS = Date.UTC(2026, 0, 1);

/** Non-standard kline intervals served at once per instrument, and the longest interval. */
const MAX_EXTRA_KLINE_SERIES = 8;
const MAX_KLINE_INTERVAL_MS = 31 * 86_400_000;

/** Probabilities of one instrument's action in a step. */
const P_TRADE = 0.3;
const P_CANCEL = 0.2; // the rest (0.5) places maker orders
/** Probability that the demo account acts in a step. */
const P_ACCOUNT_ACTION = 0.02;
const MAX_DEMO_OPEN_ORDERS = 6;
/**
 * The fair price walks this fraction of itself per step (standard deviation): at 200 steps/s
 * about 0.25 % per hour, the same for every instrument whatever its tick size.
 */
const FAIR_STEP_FRACTION = 3e-6;
/** The fair price is kept within [1/FAIR_RANGE, FAIR_RANGE] × the start price. */
const FAIR_RANGE = 2;
/** Typical notional of one book level, by quote currency. */
const LEVEL_NOTIONAL: Record<string, number> = { BTC: 0.5, ETH: 8 };
const DEFAULT_LEVEL_NOTIONAL = 20_000;

interface MarketOptions {
  seed: number;
  /** `BTC-USDT,ETH-USDT` style symbols (default BTC-USDT, ETH-USDT). */
  symbols?: readonly string[];
  originMs?: number;
  stepMs?: number;
  /** The demo account trades by itself now and then (default true). */
  autoTrade?: boolean;
  initialBalances?: Record<string, string>;
}

interface MarketListener {
  trade?(t: TradeEvent): void;
  /** The book of `inst` changed (the snapshot is built only when someone asks for it). */
  book?(inst: Instrument, version: number): void;
  /** A demo account event: order, fill, balance, position. */
  account?(e: MarketEvent): void;
  /** After each step, with the logical time. */
  tick?(nowMs: number): void;
}

interface InstState {
  sim: SimInstrument;
  inst: Instrument;
  rng: Random;
  book: OrderBook;
  fairTicks: number;
  startTicks: number;
  tradeSeq: number;
  bookVersion: number;
  bookCache: BookEvent | null;
  lastPx: number;
  window: TradeEvent[];
  candles: Map<number, CandleSeries>;
}

export class Market {
  readonly instruments: Instrument[];
  readonly account: SimAccount;
  readonly seed: number;
  readonly originMs: number;
  readonly stepMs: number;
  private stepCount = 0;
  private readonly states: InstState[];
  private readonly byId = new Map<number, InstState>();
  private readonly listeners = new Set<MarketListener>();
  private readonly accountRng: Random;
  private readonly autoTrade: boolean;

  constructor(opts: MarketOptions) {
    this.seed = opts.seed;
    this.originMs = opts.originMs ?? DEFAULT_ORIGIN_MS;
    this.stepMs = opts.stepMs ?? DEFAULT_STEP_MS;
    this.autoTrade = opts.autoTrade ?? true;
    const sims = resolveInstruments(opts.symbols);
    this.states = sims.map((sim) => this.initState(sim));
    for (const s of this.states) this.byId.set(s.inst.id, s);
    this.instruments = this.states.map((s) => s.inst);
    this.accountRng = createRandom(mixSeed(opts.seed, 0xacc0));
    this.account = new SimAccount(this.venue(), opts.initialBalances ?? defaultInitialBalances(this.instruments));
  }

  private initState(sim: SimInstrument): InstState {
    const inst = sim.inst;
    const rng = createRandom(mixSeed(this.seed, inst.id));
    const startTicks = Math.max(1000, Math.round(sim.startPrice * 10 ** inst.priceDecimals));
    // Level gaps of about 2 ppm of the price (at least a tick); level sizes of about one notional.
    const unitTicks = Math.max(1, Math.round(startTicks * 2e-6));
    const notional = LEVEL_NOTIONAL[inst.quote] ?? DEFAULT_LEVEL_NOTIONAL;
    const meanLots = Math.max(1, Math.round((notional / sim.startPrice) * 10 ** inst.amountDecimals));
    const book = new OrderBook(startTicks, { unitTicks, meanLots }, rng);
    const candles = new Map<number, CandleSeries>(KLINE_INTERVALS_MS.map((ms) => [ms, new CandleSeries(ms)]));
    return { sim, inst, rng, book, fairTicks: startTicks, startTicks, tradeSeq: 0, bookVersion: 1, bookCache: null, lastPx: startTicks, window: [], candles };
  }

  // --- clock and stepping ------------------------------------------------------------------------

  /** Logical time, ms. */
  nowMs(): number {
    return this.originMs + Math.floor(this.stepCount * this.stepMs);
  }

  steps(): number {
    return this.stepCount;
  }

  step(n = 1): void {
    for (let k = 0; k < n; k++) {
      this.stepCount += 1;
      for (const s of this.states) this.act(s);
      if (this.autoTrade && this.accountRng.chance(P_ACCOUNT_ACTION)) this.accountAct();
      const now = this.nowMs();
      for (const l of this.listeners) l.tick?.(now);
    }
  }

  on(listener: MarketListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private act(s: InstState): void {
    const { rng, book } = s;
    const unit = book.shape.unitTicks;
    s.fairTicks += rng.normal() * FAIR_STEP_FRACTION * s.fairTicks;
    const lo = s.startTicks / FAIR_RANGE;
    const hi = s.startTicks * FAIR_RANGE;
    if (s.fairTicks < lo) s.fairTicks = 2 * lo - s.fairTicks;
    if (s.fairTicks > hi) s.fairTicks = 2 * hi - s.fairTicks;
    const mid = book.mid();
    // How far the fair price is from the book, in gaps: takers and makers lean towards it.
    const lean = Math.max(-0.4, Math.min(0.4, (s.fairTicks - mid) / (6 * unit)));
    const r = rng.next();
    if (r < P_TRADE) {
      const side: Side = rng.next() < 0.5 + lean ? 'buy' : 'sell';
      const lots = book.size(0.6);
      const maxLevels = rng.chance(0.1) ? 3 : 1; // now and then a taker sweeps a few levels
      this.printTakes(s, side, book.take(side, lots, maxLevels), false);
    } else if (r < P_TRADE + P_CANCEL) {
      // Cancels hit the side the fair price moved away from a little more often.
      const side = rng.next() < 0.5 + lean ? 'ask' : 'bid';
      const levels = side === 'bid' ? book.bids : book.asks;
      const index = Math.min(levels.length - 1, Math.floor(-Math.log(1 - rng.next() * 0.999) * 6));
      const q = rng.chance(0.5) ? levels[index][1] : Math.max(1, Math.floor(levels[index][1] * rng.next()));
      book.reduce(side, index, q);
      this.bookChanged(s);
    } else {
      const side = rng.next() < 0.5 + lean ? 'bid' : 'ask';
      // Makers quote around the fair price: at the touch, inside the spread, or a few gaps behind it.
      const spreadHalf = Math.max(1, (book.bestAsk()[0] - book.bestBid()[0]) / 2);
      const behind = Math.floor(-Math.log(1 - rng.next() * 0.999) * 3) * unit;
      let px: number;
      if (side === 'bid') px = Math.min(book.bestAsk()[0] - 1, Math.round(s.fairTicks - spreadHalf * rng.next() - behind));
      else px = Math.max(book.bestBid()[0] + 1, Math.round(s.fairTicks + spreadHalf * rng.next() + behind));
      if (book.add(side, px, book.size())) this.bookChanged(s);
    }
  }

  /** Turns book takes into consecutive public trades, updates candles, window and account. */
  private printTakes(s: InstState, side: Side, takes: Array<{ px: number; qty: number }>, byAccount: boolean): Array<{ px: number; qty: number; trade: TradeEvent }> {
    if (takes.length === 0) return [];
    const now = this.nowMs();
    const out: Array<{ px: number; qty: number; trade: TradeEvent }> = [];
    for (const t of takes) {
      s.tradeSeq += 1;
      const trade: TradeEvent = {
        type: 'trade',
        inst: s.inst,
        tradeId: s.tradeSeq,
        seq: s.tradeSeq,
        price: formatFixed(t.px, s.inst.priceDecimals),
        amount: formatFixed(t.qty, s.inst.amountDecimals),
        side,
        tsMs: now,
      };
      s.lastPx = t.px;
      for (const c of s.candles.values()) c.add({ tradeId: trade.tradeId, px: t.px, qty: t.qty, tsMs: now });
      // Oldest first, trimmed in batches: an unshift per trade would copy the window every time.
      s.window.push(trade);
      if (s.window.length >= 2 * TRADE_WINDOW_SIZE) s.window.splice(0, s.window.length - TRADE_WINDOW_SIZE);
      out.push({ ...t, trade });
    }
    this.bookChanged(s);
    for (const o of out) {
      for (const l of this.listeners) l.trade?.(o.trade);
      if (!byAccount) this.account.onPublicTrade(o.trade, o.px, o.qty);
    }
    return out;
  }

  private bookChanged(s: InstState): void {
    s.bookVersion += 1;
    s.bookCache = null;
    for (const l of this.listeners) l.book?.(s.inst, s.bookVersion);
  }

  /** The demo account's own activity: passive limit orders near the touch, a market order now and then, cancels. */
  private accountAct(): void {
    const rng = this.accountRng;
    const open = this.account.openOrderIds();
    if (open.length > 0 && (open.length >= MAX_DEMO_OPEN_ORDERS || rng.chance(0.25))) {
      this.account.cancelOrder(open[0]);
      return;
    }
    const s = this.states[rng.int(0, this.states.length - 1)];
    const side: Side = rng.chance(0.5) ? 'buy' : 'sell';
    const lots = Math.max(1, Math.round(s.book.shape.meanLots * 0.2 * (0.5 + rng.next())));
    const amount = formatFixed(lots, s.inst.amountDecimals);
    if (rng.chance(0.15)) {
      this.account.placeOrder({ inst: s.inst, side, orderType: 'market', amount });
      return;
    }
    const gaps = rng.int(0, 2) * s.book.shape.unitTicks;
    const px = side === 'buy' ? s.book.bestBid()[0] - gaps : s.book.bestAsk()[0] + gaps;
    if (px <= 0) return;
    this.account.placeOrder({ inst: s.inst, side, orderType: 'limit', amount, price: formatFixed(px, s.inst.priceDecimals) });
  }

  private venue(): Venue {
    return {
      nowMs: () => this.nowMs(),
      instruments: () => this.instruments,
      touch: (inst) => {
        const b = this.state(inst).book;
        return { bid: b.bestBid()[0], ask: b.bestAsk()[0] };
      },
      quote: (inst, side, lots, limit) => {
        const out: Array<{ px: number; qty: number }> = [];
        let left = lots;
        for (const l of this.state(inst).book.available(side, MAX_TAKER_LEVELS, limit)) {
          if (left <= 0) break;
          const q = Math.min(left, l.qty);
          out.push({ px: l.px, qty: q });
          left -= q;
        }
        return out;
      },
      take: (inst, side, lots, limit) => {
        // byAccount: the account's own taker trades do not fill its resting orders (no self-trades).
        const s = this.state(inst);
        return this.printTakes(s, side, s.book.take(side, lots, MAX_TAKER_LEVELS, limit), true);
      },
      emit: (e) => {
        for (const l of this.listeners) l.account?.(e);
      },
    };
  }

  private state(inst: Instrument): InstState {
    const s = this.byId.get(inst.id);
    if (!s) throw new Error(`instrument ${inst.base}/${inst.quote} is not traded here`);
    return s;
  }

  // --- views ---------------------------------------------------------------------------------------

  /** The instrument an exchange's symbol spelling names (BTCUSDT, btcusdt, BTC_USDT, BTC/USDT). */
  instrumentFor(symbol: string): Instrument | undefined {
    return matchInstrument(this.instruments, symbol);
  }

  /** The whole book (MIN_DEPTH_LEVELS or more per side), built once per book version. */
  book(inst: Instrument): BookEvent {
    const s = this.state(inst);
    if (!s.bookCache) {
      const pd = inst.priceDecimals;
      const ad = inst.amountDecimals;
      const fmt = (l: [number, number]): Level => [formatFixed(l[0], pd), formatFixed(l[1], ad)];
      s.bookCache = { type: 'book', inst, bids: s.book.bids.map(fmt), asks: s.book.asks.map(fmt), version: s.bookVersion, tsMs: this.nowMs() };
    }
    return s.bookCache;
  }

  bookVersion(inst: Instrument): number {
    return this.state(inst).bookVersion;
  }

  /** The current candle of an interval, null before the first trade. Non-standard intervals start a series on first use. */
  kline(inst: Instrument, intervalMs: number): KlineEvent | null {
    const c = this.series(inst, intervalMs).current;
    return c ? this.klineEvent(inst, intervalMs, c) : null;
  }

  /** Candles that opened at or before `endTimeMs` (all when null), the latest `limit`, oldest first. */
  klineHistory(inst: Instrument, intervalMs: number, endTimeMs: number | null, limit: number): KlineEvent[] {
    return this.series(inst, intervalMs)
      .range(endTimeMs, limit)
      .map((c) => this.klineEvent(inst, intervalMs, c));
  }

  ticker(inst: Instrument): TickerEvent {
    const s = this.state(inst);
    const now = this.nowMs();
    const t = rollingDay(s.candles.get(60_000)!, now, s.lastPx);
    const pd = inst.priceDecimals;
    const change = t.last - t.open;
    const [bid, bidSize] = s.book.bestBid();
    const [ask, askSize] = s.book.bestAsk();
    return {
      type: 'ticker',
      inst,
      open: formatFixed(t.open, pd),
      high: formatFixed(t.high, pd),
      low: formatFixed(t.low, pd),
      last: formatFixed(t.last, pd),
      volume: formatFixed(t.volume, inst.amountDecimals),
      quoteVolume: formatFixed(t.quoteVolume, pd + inst.amountDecimals),
      change: formatFixed(change, pd),
      changeRate: (change / t.open).toFixed(4),
      bid: formatFixed(bid, pd),
      bidSize: formatFixed(bidSize, inst.amountDecimals),
      ask: formatFixed(ask, pd),
      askSize: formatFixed(askSize, inst.amountDecimals),
      tsMs: now,
    };
  }

  /** The latest TRADE_WINDOW_SIZE trades, newest first. */
  tradeWindow(inst: Instrument): TradeWindowEvent {
    return { type: 'trade_window', inst, trades: this.state(inst).window.slice(-TRADE_WINDOW_SIZE).reverse(), tsMs: this.nowMs() };
  }

  /** Public trades printed so far for an instrument (the last trade id). */
  lastTradeId(inst: Instrument): number {
    return this.state(inst).tradeSeq;
  }

  /**
   * Whether klines of this interval can be served: the standard ones, or whole seconds up to
   * MAX_KLINE_INTERVAL_MS while fewer than MAX_EXTRA_KLINE_SERIES other intervals are in use
   * (clients choose intervals; memory must not grow with their choices).
   */
  supportsInterval(inst: Instrument, intervalMs: number): boolean {
    const s = this.state(inst);
    if (s.candles.has(intervalMs)) return true;
    return Number.isInteger(intervalMs) && intervalMs % 1000 === 0 && intervalMs > 0 && intervalMs <= MAX_KLINE_INTERVAL_MS && s.candles.size < KLINE_INTERVALS_MS.length + MAX_EXTRA_KLINE_SERIES;
  }

  /** Starts collecting candles of an interval now (a subscription to it); false when it is not served. */
  ensureInterval(inst: Instrument, intervalMs: number): boolean {
    if (!this.supportsInterval(inst, intervalMs)) return false;
    this.series(inst, intervalMs);
    return true;
  }

  private series(inst: Instrument, intervalMs: number): CandleSeries {
    const s = this.state(inst);
    let series = s.candles.get(intervalMs);
    if (!series) {
      series = new CandleSeries(intervalMs);
      // A non-standard interval starts with the trades after its first use; unsupported ones are not kept.
      if (this.supportsInterval(inst, intervalMs)) s.candles.set(intervalMs, series);
    }
    return series;
  }

  private klineEvent(inst: Instrument, intervalMs: number, c: Candle): KlineEvent {
    const pd = inst.priceDecimals;
    return {
      type: 'kline',
      inst,
      intervalMs,
      openTsMs: c.openTsMs,
      open: formatFixed(c.open, pd),
      high: formatFixed(c.high, pd),
      low: formatFixed(c.low, pd),
      close: formatFixed(c.close, pd),
      volume: formatFixed(c.volume, inst.amountDecimals),
      quoteVolume: formatFixed(c.quoteVolume, pd + inst.amountDecimals),
      firstTradeId: c.firstTradeId,
      lastTradeId: c.lastTradeId,
      tradeCount: c.tradeCount,
      tsMs: c.tsMs,
    };
  }
}
