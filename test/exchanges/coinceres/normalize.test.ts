import { describe, expect, it } from 'vitest';
import { MARKET_FIXTURES } from '../../../exchanges/coinceres/fixtures/market.js';
import { NOTIFY_FIXTURES } from '../../../exchanges/coinceres/fixtures/notify.js';
import { TRADE_FIXTURES } from '../../../exchanges/coinceres/fixtures/trade.js';
import { createNormalizer, syntheticTradeId } from '../../../exchanges/coinceres/normalize.js';
import { readMarketFrame, readTradeFrame } from '../../../exchanges/coinceres/client.js';
import { readNotifyFrame } from '../../../exchanges/coinceres/client-notify.js';
import type { RawFrame } from '../../../exchanges/types.js';

const enc = new TextEncoder();
const frame = (raw: string, endpoint: string): RawFrame => ({ payload: enc.encode(raw), kind: 'text', stream: '', endpoint, recvNs: 1n });

describe('coinceres normalization of every fixture', () => {
  for (const f of [...MARKET_FIXTURES, ...TRADE_FIXTURES, ...NOTIFY_FIXTURES]) {
    it(`${f.endpoint} ${f.direction}: ${f.name}`, () => {
      // Fixtures are normalized in document order by one normalizer per endpoint, as the sealer
      // feeds one connection's frames: the place-order answer gets its request's fields.
      const n = createNormalizer();
      const before = f.endpoint === 'trade' ? TRADE_FIXTURES.slice(0, TRADE_FIXTURES.indexOf(f)) : [];
      for (const b of before) n.normalize(frame(b.raw, b.endpoint));
      expect(n.normalize(frame(f.raw, f.endpoint))).toEqual(f.rows);
    });
    if (f.info) {
      it(`${f.endpoint} client reads: ${f.name}`, () => {
        const read = f.endpoint === 'market' ? readMarketFrame : f.endpoint === 'notify' ? readNotifyFrame : readTradeFrame;
        const info = read(enc.encode(f.raw), false);
        expect(info.stream).toBe(f.info!.stream);
        expect(info.control).toBe(f.info!.control);
        expect(info.malformed).toBe(f.info!.malformed ?? false);
        if (f.info!.acks) expect(info.acks).toEqual(f.info!.acks);
        if (f.info!.exchangeTsMs !== undefined) expect(info.exchangeTsMs ?? null).toBe(f.info!.exchangeTsMs);
      });
    }
  }

  it('the same trade seen twice gets the same synthetic id; any field change gives another', () => {
    const a = syntheticTradeId('OKEX', 'BTC/USDT', '1550114101032', '3610.3002', '0.03456403', 's');
    expect(a).toMatch(/^syn-[0-9a-f]{16}$/);
    expect(syntheticTradeId('OKEX', 'BTC/USDT', '1550114101032', '3610.3002', '0.03456403', 's')).toBe(a);
    expect(syntheticTradeId('HUOBI', 'BTC/USDT', '1550114101032', '3610.3002', '0.03456403', 's')).not.toBe(a);
    expect(syntheticTradeId('OKEX', 'BTC/USDT', '1550114101032', '3610.3002', '0.03456403', 'b')).not.toBe(a);
  });

  it('a place-order answer without its request still gives the order id', () => {
    const n = createNormalizer();
    const rows = n.normalize(frame('{"biz_type":11,"code":"200","data":{"client_oid":"7","system_oid":"42"},"message":"SUCESS"}', 'trade'));
    expect(rows).toEqual([{ table: 'orders', symbol: '', exchange_ts_ms: null, order_id: '42', client_order_id: '7', side: null, order_type: null, status: null, price: null, amount: null, filled_amount: null, avg_price: null }]);
  });

  it('carries its state across normalizer instances (JSON round trip)', () => {
    const n = createNormalizer();
    n.normalize(frame('{"exchange":"TEST","contract":"BTC_USDT","price_type":"market","entrust_vol":"2","entrust_bs":"sell","client_oid":"c1","biz_type":11}', 'trade'));
    const state = JSON.parse(JSON.stringify(n.state()));
    const m = createNormalizer(state);
    const [row] = m.normalize(frame('{"biz_type":11,"code":"200","data":{"client_oid":"c1","system_oid":"9"},"message":"SUCESS"}', 'trade'));
    expect(row).toMatchObject({ symbol: 'BTC_USDT', side: 'sell', order_type: 'market', amount: '2', price: null });
    // the cancel answer names only the id; the contract comes from the remembered order
    const [cancel] = m.normalize(frame('{"biz_type":12,"code":"200","data":{"ERROR":[{"system_oid":"9"}],"SUCCESS":[],"message":"SUCESS"}}', 'trade'));
    expect(cancel).toEqual({ table: 'orders', symbol: 'BTC_USDT', exchange_ts_ms: null, order_id: '9', status: 'cancel_error' });
  });

  it('ignores non-text frames, error answers and unreadable bytes', () => {
    const n = createNormalizer();
    expect(n.normalize({ ...frame('{"msg_type":"push-trade"}', 'market'), kind: 'binary' })).toEqual([]);
    expect(n.normalize(frame('{"code":"400","message":"parameter error","biz_type":14}', 'trade'))).toEqual([]);
    expect(n.normalize({ ...frame('', 'market'), payload: new Uint8Array([0xff, 0xfe]) })).toEqual([]);
    expect(n.normalize(frame('{"contract":"BTC/USDT","exchange":"OKEX","msg_type":"push-trade","side":"s"}', 'market'))).toEqual([]);
  });
});
