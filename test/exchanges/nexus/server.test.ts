/**
 * The Nexus server side over real sockets: `startHost` with the deterministic test feed, driven by a
 * plain `ws` client. Nexus sends no acknowledgements, so "nothing more arrives" is checked with a
 * barrier: a bad request whose error reply comes back after everything the server sent before it.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHost, type ExchangeHost, type SessionFeed } from '../../../exchanges/host.js';
import { DEMO_TOKEN, nexus } from '../../../exchanges/nexus/index.js';
import type { FeedItem, ServerContext, ServerTiming } from '../../../exchanges/types.js';
import { createTestFeedFactory, TEST_INSTRUMENTS } from '../../helpers/test-feed.js';
import { loadFixtures } from './fixtures.js';
import { connect, isError, isEvent, type Received, type TestClient } from './ws-client.js';

function context(timing: Partial<ServerTiming> = {}): ServerContext {
  return { instruments: TEST_INSTRUMENTS, credentials: [nexus.demoCredentials], nowMs: () => Date.now(), timing, random: () => 0.5 };
}

async function host(timing: Partial<ServerTiming> = {}, feedFor?: () => SessionFeed): Promise<ExchangeHost> {
  const feeds = feedFor ?? createTestFeedFactory({ intervalMs: 20 });
  return startHost({ port: 0, connection: () => ({ context: context(timing), feed: feeds() }) });
}

const withToken = (url: string, token = DEMO_TOKEN) => `${url}?X-API-TOKEN=${encodeURIComponent(token)}`;
let seq = 0;
const id = () => String(1_700_000_000_000 + ++seq);
const depthOf = (m: Received) => m.json as { event: string; data: { asks: Array<Record<string, string>>; bids: Array<Record<string, string>>; symbol: string } };

/** Sends a bad request and returns every message received before its error reply. */
async function barrier(c: TestClient): Promise<Received[]> {
  const from = c.all.length;
  const tag = `barrier-${id()}`;
  c.send({ id: tag, action: 'NOPE', event: '' });
  const reply = await c.next((m) => isError(m) && (m.json as { data: { data: { id?: string } } }).data.data.id === tag);
  return c.all.slice(from, c.all.indexOf(reply));
}

async function refusal(url: string, options?: object): Promise<{ status: number; body: string }> {
  try {
    const c = await connect(url, options);
    c.close();
  } catch (err) {
    return err as { status: number; body: string };
  }
  throw new Error('connection was accepted');
}

describe('nexus server side', () => {
  let h: ExchangeHost;
  let url: string;
  beforeAll(async () => {
    h = await host();
    url = h.url('nexus', 'realtime');
  });
  afterAll(async () => {
    await h.close();
  });

  it('serves under /nexus/api/realtime', () => {
    expect(new URL(url).pathname).toBe('/nexus/api/realtime');
  });

  it('refuses the upgrade with 401 without a token or with a wrong one', async () => {
    const missing = await refusal(url);
    expect(missing.status).toBe(401);
    expect(missing.body).toContain('X-API-TOKEN missing');
    const wrong = await refusal(withToken(url, 'not-the-token'));
    expect(wrong.status).toBe(401);
    expect(wrong.body).toContain('not valid');
    expect(wrong.body).not.toContain('not-the-token');
    expect((await refusal(withToken(url, DEMO_TOKEN.slice(0, -1)))).status).toBe(401);
  });

  it('a 401 carries a WWW-Authenticate challenge (RFC 7235 §3.1), as Java WebSocket clients require', async () => {
    const upgrade = (target: string) =>
      new Promise<http.IncomingMessage>((resolve, reject) => {
        const u = new URL(target);
        const req = http.request({
          host: u.hostname,
          port: u.port,
          path: `${u.pathname}${u.search}`,
          headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' },
        });
        req.on('response', (res) => {
          res.resume();
          resolve(res);
        });
        req.on('upgrade', () => reject(new Error('upgraded')));
        req.on('error', reject);
        req.end();
      });
    const wrong = await upgrade(withToken(url, 'not-the-token'));
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers['www-authenticate']).toMatch(/^Bearer realm="[^"]+", error="invalid_token"$/);
    const missing = await upgrade(url);
    expect(missing.statusCode).toBe(401);
    expect(missing.headers['www-authenticate']).toMatch(/^Bearer realm="[^"]+"$/);
  });

  it('accepts the demo token in the query, and in the X-API-TOKEN header as REST clients send it', async () => {
    const a = await connect(withToken(url));
    a.close();
    const b = await connect(url, { headers: { 'X-API-TOKEN': DEMO_TOKEN } });
    b.close();
  });

  it('pushes API_MARKETDEPTH with the requested number of levels after SUBSCRIBE, without any reply', async () => {
    const c = await connect(withToken(url));
    try {
      c.send({ id: id(), action: 'SUBSCRIBE', event: 'API_MARKETDEPTH', symbol: 'BTCUSDT', depth: 5 });
      c.send({ id: id(), action: 'SUBSCRIBE', event: 'API_MARKETDEPTH', symbol: 'ETHUSDT', depth: 3 });
      const btc = depthOf(await c.next((m) => isEvent('API_MARKETDEPTH')(m) && depthOf(m).data.symbol === 'BTCUSDT'));
      const eth = depthOf(await c.next((m) => isEvent('API_MARKETDEPTH')(m) && depthOf(m).data.symbol === 'ETHUSDT'));
      expect([btc.data.asks.length, btc.data.bids.length]).toEqual([5, 5]);
      expect([eth.data.asks.length, eth.data.bids.length]).toEqual([3, 3]);
      expect(Object.keys(btc)).toEqual(['event', 'data']);
      expect(Object.keys(btc.data)).toEqual(['asks', 'bids', 'symbol']);
      for (const l of [...btc.data.asks, ...btc.data.bids]) {
        expect(Object.keys(l)).toEqual(['cp', 'price', 'time', 'volume']);
        expect(l.time).toMatch(/^\d{13}$/);
      }
      // every message so far is a push: SUBSCRIBE has no acknowledgement
      expect(c.all.every((m) => isEvent('API_MARKETDEPTH')(m))).toBe(true);
    } finally {
      c.close();
    }
  });

  it('a new depth for a symbol replaces the previous one; UNSUBSCRIBE stops the pushes', async () => {
    const c = await connect(withToken(url));
    try {
      c.send({ id: id(), action: 'SUBSCRIBE', event: 'API_MARKETDEPTH', symbol: 'BTCUSDT', depth: 5 });
      await c.next(isEvent('API_MARKETDEPTH'));
      c.send({ id: id(), action: 'SUBSCRIBE', event: 'API_MARKETDEPTH', symbol: 'BTCUSDT', depth: 10 });
      await barrier(c);
      const after = await c.next(isEvent('API_MARKETDEPTH'));
      expect(depthOf(after).data.asks).toHaveLength(10);
      const between = await barrier(c);
      expect(between.filter(isEvent('API_MARKETDEPTH')).every((m) => depthOf(m).data.asks.length === 10)).toBe(true);

      // the demo's UNSUBSCRIBE carries no depth
      c.send({ id: id(), action: 'UNSUBSCRIBE', event: 'API_MARKETDEPTH', symbol: 'BTCUSDT' });
      await barrier(c);
      await new Promise((r) => setTimeout(r, 100)); // five feed intervals
      expect((await barrier(c)).filter(isEvent('API_MARKETDEPTH'))).toEqual([]);
    } finally {
      c.close();
    }
  });

  it('accepts PING silently and stays open', async () => {
    const c = await connect(withToken(url));
    try {
      c.send({ id: id(), action: 'PING', event: '' });
      expect(await barrier(c)).toEqual([]);
      c.send({ id: id(), action: 'SUBSCRIBE', event: 'API_MARKETDEPTH', symbol: 'BTCUSDT', depth: 5 });
      expect(depthOf(await c.next(isEvent('API_MARKETDEPTH'))).data.symbol).toBe('BTCUSDT');
    } finally {
      c.close();
    }
  });

  it('answers bad requests with the REST error envelope and keeps the session', async () => {
    const c = await connect(withToken(url));
    try {
      // restful-api.md: {"data":{"data":{"side":"INVALID"},"type":"VALIDATION"},"result":"INVALID_REQUEST","type":"API"}
      const err = (result: string, fields: Record<string, string>) => ({ data: { data: fields, type: 'VALIDATION' }, result, type: 'API' });
      const cases: Array<[string | Uint8Array, Record<string, unknown>]> = [
        ['this is not json', err('INVALID_REQUEST', { request: 'INVALID' })],
        ['[1,2,3]', err('INVALID_REQUEST', { request: 'INVALID' })],
        ['{"id":"7","action":"FETCH","event":"API_ORDER"}', err('INVALID_REQUEST', { action: 'INVALID', id: '7' })],
        ['{"id":"8","action":"SUBSCRIBE","event":"API_TRADES"}', err('INVALID_REQUEST', { event: 'INVALID', id: '8' })],
        ['{"id":"9","action":"SUBSCRIBE","event":"API_MARKETDEPTH","symbol":"BTCUSDT","depth":500}', err('INVALID_REQUEST', { depth: 'INVALID', id: '9' })],
        ['{"id":"10","action":"SUBSCRIBE","event":"API_MARKETDEPTH"}', err('INVALID_REQUEST', { symbol: 'INVALID', id: '10' })],
        ['{"id":"11","action":"SUBSCRIBE","event":"API_RISK_POSITION","symbol":"ALL"}', err('INVALID_REQUEST', { book: 'INVALID', id: '11' })],
        ['{"id":"12","action":"SUBSCRIBE","event":"API_MARKETDEPTH","symbol":"DOGEUSDT","depth":5}', err('INVALID_DATA', { symbol: 'INVALID', id: '12' })],
        [new Uint8Array([1, 2, 3]), err('INVALID_REQUEST', { request: 'INVALID' })],
      ];
      for (const [req, expected] of cases) {
        c.ws.send(req);
        const reply = await c.next(isError);
        expect(reply.json, String(req)).toEqual(expected);
      }
      c.send({ id: id(), action: 'SUBSCRIBE', event: 'API_MARKETDEPTH', symbol: 'ETHUSDT', depth: 5 });
      expect(depthOf(await c.next(isEvent('API_MARKETDEPTH'))).data.symbol).toBe('ETHUSDT');
    } finally {
      c.close();
    }
  });

  it('pushes API_ORDER and API_RISK_POSITION from the demo account', async () => {
    const c = await connect(withToken(url));
    try {
      c.send({ id: id(), action: 'SUBSCRIBE', event: 'API_ORDER' });
      c.send({ id: id(), action: 'SUBSCRIBE', event: 'API_RISK_POSITION', symbol: 'ALL', book: 'A' });
      const order = (await c.next(isEvent('API_ORDER'))).json as { data: Array<{ orderId: string; cpOrderid: string; cpOrders: Array<{ cpOrderid: string; executions: Array<{ cpOrderId: string }> }> }> };
      expect(order.data).toHaveLength(1);
      const child = order.data[0].cpOrders[0];
      expect(order.data[0].cpOrderid).toBe('0');
      expect(child.executions[0].cpOrderId).toBe(child.cpOrderid);
      const pos = (await c.next(isEvent('API_RISK_POSITION'))).json as { data: Array<{ book: string; symbol: string; netVolume: string }> };
      expect(pos.data[0]).toMatchObject({ book: 'A', symbol: 'BTCUSDT' });
      c.send({ id: id(), action: 'UNSUBSCRIBE', event: 'API_ORDER' });
      c.send({ id: id(), action: 'UNSUBSCRIBE', event: 'API_RISK_POSITION', symbol: 'ALL', book: 'A' });
      await barrier(c);
      await new Promise((r) => setTimeout(r, 100));
      expect((await barrier(c)).length).toBe(0);
    } finally {
      c.close();
    }
  });

  it('accepts the BTHub text commands (tolerant mode)', async () => {
    const c = await connect(withToken(url));
    try {
      c.sendText('ping');
      expect(await barrier(c)).toEqual([]);
      c.sendText('subscribe:apiQuote:BTCUSDT');
      const q = (await c.next(isEvent('API_QUOTE'))).json as { data: { cp: string; commission: string; symbol: string; asks: unknown[] } };
      expect(q.data).toMatchObject({ commission: '0.0001', symbol: 'BTCUSDT' });
      expect(q.data.asks.length).toBeLessThanOrEqual(5);
      c.sendText('unsubscribe:apiQuote:BTCUSDT');
      c.sendText('subscribe:apiAggregatedQuote:ETHUSDT');
      const agg = (await c.next(isEvent('API_AGGREGATED_QUOTE'))).json as { data: { symbol: string; bids: Array<Record<string, string>> } };
      expect(agg.data.symbol).toBe('ETHUSDT');
      expect(Object.keys(agg.data.bids[0])).toEqual(['cp', 'price', 'volume']);
      c.sendText('unsubscribe:apiAggregatedQuote:ETHUSDT');
      c.sendText('subscribe:apiRiskPosition:all:B');
      expect(((await c.next(isEvent('API_RISK_POSITION'))).json as { data: Array<{ book: string }> }).data[0].book).toBe('B');
      c.sendText('unsubscribe:apiRiskPosition:all:B');
      await barrier(c);
      await new Promise((r) => setTimeout(r, 100));
      expect(await barrier(c)).toEqual([]);
      c.sendText('subscribe:apiSomethingElse');
      expect((await c.next(isError)).json).toMatchObject({ result: 'INVALID_REQUEST' });
    } finally {
      c.close();
    }
  });

  it('the recorder’s client side reads what the server pushes, and the rows follow', async () => {
    const session = nexus.client.createSession({
      endpointUrl: url,
      endpoint: 'realtime',
      streams: ['BTCUSDT@depth@5', 'ETHUSDT@depth@10', 'orders', 'positions@A'].map((ch) => nexus.client.parseChannel(ch)),
      credentials: nexus.demoCredentials,
      nowMs: () => Date.now(),
    });
    const c = await connect(session.url);
    try {
      for (const f of session.onOpen()) c.ws.send(f.data);
      const seen = new Map<string, number>();
      const normalizer = nexus.createNormalizer();
      while (seen.size < 4) {
        const m = await c.next(() => true);
        const info = session.onFrame(new TextEncoder().encode(m.text), false);
        expect(info.malformed).toBe(false);
        seen.set(info.stream, (seen.get(info.stream) ?? 0) + 1);
        const rows = normalizer.normalize({ payload: new TextEncoder().encode(m.text), kind: 'text', stream: info.stream, endpoint: session.safeUrl, recvNs: 1n });
        if (info.stream === 'API_MARKETDEPTH:ETHUSDT:10') {
          expect(rows.filter((r) => r.table === 'book' && r.side === 'bid')).toHaveLength(10);
          expect(rows.every((r) => r.table === 'book' && r.levels === 10 && r.is_snapshot && r.cp)).toBe(true);
        }
        if (info.stream === 'API_ORDER') expect(rows.map((r) => r.table)).toEqual(['orders', 'fills']);
        if (info.stream === 'API_RISK_POSITION:A:ALL') expect(rows.map((r) => r.table)).toEqual(['positions']);
      }
      expect([...seen.keys()].sort()).toEqual(['API_MARKETDEPTH:BTCUSDT:5', 'API_MARKETDEPTH:ETHUSDT:10', 'API_ORDER', 'API_RISK_POSITION:A:ALL']);
      const ping = session.heartbeat!.frame();
      if (ping !== 'ws-ping') c.ws.send(ping.data);
      expect((await barrier(c)).some(isError)).toBe(false);
    } finally {
      c.close();
    }
  });
});

describe('nexus server timing', () => {
  it('closes a session that sends nothing for idleTimeoutMs', async () => {
    const h = await host({ idleTimeoutMs: 300 });
    try {
      const c = await connect(withToken(h.url('nexus', 'realtime')));
      const { code, reason } = await c.closed;
      expect(code).toBe(1001);
      expect(reason).toContain('idle timeout');
    } finally {
      await h.close();
    }
  });

  it('PING keeps a session alive past idleTimeoutMs', async () => {
    // a generous idle period against PINGs every 100 ms: a loaded machine may delay timers a lot
    const h = await host({ idleTimeoutMs: 1500 });
    try {
      const c = await connect(withToken(h.url('nexus', 'realtime')));
      let closedEarly = false;
      void c.closed.then(() => (closedEarly = true));
      const start = Date.now();
      while (Date.now() - start < 2500) {
        await new Promise((r) => setTimeout(r, 100));
        c.send({ id: id(), action: 'PING', event: '' });
      }
      expect(closedEarly).toBe(false); // kept open well past one idle period
      expect((await c.closed).code).toBe(1001);
    } finally {
      await h.close();
    }
  });

  it('closes every session at maxLifeMs when a lifetime is set (idle timeout 0 = none)', async () => {
    const h = await host({ idleTimeoutMs: 0, maxLifeMs: 300 });
    try {
      const c = await connect(withToken(h.url('nexus', 'realtime')));
      c.send({ id: id(), action: 'SUBSCRIBE', event: 'API_MARKETDEPTH', symbol: 'BTCUSDT', depth: 5 });
      const { code, reason } = await c.closed;
      expect(code).toBe(1001);
      expect(reason).toContain('lifetime');
      expect(c.all.filter(isEvent('API_MARKETDEPTH')).length).toBeGreaterThan(0);
    } finally {
      await h.close();
    }
  });

  it('defaults to 35 minutes: the documented 30-minute PING period plus a margin', () => {
    expect(nexus.server.timing.realtime).toEqual({ heartbeatMs: 0, idleTimeoutMs: 35 * 60_000, maxLifeMs: 0 });
  });
});

describe('nexus replay delivery', () => {
  it('sends recorded frames byte for byte', async () => {
    const fixtures = loadFixtures().filter((f) => f.stream.startsWith('API_MARKETDEPTH'));
    const feedFor = (): SessionFeed => ({
      subscribe(_stream, deliver: (item: FeedItem) => void) {
        setImmediate(() => {
          for (const f of fixtures) deliver({ type: 'recorded', payload: new TextEncoder().encode(f.payload), binary: false, recvNs: 1n });
        });
        return { ok: true };
      },
      unsubscribe() {},
      close() {},
    });
    const h = await host({}, feedFor);
    try {
      const c = await connect(withToken(h.url('nexus', 'realtime')));
      c.send({ id: id(), action: 'SUBSCRIBE', event: 'API_MARKETDEPTH', symbol: 'BTCUSDT', depth: 5 });
      const got: string[] = [];
      for (const _ of fixtures) got.push((await c.next(() => true)).text);
      expect(got).toEqual(fixtures.map((f) => f.payload));
      c.close();
    } finally {
      await h.close();
    }
  });
});
