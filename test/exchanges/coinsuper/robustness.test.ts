/**
 * Arbitrary bytes never crash the broker, the client reader or the normalizer: the broker answers
 * with a protocol close (never an internal error), the reader flags the frame, the normalizer
 * yields no rows. Seeded, so a failure replays.
 */
import { describe, expect, it } from 'vitest';
import { generate } from 'mqtt-packet';
import { CoinsuperBroker } from '../../../exchanges/coinsuper/broker.js';
import { coinsuper } from '../../../exchanges/coinsuper/index.js';
import type { SessionLink, StreamSpec } from '../../../exchanges/types.js';
import { TEST_INSTRUMENTS } from '../../helpers/test-feed.js';
import { DEMO } from './harness.js';
import { publishFrame, rawFrame } from './fixtures.js';

const CASES = 300;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Random bytes, or a valid packet with some bytes flipped or cut: closer to what breaks parsers. */
function mangled(r: () => number): Buffer {
  const valid = [
    generate({ cmd: 'subscribe', messageId: 3, subscriptions: [{ topic: 'exchange_ha_prod_hk/api/ws/v1/market/depth/BTC_USDT', qos: 1 }] }),
    generate({ cmd: 'unsubscribe', messageId: 4, unsubscriptions: ['a/b'] }),
    generate({ cmd: 'pingreq' }),
    generate({ cmd: 'puback', messageId: 9 }),
    publishFrame('exchange_ha_prod_hk/api/ws/v1/market/tickers/BTC_USDT', '[{"price":"1","quantity":"2","action":"BUY","timestamp":3}]', 2, 5),
  ];
  if (r() < 0.3) return Buffer.from(Array.from({ length: 1 + Math.floor(r() * 40) }, () => Math.floor(r() * 256)));
  const b = Buffer.from(valid[Math.floor(r() * valid.length)]);
  const flips = 1 + Math.floor(r() * 3);
  for (let k = 0; k < flips; k++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
  return r() < 0.3 ? b.subarray(0, Math.floor(r() * b.length)) : b;
}

function fakeLink() {
  const closes: number[] = [];
  const link: SessionLink = {
    url: new URL('ws://127.0.0.1/coinsuper/mqtt'),
    send: () => undefined,
    ping: () => undefined,
    close: (code) => void closes.push(code),
    subscribe: (_s: StreamSpec) => ({ ok: true }),
    unsubscribe: () => undefined,
    bufferedAmount: () => 0,
    claim() {},
    maxMessageBytes: 1 << 20,
    cork: (fn) => fn(),
    sendWith: () => undefined,
  };
  return { link, closes };
}

describe('coinsuper robustness against arbitrary bytes', () => {
  it('the broker closes with a protocol code or carries on, never throws', () => {
    const r = rng(20261123);
    const connect = generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 0, clientId: 'f', username: 'api_subscriber', password: Buffer.from('da65be18f44b33b69603c39fd03ddf49') });
    for (let i = 0; i < CASES; i++) {
      const { link, closes } = fakeLink();
      const broker = new CoinsuperBroker(link, { instruments: TEST_INSTRUMENTS, credentials: [DEMO], nowMs: Date.now, timing: { idleTimeoutMs: 0 }, random: r });
      try {
        broker.onMessage(connect, true);
        for (let k = 0; k < 3; k++) expect(() => broker.onMessage(mangled(r), true)).not.toThrow();
        for (const code of closes) expect([1000, 1002, 1008]).toContain(code);
      } finally {
        broker.onClose();
      }
    }
  });

  it('the client reader and the normalizer never throw', () => {
    const r = rng(7);
    const spec = coinsuper.client.parseChannel('BTC_USDT@tickers');
    const session = coinsuper.client.createSession({ endpointUrl: 'ws://x', endpoint: 'mqtt', streams: [spec], nowMs: () => 0 });
    const normalizer = coinsuper.createNormalizer();
    for (let i = 0; i < CASES; i++) {
      const bytes = mangled(r);
      expect(() => session.onFrame(bytes, true)).not.toThrow();
      expect(() => normalizer.normalize(rawFrame(spec.key, bytes))).not.toThrow();
    }
    expect(() => JSON.stringify(normalizer.state())).not.toThrow();
  });
});
