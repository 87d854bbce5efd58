/**
 * `s3://bucket/prefix` URLs: the one way a remote store is named (`--data`, `--to`, `store.url`).
 * Pure parsing; the prefix is normalized to no leading or trailing slash ('' for the bucket root).
 */
import { TicktapeError } from '../../core/errors.js';

const STORE_URL_SCHEME = 's3://';

export interface StoreLocation {
  bucket: string;
  /** Key prefix without leading or trailing slash; '' for the bucket root. */
  prefix: string;
}

/** S3's own bucket naming rule (3-63 characters, lower case, digits, dots and hyphens). */
const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function isStoreUrl(value: string | undefined): value is string {
  return typeof value === 'string' && value.toLowerCase().startsWith(STORE_URL_SCHEME);
}

export function parseStoreUrl(url: string, field = '--data'): StoreLocation {
  if (!isStoreUrl(url)) throw new TicktapeError('TT_CONFIG_INVALID', `${field}: ${JSON.stringify(url)} is not an s3://bucket/prefix URL.`, { field });
  const rest = url.slice(STORE_URL_SCHEME.length);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const prefix = (slash < 0 ? '' : rest.slice(slash + 1)).replace(/^\/+|\/+$/g, '');
  if (!BUCKET_RE.test(bucket)) {
    throw new TicktapeError('TT_CONFIG_INVALID', `${field}: "${bucket}" is not a bucket name (3-63 characters of a-z, 0-9, "." and "-"); write s3://bucket/prefix.`, { field });
  }
  if (prefix.split('/').some((p) => p === '..' || p === '.') || /[\0\\]/.test(prefix) || prefix.includes('//')) {
    throw new TicktapeError('TT_CONFIG_INVALID', `${field}: the prefix "${prefix}" has an empty, "." or ".." part; write s3://bucket/some/prefix.`, { field });
  }
  return { bucket, prefix };
}

export function formatStoreUrl(loc: StoreLocation): string {
  return `${STORE_URL_SCHEME}${loc.bucket}${loc.prefix ? `/${loc.prefix}` : ''}`;
}

/** The object key of a path relative to the store root (forward slashes; a trailing slash is kept, for listing). */
export function objectKey(loc: StoreLocation, relPath: string): string {
  const rel =
    relPath
      .split(/[\\/]+/)
      .filter(Boolean)
      .join('/') + (/[\\/]$/.test(relPath) ? '/' : '');
  return loc.prefix ? `${loc.prefix}/${rel}` : rel;
}

/** The path relative to the store root of an object key under the prefix, or null for a key outside it. */
export function relativeKey(loc: StoreLocation, key: string): string | null {
  if (!loc.prefix) return key;
  return key.startsWith(`${loc.prefix}/`) ? key.slice(loc.prefix.length + 1) : null;
}
