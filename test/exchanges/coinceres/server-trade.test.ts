import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExchangeHost } from '../../../exchanges/host.js';
import { coinceres } from '../../../exchanges/coinceres/index.js';
import { createNormalizer } from '../../../exchanges/coinceres/normalize.js';
import { handshakeSign } from '../../../exchanges/coinceres/sign.js';
import { REST_DOC_CREDENTIALS } from '../../../exchanges/coinceres/fixtures/sign.js';
import { hostCoinceres } from './host.js';
import { openSocket, type TestSocket } from './ws-client.js';

const enc = new TextEncoder();
const { apiKey, secret } = coinceres.demoCredentials;
const signed = (base: string, key = apiKey, s = secret) => `${base}?api_key=${key}&sign=${handshakeSign(key, s)}`;

async function refusal(url: string): Promise<number> {
  try {
    const s = await openSocket(url);
    s.close();
  } catch (err) {
    return (err as { status?: number }).status ?? -1;
  }
  throw new Error('the upgrade was accepted');
}

describe('coinceres trading server side', () => {
  let host: ExchangeHost;
  let c: TestSocket;
  let base: string;
  beforeAll(async () => {
    ({ host } = await hostCoinceres());
    base = host.url('coinceres', 'trade');
  });
  afterAll(async () => {
    c?.close();
    await host?.close();
  });

  it('refuses the upgrade with 401 for a bad sign, a missing sign or an unknown key', async () => {
    expect(await refusal(signed(base, apiKey, 'wrong-secret'))).toBe(401);
    expect(await refusal(`${base}?api_key=${apiKey}`)).toBe(401);
    expect(await refusal(base)).toBe(401);
    // the seed's transcription of the key, with the documented sign: refused
    expect(await refusal(`${base}?api_key=bGppXpZqNrZV0ptf&sign=2bb24f69ca812c766a7bd73e3c2a331b55373a122bba8ede47ced0b4a07139c0`)).toBe(401);
    // a key the server does not know, even correctly signed
    expect(await refusal(signed(base, REST_DOC_CREDENTIALS.apiKey, REST_DOC_CREDENTIALS.secret))).toBe(401);
  });

  it('accepts the documented URL (PDF spelling of the key) and answers text ping with text pong', async () => {
    c = await openSocket(`${base}?api_key=bGppXpZqNrzVOptf&sign=2bb24f69ca812c766a7bd73e3c2a331b55373a122bba8ede47ced0b4a07139c0`);
    c.send('ping');
    expect(await c.next()).toBe('pong');
  });

  it('biz_type 13 lists the trading pairs', async () => {
    c.send('{"exchange":"test","biz_type":13}');
    expect(await c.next()).toBe(
      '{"code":"200","data":[{"min_change":"0.01","min_volume":"0.0001","contract":"BTC/USDT","exchange":"test"},{"min_change":"0.01","min_volume":"0.0001","contract":"ETH/USDT","exchange":"test"}],"biz_type":13,"message":"SUCESS"}',
    );
    c.send('{"exchange":"OKEX","contract":"ETH_USDT","biz_type":13}');
    expect(await c.next()).toBe('{"code":"200","data":[{"min_change":"0.01","min_volume":"0.0001","contract":"ETH/USDT","exchange":"OKEX"}],"biz_type":13,"message":"SUCESS"}');
    c.send('{"biz_type":13}'); // exchange is required
    expect(await c.next()).toBe('{"code":"400","message":"parameter error","biz_type":13}');
  });

  it('biz_type 14 answers the account in the PDF shape', async () => {
    c.send('{"biz_type":14}');
    const r = JSON.parse(await c.next());
    expect(Object.keys(r)).toEqual(['code', 'data', 'biz_type', 'message']);
    expect(r).toMatchObject({ code: '200', biz_type: 14, message: 'SUCESS' });
    expect(r.data[0]).toEqual({ market_value: '10000', account_type: 3, balance: '10000.00', frozen: '0.00', exchange: 'TEST', currency: 'USDT' });
  });

  it('biz_type 11 places orders; 15, 17 and 16 show them; 12 cancels; all normalize', async () => {
    const n = createNormalizer();
    const norm = (t: string) => n.normalize({ payload: enc.encode(t), kind: 'text', stream: 'trading', endpoint: 'trade', recvNs: 1n });
    const ask = async (req: object) => {
      const text = JSON.stringify(req);
      norm(text); // the request, as the recorder stores outgoing frames
      c.send(text);
      const answer = await c.next();
      return { answer: JSON.parse(answer), rows: norm(answer) };
    };

    const limit = await ask({ exchange: 'TEST', contract: 'BTC_USDT', price_type: 'limit', entrust_price: '90.5', entrust_vol: '1', entrust_bs: 'buy', future_dir: 'open', lever: '1', client_oid: '12345', biz_type: 11 });
    expect(Object.keys(limit.answer)).toEqual(['biz_type', 'code', 'data', 'message']);
    expect(limit.answer).toMatchObject({ biz_type: 11, code: '200', data: { client_oid: '12345' }, message: 'SUCESS' });
    const limitId = limit.answer.data.system_oid;
    expect(limit.rows).toEqual([
      { table: 'orders', symbol: 'BTC_USDT', exchange_ts_ms: null, order_id: limitId, client_order_id: '12345', side: 'buy', order_type: 'limit', status: null, price: '90.5', amount: '1', filled_amount: null, avg_price: null },
    ]);

    const market = await ask({ exchange: 'TEST', contract: 'ETH/USDT', price_type: 'market', entrust_vol: '2', entrust_bs: 'sell', future_dir: 'open', lever: '1', biz_type: 11 });
    const marketId = market.answer.data.system_oid;

    const orders = await ask({ biz_type: 15 });
    expect(orders.answer.data).toHaveLength(2);
    expect(Object.keys(orders.answer.data[0])).toEqual([
      'entrust_bs',
      'entrust_price',
      'contract',
      'entrust_time',
      'dealt_amount',
      'lever',
      'client_oid',
      'system_oid',
      'entrust_amount',
      'stop_value',
      'profit_value',
      'commission',
      'status',
      'average_dealt_price',
    ]);
    expect(orders.answer.data[0]).toMatchObject({ system_oid: limitId, status: 3, contract: 'BTC_USDT', entrust_time: '2026-01-02 11:04:06' });
    expect(orders.answer.data[1]).toMatchObject({ system_oid: marketId, status: 5, dealt_amount: '2', commission: '0.1' });
    expect(orders.rows.map((r) => [r.table, (r as { status?: string }).status, r.exchange_ts_ms])).toEqual([
      ['orders', 'reported', Date.UTC(2026, 0, 2, 3, 4, 6)],
      ['orders', 'filled', Date.UTC(2026, 0, 2, 3, 4, 7)],
    ]);

    const filtered = await ask({ biz_type: 15, system_oid: `${marketId}`, status: 5 });
    expect(filtered.answer.data.map((o: { system_oid: string }) => o.system_oid)).toEqual([marketId]);

    const fills = await ask({ biz_type: 17, exchange: 'TEST', contract: 'ETH_USDT', count: 2 });
    expect(fills.answer.data).toEqual([
      {
        entrust_bs: 'sell',
        commission_currency: 'USDT',
        dealt_time: '2026-01-02 11:04:07',
        contract: 'ETH_USDT',
        dealt_price: '100.00',
        system_tid: '500001',
        commission: '0.10',
        dealt_amount: '2',
        system_oid: marketId,
        future_dir: '币币交易，不区分',
      },
    ]);
    expect(fills.rows).toEqual([
      { table: 'fills', symbol: 'ETH_USDT', exchange_ts_ms: Date.UTC(2026, 0, 2, 3, 4, 7), fill_id: '500001', order_id: marketId, side: 'sell', price: '100.00', amount: '2', fee: '0.10', fee_currency: 'USDT', liquidity: null },
    ]);

    const positions = await ask({ biz_type: 16 });
    expect(positions.answer).toMatchObject({ biz_type: 16, code: '200', message: 'SUCESS' });
    expect(positions.answer.data).toEqual([
      { close_profit: '0.00', contract: 'ETH_USDT', dealId: '5', exchange: 'TEST', force_price: '0', lever: '1', margin: '200', open_price: '100.00', position_dir: 'sell', position_profit: '0.00', position_value: '200', vol: '2.0000' },
    ]);
    expect(positions.rows).toMatchObject([{ table: 'positions', symbol: 'ETH_USDT', side: 'short', amount: '2.0000' }]);

    const cancel = await ask({ system_oid: `${limitId},${marketId}`, biz_type: 12 });
    expect(cancel.answer).toEqual({ biz_type: 12, code: '200', data: { ERROR: [{ system_oid: marketId }], SUCCESS: [{ system_oid: limitId }], message: 'SUCESS' } });
    expect(cancel.rows).toEqual([
      { table: 'orders', symbol: 'BTC_USDT', exchange_ts_ms: null, order_id: limitId, status: 'cancel_success' },
      { table: 'orders', symbol: 'ETH_USDT', exchange_ts_ms: null, order_id: marketId, status: 'cancel_error' },
    ]);
    const after = await ask({ biz_type: 15, system_oid: limitId });
    expect(after.answer.data[0].status).toBe(15);
  });

  it('answers bad requests with {"code":"400","message":"parameter error"} and stays open', async () => {
    c.send('{not json');
    expect(await c.next()).toBe('{"code":"400","message":"parameter error"}');
    c.send('{"biz_type":99}');
    expect(await c.next()).toBe('{"code":"400","message":"parameter error","biz_type":99}');
    c.send('{"biz_type":17,"exchange":"TEST","contract":"BTC_USDT","count":51}');
    expect(await c.next()).toBe('{"code":"400","message":"parameter error","biz_type":17}');
    c.send('{"biz_type":11,"exchange":"TEST","contract":"BTC_USDT","price_type":"limit","entrust_vol":"1","entrust_bs":"buy"}');
    expect(await c.next()).toBe('{"code":"400","message":"parameter error","biz_type":11}');
    c.send('{"biz_type":12,"system_oid":"1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16"}');
    expect(await c.next()).toBe('{"code":"400","message":"parameter error","biz_type":12}');
    c.send('ping');
    expect(await c.next()).toBe('pong');
  });
});

describe('coinceres trading server without a demo account (replay of market data only)', () => {
  it('answers queries with an empty account and refuses orders', async () => {
    const { host } = await hostCoinceres({ account: false });
    try {
      const c = await openSocket(signed(host.url('coinceres', 'trade')));
      c.send('{"biz_type":14}');
      expect(await c.next()).toBe('{"code":"200","data":[],"biz_type":14,"message":"SUCESS"}');
      c.send('{"exchange":"TEST","contract":"BTC_USDT","price_type":"market","entrust_vol":"1","entrust_bs":"buy","biz_type":11}');
      expect(await c.next()).toBe('{"code":"400","message":"parameter error","biz_type":11}');
      c.close();
    } finally {
      await host.close();
    }
  });
});

describe('coinceres trading idle timeout', () => {
  it('closes a trading socket whose client stopped pinging', async () => {
    const { host } = await hostCoinceres({ timing: { idleTimeoutMs: 300 } });
    try {
      const c = await openSocket(signed(host.url('coinceres', 'trade')));
      const closed = await c.closed;
      expect(closed.code).toBe(1000);
    } finally {
      await host.close();
    }
  });
});
