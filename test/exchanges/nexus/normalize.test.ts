import { describe, expect, it } from 'vitest';
import { nexus } from '../../../exchanges/nexus/index.js';
import { normalizeFrame } from '../../../exchanges/nexus/normalize.js';
import { frame, loadFixtures, loadRequests } from './fixtures.js';

const fixtures = loadFixtures();

describe('nexus normalization of the documents’ examples', () => {
  it('has a fixture for every push example of the seed, the English doc and the BTHub doc', () => {
    expect(fixtures.map((f) => f.name)).toEqual(['bthub_aggregated_quote', 'bthub_order', 'bthub_quote', 'bthub_risk_position', 'en_marketdepth', 'en_order', 'en_risk_position', 'seed003_marketdepth', 'seed003_order', 'seed003_risk_position']);
  });

  for (const f of fixtures) {
    it(`${f.name} normalizes to its hand-checked rows`, () => {
      const n = nexus.createNormalizer();
      expect(n.normalize(frame(f.payload, f.stream))).toEqual(f.rows);
      expect(n.state()).toBeNull();
    });
  }

  it('keeps the crossed book of the English example as sent', () => {
    const f = fixtures.find((x) => x.name === 'en_marketdepth')!;
    const rows = normalizeFrame(frame(f.payload, f.stream)) as Array<{ side: string; level: number; price: string }>;
    const bestBid = rows.find((r) => r.side === 'bid' && r.level === 0)!;
    const bestAsk = rows.find((r) => r.side === 'ask' && r.level === 0)!;
    expect(Number(bestBid.price)).toBeGreaterThan(Number(bestAsk.price));
  });

  it('gives levels null when the stream key carries no depth', () => {
    const f = fixtures.find((x) => x.name === 'seed003_marketdepth')!;
    const rows = normalizeFrame(frame(f.payload, '')) as Array<{ levels: number | null }>;
    expect(rows.map((r) => r.levels)).toEqual([null, null]);
  });

  it('produces no rows for requests, error replies, malformed and non-text frames', () => {
    for (const r of loadRequests()) expect(normalizeFrame(frame(r.text, ''))).toEqual([]);
    expect(normalizeFrame(frame('{"id":"1","data":null,"result":"INVALID_REQUEST","type":"API","message":"x"}', ''))).toEqual([]);
    expect(normalizeFrame(frame('{"event":"API_MARKETDEPTH","data":', ''))).toEqual([]);
    expect(normalizeFrame(frame('pong', ''))).toEqual([]);
    expect(normalizeFrame(frame('[1,2]', ''))).toEqual([]);
    const f = fixtures.find((x) => x.name === 'en_marketdepth')!;
    expect(normalizeFrame(frame(f.payload, f.stream, 'binary'))).toEqual([]);
  });

  it('skips levels without price or volume and keeps level numbering dense', () => {
    const msg = {
      event: 'API_MARKETDEPTH',
      data: { asks: [{ cp: 'a', price: '1.5', time: '1', volume: '2' }, { cp: 'b' }, { cp: 'c', price: '1.6', time: 'x', volume: '3' }], bids: [], symbol: 'ETHUSDT' },
    };
    const rows = normalizeFrame(frame(JSON.stringify(msg), 'API_MARKETDEPTH:ETHUSDT:3'));
    expect(rows).toEqual([
      { table: 'book', symbol: 'ETHUSDT', exchange_ts_ms: 1, side: 'ask', level: 0, price: '1.5', amount: '2', is_snapshot: true, levels: 3, cp: 'a' },
      { table: 'book', symbol: 'ETHUSDT', exchange_ts_ms: null, side: 'ask', level: 1, price: '1.6', amount: '3', is_snapshot: true, levels: 3, cp: 'c' },
    ]);
  });

  it('leaves the fee null when a counterparty order has several executions', () => {
    const exec = (id: string, vol: string) => ({ cp: 'b2c2', cpOrderId: '9', executeId: id, executePrice: '10', executeTime: '5', executeVolume: vol, orderId: 'P', side: 'BUY', symbol: 'BTCUSDT', commissionCurrency: 'USDT' });
    const msg = {
      event: 'API_ORDER',
      data: [
        {
          orderId: 'P',
          symbol: 'BTCUSDT',
          side: 'BUY',
          orderType: 'LIMIT',
          status: 'EXCUTING',
          orderVolume: '3',
          executeVolume: '2',
          executeTime: '0',
          orderTime: '4',
          cpOrders: [{ commission: '0.2', executeVolume: '2', executions: [exec('E1', '1'), exec('E2', '1')] }],
        },
      ],
    };
    const rows = normalizeFrame(frame(JSON.stringify(msg), 'API_ORDER')) as unknown as Array<Record<string, unknown>>;
    expect(rows[0]).toMatchObject({ table: 'orders', order_id: 'P', exchange_ts_ms: 4, status: 'EXCUTING', filled_amount: '2' });
    expect(rows.slice(1).map((r) => [r.fill_id, r.fee, r.side])).toEqual([
      ['E1', null, 'buy'],
      ['E2', null, 'buy'],
    ]);
  });
});
