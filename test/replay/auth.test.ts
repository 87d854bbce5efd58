/**
 * The replay accepts a bot's own keys. `ticktape replay` (a real child process) with the default
 * `--auth any`: every well-formed login, sign or token of the documents — Coinstore's LOGIN
 * (`auth.token`, `user-id`), Coinsuper's private CONNECT (`clientId` = access key, password
 * `email,timestamp,md5(access_key,secret_key,email,timestamp)`), Nexus' `X-API-TOKEN`, Coinceres'
 * `api_key` + `sign = sha256("api_key=<k>&secret=<s>")` — is accepted and logged as accepted
 * without a check; one that is not well-formed is still refused. `--auth strict` checks them like
 * the simulator, against the `--credential` sets. An order sent to the replay (Coinceres biz_type
 * 11/12) is refused with a message that says the replay does not trade and how to run it with
 * paper trading. Written from the documents (protocols.md §1.4.5, §2.1, §3.1–3.2, §4.2).
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import WebSocket from 'ws';
import { fixtureData, startReplayProcess } from './fixture.js';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** The bot's own keys: not the demo credentials of any document. */
const MINE = {
  coinstore: { apiKey: 'my-own-coinstore-key', userId: '123456' },
  coinsuper: { accessKey: 'myOwnAccessKey', secretKey: 'myOwnSecret', email: 'bot@example.org' },
  nexus: { token: 'my-own-nexus-token' },
  coinceres: { apiKey: 'myOwnCeresKey', secret: 'myOwnCeresSecret' },
};

type Replay = Awaited<ReturnType<typeof startReplayProcess>>;

/** Opens a socket; resolves with the first `n` messages, or with the refused upgrade's status. */
function talk(url: string, send: string[], n: number): Promise<{ status: number } | { messages: string[]; ws: WebSocket }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const messages: string[] = [];
    ws.on('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0 }));
    ws.on('error', reject);
    ws.on('open', () => {
      for (const s of send) ws.send(s);
      if (n === 0) resolve({ messages, ws });
    });
    ws.on('message', (d: Buffer) => {
      messages.push(d.toString('utf8'));
      if (messages.length === n) resolve({ messages, ws });
    });
  });
}

async function coinstoreLogin(r: Replay, token: string, userId: number | string): Promise<Record<string, unknown>> {
  const res = await talk(`ws://127.0.0.1:${r.port}/coinstore/s/ws`, [JSON.stringify({ op: 'LOGIN', channel: ['7@account', '80002@order'], auth: { 'user-id': userId, token, type: 'api' }, id: 2 })], 3);
  if (!('messages' in res)) throw new Error(`refused ${res.status}`);
  res.ws.close();
  return JSON.parse(res.messages[2]) as Record<string, unknown>;
}

function coinsuperPrivate(r: Replay, c: typeof MINE.coinsuper): Promise<{ ok: boolean; code?: number }> {
  const ts = 1_700_000_000_000;
  const client = mqtt.connect(`ws://127.0.0.1:${r.port}/coinsuper/mqtt`, {
    protocolVersion: 4,
    clientId: c.accessKey,
    username: 'api_private',
    password: `${c.email},${ts},${md5(`${c.accessKey},${c.secretKey},${c.email},${ts}`)}`,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
  });
  return new Promise((resolve) => {
    client.once('connect', () => {
      client.end(true);
      resolve({ ok: true });
    });
    client.once('error', (err: Error & { code?: number }) => {
      client.end(true);
      resolve({ ok: false, code: err.code });
    });
  });
}

const ceresUrl = (r: Replay, endpoint: 'trade' | 'notify', apiKey: string, sign: string) => `ws://127.0.0.1:${r.port}/coinceres/${endpoint}?api_key=${encodeURIComponent(apiKey)}&sign=${encodeURIComponent(sign)}`;

let data: string;
beforeAll(async () => {
  data = await fixtureData('tt-replay-auth-', 3000);
}, 60_000);

describe('ticktape replay --auth any (the default)', () => {
  let r: Replay;
  beforeAll(async () => {
    r = await startReplayProcess(['--data', data]);
  }, 60_000);
  afterAll(async () => r?.stop());

  it("accepts the bot's own well-formed logins, signs and tokens, and logs each as accepted without a check", async () => {
    expect(await coinstoreLogin(r, MINE.coinstore.apiKey, Number(MINE.coinstore.userId))).toMatchObject({ T: 'resp', C: 200 });
    // the document's own LOGIN example (type "token")
    const doc = await talk(`ws://127.0.0.1:${r.port}/coinstore/s/ws`, ['{"op":"LOGIN","channel":["7@account","80002@order"],"auth":{"user-id":4930,"token":"eb737c84862f3d","type":"token"},"id":2}'], 3);
    expect('messages' in doc && JSON.parse(doc.messages[2])).toMatchObject({ T: 'resp', C: 200 });
    if ('ws' in doc) doc.ws.close();

    expect(await coinsuperPrivate(r, MINE.coinsuper)).toEqual({ ok: true });

    const nexus = await talk(`ws://127.0.0.1:${r.port}/nexus/api/realtime?X-API-TOKEN=${MINE.nexus.token}`, [], 0);
    expect('ws' in nexus).toBe(true);
    if ('ws' in nexus) nexus.ws.close();

    const sign = sha256(`api_key=${MINE.coinceres.apiKey}&secret=${MINE.coinceres.secret}`);
    for (const endpoint of ['trade', 'notify'] as const) {
      const s = await talk(ceresUrl(r, endpoint, MINE.coinceres.apiKey, sign), [], 0);
      expect('ws' in s, endpoint).toBe(true);
      if ('ws' in s) s.ws.close();
    }

    // one log line per login accepted unchecked, naming what was accepted but never a secret
    await new Promise((res) => setTimeout(res, 200));
    const unchecked = r
      .stderr()
      .split('\n')
      .filter((l) => l.includes('without a check'));
    expect(unchecked.length).toBeGreaterThanOrEqual(6);
    for (const exchange of ['coinstore', 'coinsuper', 'nexus', 'coinceres'])
      expect(
        unchecked.some((l) => l.includes(`"exchange":"${exchange}"`)),
        exchange,
      ).toBe(true);
    for (const secret of [MINE.coinstore.apiKey, MINE.coinsuper.secretKey, MINE.nexus.token, MINE.coinceres.secret, sign]) expect(r.stderr()).not.toContain(secret);
  });

  it('still refuses what is not well-formed', async () => {
    expect(await talk(`ws://127.0.0.1:${r.port}/nexus/api/realtime`, [], 0)).toEqual({ status: 401 });
    expect(await talk(ceresUrl(r, 'trade', MINE.coinceres.apiKey, 'not-a-sign'), [], 0)).toEqual({ status: 401 });
    const noToken = await talk(`ws://127.0.0.1:${r.port}/coinstore/s/ws`, ['{"op":"LOGIN","channel":[],"auth":{"user-id":1,"type":"api"},"id":1}'], 3);
    expect('messages' in noToken && JSON.parse(noToken.messages[2])).toMatchObject({ C: 401, M: 'signature-failed' });
    if ('ws' in noToken) noToken.ws.close();
  });

  it('an order (Coinceres biz_type 11 and 12) is refused: the replay does not trade, run it with --paper', async () => {
    const sign = sha256(`api_key=${MINE.coinceres.apiKey}&secret=${MINE.coinceres.secret}`);
    const place = '{"exchange":"OKEX","contract":"BTC/USDT","price_type":"limit","entrust_price":"100","entrust_vol":"1","entrust_bs":"buy","client_oid":"12345","biz_type":11}';
    const cancel = '{"system_oid":"126014167605456896","biz_type":12}';
    const res = await talk(ceresUrl(r, 'trade', MINE.coinceres.apiKey, sign), [place, cancel], 2);
    if (!('messages' in res)) throw new Error(`refused ${res.status}`);
    res.ws.close();
    const [a, b] = res.messages.map((m) => JSON.parse(m) as Record<string, unknown>);
    expect(a).toMatchObject({ code: '400', biz_type: 11 });
    expect(b).toMatchObject({ code: '400', biz_type: 12 });
    for (const m of [a, b]) {
      expect(m.message).not.toMatch(/parameter error/);
      expect(m.message).toMatch(/does not trade/);
      expect(m.message).toContain('ticktape replay --paper');
    }
  });
});

describe('ticktape replay --auth strict', () => {
  let r: Replay;
  beforeAll(async () => {
    r = await startReplayProcess([
      '--data',
      data,
      '--auth',
      'strict',
      '--credential',
      `coinstore:apiKey=${MINE.coinstore.apiKey},userId=${MINE.coinstore.userId}`,
      '--credential',
      `coinceres:apiKey=${MINE.coinceres.apiKey},secret=${MINE.coinceres.secret}`,
      '--credential',
      `nexus:token=${MINE.nexus.token}`,
      '--credential',
      `coinsuper:accessKey=${MINE.coinsuper.accessKey},secretKey=${MINE.coinsuper.secretKey},email=${MINE.coinsuper.email}`,
    ]);
  }, 60_000);
  afterAll(async () => r?.stop());

  it("checks logins like the simulator: the configured keys pass, others are refused the exchange's way", async () => {
    expect(await coinstoreLogin(r, MINE.coinstore.apiKey, Number(MINE.coinstore.userId))).toMatchObject({ C: 200 });
    expect(await coinstoreLogin(r, 'someone-elses-key', 1)).toMatchObject({ C: 401, M: 'signature-failed' });

    expect(await coinsuperPrivate(r, MINE.coinsuper)).toEqual({ ok: true });
    expect(await coinsuperPrivate(r, { ...MINE.coinsuper, secretKey: 'wrong' })).toMatchObject({ ok: false, code: 4 });

    const nexus = await talk(`ws://127.0.0.1:${r.port}/nexus/api/realtime?X-API-TOKEN=${MINE.nexus.token}`, [], 0);
    expect('ws' in nexus).toBe(true);
    if ('ws' in nexus) nexus.ws.close();
    expect(await talk(`ws://127.0.0.1:${r.port}/nexus/api/realtime?X-API-TOKEN=other`, [], 0)).toEqual({ status: 401 });

    const good = await talk(ceresUrl(r, 'trade', MINE.coinceres.apiKey, sha256(`api_key=${MINE.coinceres.apiKey}&secret=${MINE.coinceres.secret}`)), [], 0);
    expect('ws' in good).toBe(true);
    if ('ws' in good) good.ws.close();
    expect(await talk(ceresUrl(r, 'trade', MINE.coinceres.apiKey, sha256(`api_key=${MINE.coinceres.apiKey}&secret=wrong`)), [], 0)).toEqual({ status: 401 });
    expect(r.stderr()).not.toContain('without a check');
  });

  it('a bad --auth value is a usage error', async () => {
    await expect(startReplayProcess(['--data', data, '--auth', 'maybe'])).rejects.toThrow(/--auth must be "any"/);
  });
});
