/**
 * Coinceres notification socket (B): how fast the server side turns demo-account order events into
 * messageType 1 notices (format + JSON text), and how fast the normalizer turns the documented
 * notice into orders rows. Both pure, one core.
 */
import { entrustNotice } from '../exchanges/coinceres/format.js';
import { NOTIFY_FIXTURES } from '../exchanges/coinceres/fixtures/notify.js';
import { createNormalizer } from '../exchanges/coinceres/normalize.js';
import type { Instrument, OrderEvent } from '../exchanges/market.js';
import { measure } from './measure.js';
import type { BenchResult } from './types.js';

const INST: Instrument = { base: 'BTC', quote: 'USDT', id: 1, priceDecimals: 2, amountDecimals: 4 };

function formatRate(): BenchResult {
  const order: OrderEvent = {
    type: 'order',
    inst: INST,
    orderId: '181829153963257883',
    clientOrderId: 'c1',
    side: 'buy',
    orderType: 'limit',
    price: '100.01',
    amount: '1.0000',
    filledAmount: '0.5000',
    filledQuote: '50.01',
    avgPrice: '100.01',
    status: 'partially_filled',
    version: 2,
    createdMs: 1_767_323_045_000,
    tsMs: 1_767_323_046_000,
  };
  const m = measure(() => {
    order.createdMs += 1000;
    return JSON.stringify(entrustNotice(order, 'test-demo', 'TEST')).length;
  });
  return { name: 'format messageType 1 notices', value: Math.round(m.calls / m.secs), unit: 'notices/s', note: `${Math.round(m.sum / m.calls)} bytes each` };
}

function normalizeRate(): BenchResult {
  const doc = NOTIFY_FIXTURES.find((f) => f.name.startsWith('order notice, messageType 1'))!;
  const frame = { payload: new TextEncoder().encode(doc.raw), kind: 'text' as const, stream: 'notify', endpoint: 'notify', recvNs: 1n };
  const n = createNormalizer();
  const m = measure(() => n.normalize(frame).length);
  return { name: 'normalize the documented order notice', value: Math.round(m.calls / m.secs), unit: 'frames/s', note: `${Math.round(m.sum / m.secs)} orders rows/s` };
}

export async function run(): Promise<BenchResult[]> {
  return [formatRate(), normalizeRate()];
}
