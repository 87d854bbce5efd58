/**
 * Opens a `data` argument for reading, for the CLI and the library alike: a local folder, or
 * `s3://bucket/prefix` read through the local cache (store/remote). `cacheGb` bounds the cache;
 * `config` names a file whose `store` section gives the endpoint and region when the AWS_*
 * environment does not; the library's `remote` options (store/open-data.ts) go over that section.
 */
import fs from 'node:fs';
import YAML from 'yaml';
import { TicktapeError } from '../core/errors.js';
import { createLogger, type Logger } from '../core/log.js';
import { openRemoteDataSource, type DataSource } from './remote/data-source.js';
import type { DayFilter } from './remote/read-cache.js';
import { storeConfigSchema, type StoreConfigFile } from './remote/store-config.js';
import { isStoreUrl } from './remote/store-url.js';
import { DEFAULT_DATA_DIR, existingDataFolder, type RemoteDataOptions } from './open-data.js';

/** The `store` section of a config file (validated; other sections are the recorder's business). */
export function storeSectionOf(file: string | undefined): Partial<StoreConfigFile> | undefined {
  if (!file) return undefined;
  let doc: unknown;
  try {
    const text = fs.readFileSync(file, 'utf8');
    doc = file.endsWith('.json') ? JSON.parse(text) : YAML.parse(text);
  } catch (err) {
    throw new TicktapeError('TT_CONFIG_UNREADABLE', `Config file ${file} cannot be read: ${(err as Error).message}`, { file });
  }
  const store = (doc as { store?: unknown } | null)?.store;
  if (store === undefined) return undefined;
  const r = storeConfigSchema.partial().safeParse(store);
  if (!r.success) throw new TicktapeError('TT_CONFIG_INVALID', `Invalid store section in ${file}: ${r.error.issues.map((i) => `store.${i.path.join('.')}: ${i.message}`).join('; ')}`, { file });
  return r.data;
}

/** `--cache-gb` and `--config` as the options of openTapeStore (api/store.ts); the config file is read for an s3:// `--data` only. */
export function storeArgsOf(o: { data: string; cacheGb?: number; config?: string }): { remote: RemoteDataOptions; storeConfig?: Partial<StoreConfigFile>; log?: Logger } {
  if (!isStoreUrl(o.data)) return { remote: {} };
  return { remote: { cacheGb: o.cacheGb }, storeConfig: storeSectionOf(o.config), log: createLogger('store') };
}

type DataArg = { data?: unknown; cacheGb?: unknown; config?: unknown; remote?: RemoteDataOptions };

/** Opens `--data` for reading; close() when done. */
export async function openDataArg(o: DataArg, filter?: DayFilter): Promise<DataSource> {
  const data = String(o.data ?? DEFAULT_DATA_DIR);
  if (!isStoreUrl(data)) return { dir: existingDataFolder(data), close: () => {} };
  return openRemoteDataSource(data, { ...bucketArgsOf(o), filter });
}

/** How an s3:// `--data` is reached and cached: `--cache-gb`, the config file's store section, the library's `remote` options over it. */
export function bucketArgsOf(o: DataArg): { cacheDir?: string; cacheGb?: number; storeConfig: Partial<StoreConfigFile>; log: Logger } {
  const { cacheDir, cacheGb, ...reach } = o.remote ?? {};
  const storeConfig = { ...storeSectionOf(o.config as string | undefined), ...definedOnly(reach) };
  return { cacheDir, cacheGb: (o.cacheGb as number | undefined) ?? cacheGb, storeConfig, log: createLogger('store') };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
