/**
 * A client that stops reading, and the limits: at max speed the server stops producing for it
 * (bounded buffering) and goes on when it reads again; at a paced speed it is closed with 1008 past
 * the buffer limit. Connection and subscription limits answer with the exchange's own error.
 * `--loop` makes the small fixture an endless source.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import mqttPacket from 'mqtt-packet';
import { startReplay, type ReplayServer } from '../../replay/server.js';
import { collect, fixtureData, json, until } from './fixture.js';

let data: string;
let replay: ReplayServer;

beforeAll(async () => {
  data = await fixtureData('tt-replay-limits-');
  replay = await startReplay({
    dataDir: data,
    port: 0,
    speed: 'max',
    graceMs: 20,
    loop: true,
    softBufferBytes: 64 << 10,
    maxBufferedBytes: 1 << 20,
    maxConnections: 6,
    maxSubscriptionsPerConnection: 3,
  });
}, 60_000);
afterAll(async () => {
  await replay?.close();
});

const base = () => `ws://127.0.0.1:${replay.port}`;
const SUPER = 'exchange_ha_prod_hk/api/ws/v1/market/orderBook/BTC_USDT/0.01';

/** Stops / restarts reading the client's socket (the kernel buffers fill, then the server's). */
function reading(ws: WebSocket, on: boolean): void {
  if (on) ws.resume();
  else ws.pause();
}

describe('a client that stops reading', () => {
  it('at max speed the server pauses for it instead of buffering, and goes on when it reads again', async () => {
    const c = await collect(`${base()}/coinstore/s/ws`);
    c.ws.send(JSON.stringify({ op: 'SUB', channel: ['btcusdt@depth@20', 'ethusdt@depth@20', 'btcusdt@trade'], id: 1 }));
    await c.waitFor((m) => m.length > 500, 'a first stretch of frames');
    reading(c.ws, false);
    const pausesBefore = replay.stats.backpressurePauses;
    // the server runs into the soft cap and waits: the frames it sends stop growing. The kernel's
    // socket buffers grow by themselves (loopback autotuning, up to tens of MB) and take a few more
    // bursts first, so stopped means unchanged over several readings, not one.
    let last = -1;
    let unchanged = 0;
    await until(
      () => {
        unchanged = replay.stats.frames === last ? unchanged + 1 : 0;
        last = replay.stats.frames;
        return unchanged >= 3 && replay.stats.backpressurePauses > pausesBefore;
      },
      'the server to stop sending to the stalled client',
      40_000,
      300,
    );
    const rss = process.memoryUsage().rss;
    await new Promise((r) => setTimeout(r, 500));
    expect(replay.stats.frames).toBe(last);
    expect(process.memoryUsage().rss - rss).toBeLessThan(64 << 20);
    expect(c.ws.readyState).toBe(c.ws.OPEN);
    const got = c.messages.length;
    reading(c.ws, true);
    await c.waitFor((m) => m.length > got + 2000, 'frames again once it reads');
    // S stayed gap-free through the stall
    c.messages
      .slice(0, 3000)
      .map(json)
      .forEach((m, i) => expect(m.S).toBe(i + 1));
    c.ws.terminate();
  });

  it('at a paced speed it is closed with 1008 once past the buffer limit', async () => {
    const closesBefore = replay.stats.slowClientCloses;
    const c = await collect(`${base()}/coinsuper/mqtt?speed=200`, {}, ['mqtt']);
    reading(c.ws, false);
    // MQTT CONNECT + SUBSCRIBE, then the client reads nothing more
    c.ws.send(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'd'.repeat(96), clean: true, keepalive: 60, username: 'api_subscriber', password: Buffer.from('da65be18f44b33b69603c39fd03ddf49') }));
    c.ws.send(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: SUPER, qos: 0 }] }));
    await until(() => replay.stats.slowClientCloses > closesBefore, 'the server to give up on the client', 30_000, 100);
    reading(c.ws, true); // the close frame is behind everything it did not read
    expect((await c.closed).code).toBe(1008);
  });
});

describe('limits', () => {
  it("more channels than allowed on a connection: the exchange's error reply", async () => {
    const c = await collect(`${base()}/coinstore/s/ws`);
    c.ws.send(JSON.stringify({ op: 'SUB', channel: ['btcusdt@trade', 'ethusdt@trade', 'btcusdt@depth@20', 'ethusdt@depth@20'], id: 9 }));
    await c.waitFor((m) => m.some((s) => json(s).T === 'resp' && json(s).C !== 200 && json(s).S > 1), 'an error resp');
    const err = c.messages.map(json).find((m) => m.T === 'resp' && m.S > 1);
    expect(err.C).not.toBe(200);
    c.ws.terminate();
    const n = await collect(`${base()}/coinceres/market`);
    n.ws.send(JSON.stringify(['btc', 'eth', 'ltc', 'xrp'].map((_, i) => ({ msg_type: 'subscribe-trade', exchange: 'OKEX', contract: i < 2 ? ['BTC/USDT', 'ETH/USDT'][i] : 'BTC/USDT' }))));
    n.ws.send(JSON.stringify(['subscribe-tick', 'subscribe-depth10', 'subscribe-tick'].map((t, i) => ({ msg_type: t, exchange: 'OKEX', contract: i === 0 ? 'BTC/USDT' : 'ETH/USDT' }))));
    await n.waitFor((m) => m.filter((s) => Array.isArray(json(s))).length >= 2, 'two acks');
    const acks = n.messages
      .map(json)
      .filter((m) => Array.isArray(m))
      .flat();
    expect(acks.filter((a: { code: number }) => a.code === 200).length).toBe(3);
    expect(acks.some((a: { code: number }) => a.code !== 200 && a.code !== 201)).toBe(true);
    n.ws.terminate();
  });

  it('more connections than allowed: refused at the upgrade, the others keep working', async () => {
    await until(() => replay.host.connections() === 0, 'earlier sockets to close', 10_000, 50);
    const open = [];
    for (let i = 0; i < 6; i++) open.push(await collect(`${base()}/coinceres/market`));
    await expect(collect(`${base()}/coinceres/market`)).rejects.toThrow(/503/);
    await open[0].waitFor((m) => m.length >= 1, 'the handshake of an admitted connection');
    for (const c of open) c.ws.terminate();
  });
});
