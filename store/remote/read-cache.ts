/**
 * The read-through cache: a local data folder that mirrors the committed state of a bucket, so
 * every reader (DuckDB views, the record reader, verify) works on local files as it does on a
 * recorder's own store. DuckDB's httpfs extension cannot be installed offline; this needs none.
 *
 *   <cache>/_ticktape/manifests/...   the last manifest seen of each day (used when offline)
 *   <cache>/<table>/exchange=…/date=…/<file>.parquet (+ .sha256)   the same hive paths as the bucket
 *
 * Each sync lists the manifests under a table/exchange/date prefix, and each file is fetched to a
 * temp name beside its final path (a conditional GET on the manifest's ETag, so a replaced object
 * fails instead of mixing versions), its SHA-256 checked against the manifest, then renamed into
 * place. A day's folder holds only what its manifest lists: files a compaction retired are
 * removed from the cache at the next sync. The cache is bounded (`--cache-gb`): least recently
 * used files (by mtime, touched on every use) go first. When the store cannot be reached, what is
 * cached is used, with a warning naming what is missing.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TicktapeError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { TABLE_NAMES } from '../../schemas/tables.js';
import { checksumPathFor, fsyncPath, listPartitionFiles, parsePartitionFileName } from '../partitions.js';
import { readChecksumFile } from '../seal/parquet-file.js';
import { dayDir, localPathOf, manifestRelPath, MANIFEST_DIR, parseManifestRelPath, type DayKey } from './layout.js';
import { listManifestDays, parseManifest, readManifest, type Manifest, type ManifestFile } from './manifest.js';
import { downloadTo, type RemoteStore } from './s3-client.js';

/** Default bound of a cache folder, GB (`--cache-gb`). */
export const DEFAULT_CACHE_GB = 20;
/** Per-command snapshot folders (hard links), under the cache folder. */
export const VIEWS_DIR = '.views';
/** Files fetched at once. */
export const FETCH_CONCURRENCY = 4;

function defaultCacheRoot(env: Record<string, string | undefined> = process.env): string {
  return env.TICKTAPE_CACHE_DIR ?? path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'ticktape');
}

/** One folder per store (endpoint + URL), so two stores never share cached files. */
function cacheDirFor(store: RemoteStore, root = defaultCacheRoot()): string {
  const h = createHash('sha256')
    .update(`${store.cfg.endpoint ?? 'aws'}\n${store.cfg.url}`)
    .digest('hex')
    .slice(0, 16);
  return path.join(root, `${store.cfg.bucket}-${h}`);
}

interface CacheOptions {
  dir?: string;
  cacheGb?: number;
  log?: Logger;
}

export interface DayFilter {
  tables?: readonly string[];
  exchanges?: readonly string[];
  /** Inclusive YYYY-MM-DD bounds. */
  fromDate?: string;
  toDate?: string;
}

export interface SyncResult {
  days: Manifest[];
  /** false when the store could not be reached and the cached manifests were used. */
  online: boolean;
  /** Files fetched by this sync, and their bytes. */
  fetched: number;
  fetchedBytes: number;
  /** Committed files that are neither cached nor fetchable (offline). */
  missing: number;
}

function inFilter(d: DayKey, f: DayFilter): boolean {
  return (!f.tables || f.tables.includes(d.table)) && (!f.exchanges || f.exchanges.includes(d.exchange)) && (!f.fromDate || d.date >= f.fromDate) && (!f.toDate || d.date <= f.toDate);
}

export class StoreCache {
  readonly dir: string;
  readonly capBytes: number;

  constructor(
    readonly store: RemoteStore,
    private readonly opts: CacheOptions = {},
  ) {
    this.dir = opts.dir ?? cacheDirFor(store);
    const gb = opts.cacheGb ?? DEFAULT_CACHE_GB;
    if (!(gb > 0)) throw new TicktapeError('TT_CONFIG_INVALID', `--cache-gb: ${gb} is not a size; give a number of GB above 0 (default ${DEFAULT_CACHE_GB}).`, { field: '--cache-gb' });
    this.capBytes = Math.floor(gb * 1024 ** 3);
    fs.mkdirSync(this.dir, { recursive: true });
  }

  private manifestCopy(d: DayKey): string {
    return path.join(this.dir, ...manifestRelPath(d).split('/'));
  }

  private saveManifest(m: Manifest): void {
    const p = this.manifestCopy(m);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    const tmp = `${p}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(m));
    fs.renameSync(tmp, p);
  }

  /** The manifests this cache saw last (offline use). */
  cachedManifests(filter: DayFilter = {}): Manifest[] {
    const out: Manifest[] = [];
    const root = path.join(this.dir, ...MANIFEST_DIR.split('/'));
    const walk = (dir: string): void => {
      for (const e of fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : []) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.json')) {
          const d = parseManifestRelPath(path.relative(this.dir, p).split(path.sep).join('/'), TABLE_NAMES);
          if (d && inFilter(d, filter)) out.push(parseManifest(fs.readFileSync(p, 'utf8'), p));
        }
      }
    };
    walk(root);
    return out;
  }

  /** The current manifests of the days in `filter`, from the store (or the cache when it is unreachable). */
  async manifests(filter: DayFilter = {}): Promise<{ days: Manifest[]; online: boolean }> {
    let keys: DayKey[];
    try {
      const tables = filter.tables ?? [undefined];
      keys = [];
      for (const t of tables) {
        const exchanges = t && filter.exchanges ? filter.exchanges : [undefined];
        for (const ex of exchanges) keys.push(...(await listManifestDays(this.store, { table: t, exchange: ex })));
      }
    } catch (err) {
      if ((err as TicktapeError).code !== 'TT_STORE_UNREACHABLE') throw err;
      this.opts.log?.warn({ url: this.store.cfg.url, err: (err as Error).message }, 'store unreachable: using the cached copy');
      return { days: this.cachedManifests(filter), online: false };
    }
    const days: Manifest[] = [];
    for (const d of keys.filter((k) => inFilter(k, filter))) {
      const { manifest } = await readManifest(this.store, d);
      this.saveManifest(manifest);
      days.push(manifest);
    }
    return { days, online: true };
  }

  /** Removes cached files of a day that its manifest no longer lists (retired by a compaction). */
  private pruneDay(m: Manifest): void {
    const dir = path.join(this.dir, ...dayDir(m).split('/'));
    if (!fs.existsSync(dir)) return;
    const keep = new Set(m.files.map((f) => f.name));
    for (const name of fs.readdirSync(dir)) {
      const parquet = name.startsWith('.') ? name.slice(1).replace(/\.(sha256|summary\.json)$/, '') : name;
      if (parsePartitionFileName(parquet) && !keep.has(parquet)) fs.rmSync(path.join(dir, name), { force: true });
      else if (name.includes('.tmp')) fs.rmSync(path.join(dir, name), { force: true });
    }
  }

  /** Is this committed file in the cache, whole and checked? */
  has(d: DayKey, f: ManifestFile): boolean {
    const p = localPathOf(this.dir, d, f.name);
    try {
      return fs.statSync(p).size === f.bytes && readChecksumFile(p) === f.sha256;
    } catch {
      return false;
    }
  }

  /** Fetches one committed file unless cached; returns its local path. */
  async fetch(d: DayKey, f: ManifestFile): Promise<{ path: string; fetched: boolean }> {
    const p = localPathOf(this.dir, d, f.name);
    if (this.has(d, f)) {
      const t = new Date();
      fs.utimesSync(p, t, t);
      return { path: p, fetched: false };
    }
    fs.mkdirSync(path.dirname(p), { recursive: true });
    const tmp = path.join(path.dirname(p), `.${f.name}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
    try {
      const got = await downloadTo(this.store, `${this.store.cfg.prefix ? `${this.store.cfg.prefix}/` : ''}${dayDir(d)}/${f.name}`, tmp, f.etag || undefined);
      if (got.sha256 !== f.sha256 || got.bytes !== f.bytes) {
        throw new TicktapeError(
          'TT_PARTITION_DAMAGED',
          `${dayDir(d)}/${f.name} in ${this.store.cfg.url} has SHA-256 ${got.sha256.slice(0, 12)}… (${got.bytes} bytes), its manifest says ${f.sha256.slice(0, 12)}… (${f.bytes} bytes): the object is damaged. Run \`ticktape verify --data ${this.store.cfg.url}\`.`,
          { name: f.name },
        );
      }
      fsyncPath(tmp);
      fs.writeFileSync(checksumPathFor(p), `${f.sha256}  ${f.name}\n`);
      fs.renameSync(tmp, p);
      fsyncPath(path.dirname(p));
      return { path: p, fetched: true };
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }

  /**
   * Brings the days in `filter` up to date: current manifests, retired files removed, every
   * committed file fetched (`fetch: false` only refreshes the manifests). Then the cache is trimmed
   * to its bound, never evicting the files of this sync.
   */
  async sync(filter: DayFilter = {}, opts: { fetch?: boolean } = {}): Promise<SyncResult> {
    const { days, online } = await this.manifests(filter);
    const res: SyncResult = { days, online, fetched: 0, fetchedBytes: 0, missing: 0 };
    for (const m of days) this.pruneDay(m);
    const wanted = days.flatMap((m) => m.files.map((f) => ({ d: m as DayKey, f })));
    const pinned = new Set(wanted.map(({ d, f }) => localPathOf(this.dir, d, f.name)));
    if (opts.fetch !== false) {
      let i = 0;
      await Promise.all(
        Array.from({ length: Math.min(FETCH_CONCURRENCY, wanted.length) }, async () => {
          while (i < wanted.length) {
            const { d, f } = wanted[i++];
            if (!online) {
              if (!this.has(d, f)) res.missing++;
              continue;
            }
            const r = await this.fetch(d, f);
            if (r.fetched) {
              res.fetched++;
              res.fetchedBytes += f.bytes;
            }
          }
        }),
      );
    }
    if (res.missing) this.opts.log?.warn({ missing: res.missing }, `${res.missing} committed file(s) are not cached and the store is unreachable: results cover what is cached only`);
    this.evict(pinned);
    return res;
  }

  /**
   * A folder holding exactly the files of `days` that are cached: hard links under `<cache>/.views/`,
   * so a reader sees one committed snapshot, and an eviction or a later sync by another command
   * never takes a file from under it. `close()` removes the links (not the cached files).
   */
  snapshot(days: readonly Manifest[]): { dir: string; files: number; close(): void } {
    const dir = path.join(this.dir, VIEWS_DIR, `${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`);
    let files = 0;
    for (const m of days) {
      for (const f of m.files) {
        if (!this.has(m, f)) continue;
        const src = localPathOf(this.dir, m, f.name);
        const dst = localPathOf(dir, m, f.name);
        fs.mkdirSync(path.dirname(dst), { recursive: true });
        fs.linkSync(src, dst);
        fs.linkSync(checksumPathFor(src), checksumPathFor(dst));
        files++;
      }
    }
    fs.mkdirSync(dir, { recursive: true });
    return { dir, files, close: () => fs.rmSync(dir, { recursive: true, force: true }) };
  }

  /** Cached bytes (sealed files only). */
  bytes(): number {
    return listPartitionFiles(this.dir).reduce((a, f) => a + f.bytes, 0);
  }

  /** Deletes least recently used files until the cache is within its bound (`pinned` stay). */
  evict(pinned: ReadonlySet<string> = new Set()): { evicted: number; bytes: number } {
    const files = listPartitionFiles(this.dir).map((f) => ({ ...f, mtimeMs: fs.statSync(f.path).mtimeMs }));
    let total = files.reduce((a, f) => a + f.bytes, 0);
    const out = { evicted: 0, bytes: 0 };
    if (total <= this.capBytes) return out;
    files.sort((a, b) => a.mtimeMs - b.mtimeMs);
    for (const f of files) {
      if (total <= this.capBytes) break;
      if (pinned.has(f.path)) continue;
      fs.rmSync(f.path, { force: true });
      fs.rmSync(checksumPathFor(f.path), { force: true });
      total -= f.bytes;
      out.evicted++;
      out.bytes += f.bytes;
    }
    if (total > this.capBytes) this.opts.log?.warn({ cacheBytes: total, capBytes: this.capBytes }, 'the files this command needs exceed --cache-gb; they stay until the next command');
    return out;
  }
}
