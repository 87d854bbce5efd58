/**
 * A store read in time order while later days download: what a replay from `s3://` reads. The
 * committed files are fetched day by day, in date order, into the read-through cache, and each is
 * hard-linked into one snapshot folder as soon as it is whole and checked. A reader asks for a day
 * (`ready(date)`), reads it from the snapshot, and lets it go (`release(date)`): the fetchers stay
 * at most READ_AHEAD_DAYS days ahead of the day being read, so the first frame comes after one
 * day's files, not the whole range's, and a month's replay holds only a few days on disk.
 *
 * Date folders are UTC days of recv_ns, so reading the days one after the other gives the records
 * in the same (recv_ns, conn_id, seq) order as reading the whole store at once. A file that cannot
 * be fetched fails the day that needs it (and every later one) with a TicktapeError naming the
 * day: a replay stops there with the error, never ends early without a word.
 */
import fs from 'node:fs';
import path from 'node:path';
import { TicktapeError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { checksumPathFor } from '../partitions.js';
import { localPathOf } from './layout.js';
import type { Manifest, ManifestFile } from './manifest.js';
import { FETCH_CONCURRENCY, VIEWS_DIR, type StoreCache } from './read-cache.js';

/** Days fetched ahead of the one being read (besides it). */
export const READ_AHEAD_DAYS = 2;

interface DayFile {
  m: Manifest;
  f: ManifestFile;
}

interface DayState {
  files: DayFile[];
  left: number;
  done: Promise<void>;
  resolve(): void;
  reject(err: Error): void;
}

interface StreamedDaysStats {
  /** Files fetched from the store by now (cached ones not counted). */
  fetched: number;
  fetchedBytes: number;
  /** Committed files neither cached nor fetchable (the store was unreachable at start). */
  missing: number;
}

export class StreamedDays {
  /** The snapshot folder readers open: a day's files are in it once `ready(date)` resolved. */
  readonly dir: string;
  /** The dates with committed files, ascending. */
  readonly dates: readonly string[];
  readonly stats: StreamedDaysStats = { fetched: 0, fetchedBytes: 0, missing: 0 };
  private readonly days = new Map<string, DayState>();
  private readonly queue: Array<DayFile & { dayIndex: number }> = [];
  /** Highest day index the fetchers may work on. */
  private window = READ_AHEAD_DAYS;
  private wake: (() => void) | null = null;
  private failure: Error | null = null;
  private closed = false;

  constructor(
    private readonly cache: StoreCache,
    manifests: readonly Manifest[],
    private readonly online: boolean,
    private readonly log?: Logger,
  ) {
    this.dir = path.join(cache.dir, VIEWS_DIR, `${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`);
    fs.mkdirSync(this.dir, { recursive: true });
    const byDate = new Map<string, DayFile[]>();
    for (const m of manifests) for (const f of m.files) byDate.set(m.date, [...(byDate.get(m.date) ?? []), { m, f }]);
    this.dates = [...byDate.keys()].sort();
    this.dates.forEach((date, dayIndex) => {
      const files = byDate.get(date) ?? [];
      let resolve!: () => void;
      let reject!: (err: Error) => void;
      const done = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      // Awaited by ready(); a failure nobody asks for (the reader stopped first) is not an unhandled rejection.
      done.catch(() => undefined);
      const state: DayState = { files, left: files.length, done, resolve, reject };
      this.days.set(date, state);
      if (files.length === 0) resolve();
      for (const x of files) this.queue.push({ ...x, dayIndex });
    });
    for (let i = 0; i < Math.min(FETCH_CONCURRENCY, this.queue.length); i++) void this.worker();
  }

  /** Resolves when every committed file of `date` is in `dir`; rejects with a TicktapeError when one cannot be fetched. */
  async ready(date: string): Promise<void> {
    const state = this.days.get(date);
    if (!state) return;
    const i = this.dates.indexOf(date);
    if (i + READ_AHEAD_DAYS > this.window) {
      this.window = i + READ_AHEAD_DAYS;
      this.wake?.();
    }
    await state.done;
  }

  /** The reader is done with `date`: its links leave the snapshot, and the cache may evict its files. */
  release(date: string): void {
    const state = this.days.get(date);
    if (!state) return;
    for (const { m, f } of state.files) {
      const p = localPathOf(this.dir, m, f.name);
      fs.rmSync(p, { force: true });
      fs.rmSync(checksumPathFor(p), { force: true });
    }
  }

  close(): void {
    this.closed = true;
    this.wake?.();
    fs.rmSync(this.dir, { recursive: true, force: true });
    try {
      this.cache.evict();
    } catch (err) {
      this.log?.warn({ err: (err as Error).message }, 'cache not trimmed');
    }
  }

  private async worker(): Promise<void> {
    while (!this.closed && this.failure === null) {
      const next = this.queue[0];
      if (!next) return;
      if (next.dayIndex > this.window) {
        await new Promise<void>((r) => {
          const prev = this.wake;
          this.wake = () => {
            this.wake = null;
            prev?.();
            r();
          };
        });
        continue;
      }
      this.queue.shift();
      const state = this.days.get(next.m.date) as DayState;
      try {
        await this.bring(next);
      } catch (err) {
        this.fail(next, err as Error);
        return;
      }
      if (--state.left === 0) state.resolve();
    }
  }

  /** Fetches one file unless cached (or, offline, counts it missing) and links it into the snapshot. */
  private async bring({ m, f }: DayFile): Promise<void> {
    if (!this.online && !this.cache.has(m, f)) {
      if (this.stats.missing++ === 0) this.log?.warn({ url: this.cache.store.cfg.url }, 'committed files are not cached and the store is unreachable: the replay covers what is cached only');
      return;
    }
    const r = await this.cache.fetch(m, f);
    if (r.fetched) {
      this.stats.fetched++;
      this.stats.fetchedBytes += f.bytes;
    }
    if (this.closed) return;
    const dst = localPathOf(this.dir, m, f.name);
    fs.mkdirSync(path.dirname(dst), { recursive: true });
    fs.linkSync(r.path, dst);
    fs.linkSync(checksumPathFor(r.path), checksumPathFor(dst));
  }

  /** The failed file's day and every later one reject: nothing after the hole is read. */
  private fail(at: DayFile & { dayIndex: number }, err: Error): void {
    const code = err instanceof TicktapeError ? err.code : 'TT_STORE_UNREACHABLE';
    this.failure = new TicktapeError(code, `Reading ${this.cache.store.cfg.url} stopped at ${at.m.date}: ${at.m.table} file ${at.f.name} could not be fetched (${err.message})`, { date: at.m.date, name: at.f.name }, { cause: err });
    for (const date of this.dates.slice(at.dayIndex)) this.days.get(date)?.reject(this.failure);
    this.wake?.();
  }
}
