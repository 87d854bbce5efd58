import { describe, expect, it } from 'vitest';
import { coinstore } from '../../../exchanges/coinstore/index.js';
import { FIXTURES } from '../../../exchanges/coinstore/fixtures/messages.js';
import { decDiv, decMul, decSub } from '../../../exchanges/coinstore/decimal.js';
import type { RawFrame } from '../../../exchanges/types.js';

const frame = (text: string, kind: RawFrame['kind'] = 'text'): RawFrame => ({
  payload: Buffer.from(text, 'utf8'),
  kind,
  stream: '',
  endpoint: 'wss://ws.coinstore.com/s/ws',
  recvNs: 1_700_000_000_000_000_000n,
});

describe('coinstore normalization of every documented example', () => {
  const n = coinstore.createNormalizer();
  for (const f of FIXTURES) {
    it(`${f.name} (${f.source})`, () => {
      expect(n.normalize(frame(f.text))).toEqual(f.rows);
    });
  }

  it('every fixture is valid JSON', () => {
    for (const f of FIXTURES) expect(() => JSON.parse(f.text), f.name).not.toThrow();
  });

  it('covers every documented message kind with rows', () => {
    const tables = new Set(FIXTURES.flatMap((f) => f.rows.map((r) => r.table)));
    expect([...tables].sort()).toEqual(['balances', 'book', 'fills', 'klines', 'orders', 'tickers', 'trades']);
  });

  it('keeps no state between frames', () => {
    expect(n.state()).toBeNull();
  });
});

describe('coinstore normalization details', () => {
  const n = coinstore.createNormalizer();

  it('reads min_1 and 1m alike, and every channel interval', () => {
    const k = (interval: string) =>
      n.normalize(
        frame(`{"S":1,"T":"kline","channel":"4@kline@min_1","symbol":"BTCUSDT","instrumentId":4,"interval":"${interval}","startTime":1700000000,"endTime":1700000059,"open":"1","close":"2","high":"3","low":"0.5","volume":"10","amount":"15"}`),
      );
    expect(k('min_1')[0]).toMatchObject({ interval: 'min_1', interval_ms: 60_000, open_ts_ms: 1_700_000_000_000 });
    expect(k('1m')[0]).toMatchObject({ interval: '1m', interval_ms: 60_000 });
    expect(k('hour_4')[0]).toMatchObject({ interval_ms: 14_400_000 });
    expect(k('week_1')[0]).toMatchObject({ interval_ms: 604_800_000 });
    expect(k('mon_1')[0]).toMatchObject({ interval: 'mon_1', interval_ms: null });
  });

  it('takes ts (ms) over time (s), and scales time when ts is absent', () => {
    const withTs = n.normalize(frame('{"T":"trade","symbol":"X","tradeId":1,"takerSide":"BUY","price":"1","volume":"1","time":1612685313,"ts":1612685313400}'));
    const timeOnly = n.normalize(frame('{"T":"trade","symbol":"X","tradeId":1,"takerSide":"BUY","price":"1","volume":"1","time":1612685313}'));
    expect(withTs[0].exchange_ts_ms).toBe(1612685313400);
    expect(timeOnly[0].exchange_ts_ms).toBe(1612685313000);
  });

  it('sorts a descending trade batch by seq', () => {
    const rows = n.normalize(frame('{"S":5,"T":"trade","data":[{"symbol":"X","tradeId":9,"seq":9,"takerSide":"SELL","price":"2","volume":"1","ts":2},{"symbol":"X","tradeId":8,"seq":8,"takerSide":"BUY","price":"1","volume":"1","ts":1}]}'));
    expect(rows.map((r) => (r as { trade_id: string }).trade_id)).toEqual(['8', '9']);
  });

  it('an order update without a match has no fill', () => {
    const rows = n.normalize(
      frame(
        '{"S":3,"T":"order","channel":"!@order","version":1,"accountId":12,"ordId":77,"symbol":"BTCUSDT","side":"SELL","ordType":"LIMIT","timeInForce":"GTC","ordPrice":"100","ordQty":"2","ordAmt":"200","ordState":"SUBMITTED","execQty":"0","execAmt":"0","remainingQty":"2","matchId":0,"tradeId":0,"matchRole":null,"matchQty":"0","matchAmt":"0","selfDealingQty":"0","actualFeeRate":null,"feeCurrencyId":0,"fee":0,"timestamp":1700000000}',
      ),
    );
    expect(rows).toEqual([
      {
        table: 'orders',
        symbol: 'BTCUSDT',
        exchange_ts_ms: 1_700_000_000_000,
        order_id: '77',
        client_order_id: null,
        side: 'sell',
        order_type: 'LIMIT',
        status: 'SUBMITTED',
        price: '100',
        amount: '2',
        filled_amount: '0',
        avg_price: null,
      },
    ]);
  });

  it('ignores control frames, outgoing commands, events and garbage', () => {
    expect(n.normalize(frame('{"S":7,"T":"resp","sid":"x","C":400,"M":"bad.request","payload":"nope"}'))).toEqual([]);
    expect(n.normalize(frame('{"op":"SUB","channel":["4@trade"],"id":1}'))).toEqual([]);
    expect(n.normalize(frame('{"op":"pong","epochMillis":1}'))).toEqual([]);
    expect(n.normalize(frame('not json'))).toEqual([]);
    expect(n.normalize(frame('[1,2]'))).toEqual([]);
    expect(n.normalize(frame('{"stream":"x"}', 'connected'))).toEqual([]);
  });

  it('decimal helpers are exact', () => {
    expect(decMul('0.1', '0.2')).toBe('0.02');
    expect(decMul('128.21', '11.21')).toBe('1437.2341');
    expect(decSub('11.21', '12.2')).toBe('-0.99');
    expect(decSub('1.000', '0.5')).toBe('0.5');
    expect(decDiv('1', '3')).toBe('0.333333333333333333');
    expect(decDiv('10', '4')).toBe('2.5');
    expect(decDiv('1', '0')).toBeNull();
  });
});
