/**
 * Coinsuper on the simulator's market: the trade windows MQTT.js receives, once de-duplicated by
 * the normalizer, hold every trade the market made exactly once; the private topics carry the demo
 * account's activity in normalizable form.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { startSimulator, type Simulator } from '../../../simulator/server.js';
import type { TradeEvent } from '../../../exchanges/market.js';
import { CoinsuperNormalizer } from '../../../exchanges/coinsuper/normalize.js';
import { fullTopic } from '../../../exchanges/coinsuper/topics.js';
import { publicClientId, privatePassword } from '../../../exchanges/coinsuper/auth.js';
import type { TradeRow } from '../../../schemas/rows.js';
import { closeClient, DEMO, mqttConnect } from './harness.js';

const TICKERS = fullTopic('tickers', { symbol: 'BTC_USDT' });

describe('coinsuper on the simulator', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ port: 0, rate: 0, seed: 11, throttle: { tradeWindowMs: 25 } });
  });
  afterAll(async () => {
    await sim?.close();
  });

  it('de-duplicated trade windows reproduce the market’s trades exactly once', async () => {
    const url = sim.url('coinsuper', 'mqtt');
    const c: MqttClient = await mqttConnect(url, {
      clientId: publicClientId(DEMO.accessKey, DEMO.email, TICKERS),
      username: 'api_subscriber',
      password: 'da65be18f44b33b69603c39fd03ddf49',
    });
    const received: string[] = [];
    c.on('message', (topic, payload) => {
      if (topic === TICKERS) received.push(payload.toString('utf8'));
    });
    const truth: TradeEvent[] = [];
    const off = sim.market.on({ trade: (t) => void (t.inst.base === 'BTC' && truth.push(t)) });
    try {
      await c.subscribeAsync(TICKERS, { qos: 1 });
      for (let i = 0; i < 600; i++) {
        sim.step(1);
        if (i % 10 === 9) await new Promise((r) => setImmediate(r));
      }
      // let the pushed windows arrive: until nothing new comes for 150 ms
      for (let seen = -1; seen !== received.length; ) {
        seen = received.length;
        await new Promise((r) => setTimeout(r, 150));
      }
      off();

      const n = new CoinsuperNormalizer();
      const rows = received.flatMap((p) => n.publish(TICKERS, p)) as TradeRow[];
      expect(received.length).toBeGreaterThan(10);
      expect(truth.length).toBeGreaterThan(20);
      expect(new Set(rows.map((r) => r.trade_id)).size).toBe(rows.length);

      const key = (ts: number | null, price: string, amount: string, side: string | null) => `${ts}|${price}|${amount}|${side}`;
      const count = (keys: string[]) => keys.reduce((m, k) => m.set(k, (m.get(k) ?? 0) + 1), new Map<string, number>());
      // Trades made before we listened came in the first window, trades of the last steps in no
      // window yet: compare what lies between (a window holds every trade of the steps before it).
      const from = truth[0].tsMs;
      const to = Math.max(...rows.map((r) => r.exchange_ts_ms!));
      const got = count(rows.filter((r) => r.exchange_ts_ms! > from && r.exchange_ts_ms! <= to).map((r) => key(r.exchange_ts_ms, r.price, r.amount, r.side)));
      const want = count(truth.filter((t) => t.tsMs > from && t.tsMs <= to).map((t) => key(t.tsMs, t.price, t.amount, t.side)));
      expect(got).toEqual(want);
    } finally {
      off();
      await closeClient(c);
    }
  });

  it('publishes the demo account’s balances, orders and fills on the private topics', async () => {
    const url = sim.url('coinsuper', 'mqtt');
    const c = await mqttConnect(url, { clientId: DEMO.accessKey, username: 'api_private', password: privatePassword(DEMO, sim.market.nowMs()) });
    const byTopic = new Map<string, string[]>();
    c.on('message', (topic, payload) => byTopic.set(topic, [...(byTopic.get(topic) ?? []), payload.toString('utf8')]));
    const topics = [fullTopic('asset', { email: DEMO.email }), fullTopic('order', { email: DEMO.email }), fullTopic('trade', { email: DEMO.email })];
    try {
      await c.subscribeAsync(topics, { qos: 2 });
      const inst = sim.market.instruments[0];
      const book = sim.market.book(inst);
      // a resting order (NEW on the order topic), then one that crosses the book (fills, balances)
      const resting = sim.market.account.placeOrder({ inst, side: 'buy', orderType: 'limit', price: book.bids[5][0], amount: '0.0010' });
      expect(resting.ok).toBe(true);
      sim.market.account.placeOrder({ inst, side: 'buy', orderType: 'market', amount: '0.0010' });
      if (resting.ok) sim.market.account.cancelOrder(resting.order.orderId);
      sim.step(5);
      for (let i = 0; i < 100 && topics.some((t) => !byTopic.get(t)?.length); i++) await new Promise((r) => setTimeout(r, 20));
      const n = new CoinsuperNormalizer();
      const tables = topics.map((t) => (byTopic.get(t) ?? []).flatMap((p) => n.publish(t, p)).map((r) => r.table));
      expect(tables[0]).toContain('balances');
      expect(tables[1]).toContain('orders');
      expect(tables[2]).toContain('fills');
      const states = (byTopic.get(topics[1]) ?? []).map((p) => JSON.parse(p).state as string);
      expect(states).toContain('NEW');
      expect(states).toContain('CANCEL');
    } finally {
      await closeClient(c);
    }
  });
});
