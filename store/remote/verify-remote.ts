/**
 * `Store.verify()` of an s3:// store (`ticktape verify --data s3://…`): every committed object is
 * read from the bucket and its SHA-256 checked against the manifest — fetched into the cache when
 * it is not there, read through and hashed when it is (a cached copy says nothing of the bucket) —
 * then the cached files are checked like a local store (verify-store.ts: metadata, rows,
 * per-connection sequence ranges, content checksum). Objects no manifest lists are noted (an
 * upload in flight or interrupted; a retired compaction input waiting for its grace period).
 */
import path from 'node:path';
import { TicktapeError } from '../../core/errors.js';
import { TABLE_NAMES } from '../../schemas/tables.js';
import { parsePartitionFileName } from '../partitions.js';
import { verifyStore, type Finding, type VerifyReport } from '../seal/verify-store.js';
import { dayDir } from './layout.js';
import type { Manifest } from './manifest.js';
import type { StoreCache } from './read-cache.js';
import { listObjects, sha256OfObject, type RemoteStore } from './s3-client.js';
import { objectKey, relativeKey } from './store-url.js';

/** One recorder instance that wrote into a bucket, from its manifests. */
export interface InstanceSummary {
  instance: string;
  files: number;
  bytes: number;
  firstDate: string;
  lastDate: string;
}

/** What verifying an s3:// store found: a VerifyReport of its committed files, its URL, the instances in it. */
export interface BucketVerifyReport extends VerifyReport {
  /** The store, as s3://bucket/prefix. */
  url: string;
  /** Every recorder instance with committed files, with its day range. */
  instances: InstanceSummary[];
}

export function summarizeInstances(days: readonly { date: string; files: readonly { instance: string; bytes: number }[] }[]): InstanceSummary[] {
  const by = new Map<string, InstanceSummary>();
  for (const d of days) {
    for (const f of d.files) {
      const s = by.get(f.instance) ?? { instance: f.instance, files: 0, bytes: 0, firstDate: d.date, lastDate: d.date };
      s.files++;
      s.bytes += f.bytes;
      if (d.date < s.firstDate) s.firstDate = d.date;
      if (d.date > s.lastDate) s.lastDate = d.date;
      by.set(f.instance, s);
    }
  }
  return [...by.values()].sort((a, b) => (a.instance < b.instance ? -1 : 1));
}

/** The bucket objects of `days` checked against their manifests, into findings (the cache filled on the way). */
async function objectFindings(store: RemoteStore, cache: StoreCache, days: readonly Manifest[]): Promise<Finding[]> {
  const out: Finding[] = [];
  const objects = await listObjects(store, store.cfg.prefix ? `${store.cfg.prefix}/` : '');
  const present = new Map(objects.map((o) => [relativeKey(store.cfg, o.key) ?? o.key, o]));
  const committed = new Set<string>();
  const retired = new Set<string>();
  for (const m of days) {
    for (const f of m.files) {
      const rel = `${dayDir(m)}/${f.name}`;
      const where = `${store.cfg.url}/${rel}`;
      committed.add(rel);
      const o = present.get(rel);
      if (!o) {
        out.push({ severity: 'damage', path: where, message: 'committed in its manifest but missing from the bucket' });
        continue;
      }
      if (o.bytes !== f.bytes) out.push({ severity: 'damage', path: where, message: `${o.bytes} bytes in the bucket, the manifest says ${f.bytes}` });
      try {
        if (!cache.has(m, f)) await cache.fetch(m, f);
        else {
          const got = await sha256OfObject(store, objectKey(store.cfg, rel));
          if (got.sha256 !== f.sha256) out.push({ severity: 'damage', path: where, message: `SHA-256 ${got.sha256.slice(0, 12)}… in the bucket, the manifest says ${f.sha256.slice(0, 12)}…: the object is damaged` });
        }
      } catch (err) {
        out.push({ severity: 'damage', path: where, message: (err as Error).message });
      }
    }
    for (const r of m.retired) retired.add(`${dayDir(m)}/${r.name}`);
  }
  for (const rel of present.keys()) {
    const base = path.posix.basename(rel);
    if (!TABLE_NAMES.some((t) => rel.startsWith(`${t}/`)) || !parsePartitionFileName(base) || committed.has(rel)) continue;
    out.push({
      severity: 'notice',
      path: `${store.cfg.url}/${rel}`,
      message: retired.has(rel) ? 'retired by a compaction: invisible to readers, deleted after the grace period' : 'in no manifest (an upload in flight or interrupted): invisible to readers; the next upload commits or replaces nothing',
    });
  }
  return out;
}

/** Verifies the bucket `store` through `cache`; the caller owns both. TT_STORE_UNREACHABLE offline (verify checks the bucket itself). */
export async function verifyBucket(store: RemoteStore, cache: StoreCache): Promise<BucketVerifyReport> {
  const { days, online } = await cache.manifests();
  if (!online) throw new TicktapeError('TT_STORE_UNREACHABLE', `${store.cfg.url} cannot be reached: verify checks the bucket itself, so it needs the store.`, { url: store.cfg.url });
  const pre = await objectFindings(store, cache, days);
  const snap = cache.snapshot(days);
  let local: VerifyReport;
  try {
    local = await verifyStore(snap.dir);
  } finally {
    snap.close();
  }
  const findings = [...pre, ...local.findings.map((f) => ({ ...f, path: f.path.startsWith(snap.dir) ? `${store.cfg.url}/${path.relative(snap.dir, f.path).split(path.sep).join('/')}` : f.path }))];
  return { ...local, url: store.cfg.url, findings, damaged: findings.some((f) => f.severity === 'damage'), instances: summarizeInstances(days) };
}
