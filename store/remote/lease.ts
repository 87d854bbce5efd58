/**
 * At most one compactor per day: a small lease object (`_ticktape/leases/<table>/exchange=…/date=….json`)
 * created with `If-None-Match: *`. It expires: a compactor killed while holding it only delays the
 * next one until `expiresAtMs`, which then takes it over with `If-Match` on the stale lease's ETag
 * (two takers cannot both win). A holder renews it between steps the same way.
 *
 * The lease saves work; it is not what keeps data safe. Every change is a conditional manifest
 * commit (manifest.ts) and nothing is deleted unless a committed file holds its rows, so even two
 * compactors that both believe they hold the lease never lose or duplicate a row.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { leaseRelPath, type DayKey } from './layout.js';
import { deleteObject, getText, putConditional, type RemoteStore } from './s3-client.js';
import { objectKey } from './store-url.js';

/** How long a lease lasts without renewal. */
export const LEASE_TTL_MS = 10 * 60_000;

interface LeaseBody {
  owner: string;
  host: string;
  pid: number;
  expiresAtMs: number;
}

interface Lease {
  owner: string;
  /** Extends the lease; false when it was lost (expired and taken over). */
  renew(): Promise<boolean>;
  release(): Promise<void>;
}

function newLeaseOwner(): string {
  return `${os.hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
}

export async function acquireLease(store: RemoteStore, day: DayKey, opts: { owner?: string; ttlMs?: number; now?: () => number } = {}): Promise<Lease | null> {
  const key = objectKey(store.cfg, leaseRelPath(day));
  const owner = opts.owner ?? newLeaseOwner();
  const ttl = opts.ttlMs ?? LEASE_TTL_MS;
  const now = opts.now ?? Date.now;
  const body = (): string => JSON.stringify({ owner, host: os.hostname(), pid: process.pid, expiresAtMs: now() + ttl } satisfies LeaseBody);
  let etag = await putConditional(store, key, body(), { ifNoneMatch: true });
  if (etag === false) {
    const cur = await getText(store, key);
    if (cur === null) {
      etag = await putConditional(store, key, body(), { ifNoneMatch: true });
    } else {
      let held: LeaseBody | null = null;
      try {
        held = JSON.parse(cur.text) as LeaseBody;
      } catch {
        /* unreadable: treated as expired */
      }
      if (held && held.expiresAtMs > now()) return null;
      etag = await putConditional(store, key, body(), { ifMatch: cur.etag });
    }
    if (etag === false) return null;
  }
  let current = etag;
  return {
    owner,
    async renew() {
      const next = await putConditional(store, key, body(), { ifMatch: current });
      if (next === false) return false;
      current = next;
      return true;
    },
    async release() {
      const cur = await getText(store, key);
      if (!cur || cur.etag !== current) return;
      await deleteObject(store, key);
    },
  };
}
