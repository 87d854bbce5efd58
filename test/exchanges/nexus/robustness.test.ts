/**
 * Hostile input: every request shape a confused or malicious client can send must leave the server
 * session standing (one error reply at most, never an exception the host would turn into 1011),
 * and every frame shape must leave the client side and the normalizer standing.
 */
import { describe, expect, it } from 'vitest';
import { nexus } from '../../../exchanges/nexus/index.js';
import type { SessionLink, StreamSpec } from '../../../exchanges/types.js';
import { frame, loadFixtures } from './fixtures.js';

/** Deterministic pseudo-random values of every JSON type, biased towards the fields Nexus reads. */
function values(seed: number): () => unknown {
  let s = seed;
  const rnd = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
  const scalar = () =>
    pick<unknown>([null, true, 0, -1, 5, 5.5, 1e300, '', 'ALL', 'BTCUSDT', 'btcusdt', 'A', '5', 'x'.repeat(300), 'SUBSCRIBE', 'UNSUBSCRIBE', 'PING', 'API_MARKETDEPTH', 'API_ORDER', 'API_RISK_POSITION', '../../etc', '\u0000', '💥']);
  const value = (depth: number): unknown => {
    const r = rnd();
    if (depth > 2 || r < 0.6) return scalar();
    if (r < 0.8) return Array.from({ length: Math.floor(rnd() * 4) }, () => value(depth + 1));
    const keys = ['id', 'action', 'event', 'symbol', 'depth', 'book', 'data', 'asks', 'bids', 'price', 'volume', 'time', 'cp', 'cpOrders', 'executions', 'result'];
    return Object.fromEntries(Array.from({ length: Math.floor(rnd() * 6) }, () => [pick(keys), value(depth + 1)]));
  };
  return () => {
    const req: Record<string, unknown> = {};
    const actions = ['SUBSCRIBE', 'UNSUBSCRIBE', 'PING', 'subscribe'];
    const events = ['API_MARKETDEPTH', 'API_ORDER', 'API_RISK_POSITION', ''];
    for (const k of ['id', 'action', 'event', 'symbol', 'depth', 'book']) {
      if (rnd() < 0.2) continue;
      if (k === 'action') req[k] = rnd() < 0.8 ? pick(actions) : value(1);
      else if (k === 'event') req[k] = rnd() < 0.8 ? pick(events) : value(1);
      else req[k] = rnd() < 0.5 ? scalar() : value(1);
    }
    return req;
  };
}

describe('nexus robustness', () => {
  it('the server session survives 5000 random requests with at most one reply each', () => {
    const sent: string[] = [];
    let subscribed = 0;
    const subs = new Set<string>();
    const link: SessionLink = {
      url: new URL('ws://x/nexus/api/realtime'),
      send: (d) => sent.push(String(d)),
      ping: () => undefined,
      close: () => {
        throw new Error('the session closed itself');
      },
      subscribe: (s: StreamSpec) => {
        subscribed++;
        subs.add(s.key);
        return { ok: true };
      },
      unsubscribe: (k) => subs.delete(k),
      bufferedAmount: () => 0,
      claim() {},
      maxMessageBytes: 1 << 20,
      cork: (fn) => fn(),
      sendWith: () => undefined,
    };
    const session = nexus.server.createSession('realtime', link, { instruments: [], credentials: [], nowMs: () => 0, timing: { idleTimeoutMs: 0 }, random: () => 0 });
    const next = values(1);
    for (let i = 0; i < 5000; i++) {
      const before = sent.length;
      const text = i % 10 === 0 ? JSON.stringify(next()).slice(0, i % 37) : JSON.stringify(next());
      session.onMessage(new TextEncoder().encode(text), false);
      expect(sent.length - before).toBeLessThanOrEqual(1);
      for (const reply of sent.slice(before)) expect(JSON.parse(reply)).toMatchObject({ data: { type: 'VALIDATION' }, type: 'API', result: expect.stringMatching(/^(INVALID_REQUEST|INVALID_DATA|REJECTED)$/) });
    }
    for (const key of subs) expect(() => nexus.client.parseChannel(key)).not.toThrow();
    // the generator reaches both sides: accepted subscriptions and refusals
    expect(subscribed).toBeGreaterThan(100);
    expect(sent.length).toBeGreaterThan(1000);
    session.onClose();
  });

  it('the client side and the normalizer survive mangled pushes', () => {
    const client = nexus.client.createSession({
      endpointUrl: 'ws://x/nexus/api/realtime',
      endpoint: 'realtime',
      streams: ['BTCUSDT@depth@5', 'orders', 'positions@A'].map((c) => nexus.client.parseChannel(c)),
      credentials: nexus.demoCredentials,
      nowMs: () => 0,
    });
    client.onOpen();
    const normalizer = nexus.createNormalizer();
    const next = values(2);
    const events = ['API_MARKETDEPTH', 'API_ORDER', 'API_RISK_POSITION', 'API_QUOTE', 'API_AGGREGATED_QUOTE'];
    const payloads: string[] = [];
    for (const f of loadFixtures()) for (let cut = 0; cut < f.payload.length; cut += 7) payloads.push(f.payload.slice(0, cut));
    for (let i = 0; i < 3000; i++) payloads.push(JSON.stringify({ event: events[i % events.length], data: (next() as Record<string, unknown>).symbol ?? next() }));
    for (let i = 0; i < 1000; i++) payloads.push(JSON.stringify({ event: events[i % events.length], data: { asks: [next(), { price: next(), volume: '1' }], bids: next(), symbol: 'BTCUSDT' } }));
    for (const p of payloads) {
      const info = client.onFrame(new TextEncoder().encode(p), false);
      expect(typeof info.stream).toBe('string');
      const rows = normalizer.normalize(frame(p, info.stream));
      for (const r of rows) {
        expect(typeof r.symbol).toBe('string');
        if (r.table === 'book') expect(typeof r.price === 'string' && typeof r.amount === 'string').toBe(true);
      }
    }
  });
});
