/**
 * Coinstore's numeric instrument ids on the replay, written from the document: "please temporarily
 * use the symbol id (instrumentId)" (`4@trade`, `4@depth@20`, `4@kline@min_1`, `4@ticker`), and
 * every server message names its channel. A bot subscribes in whichever form it likes, whatever
 * form the recording used; every push, batch, REQ answer, LIST entry and echo names the stream as
 * that bot subscribed it, both forms on one connection get each its own pushes, and a form the
 * recording cannot map is refused with Coinstore's own error (3011 "symbol not found").
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReplay, type ReplayServer } from '../../replay/server.js';
import { collect, json, recordSimulated, recordedFrames, tmpDir } from './fixture.js';

type Msg = Record<string, any>;

/** Subscribes, waits for the end of the range (close 1000), returns every message. */
async function session(url: string, commands: unknown[]): Promise<Msg[]> {
  const c = await collect(url);
  for (const cmd of commands) c.ws.send(JSON.stringify(cmd));
  const end = await c.closed;
  expect(end.code).toBe(1000);
  return c.messages.map(json);
}

/** The channel every data push (single or batch element) names. */
function pushChannels(msgs: Msg[]): string[] {
  const out: string[] = [];
  for (const m of msgs) {
    if (!['trade', 'depth', 'kline', 'ticker'].includes(m.T)) continue;
    if (Array.isArray(m.data)) for (const d of m.data) out.push(d.channel);
    else out.push(m.channel);
  }
  return out;
}

async function recording(prefix: string, extra: string[]): Promise<string> {
  const data = path.join(tmpDir(prefix), 'data');
  fs.mkdirSync(data);
  await recordSimulated(data, 4000, extra);
  return data;
}

describe('coinstore replay of a recording made with channel names', () => {
  let data: string;
  let replay: ReplayServer;
  let btcId: number;
  beforeAll(async () => {
    data = await recording('tt-cs-names-', ['--exchange', 'coinstore', '--channels', 'btcusdt@trade,btcusdt@depth@20,btcusdt@kline@min_1,btcusdt@ticker']);
    replay = await startReplay({ dataDir: data, port: 0, speed: 'max', graceMs: 100 });
    const [first] = await recordedFrames(data, 'coinstore', ['btcusdt@trade']);
    btcId = json(first.payload.toString('utf8')).instrumentId;
    expect(typeof btcId).toBe('number');
  }, 60_000);
  afterAll(async () => replay?.close());

  const url = () => `ws://127.0.0.1:${replay.port}/coinstore/s/ws`;

  it('a bot subscribing by id gets every push, echo and LIST entry under the id form', async () => {
    const id = btcId;
    const channels = [`${id}@trade`, `${id}@depth@20`, `${id}@kline@min_1`, `${id}@ticker`];
    const msgs = await session(url(), [
      { op: 'SUB', channel: channels, id: 1 },
      { op: 'LIST', channel: [], id: 2 },
    ]);
    const echo = msgs.find((m) => m.T === 'echo' && m.echo.op === 'SUB')!;
    expect(echo.echo.channel.map((c: Msg) => [c.name, c.instrumentId])).toEqual(channels.map((c) => [c, String(id)]));
    expect(msgs.find((m) => m.T === 'resp' && m.M === 'sub.channel.success')).toBeDefined();
    const list = msgs.find((m) => Array.isArray(m.subs))!;
    expect(list.subs.map((s: Msg) => s.name).sort()).toEqual([...channels].sort());
    const named = pushChannels(msgs);
    expect(named.length).toBeGreaterThan(20);
    expect(new Set(named)).toEqual(new Set(channels));
  });

  it('one connection subscribing both forms gets each push under each name', async () => {
    const msgs = await session(url(), [{ op: 'SUB', channel: [`${btcId}@trade`, 'btcusdt@trade'], id: 1 }]);
    const named = pushChannels(msgs);
    const byId = named.filter((c) => c === `${btcId}@trade`).length;
    const byName = named.filter((c) => c === 'btcusdt@trade').length;
    expect(byId).toBeGreaterThan(5);
    expect(byId).toBe(byName);
    expect(named.length).toBe(byId + byName);
  });

  it('a param.size batch and a REQ answer name the channel as the bot wrote it', async () => {
    const c = await collect(`${url()}?speed=1`);
    c.ws.send(JSON.stringify({ op: 'SUB', channel: [`${btcId}@trade`], id: 1 }));
    await c.waitFor((m) => m.filter((s) => json(s).T === 'trade').length >= 5, 'five trades');
    c.ws.send(JSON.stringify({ op: 'SUB', channel: [`${btcId}@trade`, 'btcusdt@ticker'], param: { size: 3 }, id: 2 }));
    c.ws.send(JSON.stringify({ op: 'REQ', param: { channel: `${btcId}@kline@min_1`, endTime: null, limit: 5 }, id: 3 }));
    await c.waitFor((m) => m.some((s) => Array.isArray(json(s).item)), 'the REQ answer');
    await c.waitFor((m) => m.some((s) => Array.isArray(json(s).data)), 'the batch');
    c.ws.close();
    const msgs = c.messages.map(json);
    const batch = msgs.find((m) => m.T === 'trade' && Array.isArray(m.data))!;
    expect(batch.data.length).toBeGreaterThan(0);
    for (const d of batch.data) expect(d.channel).toBe(`${btcId}@trade`);
    const answer = msgs.find((m) => Array.isArray(m.item))!;
    expect(answer).toMatchObject({ channel: `${btcId}@kline@min_1`, symbol: 'BTCUSDT', instrumentId: btcId });
    expect(answer.item.length).toBeGreaterThan(0);
  });

  it('an id the recording cannot map is refused with 3011 symbol not found, never served empty', async () => {
    const c = await collect(url());
    c.ws.send(JSON.stringify({ op: 'SUB', channel: ['987654@trade'], id: 1 }));
    c.ws.send(JSON.stringify({ op: 'SUB', channel: ['dogeusdt@depth@20'], id: 2 }));
    c.ws.send(JSON.stringify({ op: 'REQ', param: { channel: '987654@kline@min_1', limit: 5 }, id: 3 }));
    await c.waitFor((m) => m.filter((s) => json(s).T === 'resp').length >= 4, 'three answers');
    c.ws.close();
    const answers = c.messages.map(json).filter((m) => m.T === 'resp' && m.M !== 'established');
    expect(answers).toEqual([
      expect.objectContaining({ C: 3011, M: 'symbol not found', payload: expect.stringContaining('987654@trade') }),
      expect.objectContaining({ C: 3011, M: 'symbol not found', payload: expect.stringContaining('dogeusdt@depth@20') }),
      expect.objectContaining({ C: 3011, M: 'symbol not found', payload: expect.stringContaining('987654@kline@min_1') }),
    ]);
  });

  it('a REQ for a k-line interval the recording does not hold is refused, never answered with an empty history', async () => {
    const c = await collect(url());
    c.ws.send(JSON.stringify({ op: 'REQ', param: { channel: `${btcId}@kline@min_5`, endTime: null, limit: 5 }, id: 1 }));
    c.ws.send(JSON.stringify({ op: 'REQ', param: { channel: 'btcusdt@kline@min_1', endTime: null, limit: 5 }, id: 2 }));
    await c.waitFor((m) => m.filter((s) => json(s).T === 'resp').length >= 3, 'two answers');
    c.ws.close();
    const [refused, answered] = c.messages.map(json).filter((m) => m.T === 'resp' && m.M !== 'established');
    expect(refused).toMatchObject({ C: 400, M: 'bad.request', payload: expect.stringContaining(`${btcId}@kline@min_5`) });
    expect(refused.payload).toContain('min_1');
    expect(refused.item).toBeUndefined();
    // the recorded interval is answered (at the start of the replay there is no candle before its time yet)
    expect(answered).toMatchObject({ channel: 'btcusdt@kline@min_1', symbol: 'BTCUSDT' });
    expect(answered.C).toBeUndefined();
    expect(Array.isArray(answered.item)).toBe(true);
  });
});

describe('coinstore replay of a recording made with instrument ids', () => {
  let data: string;
  let replay: ReplayServer;
  beforeAll(async () => {
    // The simulator lists BTC/USDT as instrument 4, as in the document's examples.
    data = await recording('tt-cs-ids-', ['--exchange', 'coinstore', '--channels', '4@trade,4@depth@20']);
    replay = await startReplay({ dataDir: data, port: 0, speed: 'max', graceMs: 100 });
  }, 60_000);
  afterAll(async () => replay?.close());

  it('the recording keys its streams by id, and a bot subscribing by name gets them under the name', async () => {
    expect([...replay.catalog.coinstore.streams.keys()].sort()).toEqual(['4@depth@20', '4@trade']);
    const msgs = await session(`ws://127.0.0.1:${replay.port}/coinstore/s/ws`, [{ op: 'SUB', channel: ['btcusdt@trade', 'btcusdt@depth@20'], id: 1 }]);
    const echo = msgs.find((m) => m.T === 'echo')!;
    expect(echo.echo.channel.map((c: Msg) => [c.name, c.instrumentId])).toEqual([
      ['btcusdt@trade', '4'],
      ['btcusdt@depth@20', '4'],
    ]);
    const named = pushChannels(msgs);
    expect(named.length).toBeGreaterThan(20);
    expect(new Set(named)).toEqual(new Set(['btcusdt@trade', 'btcusdt@depth@20']));
  });
});
