/**
 * The Coinsuper server side as an MQTT 3.1.1 broker, driven by a third-party client (MQTT.js) and,
 * for what MQTT.js will not send, by raw packets over a plain WebSocket.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { MqttClient } from 'mqtt';
import { generate, parser, type Packet } from 'mqtt-packet';
import type { ExchangeHost } from '../../../exchanges/host.js';
import { publicClientId, privatePassword } from '../../../exchanges/coinsuper/auth.js';
import { CoinsuperBroker } from '../../../exchanges/coinsuper/broker.js';
import { fullTopic } from '../../../exchanges/coinsuper/topics.js';
import type { FeedItem, StreamSpec } from '../../../exchanges/types.js';
import { closeClient, DEMO, mqttConnect, mqttUrl, nextMessage, startCoinsuperHost } from './harness.js';

const BOOK = fullTopic('orderBook', { symbol: 'BTC_USDT', step: '0.01' });
const DEPTH = fullTopic('depth', { symbol: 'BTC_USDT' });
const KLINE = fullTopic('kline', { symbol: 'BTC_USDT', range: 60000 });
const TICKERS = fullTopic('tickers', { symbol: 'ETH_USDT' });
const ASSET = fullTopic('asset', { email: DEMO.email });
const ORDER = fullTopic('order', { email: DEMO.email });
const TRADE = fullTopic('trade', { email: DEMO.email });

const publicOpts = (topic: string) => ({
  clientId: publicClientId(DEMO.accessKey, DEMO.email, topic),
  username: 'api_subscriber',
  password: 'da65be18f44b33b69603c39fd03ddf49',
});
const privateOpts = () => ({ clientId: DEMO.accessKey, username: 'api_private', password: privatePassword(DEMO, Date.now()) });

/** A raw MQTT-over-WebSocket connection: packets in, packets out. */
async function rawClient(url: string, protocols: string[] = ['mqtt']) {
  const ws = new WebSocket(url, protocols);
  const packets: Packet[] = [];
  const waiters: Array<() => void> = [];
  const p = parser({ protocolVersion: 4 });
  p.on('packet', (x: Packet) => {
    packets.push(x);
    for (const w of waiters.splice(0)) w();
  });
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  ws.on('message', (d: Buffer) => p.parse(d));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const next = async (cmd: string, timeoutMs = 3000): Promise<Packet> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = packets.findIndex((x) => x.cmd === cmd);
      if (i >= 0) return packets.splice(i, 1)[0];
      if (Date.now() > deadline) throw new Error(`no ${cmd} within ${timeoutMs} ms`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 50);
      });
    }
  };
  return { ws, send: (pk: Packet) => ws.send(generate(pk)), next, closed };
}

/** The SUBACK return codes, in order; MQTT.js rejects when one is 0x80 but keeps the packet on the error. */
async function grantedQos(c: MqttClient, topics: Record<string, { qos: 0 | 1 | 2 }>): Promise<number[]> {
  try {
    return (await c.subscribeAsync(topics)).map((g) => g.qos);
  } catch (err) {
    const packet = (err as { packet?: { granted: number[] } }).packet;
    if (!packet) throw err;
    return packet.granted;
  }
}

describe('coinsuper broker with MQTT.js', () => {
  let host: ExchangeHost;
  beforeAll(async () => {
    host = await startCoinsuperHost();
  });
  afterAll(async () => {
    await host?.close();
  });

  it('accepts the public login (96-char client id) and publishes the order book on its topic', async () => {
    const opts = publicOpts(BOOK);
    expect(opts.clientId).toHaveLength(96);
    const c = await mqttConnect(mqttUrl(host), opts);
    try {
      const granted = await c.subscribeAsync(BOOK, { qos: 0 });
      expect(granted).toEqual([{ topic: BOOK, qos: 0 }]);
      const m = await nextMessage(c, BOOK);
      const book = JSON.parse(m.payload.toString('utf8'));
      expect(Object.keys(book)).toEqual(['asks', 'bids', 'limitSize', 'step', 'symbol', 'timestamp']);
      expect(book.limitSize).toBe(15);
      expect(book.step).toBe('0.01');
      expect(book.symbol).toBe('BTC/USDT');
      expect(book.asks).toHaveLength(15);
      expect(book.bids).toHaveLength(15);
      expect(Object.keys(book.asks[0])).toEqual(['amount', 'limitPrice', 'quantity']);
    } finally {
      await closeClient(c);
    }
  });

  it('refuses a wrong userCode with CONNACK 4', async () => {
    await expect(mqttConnect(mqttUrl(host), { ...publicOpts(BOOK), password: 'not-the-user-code' })).rejects.toMatchObject({ code: 4 });
  });

  it('refuses a private login whose sign does not verify with CONNACK 4', async () => {
    const bad = privatePassword({ ...DEMO, secretKey: 'wrongSecret' }, Date.now());
    await expect(mqttConnect(mqttUrl(host), { clientId: DEMO.accessKey, username: 'api_private', password: bad })).rejects.toMatchObject({ code: 4 });
    // right sign, but the client id is not the access key
    await expect(mqttConnect(mqttUrl(host), { ...privateOpts(), clientId: 'someoneElse' })).rejects.toMatchObject({ code: 4 });
  });

  it('delivers with QoS 0, 1 and 2 as granted and completes every acknowledgement flow', async () => {
    const h = await startCoinsuperHost();
    try {
      const c = await mqttConnect(mqttUrl(h), publicOpts(DEPTH));
      try {
        const granted = await c.subscribeAsync({ [DEPTH]: { qos: 0 }, [KLINE]: { qos: 1 }, [TICKERS]: { qos: 2 } });
        expect(granted.map((g) => g.qos)).toEqual([0, 1, 2]);
        for (const [topic, qos] of [
          [DEPTH, 0],
          [KLINE, 1],
          [TICKERS, 2],
        ] as const) {
          for (let i = 0; i < 3; i++) {
            const m = await nextMessage(c, topic);
            expect(m.qos).toBe(qos);
            expect(() => JSON.parse(m.payload.toString('utf8'))).not.toThrow();
          }
        }
        const depth = JSON.parse((await nextMessage(c, DEPTH)).payload.toString('utf8'));
        expect(depth.asks).toHaveLength(50);
        expect(depth.bids).toHaveLength(50);
        expect(depth.asks[0].stepValue).toBeNull();
        const kline = JSON.parse((await nextMessage(c, KLINE)).payload.toString('utf8'));
        expect(Object.keys(kline)).toEqual(['symbol', 'first', 'last', 'max', 'min', 'quantity', 'timestamp']);
        const window = JSON.parse((await nextMessage(c, TICKERS)).payload.toString('utf8'));
        expect(Array.isArray(window)).toBe(true);
        expect(Object.keys(window[0])).toEqual(['symbol', 'price', 'quantity', 'action', 'timestamp']);
      } finally {
        await closeClient(c);
      }
    } finally {
      await h.close();
    }
  });

  it('keeps no QoS 1/2 message in flight once MQTT.js has acknowledged it', async () => {
    const sessions: CoinsuperBroker[] = [];
    const { startHost } = await import('../../../exchanges/host.js');
    const { createTestFeedFactory, TEST_INSTRUMENTS } = await import('../../helpers/test-feed.js');
    const feeds = createTestFeedFactory({ intervalMs: 20 });
    const h = await startHost({
      port: 0,
      connection: () => ({
        context: { instruments: TEST_INSTRUMENTS, credentials: [{ ...DEMO }], nowMs: Date.now, timing: {}, random: Math.random },
        feed: feeds(),
        onOpen: (conn) => sessions.push(conn.session as CoinsuperBroker),
      }),
    });
    try {
      const c = await mqttConnect(mqttUrl(h), publicOpts(KLINE));
      try {
        await c.subscribeAsync({ [KLINE]: { qos: 1 }, [TICKERS]: { qos: 2 } });
        for (let i = 0; i < 5; i++) await nextMessage(c, TICKERS);
        await c.unsubscribeAsync([KLINE, TICKERS]);
        // After UNSUBACK no more publishes are started; acknowledgements of earlier ones drain.
        for (let i = 0; i < 50 && sessions[0].inflight > 0; i++) await new Promise((r) => setTimeout(r, 20));
        expect(sessions[0]).toBeInstanceOf(CoinsuperBroker);
        expect(sessions[0].inflight).toBe(0);
      } finally {
        await closeClient(c);
      }
    } finally {
      await h.close();
    }
  });

  it('stops publishing a topic after UNSUBSCRIBE', async () => {
    const c = await mqttConnect(mqttUrl(host), publicOpts(BOOK));
    try {
      await c.subscribeAsync(BOOK);
      await nextMessage(c, BOOK);
      await c.unsubscribeAsync(BOOK);
      await expect(nextMessage(c, BOOK, 300)).rejects.toThrow(/no message/);
    } finally {
      await closeClient(c);
    }
  });

  it('refuses unknown topics, wildcards and private topics on a public login with 0x80', async () => {
    const c = await mqttConnect(mqttUrl(host), publicOpts(BOOK));
    try {
      const granted = await grantedQos(c, {
        [fullTopic('orderBook', { symbol: 'XRP_USDT', step: '0.01' })]: { qos: 0 },
        ['exchange_ha_prod_hk/api/ws/v1/market/#']: { qos: 0 },
        [ASSET]: { qos: 0 },
        [BOOK]: { qos: 1 },
      });
      expect(granted).toEqual([128, 128, 128, 1]);
    } finally {
      await closeClient(c);
    }
  });

  it('accepts the private login and publishes asset, order and trade changes of that account only', async () => {
    const c = await mqttConnect(mqttUrl(host), privateOpts());
    try {
      const other = fullTopic('asset', { email: 'someone@else.example' });
      const granted = await grantedQos(c, { [ASSET]: { qos: 1 }, [ORDER]: { qos: 1 }, [TRADE]: { qos: 2 }, [other]: { qos: 0 } });
      expect(granted).toEqual([1, 1, 2, 128]);
      const asset = (await nextMessage(c, ASSET)).payload.toString('utf8');
      // 30-decimal JSON numbers, not strings
      expect(asset).toMatch(/^\{"asset":\[\{"available":\d+\.\d{30},"currency":"USDT","total":\d+\.\d{30},"utcUpdate":\d+\}\],"email":"demouser@demo\.domain","timestamp":\d+,"userNo":"\d{19}"\}$/);
      const states = new Set<string>();
      for (let i = 0; i < 4; i++) states.add(JSON.parse((await nextMessage(c, ORDER)).payload.toString('utf8')).state);
      expect([...states].sort()).toEqual(['CANCEL', 'NEW']);
      const fill = JSON.parse((await nextMessage(c, TRADE)).payload.toString('utf8'));
      expect(fill).toMatchObject({ action: 'SELL', matchType: 'MAKER', orderType: 'LMT', price: '101.50', quantity: '0.2500', symbol: 'BTC/USDT' });
      expect(typeof fill.utcDeal).toBe('string');
    } finally {
      await closeClient(c);
    }
  });

  it('accepts Paho’s MQTT 3.1 fallback (MQIsdp, sub-protocol mqttv3.1)', async () => {
    const c = await mqttConnect(mqttUrl(host), { ...publicOpts(BOOK), protocolId: 'MQIsdp', protocolVersion: 3 });
    try {
      await c.subscribeAsync(BOOK);
      expect(JSON.parse((await nextMessage(c, BOOK)).payload.toString('utf8')).symbol).toBe('BTC/USDT');
    } finally {
      await closeClient(c);
    }
  });

  it('answers PINGREQ with PINGRESP (MQTT.js keep-alive of 1 s)', async () => {
    const c = await mqttConnect(mqttUrl(host), { ...publicOpts(BOOK), keepalive: 1 });
    try {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no PINGRESP')), 5000);
        c.on('packetreceive', (p) => {
          if (p.cmd === 'pingresp') {
            clearTimeout(t);
            resolve();
          }
        });
      });
      expect(c.connected).toBe(true);
    } finally {
      await closeClient(c);
    }
  });

  it('closes a connection silent for 1.5 × its keep-alive', async () => {
    const r = await rawClient(mqttUrl(host));
    r.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 1, clientId: 'k', username: 'api_subscriber', password: Buffer.from('da65be18f44b33b69603c39fd03ddf49') });
    expect(await r.next('connack')).toMatchObject({ returnCode: 0 });
    expect(await r.closed).toBe(1008);
  });

  it('closes the connection on a malformed packet', async () => {
    const r = await rawClient(mqttUrl(host));
    r.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 60, clientId: 'm', username: 'api_subscriber', password: Buffer.from('da65be18f44b33b69603c39fd03ddf49') });
    await r.next('connack');
    r.ws.send(Buffer.from([0x82, 0x02, 0x00])); // SUBSCRIBE with flags 0010 ok, but an impossible body
    r.ws.send(Buffer.from('not mqtt at all'));
    expect(await r.closed).toBe(1002);
  });

  it('closes when the first packet is not CONNECT, and on text frames', async () => {
    const a = await rawClient(mqttUrl(host));
    a.send({ cmd: 'pingreq' });
    expect(await a.closed).toBe(1002);
    const b = await rawClient(mqttUrl(host));
    b.ws.send('{"op":"sub"}');
    expect(await b.closed).toBe(1002);
  });

  it('refuses protocol levels other than 3.1.1 / 3.1 with CONNACK 1', async () => {
    const r = await rawClient(mqttUrl(host));
    r.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clean: true, keepalive: 60, clientId: 'v5', username: 'api_subscriber', password: Buffer.from('da65be18f44b33b69603c39fd03ddf49') });
    const ack = (await r.next('connack')) as { returnCode?: number; reasonCode?: number };
    expect(ack.returnCode ?? ack.reasonCode).toBe(1);
    expect(await r.closed).toBe(1008);
  });

  it('rejects a WebSocket upgrade without the mqtt sub-protocol', async () => {
    const ws = new WebSocket(mqttUrl(host));
    const err = await new Promise<Error>((resolve) => ws.once('error', resolve));
    expect(err.message).toMatch(/400/);
  });
});

describe('coinsuper broker lifetime limit', () => {
  it('closes with 1001 when a lifetime is injected, and MQTT.js sees the connection end', async () => {
    const h = await startCoinsuperHost({ maxLifeMs: 200 });
    try {
      const c = await mqttConnect(mqttUrl(h), publicOpts(BOOK));
      const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
      await c.subscribeAsync(BOOK);
      await nextMessage(c, BOOK);
      await closed;
      expect(c.connected).toBe(false);
      await closeClient(c);
      const r = await rawClient(mqttUrl(h));
      expect(await r.closed).toBe(1001);
    } finally {
      await h.close();
    }
  });
});

describe('coinsuper broker replaying recorded frames', () => {
  it('re-publishes the recorded topic and payload byte for byte, with this session’s QoS and packet ids', async () => {
    // The recorded frame: a QoS 1 PUBLISH (id 777) followed by a PINGRESP, as a broker may batch them.
    const payload = Buffer.from(
      '{"asset":[{"available":0.738763122563248000000000000000,"currency":"BTC","total":1.306763122563248000000000000000,"utcUpdate":1542786801575}],"email":"demouser@demo.domain","timestamp":1542786802283,"userNo":"1600000000000000000"}',
    );
    const recorded = Buffer.concat([generate({ cmd: 'publish', topic: ASSET, payload, qos: 1, messageId: 777, dup: false, retain: false }), generate({ cmd: 'pingresp' })]);
    const feedFor = () => {
      const timers = new Map<string, NodeJS.Timeout>();
      return {
        subscribe(stream: StreamSpec, deliver: (item: FeedItem) => void) {
          timers.set(
            stream.key,
            setInterval(() => deliver({ type: 'recorded', payload: recorded, binary: true, recvNs: 0n }), 20),
          );
          return { ok: true as const };
        },
        unsubscribe(key: string) {
          clearInterval(timers.get(key));
        },
        close() {
          for (const t of timers.values()) clearInterval(t);
        },
      };
    };
    const h = await startCoinsuperHost({}, feedFor);
    try {
      for (const qos of [0, 2] as const) {
        const c = await mqttConnect(mqttUrl(h), privateOpts());
        try {
          await c.subscribeAsync(ASSET, { qos });
          const a = await nextMessage(c, ASSET);
          const b = await nextMessage(c, ASSET);
          expect(Buffer.compare(a.payload, payload)).toBe(0);
          expect(a.qos).toBe(qos);
          if (qos > 0) {
            expect(a.messageId).not.toBe(777);
            expect(b.messageId).not.toBe(a.messageId);
          }
        } finally {
          await closeClient(c);
        }
      }
    } finally {
      await h.close();
    }
  });
});
