/**
 * A paper account: one replay session's account on one exchange, trading against the recorded
 * market at the session's replay time. The exchange server sides (and the control API) call it
 * with the bot's requests; it answers each one after the order-in and fill-out delays, and pushes
 * order, fill, balance and position changes to the session's private channels.
 *
 * Time. Everything the account does happens at a recorded time fixed by the recording and the order
 * of the bot's requests alone, never by how long a read or a timer took:
 *  - a request *arrives* right after the latest recorded frame of the markets the account trades
 *    at or before the session's replay time when it came in (for a bot that answers a frame before
 *    the next one is due, always the same frame);
 *  - it *acts* `in` later: after every recorded frame of those markets up to then, before the next;
 *  - its answer, and every push, leaves `out` after the engine acted (at paced speeds that is a wait
 *    on the session's clock; at `max` nothing waits).
 * Resting orders fill as the session's clock passes the recorded trades. Requests, fills and reads
 * of the tape run one at a time, in order.
 */
import type { Instrument, OrderEvent, BalanceEvent, FillEvent, PositionEvent } from '../../exchanges/market.js';
import type { ExchangeId } from '../../exchanges/types.js';
import type { OrderRef, OrderRequest, TradingAccount } from '../../exchanges/trading.js';
import type { FeeSchedule, Latency } from './config.js';
import { PaperEngine } from './engine.js';
import type { MarketData, RecordedMarket } from './market-data.js';
import { MarketFeed } from './market-feed.js';
import { Outbox, recordedNow, untilRecorded, msUntil, STOPPED_CLOCK_POLL_MS, type ClockSource } from './paced.js';
import { compareKeys, rejection, type EngineOutput, type FrameKey, type MarketSpec, type OrderResult, type PaperEvent, type QueueModel, type Rejection, type RestingFills } from './types.js';

/** A market with no resting order more than this far behind is re-opened at its latest book instead of read through. */
const IDLE_JUMP_NS = 30_000_000_000n;
/** How often a max-speed account looks at its session's clock while it has resting orders. */
const MAX_SPEED_POLL_MS = 1;

interface PaperAccountDeps {
  exchange: ExchangeId;
  instruments: readonly Instrument[];
  balances: Record<string, string>;
  fees: FeeSchedule;
  latency: Latency;
  queue: QueueModel;
  restingFills: RestingFills | 'auto';
  data: MarketData;
  /** The recording's markets of the exchange, when the caller has them already (default: read from `data`). */
  markets?(): Promise<RecordedMarket[]>;
  /** The session's clock, once it exists. */
  clock: ClockSource;
  /** Where the session stands before its clock starts. */
  startNs: bigint;
  /** End of the recording of this exchange. */
  endNs: bigint | null;
  /** Every output of the engine, in order (the results). */
  onOutput?(o: EngineOutput): void;
  /** A failure reading the tape: the request fails, the account goes on. */
  onError?(err: unknown): void;
}

const FAR = { connId: '\uffff', seq: Number.MAX_SAFE_INTEGER };
const keyAt = (ns: bigint): FrameKey => ({ recvNs: ns, ...FAR });
const letters = (s: string) => s.replace(/[^a-z0-9]/gi, '').toUpperCase();

export class PaperAccount implements TradingAccount {
  private readonly engine: PaperEngine;
  private readonly feeds = new Map<string, MarketFeed>();
  private directory: Promise<RecordedMarket[]> | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<(e: PaperEvent) => void>();
  private readonly outbox: Outbox;
  /** Outputs of the request being acted on, sent after its answer. */
  private capture: EngineOutput[] | null = null;
  private closed = false;
  private seekGeneration = 0;
  private stepTimer: NodeJS.Timeout | null = null;
  /** Where the session's clock was sought to, until the markets follow. */
  private pendingSeekNs: bigint | null = null;

  constructor(private readonly deps: PaperAccountDeps) {
    this.outbox = new Outbox(deps.clock, deps.startNs);
    this.engine = new PaperEngine({
      fees: deps.fees,
      queue: deps.queue,
      balances: deps.balances,
      output: (o) => {
        deps.onOutput?.(o);
        if (!o.push) return;
        if (this.capture) this.capture.push(o);
        else this.outbox.add(o.atNs + deps.latency.outNs, () => this.emit(o.event));
      },
    });
    this.seekGeneration = deps.clock()?.generation ?? 0;
  }

  get exchange(): ExchangeId {
    return this.deps.exchange;
  }

  /** Order, fill, balance and position changes, each after the fill-out delay. */
  subscribe(fn: (e: PaperEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  // --- the bot's requests --------------------------------------------------------------------------

  placeOrder(req: OrderRequest): Promise<OrderResult> {
    return this.orRefusal(
      this.request(
        () => this.marketFor(req.inst, req.venue ?? null),
        (spec, atNs, arrivalNs) =>
          this.engine.place(
            {
              market: spec!.id,
              side: req.side,
              type: req.orderType,
              price: req.price,
              amount: req.amount,
              quoteAmount: req.quoteAmount,
              timeInForce: req.timeInForce ?? 'GTC',
              postOnly: req.postOnly,
              clientOrderId: req.clientOrderId,
            },
            arrivalNs,
            atNs,
          ),
      ),
    );
  }

  cancelOrder(ref: OrderRef): Promise<OrderResult> {
    return this.orRefusal(this.request(null, (_s, atNs) => this.engine.cancel(ref, atNs)));
  }

  /** Cancels the open orders of one instrument (or all); an instrument not in the recording has none. */
  async cancelAll(inst: Instrument | null = null): Promise<OrderEvent[]> {
    const r = await this.request(inst ? () => this.marketFor(inst, null) : null, (spec, atNs) => this.engine.cancelAll(spec?.id ?? null, atNs));
    return Array.isArray(r) ? r : [];
  }

  balances(): Promise<BalanceEvent[]> {
    return this.read(() => this.engine.balances());
  }

  orders(): Promise<OrderEvent[]> {
    return this.read(() => this.engine.orders());
  }

  openOrders(): Promise<OrderEvent[]> {
    return this.read(() => this.engine.openOrders());
  }

  order(ref: OrderRef): Promise<OrderEvent | null> {
    return this.read(() => this.engine.order(ref));
  }

  fills(limit: number): Promise<FillEvent[]> {
    return this.read(() => this.engine.fills(limit));
  }

  positions(): Promise<PositionEvent[]> {
    return this.read(() => this.engine.positions());
  }

  /** Stops timers and deliveries; what the engine did stays in the results. */
  close(): void {
    this.closed = true;
    this.outbox.close();
    if (this.stepTimer) clearTimeout(this.stepTimer);
    this.stepTimer = null;
    this.listeners.clear();
  }

  /** Resolves when everything requested so far has been acted on. */
  async idle(): Promise<void> {
    await this.chain.catch(() => undefined);
  }

  // --- time ----------------------------------------------------------------------------------------

  private now(): bigint {
    return recordedNow(this.deps.clock, this.deps.startNs);
  }

  /** Runs `fn` after everything before it. */
  private run<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.chain.then(fn, fn);
    this.chain = p.catch(() => undefined);
    return p;
  }

  /** A request the tape failed for answers as a refusal (the session goes on). */
  private orRefusal(p: Promise<OrderResult>): Promise<OrderResult> {
    return p.catch((err: unknown) => rejection('bad_request', `the paper account could not read the recording: ${(err as Error)?.message ?? String(err)}`));
  }

  private read<T>(fn: () => T): Promise<T> {
    return this.request(null, () => fn()) as Promise<T>;
  }

  /**
   * A request: it arrives now, acts after the order-in delay at the time the recording fixes, and
   * is answered after the fill-out delay.
   */
  private request<T>(resolve: (() => Promise<MarketSpec | Rejection>) | null, act: (spec: MarketSpec | null, atNs: bigint, arrivalNs: bigint) => T): Promise<T | Rejection> {
    const arrivedAt = this.now();
    const acted = this.run(async () => {
      this.followSeek();
      let spec: MarketSpec | null = null;
      if (resolve) {
        const r = await resolve();
        if ('ok' in r) return { answer: r as T | Rejection, dueNs: arrivedAt + this.deps.latency.outNs, outputs: [] as EngineOutput[] };
        spec = r;
      }
      const arrival = await this.latestTracked(arrivedAt, spec);
      const atNs = arrival.recvNs + this.deps.latency.inNs;
      const anchor = await this.latestTracked(atNs, spec);
      if (spec && !this.feeds.has(spec.id)) await this.track(spec, anchor.recvNs);
      await untilRecorded(this.deps.clock, this.deps.startNs, atNs, () => this.closed);
      await this.processTo(anchor);
      const outputs: EngineOutput[] = [];
      this.capture = outputs;
      try {
        return { answer: act(spec, atNs, arrival.recvNs) as T | Rejection, dueNs: atNs + this.deps.latency.outNs, outputs };
      } finally {
        this.capture = null;
      }
    });
    return acted.then(
      ({ answer, dueNs, outputs }) =>
        new Promise<T | Rejection>((done) => {
          if (this.closed) return done(answer);
          // the answer first, then the pushes of what it did
          this.outbox.add(dueNs, () => done(answer));
          for (const o of outputs) this.outbox.add(o.atNs + this.deps.latency.outNs, () => this.emit(o.event));
          this.kick();
        }),
      (err: unknown) => {
        this.deps.onError?.(err);
        throw err;
      },
    );
  }

  /** A seek of the session's clock moves every market to the new time (orders and balances carry over). */
  private followSeek(): void {
    const c = this.deps.clock();
    if (!c || c.generation === this.seekGeneration) return;
    this.seekGeneration = c.generation;
    this.pendingSeekNs = c.seekedToNs;
  }

  private async applySeek(): Promise<void> {
    if (this.pendingSeekNs === null) return;
    const at = this.pendingSeekNs;
    this.pendingSeekNs = null;
    for (const feed of this.feeds.values()) await this.reopen(feed, at);
  }

  // --- markets -------------------------------------------------------------------------------------

  private marketsOf(): Promise<RecordedMarket[]> {
    this.directory ??= this.deps.markets?.() ?? this.deps.data.markets(this.deps.exchange);
    return this.directory;
  }

  /** The recorded market of an instrument (and venue), or bad_symbol. */
  private async marketFor(inst: Instrument, venue: string | null): Promise<MarketSpec | Rejection> {
    const want = letters(`${inst.base}${inst.quote}`);
    const candidates = (await this.marketsOf()).filter((m) => letters(m.symbol) === want);
    const m = venue === null ? candidates[0] : candidates.find((c) => (c.venue ?? '').toUpperCase() === venue.toUpperCase());
    if (!m) {
      const where = venue === null ? '' : ` on ${venue}`;
      return rejection('bad_symbol', `${inst.base}/${inst.quote}${where} is not in the recording`);
    }
    const id = `${m.venue ?? ''}|${m.symbol}`;
    const restingFills: RestingFills = this.deps.restingFills === 'auto' ? (m.hasTrades ? 'trades' : 'book') : this.deps.restingFills;
    return { id, inst, symbol: m.symbol, venue: m.venue, restingFills };
  }

  private async track(spec: MarketSpec, atNs: bigint): Promise<void> {
    const recorded = (await this.marketsOf()).find((m) => `${m.venue ?? ''}|${m.symbol}` === spec.id)!;
    const feed = new MarketFeed(spec, recorded, this.deps.exchange, this.deps.data, this.deps.endNs);
    this.engine.addMarket(spec);
    this.feeds.set(spec.id, feed);
    await this.reopen(feed, atNs);
  }

  private async reopen(feed: MarketFeed, atNs: bigint): Promise<void> {
    const book = await feed.open(atNs);
    if (book) this.engine.onFrame(feed.spec.id, book);
  }

  /**
   * The latest recorded frame at or before `atNs` of every market the account trades (and `extra`,
   * the market of the request at hand), or the session's start when there is none since it.
   */
  private async latestTracked(atNs: bigint, extra: MarketSpec | null): Promise<FrameKey> {
    // never before the session's start: frames before it were never sent
    let best: FrameKey = { recvNs: this.deps.startNs, connId: '', seq: 0 };
    const consider = (k: FrameKey | null) => {
      if (k && compareKeys(k, best) > 0) best = k;
    };
    for (const feed of this.feeds.values()) {
      if (this.engine.hasOpenOrders(feed.spec.id)) await feed.ensure(atNs);
      consider(await feed.latestAtOrBefore(atNs));
    }
    if (extra && !this.feeds.has(extra.id)) {
      const recorded = (await this.marketsOf()).find((m) => `${m.venue ?? ''}|${m.symbol}` === extra.id)!;
      consider(await this.deps.data.latestKey(this.deps.exchange, recorded, atNs));
    }
    return best;
  }

  /**
   * Hands the engine every frame up to `until`: markets with resting orders in recorded order
   * across markets (their fills move shared balances); idle ones on their own, or re-opened at
   * their latest book when far behind.
   */
  private async processTo(until: FrameKey, onlyOpen = false): Promise<void> {
    await this.applySeek();
    const active: MarketFeed[] = [];
    for (const feed of this.feeds.values()) {
      if (this.engine.hasOpenOrders(feed.spec.id)) {
        await feed.ensure(until.recvNs);
        active.push(feed);
      } else if (!onlyOpen) {
        await this.catchUpIdle(feed, until);
      }
    }
    for (;;) {
      let next: MarketFeed | null = null;
      for (const f of active) {
        const p = f.peek();
        if (p && compareKeys(p.key, until) <= 0 && (!next || compareKeys(p.key, next.peek()!.key) < 0)) next = f;
      }
      if (!next) break;
      this.engine.onFrame(next.spec.id, next.take());
    }
  }

  private async catchUpIdle(feed: MarketFeed, until: FrameKey): Promise<void> {
    if (feed.recorded.bookSnapshots && until.recvNs - feed.loadedTo > IDLE_JUMP_NS) {
      await this.reopen(feed, until.recvNs);
      return;
    }
    await feed.ensure(until.recvNs);
    for (let p = feed.peek(); p && compareKeys(p.key, until) <= 0; p = feed.peek()) this.engine.onFrame(feed.spec.id, feed.take());
  }

  // --- resting orders ------------------------------------------------------------------------------

  /** Keeps resting orders filling as the session's clock moves. */
  private kick(): void {
    if (this.closed || this.stepTimer) return;
    if (![...this.feeds.values()].some((f) => this.engine.hasOpenOrders(f.spec.id))) return;
    const clock = this.deps.clock();
    let wait: number;
    if (clock?.speed === 'max') wait = MAX_SPEED_POLL_MS;
    else {
      let next: bigint | null = null;
      for (const f of this.feeds.values()) {
        if (!this.engine.hasOpenOrders(f.spec.id)) continue;
        const p = f.peek();
        const t = p ? p.key.recvNs : f.loadedTo + 1n;
        if (next === null || t < next) next = t;
      }
      const ms = next === null ? null : msUntil(this.deps.clock, this.deps.startNs, next);
      wait = ms === null ? STOPPED_CLOCK_POLL_MS : ms;
    }
    this.stepTimer = setTimeout(() => {
      this.stepTimer = null;
      void this.run(async () => {
        this.followSeek();
        const now = this.now();
        await this.processTo(keyAt(now), true);
        // read ahead so the next frame's time is known
        for (const f of this.feeds.values()) if (this.engine.hasOpenOrders(f.spec.id) && !f.peek()) await f.ensure(now + 1n);
      })
        .catch((err: unknown) => this.deps.onError?.(err))
        .finally(() => this.kick());
    }, wait);
  }

  private emit(e: PaperEvent): void {
    if (this.closed) return;
    for (const fn of this.listeners) fn(e);
  }
}
