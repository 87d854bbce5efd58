/**
 * Per exchange, a client written from the exchange's documentation alone (plain `ws` following
 * protocols.md; MQTT.js for Coinsuper) against the replay server of a recording made by the real
 * recorder from the simulator: the session messages are the exchange's, and the data frames are
 * exactly the recorded frames of the subscribed channels, in recorded order (session fields aside).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { startReplay, type ReplayServer } from '../../replay/server.js';
import { collect, fixtureData, json, recordedFrames, withoutSessionFields, type FrameFloor, type RecordedFrame } from './fixture.js';

let data: string;
let replay: ReplayServer;

const COINSUPER_BOOK = 'exchange_ha_prod_hk/api/ws/v1/market/orderBook/BTC_USDT/0.01';

/** The frames the cases below count on (each asserts more than it uses); recorded until they are there. */
const FLOOR: FrameFloor = [
  ['coinstore', 'btcusdt@trade', 25],
  ['coinstore', 'btcusdt@depth@20', 30],
  ['coinstore', 'btcusdt@kline@min_1', 5],
  ['coinstore', 'btcusdt@ticker', 2],
  ['coinstore', 'ethusdt@ticker', 2],
  ['coinceres', 'OKEX:BTC/USDT:trade', 30],
  ['coinceres', 'OKEX:ETH/USDT:depth10', 30],
  ['nexus', 'API_MARKETDEPTH:BTCUSDT:5', 25],
  ['coinsuper', COINSUPER_BOOK, 25],
];

beforeAll(async () => {
  data = await fixtureData('tt-replay-native-', 4000, FLOOR);
  replay = await startReplay({ dataDir: data, port: 0, speed: 'max', graceMs: 100 });
}, 150_000);
afterAll(async () => {
  await replay?.close();
});

const base = () => `ws://127.0.0.1:${replay.port}`;

/** The recorded frames of `streams` as text, in order. */
async function recordedTexts(exchange: string, streams: string[]): Promise<string[]> {
  return (await recordedFrames(data, exchange, streams)).map((f) => f.payload.toString('utf8'));
}

/** Contiguous run of `part` inside `whole` (its start index), or -1. */
function runIndex(whole: string[], part: string[]): number {
  if (part.length === 0) return -1;
  for (let i = whole.indexOf(part[0]); i >= 0; i = whole.indexOf(part[0], i + 1)) {
    if (part.every((p, j) => whole[i + j] === p)) return i;
  }
  return -1;
}

describe('coinstore', () => {
  it('welcome, echo and resp, S from 1 without holes, then exactly the recorded frames of the channels', async () => {
    const c = await collect(`${base()}/coinstore/s/ws`);
    await c.waitFor((m) => m.length >= 1, 'welcome');
    const welcome = json(c.messages[0]);
    expect(welcome).toMatchObject({ S: 1, T: 'resp', C: 200, M: 'established' });
    expect(typeof welcome.sid).toBe('string');
    c.ws.send(JSON.stringify({ op: 'SUB', channel: ['btcusdt@trade', 'btcusdt@depth@20'], id: 1 }));
    const end = await c.closed;
    expect(end.code).toBe(1000);
    const msgs = c.messages.map(json);
    expect(msgs[1]).toMatchObject({ S: 2, T: 'echo', C: 200, M: 'command.received' });
    expect(msgs[1].echo.channel.map((ch: { name: string }) => ch.name)).toEqual(['btcusdt@trade', 'btcusdt@depth@20']);
    // the instrument id the echo names is the one the recorded frames carry
    const recordedId = json((await recordedTexts('coinstore', ['btcusdt@trade']))[0]).instrumentId;
    expect(msgs[1].echo.channel[0].instrumentId).toBe(String(recordedId));
    expect(msgs[2]).toMatchObject({ S: 3, T: 'resp', C: 200, M: 'sub.channel.success' });
    msgs.forEach((m, i) => expect(m.S).toBe(i + 1));
    for (const m of msgs) if (m.sid !== undefined) expect(m.sid).toBe(welcome.sid);
    const want = await recordedTexts('coinstore', ['btcusdt@trade', 'btcusdt@depth@20']);
    expect(want.length).toBeGreaterThan(50);
    expect(c.messages.slice(3).map(withoutSessionFields)).toEqual(want.map(withoutSessionFields));
  });

  it('UNSUB stops a channel; a later SUB joins at the current replay time, primed with the latest ticker', async () => {
    const c = await collect(`${base()}/coinstore/s/ws?speed=2`);
    c.ws.send(JSON.stringify({ op: 'SUB', channel: ['ethusdt@trade', 'ethusdt@depth@20'], id: 1 }));
    const isData = (s: string, T: string) => json(s).T === T;
    await c.waitFor((m) => m.filter((s) => isData(s, 'trade')).length >= 30, '30 trades');
    c.ws.send(JSON.stringify({ op: 'UNSUB', channel: ['ethusdt@depth@20'], id: 2 }));
    await c.waitFor((m) => m.some((s) => json(s).M === 'unsub.channel.success' || (json(s).T === 'resp' && json(s).S > 3 && json(s).C === 200)), 'UNSUB resp');
    const afterUnsub = c.messages.length;
    await c.waitFor((m) => m.slice(afterUnsub).filter((s) => isData(s, 'trade')).length >= 20, '20 more trades');
    c.ws.send(JSON.stringify({ op: 'SUB', channel: ['ethusdt@ticker'], id: 3 }));
    const end = await c.closed;
    expect(end.code).toBe(1000);
    const msgs = c.messages.map(json);
    msgs.forEach((m, i) => expect(m.S).toBe(i + 1));
    // no depth after the UNSUB answer, trades all along in recorded order
    expect(msgs.slice(afterUnsub).filter((m) => m.T === 'depth')).toEqual([]);
    const trades = c.messages.filter((s) => isData(s, 'trade')).map(withoutSessionFields);
    expect(trades).toEqual((await recordedTexts('coinstore', ['ethusdt@trade'])).map(withoutSessionFields));
    // the ticker channel joined late: its frames are the recorded run up to the end, not from the start
    const tickers = c.messages.filter((s) => isData(s, 'ticker')).map(withoutSessionFields);
    const recorded = (await recordedTexts('coinstore', ['ethusdt@ticker'])).map(withoutSessionFields);
    expect(tickers.length).toBeGreaterThan(0);
    const at = runIndex(recorded, tickers);
    expect(at).toBeGreaterThan(0);
    expect(at + tickers.length).toBe(recorded.length);
  });

  it('REQ kline history comes from the recorded klines, as they stood at the replay time', async () => {
    const klines = await recordedFrames(data, 'coinstore', ['btcusdt@kline@min_1']);
    expect(klines.length).toBeGreaterThan(4);
    const at = klines[Math.floor(klines.length / 2)].recvNs;
    const c = await collect(`${base()}/coinstore/s/ws?from=${at}`);
    c.ws.send(JSON.stringify({ op: 'REQ', param: { channel: 'btcusdt@kline@min_1', endTime: null, limit: 200 }, id: 4 }));
    await c.waitFor((m) => m.some((s) => Array.isArray(json(s).item)), 'the REQ answer');
    const answer = c.messages.map(json).find((m) => Array.isArray(m.item));
    expect(answer.channel).toBe('btcusdt@kline@min_1');
    const latest = json(
      klines
        .filter((k) => k.recvNs < at)
        .pop()!
        .payload.toString('utf8'),
    );
    const last = answer.item[answer.item.length - 1];
    expect(last).toMatchObject({ startTime: latest.startTime, open: latest.open, close: latest.close, high: latest.high, low: latest.low, volume: latest.volume, amount: latest.amount });
    // nothing from after the replay time
    const after = json(klines[klines.length - 1].payload.toString('utf8'));
    if (after.close !== latest.close || after.volume !== latest.volume) expect(answer.item).not.toContainEqual(expect.objectContaining({ volume: after.volume, close: after.close }));
    c.messages.map(json).forEach((m, i) => expect(m.S).toBe(i + 1));
    c.ws.terminate();
  });

  it('the pong message is accepted without a reply and a ping message is answered with the documented pong message', async () => {
    // protocols.md §1.1: the server "supports both WebSocket pong frames and pong messages" {"op":"pong","epochMillis":…}
    const c = await collect(`${base()}/coinstore/s/ws`);
    await c.waitFor((m) => m.length >= 1, 'welcome');
    c.ws.send(JSON.stringify({ op: 'pong', epochMillis: 1604040975 }));
    c.ws.send(JSON.stringify({ op: 'ping' }));
    c.ws.send(JSON.stringify({ op: 'LIST', channel: [], id: 3 }));
    await c.waitFor((m) => m.some((s) => Array.isArray(json(s).subs)), 'the LIST answer');
    const msgs = c.messages.map(json);
    c.ws.terminate();
    // welcome, the pong answering the ping (no envelope, not counted in S), then the LIST echo and answer
    expect(msgs).toHaveLength(4);
    expect(Object.keys(msgs[1])).toEqual(['op', 'epochMillis']);
    expect(msgs[1].op).toBe('pong');
    expect(Number.isInteger(msgs[1].epochMillis)).toBe(true);
    expect(msgs[2]).toMatchObject({ S: 2, T: 'echo' });
    expect(msgs[3]).toMatchObject({ S: 3, T: 'resp', subs: [] });
  });

  it("!@ticker, not recorded as such, is the document's array push of every recorded ticker", async () => {
    // protocols.md §1.6: `!@ticker` pushes `{"data":[{"channel":"80002@ticker","open",…,"symbol","instrumentId"}, …]}`
    const c = await collect(`${base()}/coinstore/s/ws`);
    c.ws.send(JSON.stringify({ op: 'SUB', channel: ['!@ticker'], id: 1 }));
    const end = await c.closed;
    expect(end.code).toBe(1000);
    const msgs = c.messages.map(json);
    expect(msgs[2]).toMatchObject({ T: 'resp', C: 200, M: 'sub.channel.success' });
    msgs.forEach((m, i) => expect(m.S).toBe(i + 1));
    const arrays = msgs.slice(3);
    expect(arrays.length).toBeGreaterThan(0);
    const fields = ['open', 'high', 'low', 'close', 'volume', 'amount'] as const;
    for (const symbol of ['btcusdt', 'ethusdt']) {
      const recorded = (await recordedTexts('coinstore', [`${symbol}@ticker`])).map(json);
      expect(recorded.length).toBeGreaterThan(0);
      const got = arrays.flatMap((m) => {
        expect(m).toMatchObject({ T: 'ticker', channel: '!@ticker' });
        return (m.data as any[]).filter((d) => d.symbol === recorded[0].symbol);
      });
      // every recorded ticker once, in order, under the id form as in the document's example
      expect(got.map((d) => fields.map((f) => d[f]))).toEqual(recorded.map((r) => fields.map((f) => r[f])));
      for (const d of got) expect(d).toMatchObject({ channel: `${recorded[0].instrumentId}@ticker`, instrumentId: recorded[0].instrumentId });
    }
  });

  it('SUB with param.size: right after the resp, one batch of the latest recorded trades before the replay time, then the trades after it', async () => {
    const trades = await recordedFrames(data, 'coinstore', ['btcusdt@trade']);
    expect(trades.length).toBeGreaterThan(20);
    const at = trades[Math.floor(trades.length / 2)].recvNs;
    const c = await collect(`${base()}/coinstore/s/ws?from=${at}`);
    c.ws.send(JSON.stringify({ op: 'SUB', channel: ['btcusdt@trade'], param: { size: 5 }, id: 7 }));
    const end = await c.closed;
    expect(end.code).toBe(1000);
    const msgs = c.messages.map(json);
    msgs.forEach((m, i) => expect(m.S).toBe(i + 1));
    expect(msgs[2]).toMatchObject({ T: 'resp', C: 200, M: 'sub.channel.success' });
    // the batch: the five recorded pushes before the replay time, oldest first, as recorded but for S and T
    const body = (f: RecordedFrame) => {
      const { S: _s, T: _t, ...rest } = json(f.payload.toString('utf8'));
      return rest;
    };
    const before = trades.filter((f) => f.recvNs < at).slice(-5);
    expect(before).toHaveLength(5);
    expect(msgs[3]).toEqual({ S: 4, T: 'trade', data: before.map(body) });
    // then exactly the recorded trades from the replay time on (nothing of the batch twice)
    const after = trades.filter((f) => f.recvNs >= at).map((f) => withoutSessionFields(f.payload.toString('utf8')));
    expect(c.messages.slice(4).map(withoutSessionFields)).toEqual(after);
  });

  it('param.size at the start of the recording: no trades before, no batch', async () => {
    const c = await collect(`${base()}/coinstore/s/ws`);
    c.ws.send(JSON.stringify({ op: 'SUB', channel: ['btcusdt@trade'], param: { size: 5 }, id: 8 }));
    await c.closed;
    const msgs = c.messages.map(json);
    expect(msgs.filter((m) => Array.isArray(m.data))).toEqual([]);
    expect(msgs.slice(3).every((m) => m.T === 'trade' && typeof m.tradeId === 'number')).toBe(true);
  });

  it('LIST names the subscriptions; bad input gets an error reply and the server stays up', async () => {
    const c = await collect(`${base()}/coinstore/s/ws?speed=1`);
    c.ws.send('not json');
    c.ws.send(JSON.stringify({ op: 'FLY', id: 5 }));
    c.ws.send(JSON.stringify({ op: 'SUB', channel: ['nosuch@trade'], id: 6 }));
    c.ws.send(JSON.stringify({ op: 'SUB', channel: ['btcusdt@trade'], id: 7 }));
    c.ws.send(JSON.stringify({ op: 'LIST', channel: [], id: 8 }));
    await c.waitFor((m) => m.some((s) => Array.isArray(json(s).subs)), 'LIST answer');
    const msgs = c.messages.map(json);
    const errors = msgs.filter((m) => m.T === 'resp' && m.C !== 200);
    expect(errors.length).toBeGreaterThanOrEqual(3);
    const list = msgs.find((m) => Array.isArray(m.subs));
    expect(list.subs.map((s: { name: string }) => s.name)).toEqual(['btcusdt@trade']);
    msgs.forEach((m, i) => expect(m.S).toBe(i + 1));
    c.ws.terminate();
    // oversized frame: closed by the server (1009), which keeps serving others
    const big = await collect(`${base()}/coinstore/s/ws`);
    big.ws.send('x'.repeat(200_000));
    expect((await big.closed).code).toBe(1009);
    const again = await collect(`${base()}/coinstore/s/ws`);
    await again.waitFor((m) => m.length >= 1, 'welcome after the bad clients');
    again.ws.terminate();
  });
});

describe('coinceres', () => {
  it('info handshake, subscribed-* acks, then exactly the recorded frames of the channels', async () => {
    const c = await collect(`${base()}/coinceres/market`);
    await c.waitFor((m) => m.length >= 1, 'handshake');
    expect(json(c.messages[0])).toHaveProperty('info');
    c.ws.send(
      JSON.stringify([
        { msg_type: 'subscribe-trade', exchange: 'OKEX', contract: 'BTC/USDT' },
        { msg_type: 'subscribe-depth10', exchange: 'OKEX', contract: 'ETH/USDT' },
      ]),
    );
    const end = await c.closed;
    expect(end.code).toBe(1000);
    const ack = json(c.messages[1]);
    expect(Array.isArray(ack)).toBe(true);
    expect(ack.map((a: { msg_type: string; code: number }) => [a.msg_type, a.code])).toEqual([
      ['subscribed-trade', 200],
      ['subscribed-depth10', 200],
    ]);
    const want = await recordedTexts('coinceres', ['OKEX:BTC/USDT:trade', 'OKEX:ETH/USDT:depth10']);
    expect(want.length).toBeGreaterThan(50);
    expect(c.messages.slice(2)).toEqual(want);
  });

  it('an unknown channel gets code 400 and a ping still gets its pong', async () => {
    const c = await collect(`${base()}/coinceres/market`);
    c.ws.send(JSON.stringify([{ msg_type: 'subscribe-trade', exchange: 'NOPE', contract: 'XXX/YYY' }]));
    c.ws.send('{{{');
    c.ws.send(JSON.stringify({ msg_type: 'ping' }));
    await c.waitFor((m) => m.some((s) => json(s).msg_type === 'pong'), 'pong');
    const acks = c.messages
      .map(json)
      .filter((m) => Array.isArray(m))
      .flat();
    expect(acks.some((a: { code: number }) => a.code !== 200)).toBe(true);
    c.ws.terminate();
  });
});

describe('nexus', () => {
  const token = 'WHZWUFAxWlV0bzdMMzl5N1dmYy1z'; // the documented demo token the simulator accepts

  it('no acks; exactly the recorded depth frames of the subscribed symbol', async () => {
    const c = await collect(`${base()}/nexus/api/realtime?X-API-TOKEN=${token}`);
    c.ws.send(JSON.stringify({ id: '1630055515109', action: 'SUBSCRIBE', event: 'API_MARKETDEPTH', symbol: 'BTCUSDT', depth: 5 }));
    const end = await c.closed;
    expect(end.code).toBe(1000);
    const want = await recordedTexts('nexus', ['API_MARKETDEPTH:BTCUSDT:5']);
    expect(want.length).toBeGreaterThan(20);
    expect(c.messages).toEqual(want);
  });

  it('refuses a connection without the token', async () => {
    await expect(collect(`${base()}/nexus/api/realtime`)).rejects.toThrow(/401/);
  });
});

describe('coinsuper (MQTT over WebSocket)', () => {
  it('CONNACK, SUBACK, then exactly the recorded payloads of the topic', async () => {
    const topic = COINSUPER_BOOK;
    const recorded = await recordedFrames(data, 'coinsuper', [topic]);
    const want = recorded.flatMap((f) =>
      publishes(f)
        .filter((p) => p.topic === topic)
        .map((p) => p.payload),
    );
    expect(want.length).toBeGreaterThan(20);
    const clientId = 'a'.repeat(32) + 'b'.repeat(32) + 'c'.repeat(32);
    const client = await mqtt.connectAsync(`${base()}/coinsuper/mqtt`, {
      clientId,
      username: 'api_subscriber',
      password: 'da65be18f44b33b69603c39fd03ddf49',
      protocolVersion: 4,
      reconnectPeriod: 0,
      clean: true,
    });
    const got: string[] = [];
    const closed = new Promise<void>((resolve) => client.stream.once('close', () => resolve()));
    client.on('message', (t, payload) => {
      if (t === topic) got.push(payload.toString('utf8'));
    });
    const granted = await client.subscribeAsync(topic, { qos: 0 });
    expect(granted.map((g) => g.qos)).toEqual([0]);
    await closed; // end of the range closes the socket
    await client.endAsync(true);
    expect(got).toEqual(want);
  });

  it('refuses a bad password with CONNACK 4 (or 5)', async () => {
    const client = mqtt.connect(`${base()}/coinsuper/mqtt`, { clientId: 'x'.repeat(96), username: 'api_subscriber', password: 'wrong', protocolVersion: 4, reconnectPeriod: 0 });
    const err = await new Promise<Error & { code?: number }>((resolve) => client.once('error', resolve));
    expect([4, 5]).toContain(err.code);
    await client.endAsync(true);
  });
});

/** The PUBLISH packets inside one recorded Coinsuper frame. */
function publishes(f: RecordedFrame): Array<{ topic: string; payload: string }> {
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const out: Array<{ topic: string; payload: string }> = [];
  parser.on('packet', (p) => {
    if (p.cmd === 'publish') out.push({ topic: p.topic, payload: Buffer.from(p.payload as Buffer).toString('utf8') });
  });
  parser.parse(f.payload);
  return out;
}
