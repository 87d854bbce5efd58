/**
 * Compaction in the bucket (moto): one day file per table, exchange, day and instance; readers see
 * the same records before, during and after; inputs are deleted only after the commit and the grace
 * period; a crash at every step and two compactors at once never lose or duplicate a record.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { skipWithout } from '../../helpers/system-tools.js';
import { startMoto, type Moto } from '../../helpers/moto.js';
import { compactBucket } from '../../../store/remote/compact-remote.js';
import { acquireLease } from '../../../store/remote/lease.js';
import { listManifestDays, readManifest } from '../../../store/remote/manifest.js';
import { StoreCache } from '../../../store/remote/read-cache.js';
import { headObject, type RemoteStore } from '../../../store/remote/s3-client.js';
import type { RemoteCrashPoint } from '../../../store/remote/remote-crash.js';
import { uploadStore } from '../../../store/remote/uploader.js';
import { recordLines, rmAll, sealedStore, tmpDataDir } from './fixtures.js';

const skip = skipWithout('moto', 'S3 compaction tests');
let moto: Moto;
const dirs: string[] = [];
let n = 0;

beforeAll(async () => {
  if (!skip) moto = await startMoto();
});
afterAll(async () => {
  await moto?.stop();
});
afterEach(() => rmAll(dirs));

async function readBack(store: RemoteStore): Promise<string[]> {
  const cacheDir = tmpDataDir('cache');
  dirs.push(cacheDir);
  const cache = new StoreCache(store, { dir: cacheDir });
  const snap = cache.snapshot((await cache.sync()).days);
  try {
    return (await recordLines(snap.dir)).sort();
  } finally {
    snap.close();
  }
}

/** A bucket with two recorders' stores (three segments each), and the sorted record lines they hold. */
async function twoRecorders(): Promise<{ store: RemoteStore; expected: string[] }> {
  const store = await moto.store(`s3://tt-compact-${++n}-${process.pid}/p`);
  const expected: string[] = [];
  for (const inst of ['rec-a', 'rec-b']) {
    const data = await sealedStore(`cmp-${inst}`, inst, 3, 120);
    dirs.push(data);
    expect((await uploadStore(data, store)).failures).toEqual([]);
    expected.push(...(await recordLines(data)));
  }
  return { store, expected: expected.sort() };
}

async function filesPerInstance(store: RemoteStore): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const d of await listManifestDays(store, { table: 'raw' })) {
    for (const f of (await readManifest(store, d)).manifest.files) out.set(`${d.exchange}/${d.date}/${f.instance}`, (out.get(`${d.exchange}/${d.date}/${f.instance}`) ?? 0) + 1);
  }
  return out;
}

describe.skipIf(skip)('compaction in the bucket', () => {
  it("merges each instance's day into one file, keeps the inputs through the grace period, then deletes them", async () => {
    const { store, expected } = await twoRecorders();
    const t = Date.now();
    const cacheDir = tmpDataDir('cmp-cache');
    dirs.push(cacheDir);
    const res = await compactBucket(store, { beforeDate: '2026-01-16', cacheDir, now: () => t });
    expect(res.filter((r) => r.output).length).toBeGreaterThanOrEqual(2);
    for (const v of (await filesPerInstance(store)).values()) expect(v).toBe(1);
    expect(await readBack(store)).toEqual(expected);
    const raw = (await readManifest(store, { table: 'raw', exchange: 'coinstore', date: '2026-01-15' })).manifest;
    expect(raw.retired.length).toBe(6);
    // Within the grace period the inputs are still there for readers that listed them.
    for (const r of raw.retired) expect(await headObject(store, `p/raw/exchange=coinstore/date=2026-01-15/${r.name}`)).not.toBeNull();
    // A second run inside the grace period changes nothing.
    expect((await compactBucket(store, { beforeDate: '2026-01-16', cacheDir, now: () => t + 1000 })).filter((r) => r.output || r.deleted)).toEqual([]);
    // After it, the inputs go.
    const later = await compactBucket(store, { beforeDate: '2026-01-16', cacheDir, now: () => t + 3_600_001 });
    expect(later.reduce((a, r) => a + r.deleted, 0)).toBeGreaterThan(0);
    for (const r of raw.retired) expect(await headObject(store, `p/raw/exchange=coinstore/date=2026-01-15/${r.name}`)).toBeNull();
    expect((await readManifest(store, { table: 'raw', exchange: 'coinstore', date: '2026-01-15' })).manifest.retired).toEqual([]);
    expect(await readBack(store)).toEqual(expected);
  });

  it('leaves a day alone while another compactor holds its lease, and takes an expired lease over', async () => {
    const { store, expected } = await twoRecorders();
    const day = { table: 'raw' as const, exchange: 'coinstore', date: '2026-01-15' };
    const t = Date.now();
    expect(await acquireLease(store, day, { owner: 'dead-compactor', ttlMs: 60_000, now: () => t })).not.toBeNull();
    const cacheDir = tmpDataDir('lease-cache');
    dirs.push(cacheDir);
    const res = await compactBucket(store, { beforeDate: '2026-01-16', cacheDir, now: () => t + 1000 });
    expect(res.find((r) => r.table === 'raw' && r.exchange === 'coinstore')?.busy).toBe(true);
    expect((await filesPerInstance(store)).get('coinstore/2026-01-15/rec-a')).toBe(3);
    const after = await compactBucket(store, { beforeDate: '2026-01-16', cacheDir, now: () => t + 61_000 });
    expect(after.filter((r) => r.table === 'raw' && r.exchange === 'coinstore' && r.output)).toHaveLength(2);
    const got = await readBack(store);
    if (got.length !== expected.length) {
      const g = new Set(got);
      console.log(JSON.stringify(res.concat(after)), expected.filter((x) => !g.has(x)).slice(0, 3));
      for (const d of await listManifestDays(store)) console.log(JSON.stringify((await readManifest(store, d)).manifest.files.map((f) => [d.table, d.exchange, f.name, f.sources, f.rows])));
    }
    expect(got).toEqual(expected);
  });

  it('two compactors at once: one day file per instance, no record lost or doubled, even after the grace period', async () => {
    const { store, expected } = await twoRecorders();
    const t = Date.now();
    const [c1, c2] = [tmpDataDir('c1'), tmpDataDir('c2')];
    dirs.push(c1, c2);
    const second = await moto.store(`s3://${store.cfg.bucket}/p`);
    await Promise.all([compactBucket(store, { beforeDate: '2026-01-16', cacheDir: c1, owner: 'one', now: () => t }), compactBucket(second, { beforeDate: '2026-01-16', cacheDir: c2, owner: 'two', now: () => t })]);
    // Whatever the interleaving, a later run finishes the days the lease made one of them skip.
    await compactBucket(store, { beforeDate: '2026-01-16', cacheDir: c1, now: () => t + 1 });
    for (const v of (await filesPerInstance(store)).values()) expect(v).toBe(1);
    expect(await readBack(store)).toEqual(expected);
    await Promise.all([compactBucket(store, { beforeDate: '2026-01-16', cacheDir: c1, owner: 'one', now: () => t + 3_600_001 }), compactBucket(second, { beforeDate: '2026-01-16', cacheDir: c2, owner: 'two', now: () => t + 3_600_001 })]);
    await compactBucket(store, { beforeDate: '2026-01-16', cacheDir: c1, now: () => t + 3_600_002 });
    expect(await readBack(store)).toEqual(expected);
  });

  const points: RemoteCrashPoint[] = ['compact-after-lease', 'compact-after-merge', 'compact-after-upload', 'compact-after-commit', 'gc-after-delete-partial'];
  for (const point of points) {
    it(`a crash ${point}: readers stay exact, the next runs finish without loss`, async () => {
      const { store, expected } = await twoRecorders();
      const t = Date.now();
      const cacheDir = tmpDataDir('crash-cache');
      dirs.push(cacheDir);
      const at = point === 'gc-after-delete-partial' ? t + 3_600_001 : t;
      if (point === 'gc-after-delete-partial') await compactBucket(store, { beforeDate: '2026-01-16', cacheDir, now: () => t });
      await expect(compactBucket(store, { beforeDate: '2026-01-16', cacheDir, crashAt: point, now: () => at })).rejects.toMatchObject({ name: 'InjectedCrash' });
      expect(await readBack(store)).toEqual(expected);
      await compactBucket(store, { beforeDate: '2026-01-16', cacheDir, now: () => at + 1 });
      for (const v of (await filesPerInstance(store)).values()) expect(v).toBe(1);
      expect(await readBack(store)).toEqual(expected);
      await compactBucket(store, { beforeDate: '2026-01-16', cacheDir, now: () => at + 2 * 3_600_001 });
      expect(await readBack(store)).toEqual(expected);
    });
  }
});
