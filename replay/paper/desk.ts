/**
 * The replay server's paper trading (`ticktape replay --paper`): one paper account per replay
 * session and exchange, created when the session first connects to (or trades on) that exchange,
 * with the session's results written to `<paper-out>/<session>/` when the session ends and when
 * the server stops. The desk owns the accounts; the server hands it the session clocks.
 */
import path from 'node:path';
import type { Logger } from '../../core/log.js';
import { safeJoin, safeName } from '../../core/safe-path.js';
import type { SessionFeed } from '../../exchanges/host.js';
import type { Instrument } from '../../exchanges/market.js';
import type { ExchangeId } from '../../exchanges/types.js';
import { defaultInitialBalances } from '../../simulator/account.js';
import { isStoreUrl } from '../../store/remote/store-url.js';
import type { ReplayClock } from '../clock.js';
import { paperFeed } from './account-feed.js';
import type { FeeSchedule, PaperSettings } from './config.js';
import type { MarketData, RecordedMarket } from './market-data.js';
import { PaperAccount } from './paper-account.js';
import { PaperResults } from './results.js';

/**
 * The session of connections and requests that name none, with `--paper`: a bot's sockets (market
 * data, trading, notifications) and REST calls are one account only if they share a session, and a
 * bot written from an exchange's documents names none. Several bots at once each name their own.
 */
export const DEFAULT_PAPER_SESSION = 'default';

interface PaperDeskDeps {
  settings: PaperSettings;
  /** Results go to `<outDir>/<session>/`. */
  outDir: string;
  /** The data folder, or the s3:// URL, the results' manifest names. */
  dataDir: string;
  data: MarketData;
  /** The instruments of an exchange, the same objects its server contexts hold. */
  instruments(exchange: ExchangeId): Instrument[];
  /** End of the recording of an exchange. */
  lastNs(exchange: ExchangeId): bigint | null;
  /** A replay session's clock (the session is created when it does not exist yet). */
  clockOf(session: string): ReplayClock;
  /** What the results' manifest says about the run. */
  run: Record<string, unknown>;
  log: Logger;
}

interface DeskSession {
  accounts: Map<ExchangeId, PaperAccount>;
  results: PaperResults;
}

export class PaperDesk {
  private readonly sessions = new Map<string, DeskSession>();
  private readonly directories = new Map<ExchangeId, Promise<RecordedMarket[]>>();

  constructor(private readonly deps: PaperDeskDeps) {}

  /** The markets of an exchange's recording (read once, shared by every account). */
  markets(exchange: ExchangeId): Promise<RecordedMarket[]> {
    let d = this.directories.get(exchange);
    if (!d) {
      d = this.deps.data.markets(exchange);
      d.catch(() => this.directories.delete(exchange));
      this.directories.set(exchange, d);
    }
    return d;
  }

  /** Reads every exchange's markets now, so the first order does not wait for it. */
  async prepare(exchanges: readonly ExchangeId[]): Promise<void> {
    await Promise.all(exchanges.map((x) => this.markets(x)));
  }

  /** The paper account of `session` on `exchange` (created at the session's current replay time). */
  account(session: string, exchange: ExchangeId): PaperAccount {
    const s = this.session(session);
    let a = s.accounts.get(exchange);
    if (a) return a;
    const clock = this.deps.clockOf(session);
    const instruments = this.deps.instruments(exchange);
    const balances = this.deps.settings.balancesFor(session, exchange) ?? defaultInitialBalances(instruments);
    s.results.start(exchange, balances, clock.nowRecordedNs());
    a = new PaperAccount({
      exchange,
      instruments,
      balances,
      fees: this.deps.settings.fees(exchange),
      latency: this.deps.settings.latency(exchange),
      queue: this.deps.settings.queue,
      restingFills: this.deps.settings.restingFills,
      data: this.deps.data,
      markets: () => this.markets(exchange),
      clock: () => this.deps.clockOf(session),
      startNs: clock.startNs,
      endNs: this.deps.lastNs(exchange),
      onOutput: s.results.recorder(exchange),
      onError: (err) => this.deps.log.warn({ session, exchange, err: String((err as Error)?.message ?? err) }, 'paper account could not read the recording'),
    });
    s.accounts.set(exchange, a);
    return a;
  }

  /** A connection's feed: private streams from the session's paper account, the rest from `inner`. */
  feed(session: string, exchange: ExchangeId, inner: SessionFeed): SessionFeed {
    return paperFeed(inner, this.account(session, exchange), this.deps.instruments(exchange));
  }

  /** The fee schedule paper accounts of an exchange charge. */
  fees(exchange: ExchangeId): FeeSchedule {
    return this.deps.settings.fees(exchange);
  }

  has(session: string): boolean {
    return this.sessions.has(session);
  }

  ids(): string[] {
    return [...this.sessions.keys()].sort();
  }

  accountsOf(session: string): Map<ExchangeId, PaperAccount> {
    return this.sessions.get(session)?.accounts ?? new Map();
  }

  /** Where a session's results go. */
  folderOf(session: string): string {
    return safeJoin(this.deps.outDir, safeName(session, 'session id'));
  }

  /** Writes a session's results so far (after every request already made has been acted on). */
  async flush(session: string): Promise<string[]> {
    const s = this.sessions.get(session);
    return s ? this.write(session, s) : [];
  }

  /** The session is over: its results are written and its accounts stop (a later request starts it afresh). */
  async end(session: string): Promise<void> {
    const s = this.sessions.get(session);
    if (!s) return;
    this.sessions.delete(session);
    try {
      await this.write(session, s);
    } finally {
      for (const a of s.accounts.values()) a.close();
    }
  }

  /** Writes of one folder run one after the other (a session that ends while it is being flushed). */
  private readonly writing = new Map<string, Promise<unknown>>();

  private write(session: string, s: DeskSession): Promise<string[]> {
    const run = async () => {
      for (const a of s.accounts.values()) await a.idle();
      const files = await s.results.write(this.folderOf(session), {
        session,
        data: isStoreUrl(this.deps.dataDir) ? this.deps.dataDir : path.resolve(this.deps.dataDir),
        exchanges: [...s.accounts.keys()].sort(),
        ...this.deps.run,
        settings: this.deps.settings.describe(),
      });
      this.deps.log.info({ session, folder: this.folderOf(session), files: files.length }, 'paper results written');
      return files;
    };
    const prev = this.writing.get(session) ?? Promise.resolve();
    const p = prev.then(run, run);
    const tail = p.catch(() => undefined);
    this.writing.set(session, tail);
    void tail.then(() => this.writing.get(session) === tail && this.writing.delete(session));
    return p;
  }

  async close(): Promise<void> {
    for (const id of this.ids()) {
      try {
        await this.end(id);
      } catch (err) {
        this.deps.log.error({ session: id, err: String((err as Error)?.message ?? err) }, 'paper results could not be written');
      }
    }
  }

  private session(id: string): DeskSession {
    let s = this.sessions.get(id);
    if (!s) {
      this.folderOf(id); // a session id that cannot name a folder fails here, before anything is traded
      s = { accounts: new Map(), results: new PaperResults(id) };
      this.sessions.set(id, s);
    }
    return s;
  }
}
