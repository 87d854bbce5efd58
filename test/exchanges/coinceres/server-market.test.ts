import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExchangeHost } from '../../../exchanges/host.js';
import { coinceres } from '../../../exchanges/coinceres/index.js';
import { readMarketFrame } from '../../../exchanges/coinceres/client.js';
import { createNormalizer } from '../../../exchanges/coinceres/normalize.js';
import { hostCoinceres, NOW_MS } from './host.js';
import { openSocket, type TestSocket } from './ws-client.js';

const enc = new TextEncoder();
const isArray = (m: unknown) => Array.isArray(m);

describe('coinceres market server side', () => {
  let host: ExchangeHost;
  let c: TestSocket;
  beforeAll(async () => {
    ({ host } = await hostCoinceres());
  });
  afterAll(async () => {
    c?.close();
    await host?.close();
  });

  it('sends the info handshake on connect', async () => {
    c = await openSocket(host.url('coinceres', 'market'));
    const hello = await c.nextJson();
    expect(Object.keys(hello)).toEqual(['info']);
    expect(typeof hello.info).toBe('string');
  });

  it('answers {"msg_type":"ping"} with a pong carrying the time in ms as a string', async () => {
    c.send('{"msg_type":"ping"}');
    expect(await c.next((t) => t.includes('pong'))).toBe(`{"msg_type":"pong","time":"${NOW_MS}"}`);
  });

  it('acknowledges a subscribe array per element, then pushes each channel in the captured shape', async () => {
    c.send(
      JSON.stringify([
        { msg_type: 'subscribe-tick', exchange: 'OKEX', contract: 'BTC/USDT' },
        { msg_type: 'subscribe-trade', exchange: 'OKEX', contract: 'BTC/USDT' },
        { msg_type: 'subscribe-depth10', exchange: 'OKEX', contract: 'BTC/USDT' },
        { msg_type: 'subscribe-candle', exchange: 'OKEX', contract: 'BTC/USDT', duration: '1m' },
      ]),
    );
    const acks = await c.next((t) => t.startsWith('['));
    expect(acks).toBe(
      '[{"msg_type":"subscribed-tick","exchange":"OKEX","contract":"BTC/USDT","code":200,"message":"success"},' +
        '{"msg_type":"subscribed-trade","exchange":"OKEX","contract":"BTC/USDT","code":200,"message":"success"},' +
        '{"msg_type":"subscribed-depth10","exchange":"OKEX","contract":"BTC/USDT","code":200,"message":"success"},' +
        '{"msg_type":"subscribed-candle","exchange":"OKEX","contract":"BTC/USDT","duration":"1m","code":200,"message":"success"}]',
    );
    expect(readMarketFrame(enc.encode(acks), false).acks?.every((a) => a.ok)).toBe(true);

    const n = createNormalizer();
    const tick = await c.nextJson((m) => m.msg_type === 'push-tick');
    expect(Object.keys(tick)).toEqual(['change', 'change_rate', 'contract', 'exchange', 'high', 'last', 'low', 'msg_type', 'open', 'time', 'volume']);
    expect(tick).toMatchObject({ contract: 'BTC/USDT', exchange: 'OKEX' });
    expect(tick.time).toMatch(/^\d{13}$/);

    const trade = await c.nextJson((m) => m.msg_type === 'push-trade');
    expect(Object.keys(trade)).toEqual(['contract', 'exchange', 'msg_type', 'price', 'side', 'time', 'volume']);
    expect(['b', 's']).toContain(trade.side);
    const [row] = n.normalize({ payload: enc.encode(JSON.stringify(trade)), kind: 'text', stream: '', endpoint: 'market', recvNs: 1n });
    expect(row).toMatchObject({ table: 'trades', venue: 'OKEX', symbol: 'BTC/USDT', price: trade.price });

    const depth = await c.nextJson((m) => m.msg_type === 'push-depth10');
    expect(Object.keys(depth)).toEqual(['asks', 'bids', 'contract', 'exchange', 'msg_type']);
    expect(depth.asks).toHaveLength(10);
    expect(depth.bids).toHaveLength(10);
    expect(Object.keys(depth.asks[0])).toEqual(['price', 'volume']);
    expect(Number(depth.bids[0].price)).toBeLessThan(Number(depth.asks[0].price));

    const candle = await c.nextJson((m) => m.msg_type === 'push-candle');
    expect(Object.keys(candle)).toEqual(['close', 'contract', 'duration', 'exchange', 'high', 'low', 'msg_type', 'open', 'time', 'volume']);
    expect(candle.duration).toBe('1m');
    expect(Number(candle.time) % 60000).toBe(0);
    expect(readMarketFrame(enc.encode(JSON.stringify(candle)), false).stream).toBe('OKEX:BTC/USDT:candle:1m');
  });

  it('answers a repeated subscribe with 201, unknown commands with 500 and bad elements with 400', async () => {
    c.send(
      JSON.stringify([
        { msg_type: 'subscribe-trade', exchange: 'OKEX', contract: 'BTC/USDT' },
        { msg_type: 'subscribe-orderbook', exchange: 'OKEX', contract: 'BTC/USDT' },
        { msg_type: 'subscribe-trade', exchange: 'OKEX' },
        { msg_type: 'subscribe-trade', exchange: 'OKEX', contract: 'DOGE/XYZ' },
        { msg_type: 'subscribe-candle', exchange: 'OKEX', contract: 'BTC/USDT', duration: '2m' },
        'hello',
      ]),
    );
    const acks = await c.nextJson(isArray);
    expect(acks).toEqual([
      { msg_type: 'subscribed-trade', exchange: 'OKEX', contract: 'BTC/USDT', code: 201, message: 'repeated subscribe' },
      { msg_type: 'subscribed-orderbook', exchange: 'OKEX', contract: 'BTC/USDT', code: 500, message: 'invalid subscribe common' },
      { msg_type: 'subscribed-trade', exchange: 'OKEX', code: 400, message: 'bad request' },
      { msg_type: 'subscribed-trade', exchange: 'OKEX', contract: 'DOGE/XYZ', code: 400, message: 'invalid contract' },
      { msg_type: 'subscribed-candle', exchange: 'OKEX', contract: 'BTC/USDT', duration: '2m', code: 400, message: 'bad request' },
      { code: 400, message: 'bad request' },
    ]);
    c.send('this is not json');
    expect(await c.nextJson(isArray)).toEqual([{ code: 400, message: 'bad request' }]);
  });

  it("accepts the Python client's subscribe-depth as depth10 (acked in its own spelling)", async () => {
    const d = await openSocket(host.url('coinceres', 'market'));
    try {
      d.send('[{"msg_type":"subscribe-depth","exchange":"HUOBI","contract":"ETH/USDT"}]');
      expect(await d.nextJson(isArray)).toEqual([{ msg_type: 'subscribed-depth', exchange: 'HUOBI', contract: 'ETH/USDT', code: 200, message: 'success' }]);
      const push = await d.nextJson((m) => m.msg_type === 'push-depth10');
      expect(push).toMatchObject({ exchange: 'HUOBI', contract: 'ETH/USDT' });
      d.send('[{"msg_type":"subscribe-depth10","exchange":"HUOBI","contract":"ETH/USDT"}]');
      expect((await d.nextJson(isArray))[0].code).toBe(201);
    } finally {
      d.close();
    }
  });

  it('(ASSUMPTION) unsubscribe-<channel> stops the pushes', async () => {
    const d = await openSocket(host.url('coinceres', 'market'));
    try {
      d.send('[{"msg_type":"subscribe-trade","exchange":"OKEX","contract":"ETH/USDT"}]');
      await d.nextJson(isArray);
      await d.nextJson((m) => m.msg_type === 'push-trade');
      d.send('[{"msg_type":"unsubscribe-trade","exchange":"OKEX","contract":"ETH/USDT"}]');
      expect(await d.nextJson(isArray)).toEqual([{ msg_type: 'unsubscribed-trade', exchange: 'OKEX', contract: 'ETH/USDT', code: 200, message: 'success' }]);
      // drain what was in flight, then nothing more may come
      await new Promise((r) => setTimeout(r, 100));
      while (await d.next(() => true, 1).catch(() => null));
      await expect(d.next(() => true, 300)).rejects.toThrow();
    } finally {
      d.close();
    }
  });

  it('replays recorded frames byte for byte', () => {
    const sent: Array<string | Uint8Array> = [];
    const link = {
      url: new URL('ws://x/coinceres/market'),
      send: (d: string | Uint8Array) => sent.push(d),
      ping() {},
      close() {},
      subscribe: () => ({ ok: true as const }),
      unsubscribe() {},
      bufferedAmount: () => 0,
      claim() {},
      maxMessageBytes: 1 << 20,
      cork: (fn: () => void) => fn(),
      sendWith: () => undefined,
    };
    const ctx = { instruments: [{ base: 'BTC', quote: 'USDT', id: 1, priceDecimals: 2, amountDecimals: 4 }], credentials: [], nowMs: () => 0, timing: { idleTimeoutMs: 0 }, random: Math.random };
    const session = coinceres.server.createSession('market', link, ctx);
    session.onMessage(enc.encode('[{"msg_type":"subscribe-trade","exchange":"OKEX","contract":"BTC/USDT"}]'), false);
    const spec = coinceres.client.parseChannel('OKEX:BTC/USDT@trade');
    const payload = enc.encode('{"contract":"BTC/USDT","exchange":"OKEX","msg_type":"push-trade","price":"3610.3002","side":"s","time":"1550114101032","volume":"0.03456403"}');
    session.deliver(spec, { type: 'recorded', payload, binary: false, recvNs: 1n });
    expect(sent.at(-1)).toBe(payload);
    session.onClose();
  });
});

describe('coinceres market idle timeout', () => {
  it('closes the session when pings stop, and keeps it while they come', async () => {
    const { host } = await hostCoinceres({ timing: { idleTimeoutMs: 600 } });
    try {
      const alive = await openSocket(host.url('coinceres', 'market'));
      const idle = await openSocket(host.url('coinceres', 'market'));
      const timer = setInterval(() => alive.send('{"msg_type":"ping"}'), 100);
      const closed = await idle.closed;
      expect(closed.code).toBe(1000);
      expect(closed.reason).toMatch(/idle/);
      expect(alive.ws.readyState).toBe(alive.ws.OPEN);
      clearInterval(timer);
      expect((await alive.closed).code).toBe(1000);
    } finally {
      await host.close();
    }
  });
});
