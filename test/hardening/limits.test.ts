/**
 * Limits and bad input on the exchange host (exchanges/host.ts), through the simulator with small
 * limits: connection cap (503), subscriptions per connection (the exchange's own error), frame size
 * (close 1009), header size (431), a stalled upgrade (408), and malformed input on every protocol.
 * After each abuse a fresh client still gets a normal session.
 */
import mqttPacket from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_TOKEN } from '../../exchanges/nexus/index.js';
import { TOKEN_PARAM } from '../../exchanges/nexus/protocol.js';
import { startSimulator, type Simulator } from '../../simulator/server.js';
import WebSocket from 'ws';
import { converse, rawTcp, until } from './helpers.js';

const LIMITS = { maxConnections: 4, maxSubscriptionsPerConnection: 2, maxFrameBytes: 4096, maxHeaderBytes: 2048, headersTimeoutMs: 500 };

let sim: Simulator;
const url = {
  coinstore: () => sim.url('coinstore', 'ws'),
  nexus: () => `${sim.url('nexus', 'realtime')}?${TOKEN_PARAM}=${DEMO_TOKEN}`,
  coinceresMarket: () => sim.url('coinceres', 'market'),
  coinsuper: () => sim.url('coinsuper', 'mqtt'),
};

beforeAll(async () => {
  sim = await startSimulator({ port: 0, seed: 3, rate: 20, limits: LIMITS });
});
afterAll(async () => {
  await sim?.close();
});

const text = (m: string | Buffer) => (typeof m === 'string' ? m : m.toString('utf8'));
const json = (m: string | Buffer) => JSON.parse(text(m)) as Record<string, unknown>;

/** A normal Coinstore session: the welcome and the echo of a SUB. */
async function coinstoreWorks(): Promise<void> {
  const c = await converse(url.coinstore(), [JSON.stringify({ op: 'SUB', channel: ['btcusdt@trade'], id: 1 })], {
    settle: (ms) => ms.some((m) => json(m).T === 'echo'),
  });
  expect(c.status).toBeNull();
  expect(json(c.messages[0])).toMatchObject({ T: 'resp', C: 200, M: 'established' });
  expect(c.messages.some((m) => json(m).T === 'echo')).toBe(true);
}

/** A normal MQTT session: CONNECT answered by a CONNACK. */
async function coinsuperWorks(): Promise<void> {
  const connect = mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'hardening-check', keepalive: 30 });
  const c = await converse(url.coinsuper(), [connect], { protocols: 'mqtt', settle: (ms) => ms.length > 0 });
  expect(c.messages.length).toBeGreaterThan(0);
  expect((c.messages[0] as Buffer)[0] >> 4).toBe(2); // CONNACK
}

describe('connection cap', () => {
  it('answers 503 past maxConnections, and accepts again once a slot is free', async () => {
    const held: WebSocket[] = [];
    try {
      for (let i = 0; i < LIMITS.maxConnections; i++) {
        const ws = new WebSocket(url.coinstore());
        await new Promise<void>((resolve, reject) => {
          ws.once('open', () => resolve());
          ws.once('error', reject);
        });
        held.push(ws);
      }
      const refused = await converse(url.coinstore(), []);
      expect(refused.status).toBe(503);
      // the cap is per host, not per exchange
      const refusedOther = await converse(url.coinceresMarket(), []);
      expect(refusedOther.status).toBe(503);
      held.pop()!.close();
      await until(() => sim.stats().connections < LIMITS.maxConnections, 'a slot to free up', 5_000, 20);
      await coinstoreWorks();
    } finally {
      for (const ws of held) ws.terminate();
    }
    await until(() => sim.stats().connections === 0, 'the held sockets to close', 5_000, 20);
  });
});

describe('subscriptions per connection', () => {
  it("Coinstore: the third channel is refused with the exchange's own 400 reply, the socket stays up", async () => {
    const c = await converse(url.coinstore(), [JSON.stringify({ op: 'SUB', channel: ['btcusdt@trade', 'ethusdt@trade', 'btcusdt@ticker'], id: 7 })], {
      settle: (ms) => ms.some((m) => json(m).C === 400),
    });
    const refusal = c.messages.map(json).find((m) => m.C === 400);
    expect(refusal).toMatchObject({ T: 'resp', M: 'bad.request' });
    expect(String(refusal!.payload)).toContain(`at most ${LIMITS.maxSubscriptionsPerConnection} subscriptions`);
    expect(c.close).toBeNull();
  });

  it('Nexus: a subscription past the limit is REJECTED', async () => {
    const sub = (symbol: string, i: number) => JSON.stringify({ id: String(Date.now() + i), action: 'SUBSCRIBE', event: 'API_MARKETDEPTH', symbol, depth: 5 });
    const c = await converse(url.nexus(), [sub('BTCUSDT', 1), sub('ETHUSDT', 2), sub('LTCBTC', 3)], {
      settle: (ms) => ms.some((m) => /REJECTED/.test(text(m))),
    });
    const rejected = c.messages.map(text).filter((m) => /REJECTED/.test(m));
    expect(rejected).toHaveLength(1);
    expect(JSON.parse(rejected[0])).toMatchObject({ data: { data: { event: 'INVALID' }, type: 'VALIDATION' }, result: 'REJECTED', type: 'API' });
    expect(c.close).toBeNull();
  });
});

describe('frame size', () => {
  const big = 'x'.repeat(LIMITS.maxFrameBytes * 2);
  it.each([
    ['coinstore', () => url.coinstore(), undefined, big],
    ['nexus', () => url.nexus(), undefined, big],
    ['coinceres market', () => url.coinceresMarket(), undefined, big],
    ['coinsuper', () => url.coinsuper(), 'mqtt', Buffer.alloc(LIMITS.maxFrameBytes * 2, 0x30)],
  ] as const)('%s: a frame over maxFrameBytes is closed with 1009', async (_name, u, protocols, payload) => {
    const c = await converse(u(), [payload], { protocols });
    expect(c.close?.code).toBe(1009);
  });

  it('the server still serves after oversize frames', async () => {
    await coinstoreWorks();
    await coinsuperWorks();
  });
});

describe('headers', () => {
  it('an upgrade with headers over maxHeaderBytes gets 431', async () => {
    const c = await converse(url.coinstore(), [], { headers: { 'x-padding': 'a'.repeat(LIMITS.maxHeaderBytes * 2) } });
    expect(c.status).toBe(431);
  });

  it('a plain request with huge headers gets 431 over raw TCP', async () => {
    const r = await rawTcp(sim.port, `GET / HTTP/1.1\r\nHost: x\r\nX-Padding: ${'a'.repeat(LIMITS.maxHeaderBytes * 2)}\r\n\r\n`);
    expect(r.answer).toMatch(/^HTTP\/1\.1 431/);
  });

  it('a stalled, half-sent upgrade (slowloris) is answered 408 and closed; clients meanwhile are served', async () => {
    const partial = 'GET /coinstore/s/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n';
    const stalled = [rawTcp(sim.port, partial, 20_000), rawTcp(sim.port, partial, 20_000), rawTcp(sim.port, partial, 20_000)];
    await coinstoreWorks();
    for (const r of await Promise.all(stalled)) {
      expect(r.closedByPeer).toBe(true);
      expect(r.answer).toMatch(/^HTTP\/1\.1 408/);
    }
    await coinstoreWorks();
  });
});

describe('malformed input', () => {
  it('Coinstore: non-JSON text and garbage binary get 400 bad.request; the session stays open', async () => {
    const c = await converse(url.coinstore(), ['not json {', Buffer.from([0xff, 0x00, 0x13, 0x37]), JSON.stringify({ op: 'NOPE', id: 1 })], {
      settle: (ms) => ms.filter((m) => json(m).C === 400).length >= 3,
    });
    expect(c.messages.filter((m) => json(m).C === 400)).toHaveLength(3);
    expect(c.close).toBeNull();
  });

  it('Nexus: non-JSON gets INVALID_REQUEST; the session stays open', async () => {
    const c = await converse(url.nexus(), ['not json {', Buffer.from([0xc3, 0x28])], { settle: (ms) => ms.filter((m) => /INVALID_REQUEST/.test(text(m))).length >= 2 });
    expect(c.messages.filter((m) => /INVALID_REQUEST/.test(text(m)))).toHaveLength(2);
    expect(c.close).toBeNull();
  });

  it('Coinceres: non-JSON and garbage binary get code 400', async () => {
    const c = await converse(url.coinceresMarket(), ['not json {', Buffer.from([0xff, 0xfe])], { settle: (ms) => ms.filter((m) => /"code":400/.test(text(m))).length >= 2 });
    expect(c.messages.filter((m) => /"code":400/.test(text(m)))).toHaveLength(2);
    expect(c.close).toBeNull();
  });

  it('Coinsuper: a broken MQTT packet and a text frame close with 1002 (protocol error)', async () => {
    const broken = await converse(url.coinsuper(), [Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x7f, 1, 2, 3])], { protocols: 'mqtt' });
    expect(broken.close?.code).toBe(1002);
    const textFrame = await converse(url.coinsuper(), ['hello'], { protocols: 'mqtt' });
    expect(textFrame.close?.code).toBe(1002);
    // a truncated CONNECT waits for the rest; meanwhile others are served
    const truncated = converse(url.coinsuper(), [Buffer.from([0x10, 0x20, 0x00, 0x04, 0x4d])], { protocols: 'mqtt', maxMs: 1_000 });
    await coinsuperWorks();
    expect((await truncated).messages).toHaveLength(0);
  });

  it('garbage that is not HTTP at all is dropped without taking the server down', async () => {
    const r = await rawTcp(sim.port, Buffer.from([0x16, 0x03, 0x01, 0x00, 0xff, 0x00, 0x00, 0x00, 0x0d, 0x0a, 0x0d, 0x0a]));
    expect(r.closedByPeer).toBe(true);
    expect(r.answer).toMatch(/^(HTTP\/1\.1 400|)/);
    const notFound = await converse(`ws://127.0.0.1:${sim.port}/no/such/endpoint`, []);
    expect(notFound.status).toBe(404);
    await coinstoreWorks();
    await coinsuperWorks();
  });
});
