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
 * What reads the whole recording at once (/normalized, recorded-frame answers) gets `whole()`:
 * every table's files of the range in one snapshot folder, fetched the first time it is asked for.
 */
import fs from 'node:fs';
import path from 'node:path';
import { TicktapeError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { checksumPathFor, dayBoundsNs } from '../store/partitions.js';
import { openBucketManifests, type BucketManifests } from '../store/remote/data-source.js';
import { localPathOf } from '../store/remote/layout.js';
import type { Manifest, ManifestFile } from '../store/remote/manifest.js';
import { FETCH_CONCURRENCY, VIEWS_DIR, type DayFilter } from '../store/remote/read-cache.js';
import { READ_AHEAD_DAYS } from '../store/remote/streamed-days.js';
import type { StoreConfigFile } from '../store/remote/store-config.js';
import { readRawSummaries } from '../store/remote/summaries.js';
import { catalogOf, type Catalog } from './catalog.js';

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

/** A bucket as a replay server serves it: the catalog from the summaries, the raw days as they are reached, the whole range on demand. */
export interface ServedData {
  url: string;
  catalog: Catalog;
  days: ServedDays;
  /** Every table's committed files of the range in one folder, fetched the first time (for the reads of the whole recording). */
  whole(): Promise<string>;
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
  let whole: Promise<{ dir: string; close(): void }> | null = null;
  try {
    const raw = src.days.filter((m) => m.table === 'raw');
    const summaries = await readRawSummaries(src.cache, raw, src.online);
    const catalog = catalogOf(summaries.summaries.map((s) => s.summary));
    days = new ServedDays(src, raw, opts.log);
    const d = days;
    return {
      url,
      catalog,
      days: d,
      stats: { summaries: summaries.summaries.length, summarizedFromFiles: summaries.fromFiles },
      whole: async () => {
        whole ??= (async () => {
          const sync = await src.cache.sync({ ...filter, tables: undefined });
          return src.cache.snapshot(sync.days);
        })();
        return (await whole).dir;
      },
      close: () => {
        d.close();
        void whole?.then((w) => w.close()).catch(() => undefined);
        src.close();
      },
    };
  } catch (err) {
    days?.close();
    src.close();
    throw err;
  }
}
