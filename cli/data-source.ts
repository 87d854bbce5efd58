/**
 * `--data` of the commands that read: a local folder, or `s3://bucket/prefix` read through the
 * local cache (store/remote). `--cache-gb` bounds the cache; `--config FILE` names the endpoint and
 * region (its `store` section) when the AWS_* environment does not.
 */
import fs from 'node:fs';
import YAML from 'yaml';
import { InvalidArgumentError, type Command } from 'commander';
import { TicktapeError } from '../core/errors.js';
import { createLogger } from '../core/log.js';
import { openRemoteDataSource, type DataSource } from '../store/remote/data-source.js';
import { DEFAULT_CACHE_GB, type DayFilter } from '../store/remote/read-cache.js';
import { storeConfigSchema, type StoreConfigFile } from '../store/remote/store-config.js';
import { isStoreUrl } from '../store/remote/store-url.js';
import { DEFAULT_DATA_DIR, existingDataFolder as existingDataDir } from '../store/open-data.js';

export const DATA_HELP = 'data folder, or s3://bucket/prefix (read through the local cache)';

/** Adds --cache-gb and --config to a command whose --data may be s3://. */
export function addStoreOptions(cmd: Command): Command {
  return cmd
    .option('--cache-gb <n>', `with --data s3://…: bound of the local cache, GB (default ${DEFAULT_CACHE_GB}; least recently used files go first)`, (v: string) => {
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('--cache-gb must be a number of GB above 0');
      return n;
    })
    .option('--config <file>', 'with s3://: a config file whose `store` section gives endpoint, region and forcePathStyle');
}

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

/** Opens `--data` for reading; close() when done. */
export async function openDataArg(o: { data?: unknown; cacheGb?: unknown; config?: unknown }, filter?: DayFilter): Promise<DataSource> {
  const data = String(o.data ?? DEFAULT_DATA_DIR);
  if (!isStoreUrl(data)) return { dir: existingDataDir(data), close: () => {} };
  const log = createLogger('store');
  return openRemoteDataSource(data, { cacheGb: o.cacheGb as number | undefined, storeConfig: storeSectionOf(o.config as string | undefined), filter, log });
}
