/**
 * Coinsuper: cost of the pure parts (formatting orderBook / depth-chart / tickers payloads, the
 * client reading a PUBLISH frame, normalizing an orderBook push and a sliding trade window with
 * de-duplication) and PUBLISH frames per second the broker sustains to one client over a local
 * socket, at QoS 0 and at QoS 1 (the client answering every PUBACK).
 */
import { generate, parser, type Packet } from 'mqtt-packet';
import { coinsuper } from '../exchanges/coinsuper/index.js';
import { depthChartPayload, orderBookPayload, tickersPayload } from '../exchanges/coinsuper/format.js';
import { CoinsuperNormalizer } from '../exchanges/coinsuper/normalize.js';
import { publishPacket } from '../exchanges/coinsuper/packets.js';
import { fullTopic } from '../exchanges/coinsuper/topics.js';
import type { BookEvent } from '../exchanges/market.js';
import { Market } from '../simulator/market.js';
import { rate } from './measure.js';
import { framesPerSecond, oneClient } from './one-client.js';
import type { BenchResult } from './types.js';
import { marketSample } from './market-sample.js';

/** Book events handed to the session per event-loop turn in the socket benchmark. */
const SOCKET_BATCH = 100;

/** Calls between two clock reads in the pure measurements (the payloads here are larger). */
const RATE_BATCH = 200;

const BOOK_TOPIC = fullTopic('orderBook', { symbol: 'BTC_USDT', step: '0.01' });
const TICKERS_TOPIC = fullTopic('tickers', { symbol: 'BTC_USDT' });

async function socketRate(books: BookEvent[], qos: 0 | 1): Promise<BenchResult> {
  const market = new Market({ seed: 1, symbols: ['BTC-USDT'] });
  const p = parser({ protocolVersion: 4 });
  const r = await oneClient({
    exchange: 'coinsuper',
    endpoint: 'mqtt',
    protocols: ['mqtt'],
    events: books,
    batch: SOCKET_BATCH,
    instruments: market.instruments,
    credentials: [coinsuper.demoCredentials],
    subscribe: (ws) => {
      p.on('packet', (pk: Packet) => {
        if (pk.cmd === 'publish' && pk.qos === 1) ws.send(generate({ cmd: 'puback', messageId: pk.messageId }));
      });
      ws.send(generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 60, clientId: 'bench', username: 'api_subscriber', password: Buffer.from('da65be18f44b33b69603c39fd03ddf49') }));
      ws.send(generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: BOOK_TOPIC, qos }] }));
    },
    onFrame: (d) => {
      p.parse(d);
    },
  });
  return framesPerSecond(`broker → 1 client over a socket, orderBook pushes, QoS ${qos}`, r, `~${Math.round(r.bytes / Math.max(1, r.frames))} B/frame; client in the same process`);
}

export async function run(): Promise<BenchResult[]> {
  const { trades, books } = marketSample(600);
  const bookFrames = books.map((b, i) => publishPacket(BOOK_TOPIC, Buffer.from(orderBookPayload(b, '0.01')), 1, (i % 65535) + 1));
  // Sliding windows of 50 trades, one trade newer each time: the recorder's worst case for de-duplication.
  const windows = Array.from({ length: trades.length - 50 }, (_, i) => tickersPayload(trades.slice(i, i + 50).reverse()));
  const client = coinsuper.client.createSession({
    endpointUrl: 'ws://127.0.0.1/coinsuper/mqtt',
    endpoint: 'mqtt',
    streams: [coinsuper.client.parseChannel('BTC_USDT@orderBook@0.01')],
    nowMs: () => 0,
  });
  client.onOpen();
  const normalizer = coinsuper.createNormalizer();
  const raw = (payload: Uint8Array) => ({ payload, kind: 'binary' as const, stream: BOOK_TOPIC, endpoint: '', recvNs: 0n });
  let windowNormalizer = new CoinsuperNormalizer();
  const results: BenchResult[] = [
    rate('format orderBook payload (top 15, event → JSON)', 'msgs/s', (i) => void orderBookPayload(books[i % books.length], '0.01'), { batch: RATE_BATCH }),
    rate('format depth-chart payload (2 × 50 cumulative buckets)', 'msgs/s', (i) => void depthChartPayload(books[i % books.length]), { batch: RATE_BATCH }),
    rate('format tickers payload (50 trades)', 'msgs/s', (i) => void tickersPayload(trades.slice(i % 500, (i % 500) + 50)), { batch: RATE_BATCH }),
    rate('client onFrame, orderBook PUBLISH QoS 1 (+ PUBACK)', 'frames/s', (i) => void client.onFrame(bookFrames[i % bookFrames.length], true), { batch: RATE_BATCH }),
    rate('normalize orderBook PUBLISH (30 book rows)', 'frames/s', (i) => void normalizer.normalize(raw(bookFrames[i % bookFrames.length])), { batch: RATE_BATCH }),
    rate(
      'normalize sliding tickers window (50 trades → 1 new row)',
      'frames/s',
      (i) => {
        if (i % windows.length === 0) windowNormalizer = new CoinsuperNormalizer();
        windowNormalizer.publish(TICKERS_TOPIC, windows[i % windows.length]);
      },
      { batch: RATE_BATCH },
    ),
  ];
  results.push(await socketRate(books, 0));
  results.push(await socketRate(books, 1));
  return results;
}
