/**
 * Coinceres: how fast the market server side formats and sends push-depth10 / push-trade to one
 * client over a real socket (the simulator's per-exchange ceiling), and how fast the normalizer
 * turns captured push-depth10 frames into book rows.
 */
import { createNormalizer } from '../exchanges/coinceres/normalize.js';
import { MARKET_FIXTURES } from '../exchanges/coinceres/fixtures/market.js';
import type { BookEvent, Instrument, Level, MarketEvent, TradeEvent } from '../exchanges/market.js';
import { measure } from './measure.js';
import { framesPerSecond, oneClient } from './one-client.js';
import type { BenchResult } from './types.js';

const INST: Instrument = { base: 'BTC', quote: 'USDT', id: 1, priceDecimals: 2, amountDecimals: 4 };

function eventFor(kind: string, n: number): MarketEvent {
  if (kind === 'book') {
    const bids: Level[] = Array.from({ length: 20 }, (_, i) => [(100 - i * 0.01).toFixed(2), (1 + i).toFixed(4)]);
    const asks: Level[] = Array.from({ length: 20 }, (_, i) => [(100.01 + i * 0.01).toFixed(2), (1 + i).toFixed(4)]);
    return { type: 'book', inst: INST, bids, asks, version: n, tsMs: 1_700_000_000_000 + n } satisfies BookEvent;
  }
  return { type: 'trade', inst: INST, tradeId: n, seq: n, price: '100.01', amount: '0.5000', side: n % 2 ? 'buy' : 'sell', tsMs: 1_700_000_000_000 + n } satisfies TradeEvent;
}

async function socketRate(channel: 'depth10' | 'trade'): Promise<BenchResult> {
  let acked = false;
  const r = await oneClient({
    exchange: 'coinceres',
    endpoint: 'market',
    clientOptions: { perMessageDeflate: false },
    events: (spec, i) => eventFor(spec.kind, i + 1),
    instruments: [INST],
    timing: { idleTimeoutMs: 0 },
    subscribe: (ws) => ws.send(JSON.stringify([{ msg_type: `subscribe-${channel}`, exchange: 'OKEX', contract: 'BTC/USDT' }])),
    // Count pushes only: everything before the subscribe ack (an array) is the handshake.
    onFrame: (d) => {
      if (d[0] === 0x5b) acked = true;
      return acked && d[0] === 0x7b;
    },
  });
  return framesPerSecond(`push-${channel} to one client`, r, 'server and client in one process');
}

function normalizeRate(): BenchResult {
  const depth = MARKET_FIXTURES.find((f) => f.name.startsWith('push-depth10 (captured'))!;
  const frame = { payload: new TextEncoder().encode(depth.raw), kind: 'text' as const, stream: 'OKEX:BTC/USDT:depth10', endpoint: 'market', recvNs: 1n };
  const n = createNormalizer();
  const m = measure(() => n.normalize(frame).length);
  return { name: 'normalize captured push-depth10', value: Math.round(m.calls / m.secs), unit: 'frames/s', note: `${Math.round(m.sum / m.secs)} book rows/s` };
}

export async function run(): Promise<BenchResult[]> {
  return [await socketRate('depth10'), await socketRate('trade'), normalizeRate()];
}
