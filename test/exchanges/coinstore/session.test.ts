/**
 * The Coinstore server session over a real socket: the real host, a plain `ws` client, a feed
 * driven by hand. Deterministic: every wait is for a message or a close, never for a duration.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRANSCRIPT } from '../../../exchanges/coinstore/fixtures/messages.js';
import { coinstore } from '../../../exchanges/coinstore/index.js';
import { makeSid } from '../../../exchanges/coinstore/session.js';
import type { KlineEvent } from '../../../exchanges/market.js';
import { connect, seeded, startCoinstore, type Received } from './harness.js';
import { BTC, EOS, ETH, balance, book, kline, order, ticker, trade } from './events.js';

const SID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Keys (in order) and value types, recursively: "same keys" including their order. */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(shape);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shape(x)]));
  return v === null ? 'null' : typeof v;
}
const transcript = TRANSCRIPT.map((f) => JSON.parse(f.text) as Record<string, unknown>);

describe('coinstore session: the documented wscat transcript', () => {
  let ctx: Awaited<ReturnType<typeof startCoinstore>>;
  beforeAll(async () => {
    ctx = await startCoinstore();
  });
  afterAll(async () => ctx.host.close());

  it('reproduces the transcript message for message', async () => {
    const { c, welcome } = await connect(ctx.url);
    try {
      // < {"S":1,"T":"resp","sid":...,"C":200,"M":"established"}
      expect(JSON.stringify(shape(welcome.msg))).toBe(JSON.stringify(shape(transcript[0])));
      expect(welcome.msg).toEqual({ ...transcript[0], sid: welcome.msg.sid });
      const sid = welcome.msg.sid as string;
      expect(sid).toMatch(SID_RE);

      // > {"op":"SUB","channel":["80004@trade"],"id":1}
      c.send(TRANSCRIPT[1].text);
      const [echo, resp] = await c.take(2);
      expect(JSON.stringify(shape(echo.msg))).toBe(JSON.stringify(shape(transcript[2])));
      const echoed = echo.msg.echo as { channel: Array<{ lifeStartTime: number }> };
      const life = echoed.channel[0].lifeStartTime;
      expect(Math.abs(life - Date.now() / 1000)).toBeLessThan(3600); // seconds, not ms
      const expectedEcho = structuredClone(transcript[2]) as { sid: string; echo: { channel: Array<{ lifeStartTime: number }> } };
      expectedEcho.sid = sid;
      expectedEcho.echo.channel[0].lifeStartTime = life;
      expect(echo.msg).toEqual(expectedEcho);
      expect(JSON.stringify(shape(resp.msg))).toBe(JSON.stringify(shape(transcript[3])));
      expect(resp.msg).toEqual({ ...transcript[3], sid });

      // < {"S":4,"T":"trade","channel":"80004@trade",...}
      expect(ctx.feed.event('eosusd@trade', trade(EOS, 1))).toBe(1);
      const push = await c.next();
      const want = transcript[4];
      expect(
        Object.keys(push.msg)
          .filter((k) => !(k in want))
          .sort(),
      ).toEqual(['seq', 'ts']);
      for (const k of Object.keys(want)) expect(typeof push.msg[k], k).toBe(typeof want[k]);
      expect(push.msg).toMatchObject({ S: 4, T: 'trade', channel: '80004@trade', symbol: 'EOSUSD', instrumentId: 80004, takerSide: 'SELL', price: '9811.7494086', volume: '7.505' });
      expect(push.msg.time).toBe(Math.floor((push.msg.ts as number) / 1000));
      // the push is what the normalizer and the client side read back
      expect(coinstore.createNormalizer().normalize({ payload: Buffer.from(push.text), kind: 'text', stream: '', endpoint: '', recvNs: 0n })).toEqual([
        { table: 'trades', symbol: 'EOSUSD', exchange_ts_ms: push.msg.ts, trade_id: String(push.msg.tradeId), price: '9811.7494086', amount: '7.505', side: 'sell' },
      ]);
    } finally {
      c.close();
    }
  });

  it('sid is UUID-shaped, fixed per session and deterministic under a seed', async () => {
    expect(makeSid(seeded(7))).toBe(makeSid(seeded(7)));
    expect(makeSid(seeded(7))).not.toBe(makeSid(seeded(8)));
    const a = await connect(ctx.url);
    const b = await connect(ctx.url);
    expect(a.welcome.msg.sid).not.toBe(b.welcome.msg.sid);
    const { echo, resp } = await a.c.command({ op: 'LIST', channel: [], id: 3 });
    expect(echo.msg.sid).toBe(a.welcome.msg.sid);
    expect(resp.msg.sid).toBe(a.welcome.msg.sid);
    a.c.close();
    b.c.close();
  });
});

describe('coinstore session: subscriptions and data', () => {
  let ctx: Awaited<ReturnType<typeof startCoinstore>>;
  const history: KlineEvent[] = Array.from({ length: 300 }, (_, i) => kline(BTC, 60_000, 1_700_000_000_000 + i * 60_000));
  beforeAll(async () => {
    ctx = await startCoinstore({
      klineHistory: (inst, intervalMs, endTimeMs, limit) => history.filter((k) => k.inst.id === inst.id && k.intervalMs === intervalMs && (endTimeMs === null || k.openTsMs < endTimeMs)).slice(-limit),
      recentTrades: (inst, limit) => [trade(inst, 1), trade(inst, 2), trade(inst, 3)].slice(-limit),
    });
  });
  afterAll(async () => ctx.host.close());

  it('by id and by name: one feed stream, pushed under each name; UNSUB stops data', async () => {
    const { c } = await connect(ctx.url);
    try {
      const a = await c.command({ op: 'SUB', channel: ['4@trade'], id: 1 });
      const b = await c.command({ op: 'SUB', channel: ['btcusdt@trade'], id: 2 });
      expect([a.resp.msg.M, b.resp.msg.M]).toEqual(['sub.channel.success', 'sub.channel.success']);
      expect((a.echo.msg.echo as { channel: Array<{ instrumentId: string }> }).channel[0].instrumentId).toBe('4');
      expect((b.echo.msg.echo as { channel: Array<{ instrumentId: string }> }).channel[0].instrumentId).toBe('4');
      const mine = ctx.feed.subscribed().at(-1)!;
      expect(mine).toEqual(['btcusdt@trade']);
      expect(ctx.feed.specs.at(-1)).toMatchObject({ key: 'btcusdt@trade', kind: 'trade', symbol: 'BTCUSDT', params: { instrumentId: 4 } });

      ctx.feed.event('btcusdt@trade', trade(BTC, 1));
      const pushes = await c.take(2);
      expect(pushes.map((p) => p.msg.channel).sort()).toEqual(['4@trade', 'btcusdt@trade']);
      expect(pushes.every((p) => p.msg.symbol === 'BTCUSDT')).toBe(true);

      const u1 = await c.command({ op: 'UNSUB', channel: ['4@trade'], id: 3 });
      expect(u1.resp.msg).toMatchObject({ T: 'resp', C: 200, M: 'unsub.channel.success' });
      expect(ctx.feed.subscribed().at(-1)).toEqual(['btcusdt@trade']); // still one alias left
      await c.command({ op: 'UNSUB', channel: ['btcusdt@trade'], id: 4 });
      expect(ctx.feed.subscribed().at(-1)).toEqual([]);
      expect(ctx.feed.event('btcusdt@trade', trade(BTC, 2))).toBe(0);
      // the next message is the LIST echo: no trade slipped in after the UNSUB
      const list = await c.command({ op: 'LIST', channel: [], id: 5 });
      expect(list.echo.msg.T).toBe('echo');
      expect(list.resp.msg.subs).toEqual([]);
    } finally {
      c.close();
    }
  });

  it('LIST shows subscriptions with msgCount, as documented', async () => {
    const { c } = await connect(ctx.url);
    try {
      await c.command({ op: 'SUB', channel: ['80004@trade'], id: 1 });
      for (let i = 1; i <= 3; i++) ctx.feed.event('eosusd@trade', trade(EOS, i));
      await c.take(3);
      const { echo, resp } = await c.command({ op: 'LIST', channel: [], id: 3 });
      expect(echo.msg.echo).toEqual({ op: 'LIST', channel: [], id: 3 });
      const documented = { S: 12, T: 'resp', subs: [{ name: '80004@trade', type: { name: 'trade', auth: 'PUB' }, instrumentId: '80004', lifeStartTime: 1604043594, msgCount: 212 }], sid: 'x' };
      expect(JSON.stringify(shape(resp.msg))).toBe(JSON.stringify(shape(documented)));
      expect((resp.msg.subs as Array<{ msgCount: number }>)[0].msgCount).toBe(3);
    } finally {
      c.close();
    }
  });

  it('param.size sends the recent trades as one batch after the resp', async () => {
    const { c } = await connect(ctx.url);
    try {
      const { resp } = await c.command({ op: 'SUB', channel: ['4@trade'], param: { size: 2 }, id: 1 });
      expect(resp.msg.M).toBe('sub.channel.success');
      const batch = await c.next();
      expect(Object.keys(batch.msg)).toEqual(['S', 'T', 'data']);
      const data = batch.msg.data as Array<Record<string, unknown>>;
      expect(data.map((d) => d.tradeId)).toEqual([26462, 26463]);
      expect(Object.keys(data[0])).toEqual(['channel', 'price', 'tradeId', 'seq', 'ts', 'takerSide', 'time', 'volume', 'symbol', 'instrumentId']);
      expect(data[0].channel).toBe('4@trade');
    } finally {
      c.close();
    }
  });

  it('REQ returns history k-lines: endTime exclusive (seconds), limit at most 200', async () => {
    const { c } = await connect(ctx.url);
    try {
      const cmd = { op: 'REQ', param: { channel: '4@kline@min_1', endTime: null, limit: 200 }, id: 1 };
      c.send(cmd);
      const [echo, reply] = await c.take(2);
      expect(echo.msg.echo).toEqual(cmd);
      expect(reply.msg).toMatchObject({ T: 'resp', channel: '4@kline@min_1', symbol: 'BTCUSDT', instrumentId: 4, sid: echo.msg.sid });
      const items = reply.msg.item as Array<Record<string, unknown>>;
      expect(items).toHaveLength(200);
      expect(Object.keys(items[0])).toEqual(['interval', 'startTime', 'endTime', 'lastTradeId', 'firstTradeId', 'close', 'open', 'high', 'low', 'volume', 'amount']);
      expect(items[0]).toMatchObject({ interval: 'min_1', endTime: (items[0].startTime as number) + 59 });

      const end = 1_700_000_000 + 10 * 60; // the 11th candle's start: excluded
      c.send({ op: 'REQ', param: { channel: 'btcusdt@kline@min_1', endTime: end, limit: 500 }, id: 2 });
      const [, r2] = await c.take(2);
      const it2 = r2.msg.item as Array<{ startTime: number }>;
      expect(it2.map((k) => k.startTime)).toEqual(Array.from({ length: 10 }, (_, i) => 1_700_000_000 + i * 60));

      c.send({ op: 'REQ', param: { channel: '4@trade' }, id: 3 });
      const [, r3] = await c.take(2);
      expect(r3.msg).toMatchObject({ T: 'resp', C: 400, M: 'bad.request' });
    } finally {
      c.close();
    }
  });

  it('formats depth (top N of the subscribed N), kline, ticker and !@ticker pushes', async () => {
    const { c } = await connect(ctx.url);
    try {
      await c.command({ op: 'SUB', channel: ['btcusdt@depth', '4@depth@5', '4@kline@min_1', '4@kline@min_5', 'btcusdt@ticker', '!@ticker'], id: 1 });
      ctx.feed.event('btcusdt@depth@20', book(BTC));
      ctx.feed.event('btcusdt@depth@5', book(BTC));
      const [d20, d5] = await c.take(2);
      expect(Object.keys(d20.msg)).toEqual(['S', 'T', 'channel', 'level', 'instrumentId', 'symbol', 'b', 'a']);
      expect(d20.msg).toMatchObject({ T: 'depth', channel: 'btcusdt@depth', level: 20, symbol: 'BTCUSDT', instrumentId: 4 });
      expect((d20.msg.b as string[][]).length).toBe(20);
      expect((d5.msg.a as string[][]).length).toBe(5);
      const bids = (d5.msg.b as string[][]).map((e) => Number(e[0]));
      const asks = (d5.msg.a as string[][]).map((e) => Number(e[0]));
      expect(bids).toEqual([...bids].sort((x, y) => y - x));
      expect(asks).toEqual([...asks].sort((x, y) => x - y));
      expect((d5.msg.b as string[][]).every((e) => e.length === 2)).toBe(true);

      ctx.feed.event('btcusdt@kline@min_1', kline(BTC, 60_000));
      const k = await c.next();
      expect(k.msg).toMatchObject({ T: 'kline', channel: '4@kline@min_1', interval: 'min_1', startTime: 1_700_000_040, endTime: 1_700_000_099, open: '100.00', close: '100.50', volume: '12.3456', amount: '1240.12' });
      ctx.feed.event('btcusdt@kline@min_5', kline(BTC, 300_000, 1_700_000_100_000));
      const k5 = await c.next();
      expect(k5.msg).toMatchObject({ channel: '4@kline@min_5', endTime: 1_700_000_399 });

      // !@ticker from the per-instrument tickers (the feed has no !@ticker stream of its own)
      expect(ctx.feed.subscribed().at(-1)).toEqual(expect.arrayContaining(['btcusdt@ticker', 'ethusdt@ticker', 'eosusd@ticker']));
      ctx.feed.event('btcusdt@ticker', ticker(BTC));
      ctx.feed.event('ethusdt@ticker', ticker(ETH, '2000.10'));
      const [t1, all] = await c.take(2);
      expect(t1.msg).toMatchObject({ T: 'ticker', channel: 'btcusdt@ticker', close: '100.50', amount: '500000.5' });
      expect(all.msg).toMatchObject({ T: 'ticker', channel: '!@ticker' });
      const data = all.msg.data as Array<Record<string, unknown>>;
      expect(data.map((d) => [d.channel, d.symbol, d.close])).toEqual([
        ['4@ticker', 'BTCUSDT', '100.50'],
        ['5@ticker', 'ETHUSDT', '2000.10'],
      ]);
      const rows = coinstore.createNormalizer().normalize({ payload: Buffer.from(all.text), kind: 'text', stream: '!@ticker', endpoint: '', recvNs: 0n });
      expect(rows.map((r) => r.symbol)).toEqual(['BTCUSDT', 'ETHUSDT']);
      // UNSUB of !@ticker releases the per-instrument streams it took, but not the direct one
      await c.command({ op: 'UNSUB', channel: ['!@ticker'], id: 2 });
      const left = ctx.feed.subscribed().at(-1)!;
      expect(left).toContain('btcusdt@ticker');
      expect(left).not.toContain('ethusdt@ticker');
    } finally {
      c.close();
    }
  });

  it('S counts every server message from 1 without holes', async () => {
    const { c, welcome } = await connect(ctx.url);
    try {
      await c.command({ op: 'SUB', channel: ['4@trade', '5@depth@10'], param: { size: 3 }, id: 1 });
      await c.next(); // batch for 4@trade (5@depth has none)
      c.send('garbage');
      await c.next();
      await c.command({ op: 'NOPE', id: 2 });
      for (let i = 0; i < 20; i++) {
        ctx.feed.event('btcusdt@trade', trade(BTC, i));
        ctx.feed.event('ethusdt@depth@10', book(ETH));
      }
      await c.take(40);
      await c.command({ op: 'LIST', channel: [], id: 3 });
      await c.command({ op: 'UNSUB', channel: ['4@trade'], id: 4 });
      const seqs = [welcome, ...c.all.slice(1)].map((r: Received) => r.msg.S);
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
      // welcome, SUB echo+resp+batch, garbage resp (nothing to echo), NOPE echo+resp, pushes, LIST, UNSUB
      expect(seqs.length).toBe(1 + 3 + 1 + 2 + 40 + 2 + 2);
    } finally {
      c.close();
    }
  });
});

describe('coinstore session: login and private channels', () => {
  let ctx: Awaited<ReturnType<typeof startCoinstore>>;
  beforeAll(async () => {
    ctx = await startCoinstore();
  });
  afterAll(async () => ctx.host.close());

  it('refuses a wrong API key with C:401 signature-failed, and private SUB before LOGIN with C:1401', async () => {
    const { c } = await connect(ctx.url);
    try {
      const bad = await c.command({ op: 'LOGIN', channel: ['!@account'], auth: { 'user-id': 4930, token: 'not-the-key', type: 'api' }, id: 1 });
      // the echo never carries the token back
      expect(bad.echo.text).not.toContain('not-the-key');
      expect(bad.echo.msg.echo).toMatchObject({ op: 'LOGIN', auth: { 'user-id': 4930, token: '***', type: 'api' }, id: 1 });
      expect(bad.resp.msg).toMatchObject({ T: 'resp', C: 401, M: 'signature-failed' });
      expect(ctx.feed.subscribed().at(-1)).toEqual([]);
      const wrongUser = await c.command({ op: 'LOGIN', channel: [], auth: { 'user-id': 1, token: 'eb737c84862f3d', type: 'api' }, id: 2 });
      expect(wrongUser.resp.msg).toMatchObject({ C: 401, M: 'signature-failed' });
      const early = await c.command({ op: 'SUB', channel: ['btcusdt@order'], id: 3 });
      expect(early.resp.msg).toMatchObject({ C: 1401, M: 'unauthorized' });
      // the session stays usable
      const pub = await c.command({ op: 'SUB', channel: ['4@trade'], id: 4 });
      expect(pub.resp.msg.C).toBe(200);
    } finally {
      c.close();
    }
  });

  it('logs in with the documented example key and streams account and order pushes', async () => {
    const { c } = await connect(ctx.url);
    try {
      const ok = await c.command({ op: 'LOGIN', channel: ['usdt@account', '!@order'], auth: { 'user-id': 4930, token: 'eb737c84862f3d', type: 'api' }, id: 2 });
      expect(ok.resp.msg).toMatchObject({ C: 200, M: 'sub.channel.success' });
      const ch = (ok.echo.msg.echo as { channel: Array<{ type: { auth: string }; pub: boolean }> }).channel;
      expect(ch.map((x) => [x.type.auth, x.pub])).toEqual([
        ['PRI', false],
        ['PRI', false],
      ]);
      expect(ctx.feed.subscribed().at(-1)).toEqual(['!@order', 'usdt@account']);
      expect(ctx.feed.specs.find((s) => s.key === 'usdt@account')).toMatchObject({ kind: 'account', private: true, symbol: null, params: { currency: 'USDT' } });

      ctx.feed.event('usdt@account', balance('BTC')); // another currency: not for this channel
      ctx.feed.event('usdt@account', balance('USDT'));
      const acc = await c.next();
      expect(acc.msg).toMatchObject({ T: 'account', channel: 'usdt@account', currency: 'USDT', available: '3128.29', frozen: '21.03', timestamp: 1_700_000_000 });

      ctx.feed.event('!@order', order(BTC, false));
      ctx.feed.event('!@order', order(BTC, true));
      const [o1, o2] = await c.take(2);
      expect(o1.msg).toMatchObject({ T: 'order', ordId: 1722364585836586, ordState: 'SUBMITTED', ordAmt: '1437.2341', remainingQty: '11.21', matchQty: '0' });
      expect(o2.msg).toMatchObject({ ordState: 'PARTIAL_FILLED', execQty: '1.9', matchId: 123, matchRole: 'TAKER', matchQty: '1.9', matchAmt: '243.599', fee: 0.0038 });
      const rows = coinstore.createNormalizer().normalize({ payload: Buffer.from(o2.text), kind: 'text', stream: '!@order', endpoint: '', recvNs: 0n });
      expect(rows).toEqual([
        expect.objectContaining({ table: 'orders', order_id: '1722364585836586', status: 'PARTIAL_FILLED', filled_amount: '1.9', avg_price: '128.21' }),
        expect.objectContaining({ table: 'fills', fill_id: '123', price: '128.21', amount: '1.9', fee: '0.0038', liquidity: 'taker' }),
      ]);
    } finally {
      c.close();
    }
  });
});

describe('coinstore session: bad requests', () => {
  let ctx: Awaited<ReturnType<typeof startCoinstore>>;
  beforeAll(async () => {
    ctx = await startCoinstore();
  });
  afterAll(async () => ctx.host.close());

  it('answers bad JSON, unknown ops and unknown channels with C:400 and keeps the session', async () => {
    const { c } = await connect(ctx.url);
    try {
      c.send('{not json');
      const r1 = await c.next();
      expect(r1.msg).toMatchObject({ S: 2, T: 'resp', C: 400, M: 'bad.request' });
      expect(typeof r1.msg.payload).toBe('string');

      const r2 = await c.command({ op: 'FROB', id: 9 });
      expect(r2.echo.msg).toMatchObject({ T: 'echo', echo: { op: 'FROB', id: 9 } });
      expect(r2.resp.msg).toMatchObject({ C: 400, M: 'bad.request' });

      const r3 = await c.command({ op: 'SUB', channel: ['4@trade', 'btcusdt@candles'], id: 10 });
      expect((r3.echo.msg.echo as { channel: unknown[] }).channel[1]).toBe('btcusdt@candles');
      expect(r3.resp.msg).toMatchObject({ C: 400, M: 'bad.request' });
      expect(String(r3.resp.msg.payload)).toContain('btcusdt@candles');
      expect(ctx.feed.subscribed().at(-1)).toEqual([]); // all or nothing

      const r4 = await c.command({ op: 'SUB', channel: ['999@trade'], id: 11 });
      expect(r4.resp.msg).toMatchObject({ C: 3011, M: 'symbol not found', payload: expect.stringContaining('999@trade') });
      const r5 = await c.command({ op: 'SUB', channel: '4@trade', id: 12 });
      expect(r5.resp.msg).toMatchObject({ C: 400 });

      // a pong message gets no reply, a client ping the documented pong message (no S); then the LIST
      c.send({ op: 'pong', epochMillis: Date.now() });
      c.send({ op: 'ping' });
      const pong = await c.next();
      expect(Object.keys(pong.msg)).toEqual(['op', 'epochMillis']);
      expect(pong.msg.op).toBe('pong');
      const list = await c.command({ op: 'LIST', channel: [], id: 13 });
      expect(list.echo.msg.echo).toMatchObject({ op: 'LIST' });
    } finally {
      c.close();
    }
  });
});

describe('coinstore session: subscription limit', () => {
  it('a SUB the host cannot take in full subscribes nothing', async () => {
    const ctx = await startCoinstore({}, {}, { maxSubscriptionsPerConnection: 2 });
    try {
      const { c } = await connect(ctx.url);
      const r = await c.command({ op: 'SUB', channel: ['4@trade', '5@trade', '80004@trade'], id: 1 });
      expect(r.resp.msg).toMatchObject({ C: 400, M: 'bad.request', payload: expect.stringContaining('at most 2 subscriptions') });
      expect(ctx.feed.subscribed()[0]).toEqual([]);
      const list = await c.command({ op: 'LIST', channel: [], id: 2 });
      expect(list.resp.msg.subs).toEqual([]);
      const ok = await c.command({ op: 'SUB', channel: ['4@trade', '5@trade'], id: 3 });
      expect(ok.resp.msg.C).toBe(200);
      c.close();
    } finally {
      await ctx.host.close();
    }
  });
});

describe('coinstore session: heartbeat, idle timeout, lifetime', () => {
  it('pings, and keeps a client that answers pings past the idle timeout', async () => {
    const ctx = await startCoinstore({ timing: { heartbeatMs: 20, idleTimeoutMs: 150, maxLifeMs: 0 } });
    try {
      const { c } = await connect(ctx.url);
      // ten pings at 20 ms span more than the 150 ms idle timeout
      while (c.pings < 10) await new Promise((r) => c.ws.once('ping', r));
      expect(c.ws.readyState).toBe(c.ws.OPEN);
      const list = await c.command({ op: 'LIST', channel: [], id: 1 });
      expect(list.resp.msg.T).toBe('resp');
      c.close();
    } finally {
      await ctx.host.close();
    }
  });

  it('closes a session that answers neither with pong frames nor pong messages', async () => {
    const ctx = await startCoinstore({ timing: { heartbeatMs: 20, idleTimeoutMs: 100, maxLifeMs: 0 } });
    try {
      const { c } = await connect(ctx.url, { autoPong: false });
      const closed = await c.closed;
      expect(closed.code).toBe(1001);
      expect(closed.reason).toMatch(/no pong/);
      expect(c.pings).toBeGreaterThan(0);
    } finally {
      await ctx.host.close();
    }
  });

  it('closes every session at the connection lifetime', async () => {
    const ctx = await startCoinstore({ timing: { heartbeatMs: 0, idleTimeoutMs: 0, maxLifeMs: 100 } });
    try {
      const { c } = await connect(ctx.url);
      const closed = await c.closed;
      expect(closed.code).toBe(1001);
      expect(closed.reason).toMatch(/lifetime/);
    } finally {
      await ctx.host.close();
    }
  });

  it('default timings are the documented ones', () => {
    expect(coinstore.server.timing.ws).toEqual({ heartbeatMs: 180_000, idleTimeoutMs: 600_000, maxLifeMs: 86_400_000 });
  });
});
