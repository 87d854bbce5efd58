/**
 * Where a `data` argument points, resolved in one place. Every library function that takes `data`
 * goes through `openData`: a folder path or a `file:` URL as it is, an `s3://bucket/prefix` store
 * through the local read-through cache (store/remote/data-source.ts) as a snapshot folder of its
 * committed files. A location is opaque until then.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TicktapeError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { dayBoundsNs } from './partitions.js';
import { openRemoteDataSource, openStreamedDataSource } from './remote/data-source.js';
import type { DayFilter } from './remote/read-cache.js';
import type { StoreConfigFile } from './remote/store-config.js';
import { isStoreUrl } from './remote/store-url.js';

/** A data folder path, a `file:` URL, or an `s3://bucket/prefix` store. */
export type DataLocation = string | URL;

/**
 * How an `s3://` location is reached and cached. Endpoint, region and path style default to the
 * AWS_* environment (AWS_ENDPOINT_URL, AWS_REGION); credentials come only from the environment or
 * the SDK's own chain.
 */
export interface RemoteDataOptions {
  /** S3-compatible endpoint (MinIO, R2, Ceph, …). */
  endpoint?: string;
  region?: string;
  /** Bucket in the path rather than the host name (default true with an endpoint). */
  forcePathStyle?: boolean;
  /** Cache folder (default TICKTAPE_CACHE_DIR, else ~/.cache/ticktape/<bucket>-<hash>). */
  cacheDir?: string;
  /** Bound of the cache, GB (default 20; least recently used files go first). */
  cacheGb?: number;
}

interface OpenDataOptions {
  remote?: RemoteDataOptions;
  /** Which days of an s3:// store to fetch (default all). */
  filter?: DayFilter;
  log?: Logger;
  env?: Record<string, string | undefined>;
}

/** The folder readers open, and what to release when done. */
interface OpenedData {
  /** A local folder the readers and DuckDB open. */
  dir: string;
  /** The location as the caller gave it (for messages). */
  location: string;
  close(): void;
}

/** The folder `ticktape record` writes into when no --data is given. */
export const DEFAULT_DATA_DIR = './data';

function localPath(data: DataLocation): string {
  if (data instanceof URL) {
    if (data.protocol !== 'file:') throw unsupported(data.href);
    return fileURLToPath(data);
  }
  if (/^file:/i.test(data)) return fileURLToPath(data);
  if (/^[a-z][a-z0-9+.-]+:\/\//i.test(data)) throw unsupported(data);
  return path.resolve(data);
}

function unsupported(location: string): TicktapeError {
  return new TicktapeError('TT_CONFIG_INVALID', `Cannot read data from ${location}: give a data folder path, a file: URL, or s3://bucket/prefix.`, { data: location });
}

/**
 * Opens a location for reading: it must exist and be a folder, or a mistyped path would read as an
 * empty recording without a word (TT_NO_DATA, exit 4, with what to do).
 */
export async function openData(data: DataLocation = DEFAULT_DATA_DIR, opts: OpenDataOptions = {}): Promise<OpenedData> {
  const url = storeUrlOf(data);
  if (url) {
    const src = await openRemoteDataSource(url, remoteSourceOptions(opts));
    return { dir: src.dir, location: url, close: () => src.close() };
  }
  const dir = existingDataFolder(data);
  return { dir, location: String(data), close: () => undefined };
}

function storeUrlOf(data: DataLocation): string | null {
  const s = data instanceof URL ? data.href : data;
  return data instanceof URL && data.protocol !== 's3:' ? null : isStoreUrl(s) ? s : null;
}

function remoteSourceOptions(opts: OpenDataOptions) {
  const r = opts.remote ?? {};
  const storeConfig: Partial<StoreConfigFile> = {};
  if (r.endpoint !== undefined) storeConfig.endpoint = r.endpoint;
  if (r.region !== undefined) storeConfig.region = r.region;
  if (r.forcePathStyle !== undefined) storeConfig.forcePathStyle = r.forcePathStyle;
  return { cacheDir: r.cacheDir, cacheGb: r.cacheGb, storeConfig, filter: opts.filter, log: opts.log, env: opts.env };
}

/** A stretch of a location to read: a local folder, and the recv_ns bounds its files are read within. */
export interface DataSpan {
  dir: string;
  /** Inclusive. */
  fromNs?: bigint;
  /** Exclusive. */
  toNs?: bigint;
}

/**
 * Opens a location for a reader that goes through it in time order (a replay): one span for a
 * local folder; for an `s3://` store one span per UTC day, each yielded once its files are in the
 * cache while the next days download (store/remote/streamed-days.ts), and let go when the next is
 * asked for. Reading the spans one after the other gives the records in the order one read of the
 * whole location gives. A file that cannot be fetched is a TicktapeError at its day.
 */
export async function openDataSpans(data: DataLocation = DEFAULT_DATA_DIR, opts: OpenDataOptions & { fromNs?: bigint; toNs?: bigint } = {}): Promise<{ location: string; spans: AsyncIterable<DataSpan>; close(): void }> {
  const url = storeUrlOf(data);
  const { fromNs, toNs } = opts;
  if (!url) {
    const dir = existingDataFolder(data);
    return {
      location: String(data),
      spans: (async function* () {
        yield { dir, fromNs, toNs };
      })(),
      close: () => undefined,
    };
  }
  const src = await openStreamedDataSource(url, remoteSourceOptions(opts));
  const { days } = src;
  return {
    location: url,
    spans: (async function* () {
      for (const date of days.dates) {
        const { startNs, endNs } = dayBoundsNs(date);
        if ((toNs !== undefined && startNs >= toNs) || (fromNs !== undefined && endNs <= fromNs)) continue;
        await days.ready(date);
        try {
          yield { dir: days.dir, fromNs: fromNs !== undefined && fromNs > startNs ? fromNs : startNs, toNs: toNs !== undefined && toNs < endNs ? toNs : endNs };
        } finally {
          days.release(date);
        }
      }
    })(),
    close: () => src.close(),
  };
}

/** The local folder of a location that must already exist (see openData). */
export function existingDataFolder(data: DataLocation = DEFAULT_DATA_DIR): string {
  const p = localPath(data);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(p);
  } catch {
    throw new TicktapeError('TT_NO_DATA', `No data folder at ${p}: point --data at the folder \`ticktape record\` writes into (default ${DEFAULT_DATA_DIR}), or record first.`, { dataDir: p });
  }
  if (!stat.isDirectory()) throw new TicktapeError('TT_DATA_DIR', `${p} is a file, not a data folder: point --data at the folder \`ticktape record\` writes into.`, { dataDir: p });
  return p;
}

/** The local folder a writer (the recorder) writes into; created by the writer when missing. */
export function writableDataFolder(data: DataLocation = DEFAULT_DATA_DIR): string {
  return localPath(data);
}

/** The days (UTC) of an s3:// store a time range needs: only those are fetched. */
export function daysOfRange(fromNs?: bigint | null, toNs?: bigint | null): DayFilter {
  const day = (ns: bigint) => new Date(Number(ns / 1_000_000n)).toISOString().slice(0, 10);
  return { fromDate: fromNs == null ? undefined : day(fromNs), toDate: toNs == null ? undefined : day(toNs) };
}
