/**
 * Coinstore's public symbol list (seed 002 "现货币种币对信息": `POST /api/v2/public/config/spot/symbols`),
 * where a bot reads the instrument ids the WebSocket document tells it to subscribe with ("please
 * temporarily use the symbol id"). The bot's flow, on the simulator and on a replay: the document's
 * Python request (signed as it signs it, body `{}`), BTCUSDT's `symbolId`, a SUB of
 * `<symbolId>@depth@20`, and depth pushes of BTCUSDT under that channel. Written from the documents.
 */
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../../simulator/server.js';
import { startReplay, type ReplayServer } from '../../../replay/server.js';
import { collect, json, recordSimulated, tmpDir } from '../../replay/fixture.js';

/** The fields of the seed's response example, in its order. */
const SYMBOL_FIELDS = ['symbolId', 'symbolCode', 'tradeCurrencyCode', 'quoteCurrencyCode', 'openTrade', 'onLineTime', 'tickSz', 'lotSz', 'minLmtPr', 'minLmtSz', 'minMktVa', 'minMktSz', 'makerFee', 'takerFee'];

/** The seed's Python example: two-step HMAC-SHA256 over the JSON body, the X-CS-* headers. */
async function symbols(port: number, body: unknown): Promise<{ status: number; json: any }> {
  const payload = JSON.stringify(body);
  const expires = String(Date.now());
  const key = createHmac('sha256', 'your secret_key')
    .update(String(Math.floor(Number(expires) / 30000)))
    .digest('hex');
  const sign = createHmac('sha256', key).update(payload).digest('hex');
  const res = await fetch(`http://127.0.0.1:${port}/coinstore/api/v2/public/config/spot/symbols`, {
    method: 'POST',
    headers: { 'X-CS-APIKEY': 'your api_key', 'X-CS-SIGN': sign, 'X-CS-EXPIRES': expires, 'exch-language': 'en_US', 'Content-Type': 'application/json', Accept: '*/*' },
    body: payload,
  });
  return { status: res.status, json: await res.json() };
}

/** The bot's flow: the symbol list, BTCUSDT's id, `<id>@depth@20`, pushes under that name. */
async function botFlow(port: number, wsUrl: string): Promise<void> {
  const all = await symbols(port, {});
  expect(all.status).toBe(200);
  expect(all.json).toMatchObject({ code: '0', message: 'Success' });
  const list = all.json.data as Array<Record<string, unknown>>;
  expect(list.length).toBeGreaterThanOrEqual(2);
  for (const s of list) {
    expect(Object.keys(s)).toEqual(SYMBOL_FIELDS);
    expect(Number.isInteger(s.symbolId)).toBe(true);
    expect(s.openTrade).toBe(true);
    expect(s.tradeCurrencyCode).toBe(String(s.tradeCurrencyCode).toLowerCase());
  }
  const btc = list.find((s) => s.symbolCode === 'BTCUSDT')!;
  const eth = list.find((s) => s.symbolCode === 'ETHUSDT')!;
  expect(btc).toMatchObject({ tradeCurrencyCode: 'btc', quoteCurrencyCode: 'usdt' });
  // the request example's filters: a code and an id, of two pairs
  const filtered = await symbols(port, { symbolCodes: ['BTCUSDT'], symbolIds: [eth.symbolId] });
  expect((filtered.json.data as Array<{ symbolCode: string }>).map((s) => s.symbolCode).sort()).toEqual(['BTCUSDT', 'ETHUSDT']);
  expect((await symbols(port, { symbolIds: [btc.symbolId] })).json.data).toEqual([btc]);

  const channel = `${btc.symbolId}@depth@20`;
  const c = await collect(wsUrl);
  c.ws.send(JSON.stringify({ op: 'SUB', channel: [channel], id: 1 }));
  await c.waitFor((m) => m.filter((s) => json(s).T === 'depth').length >= 3, 'three depth pushes');
  c.ws.terminate();
  const pushes = c.messages.map(json).filter((m) => m.T === 'depth');
  for (const p of pushes) expect(p).toMatchObject({ channel, symbol: 'BTCUSDT', instrumentId: btc.symbolId });
}

describe('coinstore symbol list: simulator', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ port: 0, seed: 5, rate: 50 });
  });
  afterAll(async () => sim?.close());

  it('gives the ids a bot subscribes with', async () => {
    await botFlow(sim.port, sim.url('coinstore', 'ws'));
  });

  it('refuses a filter that is not an array', async () => {
    const r = await symbols(sim.port, { symbolCodes: 'BTCUSDT' });
    expect(r.json).toMatchObject({ code: 101040502, msg: 'request field missing' });
  });
});

describe('coinstore symbol list: replay (no paper trading)', () => {
  let replay: ReplayServer;
  beforeAll(async () => {
    const data = path.join(tmpDir('tt-cs-symbols-'), 'data');
    fs.mkdirSync(data);
    await recordSimulated(data, 3000, [], [['coinstore', 'btcusdt@depth@20', 20]]);
    replay = await startReplay({ dataDir: data, port: 0, speed: 1, graceMs: 100 });
  }, 150_000);
  afterAll(async () => replay?.close());

  it('gives the ids of the recording, which a bot subscribes with', async () => {
    await botFlow(replay.port, `ws://127.0.0.1:${replay.port}/coinstore/s/ws`);
  });
});
