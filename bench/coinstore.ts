/**
 * Coinstore: cost of the pure parts (formatting a trade and a depth push, reading a push on the
 * client side, normalizing it, re-stamping a recorded frame) and frames per second the Coinstore
 * server side sustains to one client over a local socket (simulator trades, client in the same
 * process).
 */
import { coinstore } from '../exchanges/coinstore/index.js';
import { depthBody, tradeBody } from '../exchanges/coinstore/format.js';
import { restamp } from '../exchanges/coinstore/restamp.js';
import type { TradeEvent } from '../exchanges/market.js';
import { Market } from '../simulator/market.js';
import { rate } from './measure.js';
import { framesPerSecond, oneClient } from './one-client.js';
import type { BenchResult } from './types.js';
import { marketSample } from './market-sample.js';

async function socketRate(trades: TradeEvent[]): Promise<BenchResult> {
  const market = new Market({ seed: 1, symbols: ['BTC-USDT'] });
  const r = await oneClient({
    exchange: 'coinstore',
    endpoint: 'ws',
    events: trades,
    instruments: market.instruments,
    credentials: [coinstore.demoCredentials],
    subscribe: (ws) => ws.send(JSON.stringify({ op: 'SUB', channel: ['btcusdt@trade'], id: 1 })),
  });
  return framesPerSecond('server → 1 client over a socket, btcusdt@trade pushes', r, 'client in the same process');
}

export async function run(): Promise<BenchResult[]> {
  const { trades, books } = marketSample(500);
  const tradeFrames = trades.map((t, i) => new TextEncoder().encode(`{"S":${i + 4},${JSON.stringify({ T: 'trade', ...tradeBody('btcusdt@trade', t) }).slice(1)}`));
  const depthFrames = books.map((b, i) => new TextEncoder().encode(`{"S":${i + 4},${JSON.stringify({ T: 'depth', ...depthBody('btcusdt@depth@20', 20, b) }).slice(1)}`));
  const client = coinstore.client.createSession({
    endpointUrl: 'ws://127.0.0.1/coinstore/s/ws',
    endpoint: 'ws',
    streams: [coinstore.client.parseChannel('btcusdt@trade'), coinstore.client.parseChannel('btcusdt@depth@20')],
    nowMs: () => 0,
  });
  client.onOpen();
  const normalizer = coinstore.createNormalizer();
  const raw = (payload: Uint8Array) => ({ payload, kind: 'text' as const, stream: 'btcusdt@trade', endpoint: '', recvNs: 0n });
  const results: BenchResult[] = [
    rate('format trade push (event → JSON text with S)', 'msgs/s', (i) => void JSON.stringify({ T: 'trade', ...tradeBody('btcusdt@trade', trades[i % trades.length]) })),
    rate('format depth@20 push', 'msgs/s', (i) => void JSON.stringify({ T: 'depth', ...depthBody('btcusdt@depth@20', 20, books[i % books.length]) })),
    rate('client onFrame, trade push', 'frames/s', (i) => void client.onFrame(tradeFrames[i % tradeFrames.length], false)),
    rate('normalize trade push (1 row)', 'frames/s', (i) => void normalizer.normalize(raw(tradeFrames[i % tradeFrames.length]))),
    rate('normalize depth@20 push (40 book rows)', 'frames/s', (i) => void normalizer.normalize(raw(depthFrames[i % depthFrames.length]))),
    rate('re-stamp a recorded depth@20 frame (replay)', 'frames/s', (i) => void restamp(depthFrames[i % depthFrames.length], i, null)),
  ];
  results.push(await socketRate(trades));
  return results;
}
