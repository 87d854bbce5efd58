/**
 * Coinsuper's broker over every transport the exchange documents (protocols.md §4.2): MQTT 3.1.1
 * over plain TCP (the demos' default `tcp://host:1883`) and over WebSocket — at the path MQTT
 * libraries use by default (`/mqtt`, Paho's) as well as at `/coinsuper/mqtt` — driven by MQTT.js.
 * And the client-id rule of MQTT 3.1.1 (MQTT-3.1.4-2): a CONNECT whose client id is already
 * connected closes the older connection, whichever transport either of them is on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import type { ExchangeHost } from '../../../exchanges/host.js';
import { privatePassword, publicClientId } from '../../../exchanges/coinsuper/auth.js';
import { fullTopic } from '../../../exchanges/coinsuper/topics.js';
import { closeClient, DEMO, mqttConnect, nextMessage, startCoinsuperHost } from './harness.js';

const BOOK = fullTopic('orderBook', { symbol: 'BTC_USDT', step: '0.01' });
const TICKERS = fullTopic('tickers', { symbol: 'ETH_USDT' });
const ORDER = fullTopic('order', { email: DEMO.email });

const publicOpts = (topic: string) => ({ clientId: publicClientId(DEMO.accessKey, DEMO.email, topic), username: 'api_subscriber', password: 'da65be18f44b33b69603c39fd03ddf49' });

let host: ExchangeHost;
let tcpUrl: string;
let wsBase: string;

beforeAll(async () => {
  host = await startCoinsuperHost({}, undefined, { tcpPorts: { coinsuper: 0 } });
  tcpUrl = `mqtt://127.0.0.1:${host.tcpPort('coinsuper')}`;
  wsBase = `ws://127.0.0.1:${host.port}`;
});
afterAll(async () => {
  await host?.close();
});

/** Resolves with true once the client's connection is gone (MQTT.js emits 'close'). */
function closed(c: MqttClient): Promise<true> {
  return new Promise((resolve) => c.once('close', () => resolve(true)));
}

describe('coinsuper over plain TCP', () => {
  it('the host lists a tcp:// endpoint for coinsuper on its own port', () => {
    const tcp = host.endpoints().filter((e) => e.transport === 'tcp');
    expect(tcp).toEqual([{ exchange: 'coinsuper', endpoint: 'mqtt', transport: 'tcp', url: `tcp://127.0.0.1:${host.tcpPort('coinsuper')}`, alias: false }]);
    expect(host.tcpPort('coinsuper')).not.toBe(host.port);
  });

  it('a public subscription: CONNACK, SUBACK, then PUBLISHes of the topic', async () => {
    const c = await mqttConnect(tcpUrl, publicOpts(BOOK));
    try {
      const granted = await c.subscribeAsync(BOOK, { qos: 1 });
      expect(granted.map((g) => g.qos)).toEqual([1]);
      const m = await nextMessage(c, BOOK);
      expect(JSON.parse(m.payload.toString('utf8'))).toMatchObject({ limitSize: 15, step: '0.01', symbol: 'BTC/USDT' });
      expect(m.qos).toBe(1);
    } finally {
      await closeClient(c);
    }
  });

  it('a private login (the sign in the password) and a private topic', async () => {
    const c = await mqttConnect(tcpUrl, { clientId: DEMO.accessKey, username: 'api_private', password: privatePassword(DEMO, Date.now()) });
    try {
      await c.subscribeAsync(ORDER, { qos: 2 });
      const m = await nextMessage(c, ORDER);
      expect(JSON.parse(m.payload.toString('utf8'))).toHaveProperty('orderNo');
    } finally {
      await closeClient(c);
    }
  });

  it('a wrong userCode gets CONNACK 4 and the connection closed', async () => {
    await expect(mqttConnect(tcpUrl, { ...publicOpts(BOOK), password: 'wrong' })).rejects.toThrow(/Bad username or password/i);
  });
});

describe('coinsuper over WebSocket at /mqtt', () => {
  it('serves the same broker at /mqtt as at /coinsuper/mqtt', async () => {
    for (const path of ['/mqtt', '/coinsuper/mqtt']) {
      const c = await mqttConnect(`${wsBase}${path}`, publicOpts(TICKERS));
      try {
        await c.subscribeAsync(TICKERS, { qos: 0 });
        const m = await nextMessage(c, TICKERS);
        expect(Array.isArray(JSON.parse(m.payload.toString('utf8')))).toBe(true);
      } finally {
        await closeClient(c);
      }
    }
  });
});

describe('client-id takeover (MQTT-3.1.4-2)', () => {
  it('a second CONNECT with the same client id closes the first connection, on the same transport', async () => {
    const opts = publicOpts(BOOK);
    const first = await mqttConnect(`${wsBase}/mqtt`, opts);
    const firstGone = closed(first);
    const second = await mqttConnect(`${wsBase}/mqtt`, opts);
    try {
      expect(await firstGone).toBe(true);
      await second.subscribeAsync(BOOK);
      await nextMessage(second, BOOK);
      expect(second.connected).toBe(true);
    } finally {
      first.end(true);
      await closeClient(second);
    }
  });

  it("across transports: a TCP connection takes a WebSocket connection's client id over, and back", async () => {
    const opts = publicOpts(TICKERS);
    const overWs = await mqttConnect(`${wsBase}/coinsuper/mqtt`, opts);
    const wsGone = closed(overWs);
    const overTcp = await mqttConnect(tcpUrl, opts);
    expect(await wsGone).toBe(true);
    const tcpGone = closed(overTcp);
    const again = await mqttConnect(`${wsBase}/mqtt`, opts);
    try {
      expect(await tcpGone).toBe(true);
      await again.subscribeAsync(TICKERS);
      await nextMessage(again, TICKERS);
    } finally {
      overWs.end(true);
      overTcp.end(true);
      await closeClient(again);
    }
  });

  it('connections with other client ids are not touched', async () => {
    const a = await mqttConnect(tcpUrl, publicOpts(BOOK));
    const b = await mqttConnect(`${wsBase}/mqtt`, publicOpts(TICKERS));
    let aClosed = false;
    a.once('close', () => (aClosed = true));
    try {
      await a.subscribeAsync(BOOK);
      await b.subscribeAsync(TICKERS);
      await nextMessage(a, BOOK);
      await nextMessage(b, TICKERS);
      await nextMessage(a, BOOK);
      expect(aClosed).toBe(false);
    } finally {
      await closeClient(a);
      await closeClient(b);
    }
  });
});
