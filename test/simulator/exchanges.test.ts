/**
 * Every exchange module, driven by its own client side (the recorder's protocol logic) over real
 * sockets against the simulator: each default public stream delivers data, and the private streams
 * with the demo credentials deliver the demo account's activity.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { EXCHANGES } from '../../exchanges/registry.js';
import { EXCHANGE_IDS, type OutFrame, type StreamSpec } from '../../exchanges/types.js';
import { startSimulator, type Simulator } from '../../simulator/server.js';

let sim: Simulator;

beforeAll(async () => {
  // A quick market (1000 steps/s) so that even the demo account's rare fills show up in seconds.
  sim = await startSimulator({ port: 0, seed: 9, rate: 1000, symbols: ['BTC-USDT', 'ETH-USDT'] });
});
afterAll(async () => {
  await sim?.close();
});

async function drive(exchange: (typeof EXCHANGE_IDS)[number], endpoint: string, streams: StreamSpec[], want: (seen: Map<string, number>) => boolean, timeoutMs: number) {
  const mod = EXCHANGES[exchange];
  const session = mod.client.createSession({
    endpointUrl: sim.url(exchange, endpoint),
    endpoint,
    streams,
    credentials: mod.demoCredentials,
    nowMs: () => Date.now(),
  });
  const ws = new WebSocket(session.url, session.protocols ?? [], { headers: session.headers });
  const seen = new Map<string, number>();
  const malformed: string[] = [];
  const send = (f: OutFrame) => ws.send(f.data, { binary: f.binary });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${exchange}/${endpoint}: timed out; seen ${JSON.stringify([...seen])}`)), timeoutMs);
      ws.on('open', () => {
        for (const f of session.onOpen()) send(f);
      });
      ws.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      ws.on('message', (data: Buffer, binary: boolean) => {
        const info = session.onFrame(new Uint8Array(data), binary);
        for (const r of info.replies ?? []) send(r);
        if (info.malformed) malformed.push(data.toString('utf8').slice(0, 80));
        if (info.stream && !info.control) seen.set(info.stream, (seen.get(info.stream) ?? 0) + 1);
        if (want(seen)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  } finally {
    ws.terminate();
  }
  expect(malformed).toEqual([]);
  return seen;
}

describe('every exchange module against the simulator', () => {
  for (const exchange of EXCHANGE_IDS) {
    it(`${exchange}: each default public stream delivers data`, async () => {
      const mod = EXCHANGES[exchange];
      const specs = mod.defaultChannels(sim.market.instruments).map((c) => mod.client.parseChannel(c));
      const byEndpoint = new Map<string, StreamSpec[]>();
      for (const s of specs) byEndpoint.set(s.endpoint, [...(byEndpoint.get(s.endpoint) ?? []), s]);
      expect(specs.length).toBeGreaterThan(0);
      for (const [endpoint, streams] of byEndpoint) {
        const keys = streams.map((s) => s.key);
        const seen = await drive(exchange, endpoint, streams, (m) => keys.every((k) => (m.get(k) ?? 0) >= 2), 15_000);
        for (const k of keys) expect(seen.get(k), k).toBeGreaterThanOrEqual(2);
      }
    });

    // Coinceres' trading socket pushes nothing: its client polls balances, orders, fills and positions.
    it(`${exchange}: private streams deliver the demo account's activity`, async () => {
      const mod = EXCHANGES[exchange];
      const specs = mod.privateChannels(sim.market.instruments).map((c) => mod.client.parseChannel(c));
      const byEndpoint = new Map<string, StreamSpec[]>();
      for (const s of specs) byEndpoint.set(s.endpoint, [...(byEndpoint.get(s.endpoint) ?? []), s]);
      let total = 0;
      for (const [endpoint, streams] of byEndpoint) {
        const seen = await drive(exchange, endpoint, streams, (m) => [...m.values()].reduce((a, b) => a + b, 0) >= 3, 20_000);
        total += [...seen.values()].reduce((a, b) => a + b, 0);
      }
      expect(total).toBeGreaterThanOrEqual(3);
    });
  }
});
