/**
 * Where a remote store is and how to sign in: the config file's `store` section
 * (`{ url, endpoint, region, forcePathStyle, keepLocalDays }`) over the usual AWS environment
 * variables. Credentials come only from the environment (`AWS_ACCESS_KEY_ID`,
 * `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`) or the SDK's own chain (profiles, instance roles);
 * the config file names no secret, and `describeStore` is the only form of a store that is logged.
 */
import { z } from 'zod';
import { TicktapeError } from '../../core/errors.js';
import { formatStoreUrl, parseStoreUrl, type StoreLocation } from './store-url.js';

/** Days a verified upload stays on the local disk too (the journal plus about a day). */
const DEFAULT_KEEP_LOCAL_DAYS = 1;
/** Region used when neither the config nor AWS_REGION / AWS_DEFAULT_REGION names one. */
const DEFAULT_REGION = 'us-east-1';

export const storeConfigSchema = z
  .object({
    /** s3://bucket/prefix where sealed partitions are shipped. */
    url: z.string().regex(/^s3:\/\/[^/]+(\/.*)?$/, 'write s3://bucket/prefix'),
    /** S3-compatible endpoint (MinIO, R2, B2, Ceph); default AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, or AWS itself. */
    endpoint: z.string().url().optional(),
    region: z.string().min(1).optional(),
    /** Path-style addressing (bucket in the path); default true when an endpoint is given. */
    forcePathStyle: z.boolean().optional(),
    /** Days a verified upload is kept on the local disk as well (default 1). */
    keepLocalDays: z.number().nonnegative().optional(),
  })
  .strict();

export type StoreConfigFile = z.infer<typeof storeConfigSchema>;

export interface RemoteStoreConfig extends StoreLocation {
  url: string;
  endpoint?: string;
  region: string;
  forcePathStyle: boolean;
  keepLocalDays: number;
  /** Only from the environment; never logged (see describeStore). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

type Env = Record<string, string | undefined>;

/**
 * The store a command or the recorder talks to. `url` wins over `file.url` (a `--data s3://…` or
 * `--to s3://…` flag over the config file); endpoint, region and path style come from the file,
 * then the environment.
 */
export function resolveStoreConfig(url: string | undefined, file: Partial<StoreConfigFile> | undefined = {}, env: Env = process.env, field = '--data'): RemoteStoreConfig {
  const u = url ?? file?.url;
  if (!u) throw new TicktapeError('TT_CONFIG_INVALID', `${field}: no store URL; give s3://bucket/prefix.`, { field });
  const loc = parseStoreUrl(u, url ? field : 'store.url');
  const endpoint = file?.endpoint ?? env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL ?? undefined;
  if (endpoint !== undefined && !/^https?:\/\/[^/]+/.test(endpoint)) {
    throw new TicktapeError('TT_CONFIG_INVALID', `store.endpoint: ${JSON.stringify(endpoint)} is not an http(s):// URL.`, { field: 'store.endpoint' });
  }
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if ((accessKeyId && !secretAccessKey) || (!accessKeyId && secretAccessKey)) {
    throw new TicktapeError('TT_CREDENTIALS_MISSING', "Set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or neither, to use the SDK's profiles and roles).", { field: 'AWS_ACCESS_KEY_ID' });
  }
  return {
    ...loc,
    url: formatStoreUrl(loc),
    endpoint,
    region: file?.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? DEFAULT_REGION,
    forcePathStyle: file?.forcePathStyle ?? endpoint !== undefined,
    keepLocalDays: file?.keepLocalDays ?? DEFAULT_KEEP_LOCAL_DAYS,
    credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) } : undefined,
  };
}

/** The store as it may appear in logs, /health and errors: URL, endpoint, region; no credential. */
export function describeStore(cfg: RemoteStoreConfig): { url: string; endpoint: string | null; region: string } {
  return { url: cfg.url, endpoint: cfg.endpoint ?? null, region: cfg.region };
}
