/**
 * The days a replay server over a bucket serves, fetched as its connections reach them. At start
 * only the raw files' summaries are read (their catalog, catalog.ts catalogOf) and the first day
 * is fetched; a read of the store (read-pool.ts) then takes the days of its range one at a time:
 * `acquire(date)` waits for that day's raw files to be in the cache, hard-linked into a folder of
 * their own, and starts the next READ_AHEAD_DAYS days downloading behind it; `release(date)` lets
 * it go. A day no read holds and no held day reads ahead to is dropped (its folder goes; the cache
 * keeps the files within --cache-gb, so a later connection that needs it again links it again).
 *
 * Each day has its own folder, so dropping one never takes a file from under a read of another.
 * Date folders are UTC days of recv_ns, so reading the days of a range one after the other gives
 * the records in the order one read of the range gives. A file that cannot be fetched fails the
 * reads that need its day with a TicktapeError naming it (a later read tries again).
 *
 * What reads the recording by SQL (/normalized, recorded-frame answers, the paper desk's market
 * data) gets `ServedTables`: one tape over a folder of its own that grows by the days (of the
 * tables and exchanges) each read needs, fetched when a read first needs them; a read of one day of
 * a long range fetches that day. The paper desk's directory of markets comes from the `book` and
 * `trades` files' summary objects, so a paper replay fetches the days its clock has reached.
 */
import fs from 'node:fs';
import path from 'node:path';
import { TicktapeError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { checksumPathFor, dayBoundsNs } from '../store/partitions.js';
import { openBucketManifests, type BucketManifests } from '../store/remote/data-source.js';
import { dayDir, localPathOf } from '../store/remote/layout.js';
import type { Manifest, ManifestFile } from '../store/remote/manifest.js';
import { FETCH_CONCURRENCY, VIEWS_DIR, type DayFilter } from '../store/remote/read-cache.js';
import { READ_AHEAD_DAYS } from '../store/remote/streamed-days.js';
import type { StoreConfigFile } from '../store/remote/store-config.js';
import { readMarketSummaries, readRawSummaries } from '../store/remote/summaries.js';
import { openTape, refreshTapeViews, type Tape } from '../store/duck/index.js';
import { catalogOf, type Catalog } from './catalog.js';
import type { TapeNeed } from './normalized.js';
import { marketDirectory, type BookStreamStats, type RecordedMarket } from './paper/market-data.js';

interface DayFile {
  m: Manifest;
  f: ManifestFile;
}

interface DayState {
  files: DayFile[];
  refs: number;
  /** Set while the day is linked or being linked. */
  linked: Promise<void> | null;
  settled: boolean;
}

/** A limiter: at most `n` fetches at once, first come first served (earlier days ask first). */
class Slots {
  private free: number;
  private readonly waiting: Array<() => void> = [];
  constructor(n: number) {
    this.free = n;
  }
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((r) => this.waiting.push(r));
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}

interface ServedDaysStats {
  /** Raw files fetched from the bucket by now (cached ones not counted). */
  fetched: number;
  fetchedBytes: number;
  /** Days linked (again after a drop included) and dropped. */
  linked: number;
  dropped: number;
}

export class ServedDays {
  /** The dates with committed raw files, ascending. */
  readonly dates: readonly string[];
  readonly stats: ServedDaysStats = { fetched: 0, fetchedBytes: 0, linked: 0, dropped: 0 };
  private readonly root: string;
  private readonly days = new Map<string, DayState>();
  private readonly slots = new Slots(FETCH_CONCURRENCY);
  private readonly firstSeen = new Set<string>();
  private closed = false;

  /** Called once per day, the first time its folder is whole (before any read of it gets it): the server's candle history. */
  onFirstLink: ((date: string, dir: string) => Promise<void>) | null = null;

  constructor(
    private readonly src: BucketManifests,
    raw: readonly Manifest[],
    private readonly log?: Logger,
  ) {
    this.root = path.join(src.cache.dir, VIEWS_DIR, `${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`);
    fs.mkdirSync(this.root, { recursive: true });
    const byDate = new Map<string, DayFile[]>();
    for (const m of raw) for (const f of m.files) byDate.set(m.date, [...(byDate.get(m.date) ?? []), { m, f }]);
    this.dates = [...byDate.keys()].sort();
    for (const d of this.dates) this.days.set(d, { files: byDate.get(d) ?? [], refs: 0, linked: null, settled: false });
  }

  /** The dates whose UTC day meets [fromNs, toNs), ascending. */
  datesIn(fromNs?: bigint, toNs?: bigint): string[] {
    return this.dates.filter((d) => {
      const { startNs, endNs } = dayBoundsNs(d);
      return !((toNs !== undefined && startNs >= toNs) || (fromNs !== undefined && endNs <= fromNs));
    });
  }

  /** The folder of `date` once its raw files are all in it; held until release(date). The next days start downloading. */
  async acquire(date: string): Promise<string> {
    const state = this.days.get(date);
    if (!state) throw new TicktapeError('TT_INTERNAL', `no served day ${date}`);
    state.refs++;
    const i = this.dates.indexOf(date);
    try {
      const ready = this.link(date);
      for (const next of this.dates.slice(i + 1, i + 1 + READ_AHEAD_DAYS)) void this.link(next).catch(() => undefined);
      await ready;
      return this.dirOf(date);
    } catch (err) {
      this.release(date);
      throw err;
    }
  }

  release(date: string): void {
    const state = this.days.get(date);
    if (!state) return;
    state.refs = Math.max(0, state.refs - 1);
    this.sweep();
  }

  close(): void {
    this.closed = true;
    fs.rmSync(this.root, { recursive: true, force: true });
    try {
      this.src.cache.evict();
    } catch (err) {
      this.log?.warn({ err: (err as Error).message }, 'cache not trimmed');
    }
  }

  private dirOf(date: string): string {
    return path.join(this.root, date);
  }

  private link(date: string): Promise<void> {
    const state = this.days.get(date) as DayState;
    if (state.linked) return state.linked;
    state.settled = false;
    const run = (async () => {
      const dir = this.dirOf(date);
      await Promise.all(state.files.map((x) => this.slots.run(() => this.bring(dir, x))));
      if (!this.firstSeen.has(date)) {
        await this.onFirstLink?.(date, dir);
        this.firstSeen.add(date);
      }
      this.stats.linked++;
    })();
    state.linked = run;
    run.then(
      () => {
        state.settled = true;
        this.trimCache();
        this.sweep();
      },
      () => {
        // A later read tries the day again.
        state.linked = null;
        state.settled = true;
        fs.rmSync(this.dirOf(date), { recursive: true, force: true });
      },
    );
    return run;
  }

  private async bring(dir: string, { m, f }: DayFile): Promise<void> {
    if (this.closed) return;
    if (!this.src.online && !this.src.cache.has(m, f)) {
      this.log?.warn({ url: this.src.store.cfg.url, date: m.date, name: f.name }, 'a committed file is not cached and the store is unreachable: the replay covers what is cached only');
      return;
    }
    let r: { path: string; fetched: boolean };
    try {
      r = await this.src.cache.fetch(m, f);
    } catch (err) {
      const code = err instanceof TicktapeError ? err.code : 'TT_STORE_UNREACHABLE';
      throw new TicktapeError(code, `Reading ${this.src.store.cfg.url} stopped at ${m.date}: ${m.table} file ${f.name} could not be fetched (${(err as Error).message})`, { date: m.date, name: f.name }, { cause: err });
    }
    if (r.fetched) {
      this.stats.fetched++;
      this.stats.fetchedBytes += f.bytes;
    }
    if (this.closed) return;
    const dst = localPathOf(dir, m, f.name);
    fs.mkdirSync(path.dirname(dst), { recursive: true });
    fs.rmSync(dst, { force: true });
    fs.rmSync(checksumPathFor(dst), { force: true });
    fs.linkSync(r.path, dst);
    fs.linkSync(checksumPathFor(r.path), checksumPathFor(dst));
  }

  /** Days held, and the days they read ahead to, stay; with nothing held, the first days do (where a new connection starts). */
  private sweep(): void {
    if (this.closed) return;
    const held = this.dates.map((d, i) => ((this.days.get(d) as DayState).refs > 0 ? i : -1)).filter((i) => i >= 0);
    const keep = new Set<number>();
    for (const i of held.length ? held : [0]) for (let j = i; j <= i + READ_AHEAD_DAYS; j++) keep.add(j);
    this.dates.forEach((d, i) => {
      const s = this.days.get(d) as DayState;
      if (keep.has(i) || s.refs > 0 || !s.linked || !s.settled) return;
      s.linked = null;
      fs.rmSync(this.dirOf(d), { recursive: true, force: true });
      this.stats.dropped++;
    });
  }

  /** The cache within its bound, never evicting a linked day's files. */
  private trimCache(): void {
    const pinned = new Set<string>();
    for (const s of this.days.values()) if (s.linked) for (const { m, f } of s.files) pinned.add(localPathOf(this.src.cache.dir, m, f.name));
    try {
      this.src.cache.evict(pinned);
    } catch (err) {
      this.log?.warn({ err: (err as Error).message }, 'cache not trimmed');
    }
  }
}

function utcDate(ns: bigint): string {
  return new Date(Number(ns / 1_000_000n)).toISOString().slice(0, 10);
}

/**
 * The tables of a bucket as SQL reads of a replay server see them: one tape over a folder of hard
 * links to the cache, grown by the days each read needs (`tape(need)`: the need's tables,
 * exchanges and UTC days, within the served range), fetched the first time one is needed. A
 * (table, exchange, day) is linked once, from one version of its manifest, and stays for the
 * server's life (queries running keep their files); the views are re-created after each growth.
 */
class ServedTables {
  readonly stats = { fetched: 0, fetchedBytes: 0, days: 0 };
  private readonly dir: string;
  private opened: Promise<Tape> | null = null;
  private readonly ready = new Map<string, Promise<void>>();
  private readonly linkedDays = new Set<string>();
  private turn: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly src: BucketManifests,
    private readonly range: DayFilter,
  ) {
    this.dir = path.join(src.cache.dir, VIEWS_DIR, `${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}-sql`);
    fs.mkdirSync(this.dir, { recursive: true });
  }

  /** The tape, once the days `need` reads are in its folder. */
  async tape(need: TapeNeed): Promise<Tape> {
    const filter = this.filterOf(need);
    const key = JSON.stringify(filter);
    let p = this.ready.get(key);
    if (!p) {
      p = this.grow(filter);
      this.ready.set(key, p);
      // A failed fetch is tried again by the next read that needs it.
      p.catch(() => this.ready.delete(key));
    }
    await p;
    return this.open();
  }

  /**
   * The markets of an exchange in the range (the paper desk's directory), from the `book` and
   * `trades` files' summaries: no file is fetched unless it has no summary (an older upload).
   */
  async markets(exchange: string): Promise<RecordedMarket[]> {
    const { days, online } = await this.src.cache.manifests({ ...this.range, tables: ['book', 'trades'], exchanges: [exchange] });
    const { summaries } = await readMarketSummaries(this.src.cache, days, online);
    const books = new Map<string, BookStreamStats>();
    const trades = new Map<string, { symbol: string; venue: string | null }>();
    for (const { summary } of summaries) {
      for (const b of summary.books) {
        const key = JSON.stringify([b.symbol, b.venue, b.stream]);
        const cur = books.get(key);
        if (!cur) books.set(key, { ...b });
        else {
          if (b.levels !== null && (cur.levels === null || b.levels > cur.levels)) cur.levels = b.levels;
          cur.rows += b.rows;
          cur.snapshots &&= b.snapshots;
        }
      }
      for (const t of summary.trades) trades.set(JSON.stringify([t.symbol, t.venue]), t);
    }
    return marketDirectory([...books.values()], [...trades.values()]);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    void this.opened?.then(
      (t) => t.close(),
      () => undefined,
    );
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private open(): Promise<Tape> {
    if (!this.opened) {
      const p = openTape(this.dir, { includeJournal: false });
      this.opened = p;
      p.catch(() => {
        if (this.opened === p) this.opened = null;
      });
    }
    return this.opened;
  }

  private filterOf(need: TapeNeed): DayFilter {
    const f: DayFilter = { ...this.range };
    if (need.tables) f.tables = this.range.tables ? need.tables.filter((t) => this.range.tables?.includes(t)) : [...need.tables];
    if (need.exchanges) f.exchanges = this.range.exchanges ? need.exchanges.filter((x) => this.range.exchanges?.includes(x)) : [...need.exchanges];
    if (need.fromNs !== undefined && need.fromNs !== null) {
      const d = utcDate(need.fromNs);
      if (!f.fromDate || d > f.fromDate) f.fromDate = d;
    }
    if (need.toNs !== undefined && need.toNs !== null) {
      const d = utcDate(need.toNs - 1n);
      if (!f.toDate || d < f.toDate) f.toDate = d;
    }
    return f;
  }

  /** Fetches the days of `filter` not linked yet and links them (one growth at a time). */
  private grow(filter: DayFilter): Promise<void> {
    const run = this.turn.then(async () => {
      if ((filter.tables && filter.tables.length === 0) || (filter.exchanges && filter.exchanges.length === 0) || (filter.fromDate && filter.toDate && filter.fromDate > filter.toDate)) return;
      const { days } = await this.src.cache.manifests(filter);
      const fresh = days.filter((m) => !this.linkedDays.has(dayDir(m)));
      if (fresh.length === 0 || this.closed) return;
      const wanted = fresh.flatMap((m) => m.files.filter((f) => this.src.online || this.src.cache.has(m, f)).map((f) => ({ m, f })));
      const got: string[] = new Array(wanted.length);
      let i = 0;
      await Promise.all(
        Array.from({ length: Math.min(FETCH_CONCURRENCY, wanted.length) }, async () => {
          while (i < wanted.length) {
            const at = i++;
            const { m, f } = wanted[at];
            const r = await this.src.cache.fetch(m, f);
            if (r.fetched) {
              this.stats.fetched++;
              this.stats.fetchedBytes += f.bytes;
            }
            got[at] = r.path;
          }
        }),
      );
      if (this.closed) return;
      wanted.forEach(({ m, f }, at) => {
        const dst = localPathOf(this.dir, m, f.name);
        fs.mkdirSync(path.dirname(dst), { recursive: true });
        fs.rmSync(dst, { force: true });
        fs.rmSync(checksumPathFor(dst), { force: true });
        fs.linkSync(got[at], dst);
        fs.linkSync(checksumPathFor(got[at]), checksumPathFor(dst));
      });
      for (const m of fresh) this.linkedDays.add(dayDir(m));
      this.stats.days += fresh.length;
      if (wanted.length) await refreshTapeViews(await this.open());
    });
    this.turn = run.catch(() => undefined);
    return run;
  }
}

/** A bucket as a replay server serves it: the catalog from the summaries, the raw days as they are reached, the other reads' days as they need them. */
export interface ServedData {
  url: string;
  catalog: Catalog;
  days: ServedDays;
  /** The days SQL reads need (/normalized, recorded-frame answers, paper market data), fetched as they are needed. */
  tables: ServedTables;
  stats: { summaries: number; summarizedFromFiles: number };
  close(): void;
}

interface ServedDataOptions {
  cacheGb?: number;
  cacheDir?: string;
  storeConfig?: Partial<StoreConfigFile>;
  /** The days of the range (tables are chosen here). */
  filter?: DayFilter;
  log?: Logger;
  env?: Record<string, string | undefined>;
}

/**
 * Opens a bucket for the replay server: its manifests, and the raw summaries into the catalog.
 * Nothing else is fetched until
 * `days.acquire()`; TT_NO_DATA / TT_STORE_UNREACHABLE as every reader of a bucket.
 */
export async function openServedData(url: string, opts: ServedDataOptions): Promise<ServedData> {
  const filter = opts.filter ?? {};
  const src = await openBucketManifests(url, { ...opts, filter: { ...filter, tables: ['raw'] } });
  let days: ServedDays | null = null;
  try {
    const raw = src.days.filter((m) => m.table === 'raw');
    const summaries = await readRawSummaries(src.cache, raw, src.online);
    const catalog = catalogOf(summaries.summaries.map((s) => s.summary));
    days = new ServedDays(src, raw, opts.log);
    const d = days;
    const tables = new ServedTables(src, { ...filter, tables: undefined });
    return {
      url,
      catalog,
      days: d,
      stats: { summaries: summaries.summaries.length, summarizedFromFiles: summaries.fromFiles },
      tables,
      close: () => {
        d.close();
        tables.close();
        src.close();
      },
    };
  } catch (err) {
    days?.close();
    src.close();
    throw err;
  }
}
