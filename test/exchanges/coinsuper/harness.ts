/**
 * Test plumbing for Coinsuper: the exchange's server side hosted by `startHost`, fed by the shared
 * deterministic test feed plus a small private feed (order creations/cancellations, fills), and
 * MQTT.js connections to it.
 */
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { startHost, type ExchangeHost, type HostOptions, type SessionFeed } from '../../../exchanges/host.js';
import { coinsuper } from '../../../exchanges/coinsuper/index.js';
import type { FeedItem, ServerContext, ServerTiming, StreamSpec } from '../../../exchanges/types.js';
import type { OrderEvent } from '../../../exchanges/market.js';
import { createTestFeedFactory, TEST_INSTRUMENTS } from '../../helpers/test-feed.js';

export const DEMO = coinsuper.demoCredentials as { accessKey: string; secretKey: string; email: string };
export const FEED_INTERVAL_MS = 20;

/** Orders alternately created and cancelled, each with a fill: the private topics' traffic. */
function privateOrderEvent(n: number): OrderEvent {
  const inst = TEST_INSTRUMENTS[0];
  const fill = {
    type: 'fill' as const,
    inst,
    fillId: `D${n}`,
    orderId: `O${n}`,
    side: 'sell' as const,
    price: '101.50',
    amount: '0.2500',
    fee: '0.03',
    feeCurrency: 'USDT',
    liquidity: 'maker' as const,
    tsMs: 1_700_000_000_000 + n,
  };
  return {
    type: 'order',
    inst,
    orderId: `O${n}`,
    clientOrderId: `C${n}`,
    side: 'sell',
    orderType: 'limit',
    price: '101.50',
    amount: '1.0000',
    filledAmount: '0.2500',
    filledQuote: '25.37',
    avgPrice: '101.50',
    status: n % 2 === 1 ? 'new' : 'canceled',
    version: n,
    createdMs: 1_700_000_000_000,
    tsMs: 1_700_000_000_000 + n,
    fill,
  };
}

function feedFactory(): () => SessionFeed {
  const shared = createTestFeedFactory({ intervalMs: FEED_INTERVAL_MS });
  return () => {
    const base = shared();
    const timers = new Map<string, NodeJS.Timeout>();
    return {
      subscribe(stream: StreamSpec, deliver: (item: FeedItem) => void) {
        if (stream.kind !== 'order' && stream.kind !== 'fill') return base.subscribe(stream, deliver);
        let n = 0;
        timers.set(
          stream.key,
          setInterval(() => deliver({ type: 'event', event: privateOrderEvent(++n) }), FEED_INTERVAL_MS),
        );
        return { ok: true };
      },
      unsubscribe(key: string) {
        clearInterval(timers.get(key));
        timers.delete(key);
        base.unsubscribe(key);
      },
      close() {
        for (const t of timers.values()) clearInterval(t);
        base.close();
      },
    };
  };
}

export async function startCoinsuperHost(timing: Partial<ServerTiming> = {}, feedFor?: () => SessionFeed, hostOpts: Partial<HostOptions> = {}): Promise<ExchangeHost> {
  const feeds = feedFor ?? feedFactory();
  const context = (): ServerContext => ({
    instruments: TEST_INSTRUMENTS,
    credentials: [{ ...DEMO }],
    nowMs: () => Date.now(),
    timing,
    random: Math.random,
  });
  return startHost({ port: 0, ...hostOpts, connection: () => ({ context: context(), feed: feeds() }) });
}

export function mqttUrl(host: ExchangeHost): string {
  return host.url('coinsuper', 'mqtt');
}

/** Connects MQTT.js (protocol level 4, no automatic reconnect); resolves on CONNACK 0, rejects with the refusal. */
export function mqttConnect(url: string, opts: IClientOptions): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = connect(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5_000, keepalive: 60, ...opts });
    client.once('connect', () => resolve(client));
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
  });
}

/** The next message on `topic`, or a rejection after `timeoutMs`. */
export function nextMessage(client: MqttClient, topic: string, timeoutMs = 3_000): Promise<{ payload: Buffer; qos: number; messageId?: number }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('message', onMessage);
      reject(new Error(`no message on ${topic} within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (t: string, payload: Buffer, packet: { qos: number; messageId?: number }) => {
      if (t !== topic) return;
      clearTimeout(timer);
      client.off('message', onMessage);
      resolve({ payload, qos: packet.qos, messageId: packet.messageId });
    };
    client.on('message', onMessage);
  });
}

export function closeClient(client: MqttClient): Promise<void> {
  return new Promise((resolve) => client.end(true, {}, () => resolve()));
}
