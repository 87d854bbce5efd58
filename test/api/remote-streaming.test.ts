/**
 * `replay({ data: 's3://…' })` and `replayNormalized({ data: 's3://…' })` stream: the first frame comes once the first day's files are in the
 * cache, while the later days are still in the bucket (seen in the cache folder, not by timing); the
 * whole replay is what the local store gives, frame for frame; and a file that cannot be fetched
 * mid-replay ends the iteration with a TicktapeError, after exactly the frames before its day.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replay, replayNormalized } from '../../api/index.js';
import { TicktapeError } from '../../core/errors.js';
import { dayBoundsNs } from '../../store/partitions.js';
import { listManifestDays, readManifest } from '../../store/remote/manifest.js';
import type { RemoteStore } from '../../store/remote/s3-client.js';
import { READ_AHEAD_DAYS } from '../../store/remote/streamed-days.js';
import { objectKey } from '../../store/remote/store-url.js';
import { uploadStore } from '../../store/remote/uploader.js';
import { MOTO_ENV, startMoto, type Moto } from '../helpers/moto.js';
import { skipWithout } from '../helpers/system-tools.js';
import { tmpDataDir } from '../store/seal/fixtures.js';
import { multiDayStore } from './multi-day-store.js';

const skip = skipWithout('moto', 'replay() streaming from an S3 bucket');
const DAYS = 5;
let moto: Moto;
let data: string;
const dirs: string[] = [];
const saved = { ...process.env };

async function shipped(url: string): Promise<RemoteStore> {
  const store = await moto.store(url);
  const r = await uploadStore(data, store);
  expect(r.failures).toEqual([]);
  return store;
}

/** The dates of the bucket's raw files, ascending, with their names. */
async function rawDays(store: RemoteStore): Promise<Array<{ date: string; exchange: string; names: string[] }>> {
  const out = [];
  for (const d of await listManifestDays(store, { table: 'raw' })) out.push({ date: d.date, exchange: d.exchange, names: (await readManifest(store, d)).manifest.files.map((f) => f.name) });
  return out.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}

function cachedParquet(cacheDir: string): Set<string> {
  const files = fs.existsSync(cacheDir) ? (fs.readdirSync(cacheDir, { recursive: true }) as string[]) : [];
  return new Set(files.filter((f) => !f.startsWith('.views') && f.endsWith('.parquet')).map((f) => path.basename(f)));
}

function line(x: unknown): string {
  return JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v));
}

beforeAll(async () => {
  if (skip) return;
  moto = await startMoto();
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: MOTO_ENV.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: MOTO_ENV.AWS_SECRET_ACCESS_KEY, AWS_REGION: MOTO_ENV.AWS_REGION });
  data = await multiDayStore('api-stream', DAYS);
  dirs.push(data);
}, 120_000);
afterAll(async () => {
  process.env = saved;
  await moto?.stop();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe.skipIf(skip)('replay() from s3:// streams day by day', () => {
  it('replayNormalized() yields its first message before the last days are fetched, and then exactly the local messages', async () => {
    const url = `s3://tt-stream-norm-${process.pid}/n`;
    const store = await shipped(url);
    const days = await rawDays(store);
    const dates = [...new Set(days.map((d) => d.date))];
    // The normalized tables are per date folder too: their files are what must not be fetched yet.
    const tradeFiles: Array<{ date: string; name: string }> = [];
    for (const d of await listManifestDays(store, { table: 'trades' })) for (const f of (await readManifest(store, d)).manifest.files) tradeFiles.push({ date: d.date, name: f.name });
    expect(new Set(tradeFiles.map((f) => f.date)).size).toBe(DAYS);
    const want: string[] = [];
    for await (const x of replayNormalized({ data })) want.push(line(x));
    expect(want.length).toBeGreaterThan(DAYS * 10);

    const cacheDir = tmpDataDir('api-stream-norm-cache');
    dirs.push(cacheDir);
    const got: string[] = [];
    let atFirst: Set<string> | null = null;
    for await (const x of replayNormalized({ data: url, remote: { endpoint: moto.endpoint, cacheDir } })) {
      atFirst ??= cachedParquet(cacheDir);
      got.push(line(x));
    }
    const beyond = [...days.filter((d) => dates.indexOf(d.date) > READ_AHEAD_DAYS).flatMap((d) => d.names), ...tradeFiles.filter((f) => dates.indexOf(f.date) > READ_AHEAD_DAYS).map((f) => f.name)];
    expect(beyond.length).toBeGreaterThan(0);
    for (const f of tradeFiles.filter((t) => t.date === dates[0])) expect(atFirst).toContain(f.name);
    for (const n of beyond) expect(atFirst).not.toContain(n);
    expect(got).toEqual(want);
    expect(fs.readdirSync(path.join(cacheDir, '.views'))).toEqual([]);
  });

  it('yields the first frame before the last days are fetched, and then exactly the local frames', async () => {
    const url = `s3://tt-stream-${process.pid}/a`;
    const days = await rawDays(await shipped(url));
    const dates = [...new Set(days.map((d) => d.date))];
    expect(dates.length).toBe(DAYS);
    const cacheDir = tmpDataDir('api-stream-cache');
    dirs.push(cacheDir);
    const want: string[] = [];
    for await (const x of replay({ data })) want.push(line(x));
    expect(want.length).toBeGreaterThan(DAYS * 100);

    const got: string[] = [];
    let atFirst: Set<string> | null = null;
    for await (const x of replay({ data: url, remote: { endpoint: moto.endpoint, cacheDir } })) {
      atFirst ??= cachedParquet(cacheDir);
      got.push(line(x));
    }
    // At the first frame the first day is cached, and the days beyond the read-ahead are not.
    const first = days.filter((d) => d.date === dates[0]).flatMap((d) => d.names);
    const beyond = days.filter((d) => dates.indexOf(d.date) > READ_AHEAD_DAYS).flatMap((d) => d.names);
    expect(beyond.length).toBeGreaterThan(0);
    for (const n of first) expect(atFirst).toContain(n);
    for (const n of beyond) expect(atFirst).not.toContain(n);
    // In the end every day came, in the local store's order, byte for byte.
    expect(got).toEqual(want);
    for (const d of days) for (const n of d.names) expect(cachedParquet(cacheDir)).toContain(n);
    // The snapshot links are gone once the iteration ended.
    expect(fs.readdirSync(path.join(cacheDir, '.views'))).toEqual([]);
  });

  it('a file that cannot be fetched mid-replay is a TicktapeError after the frames before its day', async () => {
    const url = `s3://tt-stream-fail-${process.pid}/b`;
    const store = await shipped(url);
    const days = await rawDays(store);
    const lost = days.filter((d) => d.date === days[days.length - 2].date && d.exchange === 'coinstore')[0];
    // The object goes, its manifest still lists it: a damaged bucket, as a lifecycle rule or a wrong delete leaves it.
    await store.client.send(new DeleteObjectCommand({ Bucket: store.cfg.bucket, Key: objectKey(store.cfg, `raw/exchange=coinstore/date=${lost.date}/${lost.names[0]}`) }));
    const cut = dayBoundsNs(lost.date).startNs;
    const before: string[] = [];
    for await (const x of replay({ data })) if (BigInt((x as { recvNs: bigint }).recvNs) < cut) before.push(line(x));

    const cacheDir = tmpDataDir('api-stream-cache-b');
    dirs.push(cacheDir);
    const got: string[] = [];
    let err: unknown = null;
    try {
      for await (const x of replay({ data: url, remote: { endpoint: moto.endpoint, cacheDir } })) got.push(line(x));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TicktapeError);
    expect((err as TicktapeError).code).toBe('TT_STORE_UNREACHABLE');
    expect((err as Error).message).toContain(`stopped at ${lost.date}`);
    expect(got).toEqual(before);
  });
});
