/**
 * `verify --data s3://…`: every committed file is fetched through the cache (its SHA-256 checked
 * against the manifest on the way) and then checked like a local store (verify-store.ts: metadata,
 * rows, per-connection sequence ranges, content checksum). Objects no manifest lists are noted
 * (an upload in flight or interrupted; a retired compaction input waiting for its grace period).
 */
import path from 'node:path';
import { TicktapeError } from '../../core/errors.js';
import { TABLE_NAMES } from '../../schemas/tables.js';
import { parsePartitionFileName } from '../partitions.js';
import { verifyStore, type VerifyReport } from '../seal/verify-store.js';
import { dayDir } from './layout.js';
import { StoreCache } from './read-cache.js';
import { listObjects, openRemoteStore } from './s3-client.js';
import { resolveStoreConfig, type StoreConfigFile } from './store-config.js';
import { relativeKey } from './store-url.js';

interface InstanceSummary {
  instance: string;
  files: number;
  bytes: number;
  firstDate: string;
  lastDate: string;
}

export interface RemoteVerifyReport extends VerifyReport {
  url: string;
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

export async function verifyRemoteStore(url: string, opts: { cacheGb?: number; cacheDir?: string; storeConfig?: Partial<StoreConfigFile> } = {}): Promise<RemoteVerifyReport> {
  const store = openRemoteStore(resolveStoreConfig(url, opts.storeConfig));
  try {
    const cache = new StoreCache(store, { dir: opts.cacheDir, cacheGb: opts.cacheGb });
    const { days, online } = await cache.manifests();
    if (!online) throw new TicktapeError('TT_STORE_UNREACHABLE', `${store.cfg.url} cannot be reached: verify checks the bucket itself, so it needs the store.`, { url });
    const pre: VerifyReport['findings'] = [];
    const objects = await listObjects(store, store.cfg.prefix ? `${store.cfg.prefix}/` : '');
    const present = new Map(objects.map((o) => [relativeKey(store.cfg, o.key) ?? o.key, o]));
    const committed = new Set<string>();
    const retired = new Set<string>();
    for (const m of days) {
      for (const f of m.files) {
        const rel = `${dayDir(m)}/${f.name}`;
        committed.add(rel);
        const o = present.get(rel);
        if (!o) {
          pre.push({ severity: 'damage', path: `${store.cfg.url}/${rel}`, message: 'committed in its manifest but missing from the bucket' });
          continue;
        }
        if (o.bytes !== f.bytes) pre.push({ severity: 'damage', path: `${store.cfg.url}/${rel}`, message: `${o.bytes} bytes in the bucket, the manifest says ${f.bytes}` });
        try {
          await cache.fetch(m, f);
        } catch (err) {
          pre.push({ severity: 'damage', path: `${store.cfg.url}/${rel}`, message: (err as Error).message });
        }
      }
      for (const r of m.retired) retired.add(`${dayDir(m)}/${r.name}`);
    }
    for (const rel of present.keys()) {
      const base = path.posix.basename(rel);
      if (!TABLE_NAMES.some((t) => rel.startsWith(`${t}/`)) || !parsePartitionFileName(base) || committed.has(rel)) continue;
      pre.push({
        severity: 'notice',
        path: `${store.cfg.url}/${rel}`,
        message: retired.has(rel) ? 'retired by a compaction: invisible to readers, deleted after the grace period' : 'in no manifest (an upload in flight or interrupted): invisible to readers; the next upload commits or replaces nothing',
      });
    }
    const snap = cache.snapshot(days);
    let local: VerifyReport;
    try {
      local = await verifyStore(snap.dir);
    } finally {
      snap.close();
    }
    const findings = [...pre, ...local.findings.map((f) => ({ ...f, path: f.path.startsWith(snap.dir) ? `${store.cfg.url}/${path.relative(snap.dir, f.path).split(path.sep).join('/')}` : f.path }))];
    return { ...local, url: store.cfg.url, findings, damaged: findings.some((f) => f.severity === 'damage'), instances: summarizeInstances(days) };
  } finally {
    store.close();
  }
}
