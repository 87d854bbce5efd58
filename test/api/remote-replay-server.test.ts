/**
 * `startReplayServer({ data: 's3://…' })` (what `ticktape replay --data s3://…` runs) serves while
 * later days download: a proxy in front of moto holds every request for a later day's parquet
 * object, and a native Coinstore client still gets the first day's frames; once the proxy lets the
 * requests go, the whole replay is exactly the local server's, message for message and in order. A
 * raw file without a summary object (shipped by an older ticktape) replays the same. `/normalized`
 * for one day of the range fetches that day's files only, and answers what the local server does.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReplayServer, type ReplayServerHandle } from '../../api/index.js';
import { summaryRelPath } from '../../store/remote/layout.js';
import { listManifestDays, readManifest } from '../../store/remote/manifest.js';
import { deleteObject, type RemoteStore } from '../../store/remote/s3-client.js';
import { objectKey } from '../../store/remote/store-url.js';
import { uploadStore } from '../../store/remote/uploader.js';
import { holdingProxy } from '../helpers/holding-proxy.js';
import { MOTO_ENV, startMoto, type Moto } from '../helpers/moto.js';
import { skipWithout } from '../helpers/system-tools.js';
import { collect } from '../replay/fixture.js';
import { tmpDataDir } from '../store/seal/fixtures.js';
import { multiDayStore } from './multi-day-store.js';

const skip = skipWithout('moto', 'the replay server over an S3 bucket');
const DAYS = 4;
let moto: Moto;
let data: string;
const dirs: string[] = [];
const saved = { ...process.env };
let n = 0;

async function shipped(): Promise<{ url: string; store: RemoteStore; dates: string[] }> {
  const url = `s3://tt-replay-server-${++n}-${process.pid}/r`;
  const store = await moto.store(url);
  expect((await uploadStore(data, store)).failures).toEqual([]);
  const dates = [...new Set((await listManifestDays(store, { table: 'raw' })).map((d) => d.date))].sort();
  expect(dates.length).toBe(DAYS);
  return { url, store, dates };
}

const tradeStreams = (s: ReplayServerHandle) => (s.streams().coinstore ?? []).filter((k) => k.endsWith('@trade')).sort();
const isTrade = (m: string) => m.includes('"T":"trade"');

/** A native Coinstore client subscribed to every trade stream: the messages until the end of the range closes it. */
async function client(s: ReplayServerHandle) {
  const c = await collect(`ws://127.0.0.1:${s.port}/coinstore/s/ws`);
  c.ws.send(JSON.stringify({ op: 'SUB', channel: tradeStreams(s), id: 1 }));
  return c;
}

let want: string[] = [];
let wantStreams: string[] = [];
/** What the local server sends of the first day alone (a store of that day only). */
let wantFirstDay: string[] = [];

/** The messages a local store's server sends the client, to the end of its range. */
async function localMessages(dir: string): Promise<{ messages: string[]; streams: string[] }> {
  const local = await startReplayServer({ data: dir, port: 0, mqttPort: 'off', speed: 'max', graceMs: 50 });
  try {
    const c = await client(local);
    expect((await c.closed).code).toBe(1000);
    return { messages: c.messages, streams: tradeStreams(local) };
  } finally {
    await local.close();
  }
}

beforeAll(async () => {
  if (skip) return;
  moto = await startMoto();
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: MOTO_ENV.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: MOTO_ENV.AWS_SECRET_ACCESS_KEY, AWS_REGION: MOTO_ENV.AWS_REGION });
  data = await multiDayStore('api-replay-server', DAYS);
  dirs.push(data);
  // What the local store's server sends the same client, and of the first day alone.
  ({ messages: want, streams: wantStreams } = await localMessages(data));
  const one = await multiDayStore('api-replay-server-one', 1);
  dirs.push(one);
  wantFirstDay = (await localMessages(one)).messages;
}, 180_000);
afterAll(async () => {
  process.env = saved;
  await moto?.stop();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe.skipIf(skip)('the replay server over s3:// streams day by day', () => {
  it("serves the first day's frames while later days' files are still held, then every frame as the local store's server", async () => {
    const { url, dates } = await shipped();
    // The first day's trade pushes: what the client must get while the later days are held.
    const firstDay = wantFirstDay.filter(isTrade).length;
    expect(firstDay).toBeGreaterThan(10);
    expect(want.filter(isTrade).length).toBeGreaterThan(firstDay * (DAYS - 1));
    const upToFirst = want.findIndex((m, i) => isTrade(m) && want.slice(0, i + 1).filter(isTrade).length === firstDay) + 1;
    expect(want.slice(0, upToFirst)).toEqual(wantFirstDay.slice(0, upToFirst));

    const later = new Set(dates.slice(1));
    const proxy = await holdingProxy(moto.endpoint, (method, u) => {
      const m = /\/raw\/exchange=[^/]+\/date=(\d{4}-\d{2}-\d{2})\/[^/?]+\.parquet(\?|$)/.exec(decodeURIComponent(u));
      return method === 'GET' && m !== null && later.has(m[1]);
    });
    const cacheDir = tmpDataDir('api-replay-server-cache');
    dirs.push(cacheDir);
    let s: ReplayServerHandle | null = null;
    try {
      s = await startReplayServer({ data: url, remote: { endpoint: proxy.endpoint, cacheDir }, port: 0, mqttPort: 'off', speed: 'max', graceMs: 50 });
      expect(tradeStreams(s)).toEqual(wantStreams);
      const c = await client(s);
      // Every frame of the first day goes out; the last one waits for a look at the next day's first
      // record (a sequence gap recorded right after a frame is skipped before it).
      await c.waitFor((msgs) => msgs.length >= upToFirst - 1, "the first day's trades", 60_000);
      // The first day came while the next days' files were held: asked for, not answered.
      expect(proxy.held.length).toBeGreaterThan(0);
      const heldDates = new Set(proxy.held.map((u) => /date=(\d{4}-\d{2}-\d{2})/.exec(u)?.[1]));
      expect(heldDates.has(dates[1])).toBe(true);
      expect(c.messages.length).toBeLessThanOrEqual(upToFirst);
      const cachedLater = (fs.readdirSync(cacheDir, { recursive: true }) as string[]).filter((f) => f.endsWith('.parquet') && [...later].some((d) => f.includes(`date=${d}`)) && !f.startsWith('.views'));
      expect(cachedLater).toEqual([]);
      expect(c.messages).toEqual(want.slice(0, c.messages.length));
      proxy.release();
      expect((await c.closed).code).toBe(1000);
      expect(c.messages).toEqual(want);
    } finally {
      proxy.release();
      await s?.close();
      await proxy.close();
    }
    expect(fs.readdirSync(path.join(cacheDir, '.views'))).toEqual([]);
  }, 180_000);

  it('a raw file without a summary object is read instead, and replays the same', async () => {
    const { url, store, dates } = await shipped();
    const day = { table: 'raw' as const, exchange: 'coinstore', date: dates[0] };
    const files = (await readManifest(store, day)).manifest.files;
    for (const f of files) await deleteObject(store, objectKey(store.cfg, summaryRelPath(day, f.name)));
    const cacheDir = tmpDataDir('api-replay-server-cache-b');
    dirs.push(cacheDir);
    const s = await startReplayServer({ data: url, remote: { endpoint: moto.endpoint, cacheDir }, port: 0, mqttPort: 'off', speed: 'max', graceMs: 50 });
    try {
      expect(tradeStreams(s)).toEqual(wantStreams);
      const c = await client(s);
      expect((await c.closed).code).toBe(1000);
      expect(c.messages).toEqual(want);
    } finally {
      await s.close();
    }
  }, 180_000);

  it("/normalized for one day of the range fetches only that day's files, and answers as the local server", async () => {
    const { url, dates } = await shipped();
    const cacheDir = tmpDataDir('api-replay-server-cache-n');
    dirs.push(cacheDir);
    const day = dates[2];
    const query = `/normalized?exchange=coinstore&kinds=trade&from=${day}T00:00:00Z&to=${day}T23:59:59.999Z`;
    const get = async (port: number) => {
      const r = await fetch(`http://127.0.0.1:${port}${query}`);
      expect(r.status).toBe(200);
      return (await r.text()).split('\n').filter(Boolean);
    };
    const local = await startReplayServer({ data, port: 0, mqttPort: 'off', speed: 'max', graceMs: 50 });
    let wantRows: string[];
    try {
      wantRows = await get(local.port);
    } finally {
      await local.close();
    }
    expect(wantRows.length).toBeGreaterThan(10);
    const s = await startReplayServer({ data: url, remote: { endpoint: moto.endpoint, cacheDir }, port: 0, mqttPort: 'off', speed: 'max', graceMs: 50 });
    try {
      expect(await get(s.port)).toEqual(wantRows);
      // The cache holds the asked day's files of the asked table, and no other day's or table's
      // (raw files of the first days are the replay's own, fetched at start and read ahead).
      const cached = (fs.readdirSync(cacheDir, { recursive: true }) as string[]).filter((f) => f.endsWith('.parquet') && !f.startsWith('.views') && !f.startsWith('raw'));
      expect(cached.length).toBeGreaterThan(0);
      expect(cached.filter((f) => !(f.startsWith('trades') && f.includes(`date=${day}`)))).toEqual([]);
      // A second request of the same day fetches nothing more.
      expect(await get(s.port)).toEqual(wantRows);
      const again = (fs.readdirSync(cacheDir, { recursive: true }) as string[]).filter((f) => f.endsWith('.parquet') && !f.startsWith('.views') && !f.startsWith('raw'));
      expect(again.sort()).toEqual(cached.sort());
    } finally {
      await s.close();
    }
  }, 180_000);
});
