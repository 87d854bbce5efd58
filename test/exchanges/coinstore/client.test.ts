import { describe, expect, it } from 'vitest';
import { coinstore, DEMO_CREDENTIALS } from '../../../exchanges/coinstore/index.js';
import { FIXTURES, TRANSCRIPT } from '../../../exchanges/coinstore/fixtures/messages.js';
import type { StreamSpec } from '../../../exchanges/types.js';
import { TicktapeError } from '../../../core/errors.js';
import { judgeFrame, newCursor } from '../../../recorder/handoff.js';

const client = coinstore.client;
const bytes = (s: string) => Buffer.from(s, 'utf8');
const session = (channels: string[], credentials?: Record<string, string>) =>
  client.createSession({
    endpointUrl: 'ws://127.0.0.1:1/coinstore/s/ws',
    endpoint: 'ws',
    streams: channels.map((c) => client.parseChannel(c)),
    credentials,
    nowMs: () => 1_700_000_000_000,
  });

describe('coinstore channel parsing', () => {
  it('canonical keys: name form, id form, defaults', () => {
    const p = (c: string) => client.parseChannel(c);
    expect(p('btcusdt@trade')).toMatchObject({ key: 'btcusdt@trade', kind: 'trade', symbol: 'BTCUSDT', private: false, endpoint: 'ws' });
    expect(p('BTCUSDT@trade').key).toBe('btcusdt@trade');
    expect(p('4@trade')).toMatchObject({ key: '4@trade', symbol: null, params: { instrumentId: 4, channel: '4@trade' } });
    // ASSUMPTION: @depth without levels is 20 levels
    expect(p('btcusdt@depth')).toMatchObject({ key: 'btcusdt@depth@20', kind: 'book', params: { levels: 20, channel: 'btcusdt@depth' } });
    expect(p('4@depth@50')).toMatchObject({ key: '4@depth@50', params: { levels: 50 } });
    expect(p('btcusdt@kline@min_5')).toMatchObject({ key: 'btcusdt@kline@min_5', kind: 'kline', params: { interval: 'min_5', intervalMs: 300_000 } });
    expect(p('btcusdt@ticker')).toMatchObject({ key: 'btcusdt@ticker', kind: 'ticker' });
    expect(p('!@ticker')).toMatchObject({ key: '!@ticker', kind: 'ticker', symbol: null });
    expect(p('btc@account')).toMatchObject({ key: 'btc@account', kind: 'account', private: true, params: { currency: 'BTC' } });
    expect(p('!@account')).toMatchObject({ key: '!@account', private: true });
    expect(p('btcusdt@order')).toMatchObject({ key: 'btcusdt@order', kind: 'order', private: true, symbol: 'BTCUSDT' });
    expect(p('!@order')).toMatchObject({ key: '!@order', private: true });
  });

  it('refuses what is not documented, with TT_UNKNOWN_CHANNEL', () => {
    for (const bad of ['btcusdt', 'btcusdt@trades', 'btcusdt@depth@7', 'btcusdt@kline@1m', 'btcusdt@kline', '!@trade', 'btc-usdt@trade', 'btcusdt@depth@20@100ms', '']) {
      let err: unknown;
      try {
        client.parseChannel(bad);
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(TicktapeError);
      expect((err as TicktapeError).code).toBe('TT_UNKNOWN_CHANNEL');
    }
  });

  it('plans private streams on their own sockets, at most 50 per socket', () => {
    const pub = Array.from({ length: 120 }, (_, i) => client.parseChannel(`${i + 1}@trade`));
    const priv = [client.parseChannel('!@account'), client.parseChannel('!@order')];
    const groups = client.planConnections([...pub, ...priv]);
    expect(groups.map((g) => g.length)).toEqual([50, 50, 20, 2]);
    expect(groups[3].every((s) => s.private)).toBe(true);
  });

  it('documents the endpoint and lifetime', () => {
    expect(client.endpoints.ws).toMatchObject({ url: 'wss://ws.coinstore.com/s/ws', simPath: '/coinstore/s/ws' });
    expect(client.maxConnectionLifeMs).toBe(24 * 3600 * 1000);
  });
});

describe('coinstore client session', () => {
  it('subscribes public channels with one SUB as written', () => {
    const s = session(['btcusdt@trade', '4@depth']);
    const out = s.onOpen();
    expect(out).toHaveLength(1);
    expect(JSON.parse(String(out[0].data))).toEqual({ op: 'SUB', channel: ['btcusdt@trade', '4@depth'], id: 1 });
    expect(s.url).toBe('ws://127.0.0.1:1/coinstore/s/ws');
    expect(s.safeUrl).toBe(s.url);
  });

  it('logs in for private channels and stores the LOGIN with the key redacted', () => {
    const s = session(['!@account', 'btcusdt@order', 'btcusdt@trade'], DEMO_CREDENTIALS);
    const out = s.onOpen();
    expect(out).toHaveLength(2);
    const login = JSON.parse(String(out[0].data));
    expect(login).toEqual({ op: 'LOGIN', channel: ['!@account', 'btcusdt@order'], auth: { 'user-id': 4930, token: 'eb737c84862f3d', type: 'api' }, id: 1 });
    const stored = Buffer.from(out[0].stored!).toString('utf8');
    expect(stored).not.toContain('eb737c84862f3d');
    expect(JSON.parse(stored).auth.token).toBe('***');
    expect(JSON.parse(String(out[1].data))).toEqual({ op: 'SUB', channel: ['btcusdt@trade'], id: 2 });
  });

  it('refuses private channels without credentials', () => {
    const s = session(['!@account']);
    expect(() => s.onOpen()).toThrow(expect.objectContaining({ code: 'TT_CREDENTIALS_MISSING' }));
  });

  it('keeps alive with {"op":"pong","epochMillis"} every 120 s', () => {
    const s = session(['btcusdt@trade']);
    expect(s.heartbeat?.intervalMs).toBe(120_000);
    const f = s.heartbeat!.frame();
    expect(f).not.toBe('ws-ping');
    expect(JSON.parse(String((f as { data: string }).data))).toEqual({ op: 'pong', epochMillis: 1_700_000_000_000 });
  });

  it('reads the wscat transcript: control frames, ack, session sequence, trade', () => {
    const s = session(['80004@trade']);
    s.onOpen();
    const infos = TRANSCRIPT.filter((f) => f.direction === 'in').map((f) => s.onFrame(bytes(f.text), false));
    expect(infos.map((i) => i.control)).toEqual([true, true, true, false]);
    expect(infos.map((i) => i.sequences?.find((q) => q.scope === 'session')?.value)).toEqual([1, 2, 3, 4]);
    expect(infos[2].acks).toEqual([{ stream: '80004@trade', ok: true }]);
    // the push lands in the stream the connection subscribed, so its stale detector sees the data
    expect(infos[3]).toMatchObject({ stream: '80004@trade', malformed: false });
    // its time is in whole seconds: no key (see below)
    expect(infos[3].exchangeTsMs ?? null).toBeNull();
  });

  it('a push of the second already recorded, on another connection, is no repeat', () => {
    // Order, balance and ticker pushes (and the older trade form) carry a time in whole seconds; at
    // a reconnect the recorder takes a frame no later than the last one from another connection for
    // a repeat, which would drop a new order update of the same second from the normalized tables.
    const order = FIXTURES.find((f) => f.name === 'order push')!.text;
    const next = order.replace('"ordId":12', '"ordId":13').replace('"ordState":"PARTIAL_FILLED"', '"ordState":"FILLED"');
    const account = FIXTURES.find((f) => f.name === 'account push')!.text;
    const nextAccount = account.replace('"available":"3128.29"', '"available":"3127.00"');
    expect(next).not.toBe(order);
    expect(nextAccount).not.toBe(account);
    for (const [first, later, channel] of [
      [order, next, 'btcusdt@order'],
      [account, nextAccount, 'btc@account'],
    ]) {
      const cursor = newCursor();
      const judge = (text: string, connId: string, recvNs: bigint) => {
        const info = session([channel], DEMO_CREDENTIALS).onFrame(bytes(text), false);
        expect(info.stream).toBe(channel);
        return judgeFrame(cursor, connId, { seqMin: null, seqMax: null, tsMs: info.exchangeTsMs ?? null, recvNs });
      };
      expect(judge(first, 'c1', 1n)).not.toBe(true);
      expect(judge(later, 'c2', 2n)).not.toBe(true);
    }
    // a time in ms still orders the frames: the batch's `ts`
    const batch = FIXTURES.find((f) => f.name === 'trade batch (param.size)')!;
    expect(session(['btcjj@trade']).onFrame(bytes(batch.text), false).exchangeTsMs).toBe(1612685698157);
  });

  it('keys a push on the subscription it answers, whichever spelling the server pushes back', () => {
    const push = (channel: string) => bytes(`{"S":4,"T":"trade","channel":"${channel}","time":1604040975,"price":"1","takerSide":"SELL","tradeId":1,"volume":"1","symbol":"EOSUSD","instrumentId":80004}`);
    // subscribed by name, pushed under the id: the symbol names the stream
    expect(session(['eosusd@trade']).onFrame(push('80004@trade'), false).stream).toBe('eosusd@trade');
    // subscribed by id, pushed under the name: the instrumentId names the stream
    expect(session(['80004@trade']).onFrame(push('eosusd@trade'), false).stream).toBe('80004@trade');
    // subscribed both ways: each push goes to its own subscription
    const both = session(['80004@trade', 'eosusd@trade']);
    expect(both.onFrame(push('80004@trade'), false).stream).toBe('80004@trade');
    expect(both.onFrame(push('eosusd@trade'), false).stream).toBe('eosusd@trade');
    // not subscribed at all (a stray push): keyed on the symbol
    expect(session([]).onFrame(push('80004@trade'), false).stream).toBe('eosusd@trade');
    // depth without levels on the wire, canonical key with them
    const depth = bytes('{"S":5,"T":"depth","channel":"btcusdt@depth","level":20,"instrumentId":4,"symbol":"BTCUSDT","b":[],"a":[]}');
    expect(session(['btcusdt@depth']).onFrame(depth, false).stream).toBe('btcusdt@depth@20');
  });

  it("derives every documented push's stream key", () => {
    const s = session(['btcusdt@trade']);
    for (const f of FIXTURES.filter((x) => x.direction === 'in')) {
      expect(s.onFrame(bytes(f.text), false).stream, f.name).toBe(f.stream);
    }
  });

  it('reports trade seq per stream and ts from the batch', () => {
    const s = session(['btcjj@trade']);
    const batch = FIXTURES.find((f) => f.name === 'trade batch (param.size)')!;
    const info = s.onFrame(bytes(batch.text), false);
    expect(info.sequences).toEqual([
      { scope: 'session', value: 15 },
      { scope: 'btcjj@trade', value: 10157 },
      { scope: 'btcjj@trade', value: 10158 },
    ]);
    expect(info.exchangeTsMs).toBe(1612685698157);
  });

  it('pairs a refusal resp with the echoed command: acks and auth', () => {
    const s = session(['!@account'], { apiKey: 'wrong', userId: '1' });
    s.onOpen();
    s.onFrame(bytes('{"S":1,"T":"resp","sid":"a","C":200,"M":"established"}'), false);
    s.onFrame(
      bytes(
        '{"S":2,"T":"echo","sid":"a","C":200,"M":"command.received","echo":{"op":"LOGIN","channel":[{"name":"!@account","type":{"name":"account","auth":"PRI"},"instrumentId":"0","lifeStartTime":1,"msgCount":0,"pub":false}],"auth":{"user-id":1,"token":"***","type":"api"},"id":1}}',
      ),
      false,
    );
    const info = s.onFrame(bytes('{"S":3,"T":"resp","sid":"a","C":401,"M":"signature-failed","payload":"api key not recognised"}'), false);
    expect(info.auth).toEqual({ ok: false, reason: '401 signature-failed: api key not recognised' });
    expect(info.acks).toEqual([{ stream: '!@account', ok: false, reason: '401 signature-failed: api key not recognised' }]);
  });

  it('uses !@ streams for pushes without a channel when subscribed that way', () => {
    const s = session(['!@account', '!@order'], DEMO_CREDENTIALS);
    const account = FIXTURES.find((f) => f.name === 'account push')!;
    expect(s.onFrame(bytes(account.text), false).stream).toBe('!@account');
  });

  it('flags malformed frames and keeps them', () => {
    const s = session(['btcusdt@trade']);
    expect(s.onFrame(bytes('{"S":5,"T":"trade",'), false)).toEqual({ stream: '', malformed: true, control: false });
    expect(s.onFrame(bytes('"just a string"'), false).malformed).toBe(true);
  });

  it('UNSUB uses the channel as written', () => {
    const s = session([]);
    const spec: StreamSpec = client.parseChannel('btcusdt@depth');
    expect(JSON.parse(String(s.unsubscribe([spec])[0].data))).toEqual({ op: 'UNSUB', channel: ['btcusdt@depth'], id: 1 });
  });
});
