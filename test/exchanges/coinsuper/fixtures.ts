/** Loads the Coinsuper fixtures and wraps a payload in the MQTT frame the broker would send. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generate } from 'mqtt-packet';
import type { RawFrame } from '../../../exchanges/types.js';

const dir = fileURLToPath(new URL('../../../exchanges/coinsuper/fixtures/', import.meta.url));

export function fixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(`${dir}${name}.json`, 'utf8')) as T;
}

export interface PayloadFixture {
  description: string;
  topic: string;
  payload: string;
  expected: Array<Record<string, unknown>>;
}

export const PAYLOAD_FIXTURES = ['depth', 'orderbook', 'kline', 'tickers', 'asset', 'order', 'trade'];

export function publishFrame(topic: string, payload: string | Uint8Array, qos: 0 | 1 | 2 = 0, messageId = 1): Uint8Array {
  return generate({ cmd: 'publish', topic, payload: Buffer.from(payload), qos, messageId: qos ? messageId : undefined, dup: false, retain: false });
}

export function rawFrame(topic: string, payload: Uint8Array, recvNs = 1n): RawFrame {
  return { payload, kind: 'binary', stream: topic, endpoint: 'ws://127.0.0.1/coinsuper/mqtt', recvNs };
}
