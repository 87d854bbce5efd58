/**
 * Paper trading over the exchanges' own protocols, against a replay (`--paper`) of a recording made
 * by the real recorder from the simulator. Each bot is written from its exchange's document (its
 * request examples, the field names it gives): Coinceres' trading and notification sockets,
 * Coinstore's REST API and private WebSocket channels, and — where the documents name no order
 * entry — POST /paper/orders with Nexus' and Coinsuper's private pushes. What the orders get is
 * checked against SQL over the recording (expected.ts), not against the engine.
 */
import { spawnSync } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { startReplay, type ReplayServer } from '../../../replay/server.js';
import { startReplayServer } from '../../../api/replay-server.js';
import { paperSettings } from '../../../replay/paper/config.js';
import { collect, fixtureData, json, tmpDir, type Collected } from '../fixture.js';
import { firstRestingFill, results, Store, takerFills, type MarketRef } from './expected.js';
import { CLI } from '../../recorder/harness.js';
import { runPage } from '../../exchanges/coinceres/chromium.js';
import { skipWithout } from '../../helpers/system-tools.js';
import { PAPER_REPORT_CHARTS } from '../../../analysis/report/paper-page.js';

let data: string;
let store: Store;

// The documents' demo credentials (Coinceres' PDF key, Coinstore's LOGIN example, Nexus' token, Coinsuper's worked example).
const CC_KEY = 'bGppXpZqNrzVOptf';
const CC_SECRET = 'bcBFnn3GbFz1cB73f5TkJa8P5gbrFdgt';
const CC_SIGN = createHash('sha256').update(`api_key=${CC_KEY}&secret=${CC_SECRET}`).digest('hex');
const CS_KEY = 'eb737c84862f3d';
const NX_TOKEN = 'WHZWUFAxWlV0bzdMMzl5N1dmYy1z';
const SU = { accessKey: 'myAccessKey', secretKey: 'mySecretKey', email: 'demouser@demo.domain' };

const CC_MARKET: MarketRef = { exchange: 'coinceres', symbol: 'BTC/USDT', bookStream: 'OKEX:BTC/USDT:depth10' };
const CS_MARKET: MarketRef = { exchange: 'coinstore', symbol: 'BTCUSDT', bookStream: 'btcusdt@depth@20' };
const NX_MARKET: MarketRef = { exchange: 'nexus', symbol: 'BTCUSDT', bookStream: 'API_MARKETDEPTH:BTCUSDT:5' };

beforeAll(async () => {
  data = await fixtureData('tt-paper-proto-', 6000);
  store = await Store.open(data);
}, 120_000);
afterAll(() => store?.close());

/** A signed Coinstore REST call as the document's Python examples make it. */
async function coinstore(port: number, method: 'GET' | 'POST', pathAndQuery: string, body?: unknown, session?: string, cred = { apiKey: CS_KEY, secret: 'your_secret_key' }): Promise<{ status: number; json: any }> {
  const payload = body === undefined ? '' : JSON.stringify(body);
  const expires = String(Date.now());
  const query = pathAndQuery.includes('?') ? pathAndQuery.slice(pathAndQuery.indexOf('?') + 1) : '';
  const key = createHmac('sha256', cred.secret)
    .update(String(Math.floor(Number(expires) / 30000)))
    .digest('hex');
  const sign = createHmac('sha256', key)
    .update(query + payload)
    .digest('hex');
  const headers: Record<string, string> = { 'X-CS-APIKEY': cred.apiKey, 'X-CS-EXPIRES': expires, 'X-CS-SIGN': sign, 'Content-Type': 'application/json' };
  if (session) headers['X-Ticktape-Session'] = session;
  const res = await fetch(`http://127.0.0.1:${port}/coinstore/api${pathAndQuery}`, { method, headers, body: method === 'POST' ? payload : undefined });
  return { status: res.status, json: await res.json() };
}

async function paperOrder(port: number, body: Record<string, unknown>): Promise<{ status: number; json: any }> {
  const res = await fetch(`http://127.0.0.1:${port}/paper/orders`, { method: 'POST', body: JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}

async function flush(port: number, session: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/paper/sessions/${session}/results`, { method: 'POST' });
  expect(res.status).toBe(200);
  return ((await res.json()) as { folder: string }).folder;
}

/** Sends one trading-socket request and waits for the answer of its biz_type. */
async function biz(c: Collected, req: Record<string, unknown>): Promise<any> {
  const before = c.messages.length;
  c.ws.send(JSON.stringify(req));
  await c.waitFor((m) => m.slice(before).some((s) => s.startsWith('{') && json(s).biz_type === req.biz_type), `biz_type ${String(req.biz_type)}`);
  return json(c.messages.slice(before).find((s) => s.startsWith('{') && json(s).biz_type === req.biz_type)!);
}

const sum = (xs: Array<{ price: number; amount: number }>) => xs.reduce((a, x) => a + x.amount, 0);

describe('at max speed', () => {
  let replay: ReplayServer;
  let out: string;
  beforeAll(async () => {
    out = tmpDir('tt-paper-out-');
    replay = await startReplay({ dataDir: data, port: 0, speed: 'max', graceMs: 50, paper: paperSettings({}), paperOut: out });
  }, 60_000);
  afterAll(async () => replay?.close());

  it("coinceres: the trading document's requests place, cancel and fill; the notify socket pushes the notices", async () => {
    const base = `ws://127.0.0.1:${replay.port}/coinceres`;
    const notify = await collect(`${base}/notify?api_key=${CC_KEY}&sign=${CC_SIGN}&session=cc`);
    const trade = await collect(`${base}/trade?api_key=${CC_KEY}&sign=${CC_SIGN}&session=cc`);
    const market = await collect(`${base}/market?session=cc`);
    market.ws.send(
      JSON.stringify([
        { msg_type: 'subscribe-depth10', exchange: 'OKEX', contract: 'BTC/USDT' },
        { msg_type: 'subscribe-trade', exchange: 'OKEX', contract: 'BTC/USDT' },
      ]),
    );
    await market.waitFor((m) => m.some((s) => s.includes('push-depth10')), 'a depth push');

    // 11: a limit buy far below the market (the PDF's example, on a recorded venue and contract)
    const placed = await biz(trade, { exchange: 'OKEX', contract: 'BTC/USDT', price_type: 'limit', entrust_price: '1000', profit_value: '0', entrust_vol: '0.01', entrust_bs: 'buy', future_dir: 'open', lever: '1', client_oid: '12345', biz_type: 11 });
    expect(placed).toMatchObject({ biz_type: 11, code: '200', message: 'SUCESS', data: { client_oid: '12345' } });
    const oid = String(placed.data.system_oid);
    await notify.waitFor((m) => m.some((s) => s.startsWith('{') && json(s).entrustId === oid && json(s).entrustStatus === 'SUBMITTED'), 'SUBMITTED notice');
    // 12: cancel it
    const canceled = await biz(trade, { system_oid: oid, biz_type: 12 });
    expect(canceled).toMatchObject({ biz_type: 12, code: '200', data: { ERROR: [], SUCCESS: [{ system_oid: oid }] } });
    await notify.waitFor((m) => m.some((s) => s.startsWith('{') && json(s).entrustId === oid && json(s).entrustStatus === 'CANCELED'), 'CANCELED notice');
    // 11: a market sell fills against the recorded book
    const sold = await biz(trade, { exchange: 'OKEX', contract: 'BTC/USDT', price_type: 'market', entrust_vol: '0.05', entrust_bs: 'sell', future_dir: 'close', lever: '1', client_oid: 'm1', biz_type: 11 });
    expect(sold.code).toBe('200');
    const soldId = String(sold.data.system_oid);
    await notify.waitFor((m) => m.some((s) => s.startsWith('{') && json(s).entrustId === soldId && json(s).entrustStatus === 'FILLED'), 'FILLED notice');
    // 14, 15, 16, 17 show it
    const account = await biz(trade, { biz_type: 14 });
    expect(account.data.find((b: { currency: string }) => b.currency === 'BTC').balance).toBe('4.95'); // the demo account's 5 BTC less the sale
    const orders = await biz(trade, { biz_type: 15 });
    expect(orders.data.map((o: { system_oid: string; status: number }) => [o.system_oid, o.status])).toEqual([
      [oid, 15],
      [soldId, 5],
    ]);
    const positions = await biz(trade, { biz_type: 16 });
    expect(positions.data).toHaveLength(1);
    expect(positions.data[0]).toMatchObject({ position_dir: 'sell', vol: '0.05' });
    const fills = await biz(trade, { biz_type: 17, exchange: 'OKEX', contract: 'BTC/USDT', count: 50 });
    expect(fills.code).toBe('200');
    expect(fills.data.every((f: { system_oid: string }) => f.system_oid === soldId)).toBe(true);
    // the document's own error reply for bad orders, and the session goes on
    const unknownContract = await biz(trade, { exchange: 'OKEX', contract: 'DOGE/USDT', price_type: 'limit', entrust_price: '1', entrust_vol: '1', entrust_bs: 'buy', future_dir: 'open', lever: '1', biz_type: 11 });
    expect(unknownContract).toMatchObject({ code: '400', message: 'parameter error', biz_type: 11 });
    const tooBig = await biz(trade, { exchange: 'OKEX', contract: 'BTC/USDT', price_type: 'market', entrust_vol: '1000', entrust_bs: 'sell', future_dir: 'close', lever: '1', biz_type: 11 });
    expect(tooBig).toMatchObject({ code: '400', message: 'parameter error', biz_type: 11 });
    expect(tooBig.reason).toMatch(/insufficient BTC/);
    const unknownOrder = await biz(trade, { system_oid: '42', biz_type: 12 });
    expect(unknownOrder.data).toMatchObject({ ERROR: [{ system_oid: '42' }], SUCCESS: [] });
    expect(await biz(trade, { biz_type: 99 })).toMatchObject({ code: '400', message: 'parameter error' });
    trade.ws.send('not json');
    trade.ws.send('ping');
    await trade.waitFor((m) => m.includes('pong'), 'pong after garbage');

    // the fills are the recorded book walked at the order's time
    const folder = await flush(replay.port, 'cc');
    const got = await results(folder, `SELECT recv_ns, price, amount, liquidity FROM fills WHERE order_id = '${soldId}' ORDER BY seq`);
    const want = await takerFills(store, CC_MARKET, got[0].recv_ns as bigint, 'sell', '0.05');
    expect(got.map((f) => ({ price: f.price, amount: f.amount }))).toEqual(want);
    expect(sum(want)).toBeCloseTo(0.05, 12);
    for (const c of [notify, trade, market]) c.ws.close();
  });

  it("coinstore: REST orders as the document writes them, pushes on !@order and !@account, the document's error codes", async () => {
    const port = replay.port;
    // market data on one socket (at max speed it plays to the end of the recording and closes), the private channels on another
    const pub = await collect(`ws://127.0.0.1:${port}/coinstore/s/ws?session=cs`);
    pub.ws.send(JSON.stringify({ op: 'SUB', channel: ['btcusdt@trade', 'btcusdt@depth@20'], id: 1 }));
    const ws = await collect(`ws://127.0.0.1:${port}/coinstore/s/ws?session=cs`);
    ws.ws.send(JSON.stringify({ op: 'LOGIN', channel: ['!@account', '!@order'], auth: { 'user-id': 4930, token: CS_KEY, type: 'api' }, id: 2 }));
    await ws.waitFor((m) => m.some((s) => json(s).T === 'resp' && json(s).S > 2), 'the LOGIN answer');
    await pub.closed;
    // "Create order": the document's request body
    const placed = await coinstore(port, 'POST', '/trade/order/place', { symbol: 'BTCUSDT', side: 'BUY', ordType: 'LIMIT', ordPrice: 9.2e-1, ordQty: '0.5', timestamp: Date.now() }, 'cs');
    expect(placed.status).toBe(200);
    expect(placed.json.code).toBe('0');
    const ordId = placed.json.data.ordId;
    expect(typeof ordId).toBe('number');
    const active = await coinstore(port, 'GET', '/trade/order/active', undefined, 'cs');
    expect(active.json.data).toEqual([expect.objectContaining({ ordId, symbol: 'BTCUSDT', side: 'BUY', ordType: 'LIMIT', ordStatus: 'SUBMITTED', ordPrice: '0.92', ordQty: '0.5', leavesQty: '0.5' })]);
    const info = await coinstore(port, 'GET', `/trade/order/orderInfo?ordId=${ordId}`, undefined, 'cs');
    expect(info.json.data).toMatchObject({ ordId, ordState: 'SUBMITTED', timeInForce: 'GTC' });
    // "Cancel orders"
    const canceled = await coinstore(port, 'POST', '/trade/order/cancel', { ordId, symbol: 'BTCUSDT' }, 'cs');
    expect(canceled.json).toMatchObject({ code: 0, data: { state: 'CANCELED', ordId } });
    // a market buy by amount, a market sell by quantity
    const buy = await coinstore(port, 'POST', '/trade/order/place', { symbol: 'btcusdt', side: 'BUY', ordType: 'MARKET', ordAmt: '2000', timestamp: Date.now() }, 'cs');
    const sell = await coinstore(port, 'POST', '/trade/order/place', { symbol: 'BTCUSDT', side: 'SELL', ordType: 'MARKET', ordQty: '0.01', timestamp: Date.now() }, 'cs');
    expect([buy.json.code, sell.json.code]).toEqual(['0', '0']);
    const matches = await coinstore(port, 'GET', '/trade/match/accountMatches?symbol=BTCUSDT', undefined, 'cs');
    expect(matches.json.code).toBe(0);
    expect(new Set(matches.json.data.map((m: { orderId: number }) => m.orderId))).toEqual(new Set([buy.json.data.ordId, sell.json.data.ordId]));
    expect(matches.json.data.every((m: { acturalFeeRate: string; matchRole: number }) => m.acturalFeeRate === '0.002' && m.matchRole === 1)).toBe(true);
    const balances = await coinstore(port, 'POST', '/spot/accountList', {}, 'cs');
    expect(balances.json.data.filter((b: { currency: string }) => b.currency === 'USDT').map((b: { typeName: string }) => b.typeName)).toEqual(['AVAILABLE', 'FROZEN']);
    // "One-click cancellation"
    await coinstore(port, 'POST', '/trade/order/place', { symbol: 'BTCUSDT', side: 'SELL', ordType: 'LIMIT', ordPrice: '900000', ordQty: '0.1', timestamp: Date.now() }, 'cs');
    expect((await coinstore(port, 'POST', '/trade/order/cancelAll', { symbol: 'BTCUSDT' }, 'cs')).json).toEqual({ code: 0 });
    expect((await coinstore(port, 'GET', '/trade/order/active', undefined, 'cs')).json.data).toEqual([]);
    // the private channels pushed it all
    await ws.waitFor((m) => m.filter((s) => json(s).T === 'order').length >= 6, 'order pushes');
    const pushes = ws.messages.map(json).filter((m) => m.T === 'order');
    expect(pushes.find((m) => m.ordId === ordId && m.ordState === 'CANCELED')).toBeDefined();
    // the fee of a buy is charged in BTC (the currency received): its rate is the account's, not fee ÷ match amount
    expect(pushes.find((m) => m.ordId === buy.json.data.ordId && m.ordState === 'FILLED')).toMatchObject({ matchRole: 'TAKER', actualFeeRate: '0.002' });
    expect(ws.messages.map(json).some((m) => m.T === 'account' && m.currency === 'BTC')).toBe(true);
    // the document's error codes
    expect((await coinstore(port, 'POST', '/trade/order/place', { symbol: 'NOPEUSDT', side: 'BUY', ordType: 'LIMIT', ordPrice: '1', ordQty: '1', timestamp: 1 }, 'cs')).json).toMatchObject({ code: 3011, msg: 'symbol not found' });
    expect((await coinstore(port, 'POST', '/trade/order/place', { symbol: 'BTCUSDT', side: 'BUY', ordType: 'LIMIT', ordPrice: '60000', ordQty: '1000', timestamp: 1 }, 'cs')).json).toMatchObject({ code: 3113, msg: 'account-insufficient' });
    expect((await coinstore(port, 'POST', '/trade/order/cancel', { ordId: 1, symbol: 'BTCUSDT' }, 'cs')).json).toMatchObject({ code: 3103, msg: 'order-not-found' });
    expect((await coinstore(port, 'POST', '/trade/order/place', { symbol: 'BTCUSDT', side: 'BUY', ordType: 'LIMIT', timestamp: 1 }, 'cs')).json).toMatchObject({ code: 101040502 });
    const unsigned = await fetch(`http://127.0.0.1:${port}/coinstore/api/trade/order/active`);
    expect(unsigned.status).toBe(401);
    expect(await unsigned.json()).toMatchObject({ code: 401, msg: 'signature-failed' });
    const badJson = await fetch(`http://127.0.0.1:${port}/coinstore/api/trade/order/place`, { method: 'POST', headers: { 'X-CS-APIKEY': CS_KEY, 'X-CS-EXPIRES': String(Date.now()), 'X-CS-SIGN': 'a'.repeat(64) }, body: '{"symbol":' });
    expect(badJson.status).toBe(400);
    // fills against the recorded book
    const folder = await flush(port, 'cs');
    const got = await results(folder, `SELECT recv_ns, price, amount FROM fills WHERE order_id = '${sell.json.data.ordId}' ORDER BY seq`);
    expect(got.map((f) => ({ price: f.price, amount: f.amount }))).toEqual(await takerFills(store, CS_MARKET, got[0].recv_ns as bigint, 'sell', '0.01'));
    ws.ws.close();
  });

  it('nexus and coinsuper: orders through POST /paper/orders, pushed as API_ORDER / API_RISK_POSITION and on the MQTT order, trade and asset topics', async () => {
    const port = replay.port;
    const depth = await collect(`ws://127.0.0.1:${port}/nexus/api/realtime?X-API-TOKEN=${NX_TOKEN}&session=nx`);
    depth.ws.send(JSON.stringify({ id: '1630055515110', action: 'SUBSCRIBE', event: 'API_MARKETDEPTH', symbol: 'BTCUSDT', depth: 5 }));
    const nx = await collect(`ws://127.0.0.1:${port}/nexus/api/realtime?X-API-TOKEN=${NX_TOKEN}&session=nx`);
    nx.ws.send(JSON.stringify({ id: '1630055515109', action: 'SUBSCRIBE', event: 'API_ORDER' }));
    nx.ws.send(JSON.stringify({ id: '1630055515109', action: 'SUBSCRIBE', event: 'API_RISK_POSITION', symbol: 'ALL', book: 'A' }));
    await depth.closed; // played to the end
    const r = await paperOrder(port, { session: 'nx', exchange: 'nexus', symbol: 'BTCUSDT', side: 'buy', type: 'market', amount: '0.01', clientOrderId: '111' });
    expect(r.status).toBe(200);
    expect(r.json.order).toMatchObject({ status: 'filled', clientOrderId: '111', symbol: 'BTC/USDT' });
    await nx.waitFor((m) => m.some((s) => json(s).event === 'API_ORDER' && json(s).data[0].status === 'EXECUTED'), 'API_ORDER EXECUTED');
    await nx.waitFor((m) => m.some((s) => json(s).event === 'API_RISK_POSITION'), 'API_RISK_POSITION');
    const order = nx.messages.map(json).find((m) => m.event === 'API_ORDER' && m.data[0].status === 'EXECUTED').data[0];
    expect(order).toMatchObject({ clientOrderId: '111', orderType: 'MARKET', side: 'BUY', symbol: 'BTCUSDT', orderResult: 'FILLED', orderVolume: '0.01' });
    // refusals: the control API's own codes
    expect(await paperOrder(port, { session: 'nx', exchange: 'nexus', symbol: 'DOGEUSDT', side: 'buy', type: 'market', amount: '1' })).toMatchObject({ status: 422, json: { code: 'bad_symbol' } });
    expect(await paperOrder(port, { session: 'nx', exchange: 'nexus', symbol: 'BTCUSDT', side: 'up', type: 'market', amount: '1' })).toMatchObject({ status: 400, json: { code: 'bad_request' } });
    const nxFolder = await flush(port, 'nx');
    const nxFills = await results(nxFolder, `SELECT recv_ns, price, amount FROM fills WHERE exchange = 'nexus' ORDER BY seq`);
    expect(nxFills.map((f) => ({ price: f.price, amount: f.amount }))).toEqual(await takerFills(store, NX_MARKET, nxFills[0].recv_ns as bigint, 'buy', '0.01'));
    nx.ws.close();

    // Coinsuper: the private MQTT login of the document, its three private topics
    const ts = Date.now();
    const sign = createHash('md5').update(`${SU.accessKey},${SU.secretKey},${SU.email},${ts}`).digest('hex');
    const client = await mqtt.connectAsync(`ws://127.0.0.1:${port}/coinsuper/mqtt?session=su`, {
      clientId: SU.accessKey,
      username: 'api_private',
      password: `${SU.email},${ts},${sign}`,
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    // this session replays nothing: its clock is moved to the middle of the recording
    const [mid] = await store.rows(`SELECT ((min(recv_ns) + max(recv_ns)) / 2)::BIGINT AS t FROM raw WHERE exchange = 'coinsuper'`);
    expect((await fetch(`http://127.0.0.1:${port}/control/sessions/su/seek?to=${String(mid.t)}`, { method: 'POST' })).status).toBe(200);
    const got: Array<{ topic: string; payload: any }> = [];
    client.on('message', (topic, payload) => got.push({ topic, payload: JSON.parse(payload.toString('utf8')) }));
    const env = 'exchange_ha_prod_hk';
    await client.subscribeAsync([`${env}/api/ws/personal/v1/asset/change/${SU.email}`, `${env}/ws/personal/v1/order/change/${SU.email}`, `${env}/ws/personal/v1/trade/change/${SU.email}`], { qos: 0 });
    const limit = await paperOrder(port, { session: 'su', exchange: 'coinsuper', symbol: 'BTC/USDT', side: 'sell', type: 'limit', price: '1000000', amount: '0.2' });
    expect(limit.json.order.status).toBe('new');
    expect((await fetch(`http://127.0.0.1:${port}/paper/orders/cancel`, { method: 'POST', body: JSON.stringify({ session: 'su', exchange: 'coinsuper', orderId: limit.json.order.orderId }) })).status).toBe(200);
    const mkt = await paperOrder(port, { session: 'su', exchange: 'coinsuper', symbol: 'BTC_USDT', side: 'sell', type: 'market', amount: '0.03' });
    expect(mkt.json.order.status).toBe('filled');
    await new Promise((r) => setTimeout(r, 300));
    await client.endAsync(true);
    const topicOf = (t: string) => t.split('/').slice(-2, -1)[0];
    expect(got.filter((g) => topicOf(g.topic) === 'change').length).toBeGreaterThan(0);
    const states = got.filter((g) => g.topic.includes('/order/change/')).map((g) => [g.payload.orderNo, g.payload.state]);
    expect(states).toEqual(
      expect.arrayContaining([
        [limit.json.order.orderId, 'NEW'],
        [limit.json.order.orderId, 'CANCEL'],
      ]),
    );
    expect(got.filter((g) => g.topic.includes('/trade/change/')).every((g) => g.payload.orderNo === mkt.json.order.orderId && g.payload.matchType === 'TAKER' && g.payload.orderType === 'MKT')).toBe(true);
    expect(got.some((g) => g.topic.includes('/asset/change/'))).toBe(true);
  });

  it('two sessions trade the same recording independently', async () => {
    const port = replay.port;
    for (const s of ['two-a', 'two-b']) {
      const c = await collect(`ws://127.0.0.1:${port}/coinstore/s/ws?session=${s}`);
      c.ws.send(JSON.stringify({ op: 'SUB', channel: ['btcusdt@depth@20'], id: 1 }));
      await c.closed;
    }
    const a = await paperOrder(port, { session: 'two-a', exchange: 'coinstore', symbol: 'BTCUSDT', side: 'buy', type: 'market', amount: '0.3' });
    const b = await paperOrder(port, { session: 'two-b', exchange: 'coinstore', symbol: 'BTCUSDT', side: 'sell', type: 'limit', price: '999999', amount: '1' });
    expect([a.json.order.status, b.json.order.status]).toEqual(['filled', 'new']);
    const state = async (s: string) => (await (await fetch(`http://127.0.0.1:${port}/paper/sessions/${s}`)).json()) as any;
    const [sa, sb] = [await state('two-a'), await state('two-b')];
    const btc = (s: any) => s.coinstore.balances.find((x: { currency: string }) => x.currency === 'BTC');
    expect(btc(sa).frozen).toBe('0');
    expect(btc(sb)).toMatchObject({ available: '4', frozen: '1' });
    expect(Number(btc(sa).available)).toBeGreaterThan(5);
    expect(sa.coinstore.openOrders).toEqual([]);
    expect(sb.coinstore.openOrders).toHaveLength(1);
    expect(sb.coinstore.fills).toEqual([]);
    // each session's results in its own folder, its orders only
    const [fa, fb] = [await flush(port, 'two-a'), await flush(port, 'two-b')];
    expect(fa).not.toBe(fb);
    expect(await results(fa, 'SELECT DISTINCT order_id FROM orders')).toEqual([{ order_id: a.json.order.orderId }]);
    expect(await results(fb, 'SELECT count(*)::INTEGER AS n FROM fills')).toEqual([{ n: 0 }]);
  });
});

describe('the library', () => {
  it('startReplayServer takes the same paper options, checked the same way', async () => {
    await expect(startReplayServer({ data, port: 0, paperConfig: { latency: { inMs: -1 } } })).rejects.toMatchObject({ code: 'TT_CONFIG_INVALID' });
    const out = tmpDir('tt-paper-lib-');
    const h = await startReplayServer({ data, port: 0, speed: 'max', paper: true, paperConfig: { balances: { nexus: { USDT: '1000' } } }, paperOut: out });
    try {
      const r = await paperOrder(h.port, { session: 'lib', exchange: 'nexus', symbol: 'BTCUSDT', side: 'buy', type: 'limit', price: '1', amount: '2000' });
      expect(r).toMatchObject({ status: 422, json: { code: 'insufficient_balance' } });
    } finally {
      await h.close();
    }
    expect(fs.existsSync(path.join(out, 'lib', 'paper.json'))).toBe(true);
  });
});

describe('--auth strict', () => {
  it('Coinstore REST signs are checked against the configured credentials', async () => {
    const cred = { apiKey: 'bot-key', secret: 'bot-secret' };
    const replay = await startReplay({ dataDir: data, port: 0, speed: 'max', paper: paperSettings({}), paperOut: tmpDir('tt-paper-strict-'), auth: 'strict', credentials: { coinstore: [cred] } });
    try {
      const good = await coinstore(replay.port, 'POST', '/spot/accountList', {}, 'st', cred);
      expect(good).toMatchObject({ status: 200, json: { code: 0 } });
      const forged = await coinstore(replay.port, 'POST', '/spot/accountList', {}, 'st', { ...cred, secret: 'not-it' });
      expect(forged).toMatchObject({ status: 401, json: { code: 1401, msg: 'unauthorized' } });
      const unknown = await coinstore(replay.port, 'POST', '/spot/accountList', {}, 'st', { apiKey: 'nobody', secret: 'x' });
      expect(unknown).toMatchObject({ status: 401, json: { code: 401, msg: 'signature-failed' } });
    } finally {
      await replay.close();
    }
  });
});

describe('ticktape report --paper', () => {
  it.skipIf(skipWithout('chromium', 'the paper report in Chromium'))(
    'PnL, fills against the market, slippage and latency, drawn in headless Chromium',
    async () => {
      const out = tmpDir('tt-paper-report-');
      const replay = await startReplay({ dataDir: data, port: 0, speed: 'max', graceMs: 50, paper: paperSettings({ latency: { inMs: 5 } }), paperOut: out });
      let folder: string;
      try {
        const c = await collect(`ws://127.0.0.1:${replay.port}/coinstore/s/ws?session=rep`);
        c.ws.send(JSON.stringify({ op: 'SUB', channel: ['btcusdt@depth@20'], id: 1 }));
        await c.closed;
        const [mid] = await store.rows(`SELECT ((min(recv_ns) + max(recv_ns)) / 2)::BIGINT AS t FROM raw WHERE exchange = 'coinstore'`);
        await fetch(`http://127.0.0.1:${replay.port}/control/sessions/rep/seek?to=${String(mid.t)}`, { method: 'POST' });
        expect((await paperOrder(replay.port, { session: 'rep', exchange: 'coinstore', symbol: 'BTCUSDT', side: 'buy', type: 'market', amount: '0.2' })).json.order.status).toBe('filled');
        await fetch(`http://127.0.0.1:${replay.port}/control/sessions/rep/seek?to=${String(BigInt(mid.t as bigint) + 1_000_000_000n)}`, { method: 'POST' });
        expect((await paperOrder(replay.port, { session: 'rep', exchange: 'coinstore', symbol: 'BTCUSDT', side: 'sell', type: 'market', amount: '0.1' })).json.order.status).toBe('filled');
        folder = await flush(replay.port, 'rep');
      } finally {
        await replay.close();
      }
      const html = path.join(out, 'paper.html');
      const r = spawnSync(process.execPath, [CLI, 'report', '--paper', folder!, '--out', html], { encoding: 'utf8', timeout: 120_000 });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe(html);
      const page = fs.readFileSync(html, 'utf8');
      expect(page).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
      for (const t of ['PnL at the end', 'Slippage', 'Latency (order-in, ms)', 'Fills (first 500)']) expect(page).toContain(t);
      const dom = runPage(html, out, ['--dump-dom']);
      expect(dom.status, dom.stderr).toBe(0);
      const body = /<body([^>]*)>/.exec(dom.stdout)?.[1] ?? '';
      expect(body).toContain(`data-rendered="${PAPER_REPORT_CHARTS}"`);
      expect(body).toContain(`data-inked="${PAPER_REPORT_CHARTS}"`);
      // a folder without results is no data, with the code and exit status for it
      const bad = spawnSync(process.execPath, [CLI, 'report', '--paper', out], { encoding: 'utf8', timeout: 60_000 });
      expect(bad.status).toBe(4);
      expect(bad.stderr).toMatch(/No paper results in .*\[TT_NO_DATA\]/);
    },
    240_000,
  );
});

describe('at 1x', () => {
  /**
   * A Coinstore bot on one session: on one recorded trade push it buys at market and joins the best
   * bid; at the end it cancels what still rests. The trade is the one with the
   * longest quiet time after it in the recording, so the bot's requests reach the replay before
   * the next frame of the market in every run.
   */
  async function runBot(out: string, trigger: { tradeId: string; fromNs: bigint }): Promise<{ folder: string; limitId: number; limitPrice: string }> {
    const replay = await startReplay({ dataDir: data, port: 0, speed: 1, graceMs: 50, paper: paperSettings({}), paperOut: out, sessionKeepMs: 5_000 });
    try {
      const ws = await collect(`ws://127.0.0.1:${replay.port}/coinstore/s/ws?session=bot&from=${trigger.fromNs}`);
      let bestBid = '';
      let sent: Promise<{ limitId: number; limitPrice: string }> | null = null;
      ws.ws.on('message', (d: Buffer) => {
        const m = JSON.parse(d.toString('utf8'));
        if (m.T === 'depth' && m.b?.length) bestBid = m.b[0][0];
        if (m.T === 'trade' && String(m.tradeId) === trigger.tradeId && bestBid && !sent) {
          const limitPrice = bestBid;
          // "Batch ordering": both orders in one request, as the document's example sends them
          sent = coinstore(
            replay.port,
            'POST',
            '/trade/order/placeBatch',
            {
              symbol: 'BTCUSDT',
              orders: [
                { side: 'BUY', ordType: 'MARKET', ordAmt: '3000' },
                { side: 'BUY', ordType: 'LIMIT', ordPrice: limitPrice, ordQty: '0.0001' },
              ],
              timestamp: Date.now(),
            },
            'bot',
          ).then((r) => ({ limitId: r.json.data[1].ordId as number, limitPrice }));
        }
      });
      // first a bid far below the market, canceled at once: the bot's and the account's paths are warm when the trigger comes
      const warm = await coinstore(replay.port, 'POST', '/trade/order/place', { symbol: 'BTCUSDT', side: 'BUY', ordType: 'LIMIT', ordPrice: '1', ordQty: '0.001', timestamp: Date.now() }, 'bot');
      await coinstore(replay.port, 'POST', '/trade/order/cancel', { symbol: 'BTCUSDT', ordId: warm.json.data.ordId }, 'bot');
      ws.ws.send(JSON.stringify({ op: 'SUB', channel: ['btcusdt@trade', 'btcusdt@depth@20'], id: 1 }));
      expect((await ws.closed).code).toBe(1000); // the end of the recording
      expect(sent).not.toBeNull();
      const { limitId, limitPrice } = await sent!;
      await coinstore(replay.port, 'POST', '/trade/order/cancelAll', {}, 'bot');
      const folder = await flush(replay.port, 'bot');
      return { folder, limitId, limitPrice };
    } finally {
      await replay.close();
    }
  }

  it("coinceres at 1x: the trading document's bot places, cancels and gets fills, with notices, in real time", async () => {
    const [r] = await store.rows(`SELECT min(recv_ns) AS a, max(recv_ns) AS b FROM raw WHERE exchange = 'coinceres' AND direction = 'in'`);
    const from = (r.a as bigint) + ((r.b as bigint) - (r.a as bigint)) / 3n;
    const replay = await startReplay({ dataDir: data, port: 0, speed: 1, graceMs: 50, paper: paperSettings({}), paperOut: tmpDir('tt-paper-cc1x-') });
    try {
      const base = `ws://127.0.0.1:${replay.port}/coinceres`;
      const q = `session=cc1&from=${from}&to=${from + 3_000_000_000n}`;
      const notify = await collect(`${base}/notify?api_key=${CC_KEY}&sign=${CC_SIGN}&${q}`);
      const trade = await collect(`${base}/trade?api_key=${CC_KEY}&sign=${CC_SIGN}&${q}`);
      const market = await collect(`${base}/market?${q}`);
      market.ws.send(
        JSON.stringify([
          { msg_type: 'subscribe-depth10', exchange: 'OKEX', contract: 'BTC/USDT' },
          { msg_type: 'subscribe-trade', exchange: 'OKEX', contract: 'BTC/USDT' },
        ]),
      );
      await market.waitFor((m) => m.some((x) => x.includes('push-depth10')), 'a depth push');
      const depth = json(market.messages.find((x) => x.includes('push-depth10'))!);
      // join the best bid, sell at market, cancel what rests
      const bid = await biz(trade, { exchange: 'OKEX', contract: 'BTC/USDT', price_type: 'limit', entrust_price: depth.bids[0].price, entrust_vol: '0.001', entrust_bs: 'buy', future_dir: 'open', lever: '1', client_oid: 'j1', biz_type: 11 });
      const sell = await biz(trade, { exchange: 'OKEX', contract: 'BTC/USDT', price_type: 'market', entrust_vol: '0.02', entrust_bs: 'sell', future_dir: 'close', lever: '1', client_oid: 'm1', biz_type: 11 });
      expect([bid.code, sell.code]).toEqual(['200', '200']);
      const sellId = String(sell.data.system_oid);
      await notify.waitFor((m) => m.some((x) => x.startsWith('{') && json(x).entrustId === sellId && json(x).entrustStatus === 'FILLED'), 'FILLED');
      const bidId = String(bid.data.system_oid);
      const open = (await biz(trade, { biz_type: 15, system_oid: bidId })).data[0].status;
      if (open === 3 || open === 4) {
        expect((await biz(trade, { system_oid: bidId, biz_type: 12 })).data.SUCCESS).toEqual([{ system_oid: bidId }]);
        await notify.waitFor((m) => m.some((x) => x.startsWith('{') && json(x).entrustId === bidId && /CANCELED$/.test(json(x).entrustStatus)), 'CANCELED');
      } else expect(open).toBe(5); // the market traded through it first
      const fills = await biz(trade, { biz_type: 17, exchange: 'OKEX', contract: 'BTC/USDT', count: 50 });
      expect(fills.data.some((f: { system_oid: string }) => f.system_oid === sellId)).toBe(true);
      const folder = await flush(replay.port, 'cc1');
      const got = await results(folder, `SELECT recv_ns, price, amount FROM fills WHERE order_id = '${sellId}' ORDER BY seq`);
      expect(got.map((f) => ({ price: f.price, amount: f.amount }))).toEqual(await takerFills(store, CC_MARKET, got[0].recv_ns as bigint, 'sell', '0.02'));
      for (const c of [notify, trade, market]) c.ws.close();
    } finally {
      await replay.close();
    }
  }, 60_000);

  it('a bot places, gets fills at the recorded times and cancels; two runs give byte-identical results', async () => {
    const [t] = await store.rows(`
      WITH f AS (SELECT DISTINCT recv_ns FROM (SELECT recv_ns FROM trades WHERE exchange = 'coinstore' AND symbol = 'BTCUSDT'
                 UNION ALL SELECT recv_ns FROM book WHERE exchange = 'coinstore' AND stream = '${CS_MARKET.bookStream}')),
           g AS (SELECT recv_ns, lead(recv_ns) OVER (ORDER BY recv_ns) - recv_ns AS gap FROM f),
           r AS (SELECT min(recv_ns) AS a, max(recv_ns) AS b FROM f)
      SELECT t.trade_id, t.recv_ns, g.gap FROM trades t JOIN g USING (recv_ns), r
      WHERE t.exchange = 'coinstore' AND t.symbol = 'BTCUSDT' AND t.recv_ns BETWEEN r.a + (r.b - r.a) / 4 AND r.b - (r.b - r.a) / 3
      ORDER BY g.gap DESC, t.recv_ns LIMIT 1`);
    expect(Number(t.gap) / 1e6).toBeGreaterThan(40); // ms of quiet after the trigger
    const trigger = { tradeId: String(t.trade_id), fromNs: (t.recv_ns as bigint) - 1_000_000_000n };
    const [a, b] = [await runBot(tmpDir('tt-paper-1x-a-'), trigger), await runBot(tmpDir('tt-paper-1x-b-'), trigger)];
    const files = (folder: string) =>
      fs
        .readdirSync(folder, { recursive: true })
        .map(String)
        .filter((f) => f.endsWith('.parquet'))
        .sort();
    expect(files(a.folder)).toEqual(files(b.folder));
    expect(files(a.folder).filter((f) => f.startsWith('fills'))).toHaveLength(1);
    for (const f of files(a.folder)) expect(fs.readFileSync(path.join(a.folder, f)).equals(fs.readFileSync(path.join(b.folder, f))), f).toBe(true);
    // the market buy walked the book recorded at its time
    const orders = (await results(a.folder, `SELECT order_id, recv_ns, status FROM orders ORDER BY seq`)).filter((o) => o.order_id !== '8000000001');
    expect(orders[0].recv_ns).toBe(t.recv_ns); // it arrived right after the trigger frame
    const buyFills = await results(a.folder, `SELECT recv_ns, price, amount FROM fills WHERE order_id = '${orders[0].order_id}' ORDER BY seq`);
    const walked = await takerFills(store, CS_MARKET, buyFills[0].recv_ns as bigint, 'buy', String(buyFills.reduce((x, f) => x + Number(f.amount), 0)));
    expect(buyFills.map((f) => f.price)).toEqual(walked.map((w) => w.price));
    // the resting bid filled when the recording says it would, or rested until the cancel
    const placedAt = orders.find((o) => o.order_id === String(a.limitId) && o.status === 'SUBMITTED')!.recv_ns as bigint;
    const fills = await results(a.folder, `SELECT recv_ns, price_str FROM fills WHERE order_id = '${a.limitId}' ORDER BY seq`);
    const expected = await firstRestingFill(store, CS_MARKET, placedAt, 'buy', a.limitPrice);
    if (expected === null) {
      expect(fills).toEqual([]);
      expect(orders.filter((o) => o.order_id === String(a.limitId)).map((o) => o.status)).toContain('CANCELED');
    } else expect([fills[0].recv_ns, Number(fills[0].price_str)]).toEqual([expected.recvNs, Number(a.limitPrice)]);
  }, 120_000);
});
