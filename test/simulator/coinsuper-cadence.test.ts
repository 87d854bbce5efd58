/**
 * Coinsuper's push cadence as its document states it per topic (protocols.md §4.3, E-CS1): the
 * depth chart "push 1/s"; the order book, the k-line and the latest trades "every 1–2 s". Counted
 * over 20 s of the simulator's market time (stepped by hand, so the count does not depend on the
 * machine), through a real MQTT client. Faster pushes stay available for load tests as the
 * simulator's `throttle` option.
 */
import { afterEach, expect, it } from 'vitest';
import { connect, type MqttClient } from 'mqtt';
import { publicClientId } from '../../exchanges/coinsuper/auth.js';
import { fullTopic } from '../../exchanges/coinsuper/topics.js';
import { EXCHANGES } from '../../exchanges/registry.js';
import { FAST_FEED_THROTTLE } from '../../simulator/feed.js';
import { DEFAULT_STEP_MS } from '../../simulator/market.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../simulator/server.js';

const TOPICS = {
  depth: fullTopic('depth', { symbol: 'BTC_USDT' }),
  orderBook: fullTopic('orderBook', { symbol: 'BTC_USDT', step: '0.01' }),
  kline: fullTopic('kline', { symbol: 'BTC_USDT', range: 60000 }),
  tickers: fullTopic('tickers', { symbol: 'BTC_USDT' }),
};
const WINDOW_MS = 20_000;

let sim: Simulator | null = null;
let client: MqttClient | null = null;
afterEach(async () => {
  client?.end(true);
  client = null;
  await sim?.close();
  sim = null;
});

/** Pushes per topic during WINDOW_MS of market time. */
async function pushesIn(opts: Partial<SimulatorOptions>): Promise<Record<keyof typeof TOPICS, number>> {
  sim = await startSimulator({ port: 0, seed: 3, rate: 0, originMs: Date.UTC(2026, 0, 1), ...opts });
  const demo = EXCHANGES.coinsuper.demoCredentials;
  const c = connect(sim.url('coinsuper', 'mqtt'), {
    protocolVersion: 4,
    reconnectPeriod: 0,
    clientId: publicClientId(demo.accessKey, demo.email, TOPICS.depth),
    username: 'api_subscriber',
    password: 'da65be18f44b33b69603c39fd03ddf49',
  });
  client = c;
  await new Promise<void>((resolve, reject) => {
    c.once('connect', () => resolve());
    c.once('error', reject);
  });
  const counts = { depth: 0, orderBook: 0, kline: 0, tickers: 0 };
  const byTopic = new Map(Object.entries(TOPICS).map(([k, t]) => [t, k as keyof typeof TOPICS]));
  c.on('message', (topic) => {
    const k = byTopic.get(topic);
    if (k) counts[k] += 1;
  });
  await c.subscribeAsync(Object.values(TOPICS));
  const before = sim.stats().frames;
  // one second of market time at a time, letting the sockets carry it
  for (let s = 0; s < WINDOW_MS / 1000; s++) {
    sim.step(1000 / DEFAULT_STEP_MS);
    await new Promise((r) => setTimeout(r, 5));
  }
  const sent = sim.stats().frames - before;
  await new Promise<void>((resolve) => {
    const check = () => (Object.values(counts).reduce((a, b) => a + b, 0) >= sent ? resolve() : setTimeout(check, 10));
    check();
  });
  return counts;
}

it('the depth chart once a second; the order book, k-line and latest trades every 1 to 2 seconds', async () => {
  const n = await pushesIn({});
  const seconds = WINDOW_MS / 1000;
  // one push at the subscription, then one per period
  expect(n.depth).toBeGreaterThanOrEqual(seconds);
  expect(n.depth).toBeLessThanOrEqual(seconds + 1);
  for (const topic of ['orderBook', 'kline', 'tickers'] as const) {
    expect(n[topic], topic).toBeGreaterThanOrEqual(seconds / 2);
    expect(n[topic], topic).toBeLessThanOrEqual(seconds + 1);
  }
});

it('a load test gets faster pushes with the throttle option', async () => {
  const n = await pushesIn({ throttle: FAST_FEED_THROTTLE });
  const seconds = WINDOW_MS / 1000;
  expect(n.depth).toBeGreaterThan(seconds * 5);
  expect(n.orderBook).toBeGreaterThan(seconds * 5);
});
