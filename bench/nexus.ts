/**
 * Nexus: cost of the pure parts (formatting the aggregated book, reading a push on the client side,
 * normalizing it) and frames per second the Nexus server side sustains to one client over a local
 * socket (simulator books, depth 5, client in the same process).
 */
import type { BookEvent } from '../exchanges/market.js';
import { formatMarketDepth } from '../exchanges/nexus/book-format.js';
import { nexus } from '../exchanges/nexus/index.js';
import { Market } from '../simulator/market.js';
import { rate } from './measure.js';
import { framesPerSecond, oneClient } from './one-client.js';
import type { BenchResult } from './types.js';

function books(n: number): BookEvent[] {
  const market = new Market({ seed: 1, symbols: ['BTC-USDT'] });
  const inst = market.instruments[0];
  const out: BookEvent[] = [];
  for (let i = 0; i < n; i++) {
    market.step(3);
    out.push(market.book(inst));
  }
  return out;
}

async function socketRate(sample: BookEvent[]): Promise<BenchResult> {
  const r = await oneClient({
    exchange: 'nexus',
    endpoint: 'realtime',
    urlSuffix: `?X-API-TOKEN=${nexus.demoCredentials.token}`,
    events: sample,
    credentials: [nexus.demoCredentials],
    subscribe: (ws) => ws.send(JSON.stringify({ id: '1', action: 'SUBSCRIBE', event: 'API_MARKETDEPTH', symbol: 'BTCUSDT', depth: 5 })),
  });
  return framesPerSecond('server → 1 client over a socket, API_MARKETDEPTH depth 5', r, 'client in the same process');
}

export async function run(): Promise<BenchResult[]> {
  const sample = books(500);
  const frames5 = sample.map((b) => new TextEncoder().encode(JSON.stringify(formatMarketDepth(b, 5))));
  const client = nexus.client.createSession({
    endpointUrl: 'ws://127.0.0.1/nexus/api/realtime',
    endpoint: 'realtime',
    streams: [nexus.client.parseChannel('BTCUSDT@depth@5')],
    credentials: nexus.demoCredentials,
    nowMs: () => 0,
  });
  client.onOpen();
  const normalizer = nexus.createNormalizer();
  const results: BenchResult[] = [
    rate('format API_MARKETDEPTH depth 5 (book event → JSON text)', 'msgs/s', (i) => void JSON.stringify(formatMarketDepth(sample[i % sample.length], 5))),
    rate('format API_MARKETDEPTH depth 20', 'msgs/s', (i) => void JSON.stringify(formatMarketDepth(sample[i % sample.length], 20))),
    rate('client onFrame, depth 5 push', 'frames/s', (i) => void client.onFrame(frames5[i % frames5.length], false)),
    rate('normalize depth 5 push (10 book rows)', 'frames/s', (i) => void normalizer.normalize({ payload: frames5[i % frames5.length], kind: 'text', stream: 'API_MARKETDEPTH:BTCUSDT:5', endpoint: '', recvNs: 0n })),
  ];
  results.push(await socketRate(sample));
  return results;
}
