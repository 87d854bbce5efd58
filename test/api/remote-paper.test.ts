/**
 * Paper trading over s3:// (`ticktape replay --paper --data s3://…`): the paper desk reads the
 * recorded market from the bucket as the replay reaches it. A proxy in front of moto holds every
 * request for an object of the later days (any table), so the replay stops at the end of the
 * second day of four: by then a resting bid priced for that day has filled, and no `book` or
 * `trades` object of a later day was asked for (the desk's directory of markets comes from the
 * files' summaries, its reads fetch the days they read). Once the proxy lets go, the session ends
 * with the same fills, orders and balances as the same replay of the local store, and results
 * files byte for byte the same.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReplayServer, type ReplayServerHandle } from '../../api/index.js';
import { openTape } from '../../store/duck/index.js';
import { uploadStore } from '../../store/remote/uploader.js';
import { holdingProxy } from '../helpers/holding-proxy.js';
import { MOTO_ENV, startMoto, type Moto } from '../helpers/moto.js';
import { skipWithout } from '../helpers/system-tools.js';
import { collect, tmpDir, until } from '../replay/fixture.js';
import { tmpDataDir } from '../store/seal/fixtures.js';
import { multiDayMarketStore } from './multi-day-store.js';

const skip = skipWithout('moto', 'paper trading over an S3 bucket');
const DAYS = 4;
const SESSION = 'p';
let moto: Moto;
let data: string;
const dirs: string[] = [];
const saved = { ...process.env };
let dates: string[] = [];
/** The orders the bot places before the replay starts: a market buy, a bid that fills on the second day, one that fills on the fourth. */
let orders: Array<Record<string, unknown>> = [];
/** What the local store's replay gives: the session as GET /paper/sessions/<id> shows it, and the results files. */
let want: { session: unknown; results: Map<string, Buffer> };
/** The order id of the bid that fills on the second day. */
let secondDayBid = '';

type Account = { balances: unknown; openOrders: Array<{ orderId: string }>; fills: Array<{ orderId: string }>; positions: unknown };

const post = async (port: number, body: Record<string, unknown>) => {
  const r = await fetch(`http://127.0.0.1:${port}/paper/orders`, { method: 'POST', body: JSON.stringify({ session: SESSION, exchange: 'coinstore', symbol: 'BTCUSDT', ...body }) });
  const j = (await r.json()) as { ok: boolean; order: { orderId: string } };
  expect(j.ok, JSON.stringify(j)).toBe(true);
  return j.order.orderId;
};

const account = async (port: number): Promise<Account> => {
  const r = await fetch(`http://127.0.0.1:${port}/paper/sessions/${SESSION}`);
  expect(r.status).toBe(200);
  return ((await r.json()) as Record<string, Account>).coinstore;
};

/** The results' parquet files (the manifest names the data folder or URL, so it differs). */
function resultFiles(out: string): Map<string, Buffer> {
  const folder = path.join(out, SESSION);
  const files = (fs.readdirSync(folder, { recursive: true }) as string[]).filter((f) => f.endsWith('.parquet')).sort();
  return new Map(files.map((f) => [f, fs.readFileSync(path.join(folder, f))]));
}

/** Places the orders, then a client of the session replays the whole range; returns the order ids. */
async function trade(s: ReplayServerHandle, onStream?: () => Promise<void>): Promise<{ ids: string[]; client: Awaited<ReturnType<typeof collect>> }> {
  const ids: string[] = [];
  for (const o of orders) ids.push(await post(s.port, o));
  const client = await collect(`ws://127.0.0.1:${s.port}/coinstore/s/ws?session=${SESSION}`);
  client.ws.send(JSON.stringify({ op: 'SUB', channel: ['btcusdt@trade', 'btcusdt@depth@20'], id: 1 }));
  await onStream?.();
  return { ids, client };
}

/** The session once every order has filled (the client's end of range came first). */
async function settled(s: ReplayServerHandle): Promise<Account> {
  await until(async () => (await account(s.port)).openOrders.length === 0, 'every order filled', 60_000);
  return account(s.port);
}

const options = (out: string) => ({ port: 0, mqttPort: 'off' as const, speed: 'max' as const, graceMs: 50, paper: true, paperOut: out, sessionKeepMs: 600_000 });

beforeAll(async () => {
  if (skip) return;
  moto = await startMoto();
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: MOTO_ENV.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: MOTO_ENV.AWS_SECRET_ACCESS_KEY, AWS_REGION: MOTO_ENV.AWS_REGION });
  data = await multiDayMarketStore('api-remote-paper', DAYS);
  dirs.push(data);
  // Bid prices from the recording: the market walks down, each day below the one before.
  const tape = await openTape(data);
  let lows: Array<[string, number]>;
  try {
    const r = await tape.conn.runAndReadAll(`SELECT strftime(make_timestamp((recv_ns // 1000)::BIGINT), '%Y-%m-%d') AS d, min(price_str::DOUBLE) FROM trades WHERE exchange = 'coinstore' AND symbol = 'BTCUSDT' GROUP BY d ORDER BY d`);
    lows = r.getRows() as Array<[string, number]>;
  } finally {
    tape.close();
  }
  dates = lows.map(([d]) => d);
  expect(dates.length).toBe(DAYS);
  const low = lows.map(([, p]) => p);
  expect(low[1]).toBeLessThan(low[0]);
  expect(low[3]).toBeLessThan(Math.min(low[0], low[1], low[2]));
  const bid2 = ((low[0] + low[1]) / 2).toFixed(2);
  const bid4 = ((Math.min(low[0], low[1], low[2]) + low[3]) / 2).toFixed(2);
  orders = [
    { side: 'buy', type: 'market', amount: '0.01' },
    { side: 'buy', type: 'limit', price: bid2, amount: '0.001' },
    { side: 'buy', type: 'limit', price: bid4, amount: '0.002' },
  ];

  const out = tmpDir('tt-remote-paper-local-');
  dirs.push(out);
  const local = await startReplayServer({ data, ...options(out) });
  try {
    const { ids, client } = await trade(local);
    secondDayBid = ids[1];
    expect((await client.closed).code).toBe(1000);
    const session = await settled(local);
    // Each order filled, the bids on their days.
    expect(new Set(session.fills.map((f) => f.orderId))).toEqual(new Set(ids));
    want = { session, results: new Map() };
  } finally {
    await local.close();
  }
  want.results = resultFiles(out);
  expect([...want.results.keys()].some((f) => f.startsWith('fills'))).toBe(true);
}, 240_000);
afterAll(async () => {
  process.env = saved;
  await moto?.stop();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe.skipIf(skip)('paper trading over s3://', () => {
  it('fetches the days the replay has reached, and fills as the local replay does', async () => {
    const url = `s3://tt-remote-paper-${process.pid}/p`;
    const store = await moto.store(url);
    expect((await uploadStore(data, store)).failures).toEqual([]);
    const later = new Set(dates.slice(2));
    const objectDate = (u: string) => /\/(raw|book|trades|[a-z_]+)\/exchange=[^/]+\/date=(\d{4}-\d{2}-\d{2})\/[^/?]+\.parquet(\?|$)/.exec(u);
    const proxy = await holdingProxy(moto.endpoint, (method, u) => {
      const m = objectDate(decodeURIComponent(u));
      return method === 'GET' && m !== null && later.has(m[2]);
    });
    /** Held requests for objects of tables other than raw (the replay's own read-ahead). */
    const heldTables = () => proxy.held.filter((u) => objectDate(u)?.[1] !== 'raw');
    const askedForLaterTables = new Promise<null>((resolve) => {
      proxy.onHold = () => {
        if (heldTables().length) resolve(null);
      };
    });
    const cacheDir = tmpDataDir('api-remote-paper-cache');
    const out = tmpDir('tt-remote-paper-s3-');
    dirs.push(cacheDir, out);
    const starting = startReplayServer({ data: url, remote: { endpoint: proxy.endpoint, cacheDir }, ...options(out) });
    let s: ReplayServerHandle | null = null;
    try {
      // Starting does not wait for a later day's book or trades (it reads none).
      s = await Promise.race([starting, askedForLaterTables]);
      expect(heldTables()).toEqual([]);
      expect(s).not.toBeNull();
      const server = s as ReplayServerHandle;
      const { ids, client } = await trade(server);
      expect(ids[1]).toBe(secondDayBid);
      // The replay stands at the end of the second day (the next day's raw files are held): the
      // second day's bid has filled, and nothing of the later days' market was asked for.
      await until(async () => (await account(server.port)).fills.some((f) => f.orderId === secondDayBid), "the second day's fill", 60_000);
      expect((await account(server.port)).openOrders.map((o) => o.orderId)).toEqual([ids[2]]);
      expect(heldTables()).toEqual([]);
      expect(proxy.held.length).toBeGreaterThan(0);
      const cached = (fs.readdirSync(cacheDir, { recursive: true }) as string[]).filter((f) => f.endsWith('.parquet') && !f.startsWith('.views'));
      expect(cached.filter((f) => /^(book|trades)/.test(f)).length).toBeGreaterThan(0);
      expect(cached.filter((f) => [...later].some((d) => f.includes(`date=${d}`)))).toEqual([]);
      proxy.release();
      expect((await client.closed).code).toBe(1000);
      expect(await settled(server)).toEqual(want.session);
    } finally {
      proxy.release();
      await (s ?? (await starting.catch(() => null)))?.close();
      await proxy.close();
    }
    const got = resultFiles(out);
    expect([...got.keys()]).toEqual([...want.results.keys()]);
    for (const [f, bytes] of want.results) expect(got.get(f)?.equals(bytes), f).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(out, SESSION, 'paper.json'), 'utf8')).data).toBe(url);
  }, 240_000);
});
