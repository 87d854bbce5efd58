/**
 * `--data` for commands that read: a local data folder as it is, or `s3://bucket/prefix` through
 * the read-through cache (read-cache.ts) as a local snapshot folder of the committed files. Every
 * reader then works on a local folder; `close()` releases the snapshot and the client.
 */
import type { Logger } from '../../core/log.js';
import { TicktapeError } from '../../core/errors.js';
import type { Manifest } from './manifest.js';
import { StoreCache, type DayFilter, type SyncResult } from './read-cache.js';
import { openRemoteStore, type RemoteStore } from './s3-client.js';
import { StreamedDays } from './streamed-days.js';
import { resolveStoreConfig, type StoreConfigFile } from './store-config.js';
import { isStoreUrl } from './store-url.js';

interface DataSourceOptions {
  cacheGb?: number;
  /** Cache folder (default: TICKTAPE_CACHE_DIR or ~/.cache/ticktape/<bucket>-<hash>). */
  cacheDir?: string;
  /** The config file's `store` section (endpoint, region, path style); the URL comes from `data`. */
  storeConfig?: Partial<StoreConfigFile>;
  /** Which days to fetch (default all). */
  filter?: DayFilter;
  log?: Logger;
  /** Environment for endpoint, region and credentials (default process.env). */
  env?: Record<string, string | undefined>;
}

export interface DataSource {
  /** A local folder readers can open. */
  dir: string;
  /** Set for an s3:// source. */
  remote?: { store: RemoteStore; cache: StoreCache; sync: SyncResult };
  close(): void;
}

/** A store with nothing committed is TT_NO_DATA; one that cannot be reached with nothing cached, TT_STORE_UNREACHABLE. */
export function checkSomething(store: RemoteStore, sync: { days: { readonly length: number }; online: boolean }): void {
  if (sync.days.length === 0 && sync.online) {
    throw new TicktapeError(
      'TT_NO_DATA',
      `${store.cfg.url} holds no committed ticktape data (no manifest under ${store.cfg.prefix || 'the bucket root'}/_ticktape/): check the bucket and prefix, or ship a store first with \`ticktape upload --data ./data --to ${store.cfg.url}\`.`,
      { url: store.cfg.url },
    );
  }
  if (sync.days.length === 0) {
    throw new TicktapeError('TT_STORE_UNREACHABLE', `${store.cfg.url} cannot be reached and nothing of it is cached: check the endpoint and the network.`, { url: store.cfg.url });
  }
}

export async function openRemoteDataSource(url: string, opts: DataSourceOptions = {}): Promise<DataSource> {
  const store = openRemoteStore(resolveStoreConfig(url, opts.storeConfig, opts.env));
  try {
    const cache = new StoreCache(store, { dir: opts.cacheDir, cacheGb: opts.cacheGb, log: opts.log });
    const sync = await cache.sync(opts.filter ?? {});
    checkSomething(store, sync);
    const snap = cache.snapshot(sync.days);
    return {
      dir: snap.dir,
      remote: { store, cache, sync },
      close: () => {
        snap.close();
        store.close();
      },
    };
  } catch (err) {
    store.close();
    throw err;
  }
}

/** A store's current manifests (in `filter`) and its cache, nothing fetched yet: for readers that fetch as they go. */
export interface BucketManifests {
  store: RemoteStore;
  cache: StoreCache;
  days: Manifest[];
  online: boolean;
  close(): void;
}

export async function openBucketManifests(url: string, opts: DataSourceOptions = {}): Promise<BucketManifests> {
  const store = openRemoteStore(resolveStoreConfig(url, opts.storeConfig, opts.env));
  try {
    const cache = new StoreCache(store, { dir: opts.cacheDir, cacheGb: opts.cacheGb, log: opts.log });
    const sync = await cache.sync(opts.filter ?? {}, { fetch: false });
    checkSomething(store, sync);
    return { store, cache, days: sync.days, online: sync.online, close: () => store.close() };
  } catch (err) {
    store.close();
    throw err;
  }
}

/**
 * The store for a reader that goes through it in time order (a replay): the current manifests are
 * read, and the files download day by day in the background (streamed-days.ts) while the reader
 * reads the days already there. close() stops the downloads and releases the snapshot.
 */
export async function openStreamedDataSource(url: string, opts: DataSourceOptions = {}): Promise<{ days: StreamedDays; close(): void }> {
  const src = await openBucketManifests(url, opts);
  const days = new StreamedDays(src.cache, src.days, src.online, opts.log);
  return {
    days,
    close: () => {
      days.close();
      src.close();
    },
  };
}

export { isStoreUrl };
