/**
 * Raw files' summary objects (moto): every raw file shipped gets one next to it before its commit,
 * and the catalog built from them (catalogOf) is the one readCatalog reads from the local files; a
 * file without one (an older upload) is summarized from the file; compaction writes the day file's
 * summary and deletes retired files' summaries with them, after the grace period.
 */
import fs from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { catalogOf, readCatalog, type Catalog } from '../../../replay/catalog.js';
import { openTape } from '../../../store/duck/index.js';
import { compactBucket } from '../../../store/remote/compact-remote.js';
import { summaryRelPath } from '../../../store/remote/layout.js';
import { listManifestDays, readManifest } from '../../../store/remote/manifest.js';
import { StoreCache } from '../../../store/remote/read-cache.js';
import { deleteObject, headObject, type RemoteStore } from '../../../store/remote/s3-client.js';
import { objectKey } from '../../../store/remote/store-url.js';
import { readRawSummaries } from '../../../store/remote/summaries.js';
import { uploadStore } from '../../../store/remote/uploader.js';
import { multiDayMarketStore, multiDayStore } from '../../api/multi-day-store.js';
import { tapeMarketData } from '../../../replay/paper/market-data.js';
import { openServedData } from '../../../replay/served-days.js';
import { MOTO_ENV, startMoto, type Moto } from '../../helpers/moto.js';
import { skipWithout } from '../../helpers/system-tools.js';
import { rmAll, sealedStore, tmpDataDir } from './fixtures.js';

const skip = skipWithout('moto', 'S3 raw summary tests');
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

function text(c: Catalog): string {
  return JSON.stringify(c, (_k, v) => (typeof v === 'bigint' ? v.toString() : v instanceof Map ? [...v.entries()].sort() : v));
}

async function localCatalog(data: string): Promise<Catalog> {
  const tape = await openTape(data);
  try {
    return await readCatalog(tape.conn);
  } finally {
    tape.close();
  }
}

async function bucketCatalog(store: RemoteStore): Promise<{ catalog: Catalog; fromFiles: number; files: number }> {
  const cacheDir = tmpDataDir('sum-cache');
  dirs.push(cacheDir);
  const cache = new StoreCache(store, { dir: cacheDir });
  const { days, online } = await cache.manifests();
  const r = await readRawSummaries(cache, days, online);
  return { catalog: catalogOf(r.summaries.map((s) => s.summary)), fromFiles: r.fromFiles, files: r.summaries.length };
}

async function rawFiles(store: RemoteStore): Promise<Array<{ day: { table: 'raw'; exchange: string; date: string }; name: string }>> {
  const out = [];
  for (const d of await listManifestDays(store, { table: 'raw' })) for (const f of (await readManifest(store, d)).manifest.files) out.push({ day: { ...d, table: 'raw' as const }, name: f.name });
  return out;
}

async function marketFiles(store: RemoteStore): Promise<Array<{ day: { table: 'book' | 'trades'; exchange: string; date: string }; name: string }>> {
  const out = [];
  for (const table of ['book', 'trades'] as const) {
    for (const d of await listManifestDays(store, { table })) for (const f of (await readManifest(store, d)).manifest.files) out.push({ day: { ...d, table }, name: f.name });
  }
  return out;
}

/** The paper desk's directory of Coinstore's markets, read from the local tables. */
async function localMarkets(data: string) {
  const tape = await openTape(data);
  try {
    return await tapeMarketData((_need, fn) => fn(tape.conn)).markets('coinstore');
  } finally {
    tape.close();
  }
}

/** The same directory over the bucket (a replay server's: from the book and trades files' summaries), and the files it fetched. */
async function bucketMarkets(url: string) {
  const cacheDir = tmpDataDir('sum-mk-cache');
  dirs.push(cacheDir);
  const served = await openServedData(url, { cacheDir, storeConfig: { endpoint: moto.endpoint, forcePathStyle: true }, env: MOTO_ENV });
  try {
    const markets = await served.tables.markets('coinstore');
    const fetched = (fs.readdirSync(cacheDir, { recursive: true }) as string[]).filter((f) => f.endsWith('.parquet') && !f.startsWith('.views') && /^(book|trades)/.test(f));
    return { markets, fetched };
  } finally {
    served.close();
  }
}

describe.skipIf(skip)('raw summaries in the bucket', () => {
  it('every raw file shipped has a summary, and the catalog of the summaries is the local one; a file without one is read instead', async () => {
    const data = await multiDayStore('sum-up', 3);
    dirs.push(data);
    const store = await moto.store(`s3://tt-sum-${++n}-${process.pid}/p`);
    expect((await uploadStore(data, store)).failures).toEqual([]);
    const files = await rawFiles(store);
    expect(files.length).toBeGreaterThanOrEqual(6);
    for (const f of files) expect(await headObject(store, objectKey(store.cfg, summaryRelPath(f.day, f.name)))).not.toBeNull();
    const want = await localCatalog(data);
    expect(want.coinstore.streams.size).toBeGreaterThan(0);
    expect(want.coinstore.instruments.length).toBeGreaterThan(0);
    const got = await bucketCatalog(store);
    expect(got).toMatchObject({ fromFiles: 0, files: files.length });
    expect(text(got.catalog)).toBe(text(want));
    // A file shipped by an older ticktape has no summary: it is fetched and summarized, with the same result.
    const old = files.find((f) => f.day.exchange === 'coinstore')!;
    await deleteObject(store, objectKey(store.cfg, summaryRelPath(old.day, old.name)));
    const again = await bucketCatalog(store);
    expect(again.fromFiles).toBe(1);
    expect(text(again.catalog)).toBe(text(want));
  });

  it("compaction writes the day file's summary, and deletes the retired files' summaries with them after the grace period", async () => {
    const store = await moto.store(`s3://tt-sum-${++n}-${process.pid}/p`);
    const data = await sealedStore('sum-cmp', 'rec-a', 3, 120);
    dirs.push(data);
    expect((await uploadStore(data, store)).failures).toEqual([]);
    const want = await localCatalog(data);
    const before = await rawFiles(store);
    const t = Date.now();
    const cacheDir = tmpDataDir('sum-cmp-cache');
    dirs.push(cacheDir);
    const res = await compactBucket(store, { beforeDate: '2026-01-16', cacheDir, now: () => t });
    expect(res.filter((r) => r.output && r.table === 'raw').length).toBeGreaterThan(0);
    const after = await rawFiles(store);
    for (const f of after) expect(await headObject(store, objectKey(store.cfg, summaryRelPath(f.day, f.name)))).not.toBeNull();
    const retired = before.filter((b) => !after.some((a) => a.name === b.name));
    expect(retired.length).toBeGreaterThan(0);
    // Within the grace period the retired files' summaries stay with them.
    for (const f of retired) expect(await headObject(store, objectKey(store.cfg, summaryRelPath(f.day, f.name)))).not.toBeNull();
    const got = await bucketCatalog(store);
    expect(got.fromFiles).toBe(0);
    expect(text(got.catalog)).toBe(text(want));
    await compactBucket(store, { beforeDate: '2026-01-16', cacheDir, now: () => t + 3_600_001 });
    for (const f of retired) expect(await headObject(store, objectKey(store.cfg, summaryRelPath(f.day, f.name)))).toBeNull();
    expect(text((await bucketCatalog(store)).catalog)).toBe(text(want));
    expect(fs.existsSync(data)).toBe(true);
  });

  it("book and trades files get a summary of their markets: the paper desk's directory from them is the local one, without fetching a file; compaction keeps it so", async () => {
    const data = await multiDayMarketStore('sum-mk', 2, 200, 2);
    dirs.push(data);
    const url = `s3://tt-sum-${++n}-${process.pid}/p`;
    const store = await moto.store(url);
    expect((await uploadStore(data, store)).failures).toEqual([]);
    const files = await marketFiles(store);
    expect(files.filter((f) => f.day.table === 'book').length).toBeGreaterThanOrEqual(4);
    expect(files.filter((f) => f.day.table === 'trades').length).toBeGreaterThanOrEqual(4);
    for (const f of files) expect(await headObject(store, objectKey(store.cfg, summaryRelPath(f.day, f.name)))).not.toBeNull();
    const want = await localMarkets(data);
    expect(want.map((m) => m.symbol)).toEqual(['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'XRPUSDT']);
    expect(want.every((m) => m.bookStream?.endsWith('@depth@20') && m.hasTrades)).toBe(true);
    expect(await bucketMarkets(url)).toEqual({ markets: want, fetched: [] });
    // A file without a summary (an older upload) is fetched and summarized instead: the same directory.
    const old = files.find((f) => f.day.table === 'book')!;
    await deleteObject(store, objectKey(store.cfg, summaryRelPath(old.day, old.name)));
    const again = await bucketMarkets(url);
    expect(again.markets).toEqual(want);
    expect(again.fetched.length).toBe(1);
    // Compaction: the day files get their summaries; the retired files' go with them after the grace period.
    const t = Date.now();
    const cacheDir = tmpDataDir('sum-mk-cmp-cache');
    dirs.push(cacheDir);
    const res = await compactBucket(store, { beforeDate: '2026-02-01', cacheDir, now: () => t });
    expect(res.filter((r) => r.output && (r.table === 'book' || r.table === 'trades')).length).toBeGreaterThan(0);
    const after = await marketFiles(store);
    for (const f of after) expect(await headObject(store, objectKey(store.cfg, summaryRelPath(f.day, f.name)))).not.toBeNull();
    const retired = files.filter((b) => b.name !== old.name && !after.some((a) => a.name === b.name));
    expect(retired.length).toBeGreaterThan(0);
    expect(await bucketMarkets(url)).toEqual({ markets: want, fetched: [] });
    await compactBucket(store, { beforeDate: '2026-02-01', cacheDir, now: () => t + 3_600_001 });
    for (const f of retired) expect(await headObject(store, objectKey(store.cfg, summaryRelPath(f.day, f.name)))).toBeNull();
  });
});
