/**
 * An s3:// store as the library's Store holds it (api/store.ts): one client and one cache folder
 * for the Store's life. Opening lists the manifests only (TT_NO_DATA when there are none, as for a
 * missing folder); the snapshot SQL and ls read is synced into the cache at the first read, so
 * verify() reports a damaged object that a sync would refuse; a compaction drops the snapshot and
 * the next read syncs again.
 */
import { TicktapeError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { compactBucket, type BucketCompactResult } from './compact-remote.js';
import { checkSomething } from './data-source.js';
import { listManifestDays } from './manifest.js';
import { StoreCache } from './read-cache.js';
import { openRemoteStore, type RemoteStore } from './s3-client.js';
import { resolveStoreConfig, type StoreConfigFile } from './store-config.js';
import { summarizeInstances, verifyBucket, type BucketVerifyReport, type InstanceSummary } from './verify-remote.js';

interface BucketReach {
  /** Endpoint, region and path style (the URL comes from the location). */
  storeConfig?: Partial<StoreConfigFile>;
  cacheDir?: string;
  cacheGb?: number;
  log?: Logger;
  env?: Record<string, string | undefined>;
}

interface BucketCompactOptions {
  /** Only days before this date (YYYY-MM-DD). */
  beforeDate?: string;
  instance?: string;
  zstdLevel?: number;
  log?: Logger;
}

export class BucketStore {
  private snapshot: Promise<{ dir: string; instances: InstanceSummary[]; close(): void }> | null = null;

  private constructor(
    private readonly store: RemoteStore,
    private readonly cache: StoreCache,
    private readonly reach: BucketReach,
  ) {}

  /** Opens `url`: the store is reached (or its cached manifests used offline) and must hold data. */
  static async open(url: string, reach: BucketReach = {}): Promise<BucketStore> {
    const store = openRemoteStore(resolveStoreConfig(url, reach.storeConfig, reach.env));
    try {
      const cache = new StoreCache(store, { dir: reach.cacheDir, cacheGb: reach.cacheGb, log: reach.log });
      let days: number;
      let online = true;
      try {
        days = (await listManifestDays(store)).length;
      } catch (err) {
        if ((err as TicktapeError).code !== 'TT_STORE_UNREACHABLE') throw err;
        online = false;
        days = cache.cachedManifests().length;
      }
      checkSomething(store, { days: { length: days }, online });
      return new BucketStore(store, cache, reach);
    } catch (err) {
      store.close();
      throw err;
    }
  }

  /** The store, as s3://bucket/prefix. */
  get url(): string {
    return this.store.cfg.url;
  }

  /** The cache folder: the bucket's committed files as far as fetched, in a data folder's layout. */
  get cacheDir(): string {
    return this.cache.dir;
  }

  /** The folder SQL reads: a snapshot of the committed files, synced into the cache at the first call. */
  async folder(): Promise<string> {
    return (await this.synced()).dir;
  }

  /** The recorder instances with files in the snapshot (their files, bytes and days). */
  async instances(): Promise<InstanceSummary[]> {
    return (await this.synced()).instances;
  }

  private synced(): Promise<{ dir: string; instances: InstanceSummary[]; close(): void }> {
    this.snapshot ??= this.cache.sync().then((sync) => ({ ...this.cache.snapshot(sync.days), instances: summarizeInstances(sync.days) }));
    return this.snapshot;
  }

  /** Lets the snapshot go (the next read syncs again); the caller has closed what read it. */
  async dropSnapshot(): Promise<void> {
    const s = this.snapshot;
    this.snapshot = null;
    if (s) (await s.catch(() => null))?.close();
  }

  verify(): Promise<BucketVerifyReport> {
    return verifyBucket(this.store, this.cache);
  }

  /** One day file per table, exchange, day and instance, in the bucket (compact-remote.ts). */
  compact(opts: BucketCompactOptions): Promise<BucketCompactResult[]> {
    return compactBucket(this.store, { ...opts, cacheDir: this.cache.dir, cacheGb: this.reach.cacheGb, log: opts.log ?? this.reach.log });
  }

  close(): void {
    void this.dropSnapshot().finally(() => this.store.close());
  }
}
