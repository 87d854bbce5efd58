/** The shared server-side conformance suite, driven by MQTT.js (a third-party MQTT 3.1.1 client). */
import WebSocket from 'ws';
import { connect, type MqttClient } from 'mqtt';
import { generate } from 'mqtt-packet';
import { coinsuper } from '../../../exchanges/coinsuper/index.js';
import { publicClientId } from '../../../exchanges/coinsuper/auth.js';
import { runConformance, type ConformanceClient } from '../conformance.js';
import { DEMO } from './harness.js';

const topicOf = (channel: string) => coinsuper.client.parseChannel(channel).key;

function open(url: string, password: string, firstTopic: string): Promise<{ client: MqttClient; closeCode: Promise<number> }> {
  let onClose!: (code: number) => void;
  const closeCode = new Promise<number>((resolve) => (onClose = resolve));
  return new Promise((resolve, reject) => {
    const client = connect(url, {
      protocolVersion: 4,
      reconnectPeriod: 0,
      clientId: publicClientId(DEMO.accessKey, DEMO.email, firstTopic),
      username: 'api_subscriber',
      password,
      // our own socket, to learn the close code MQTT.js does not report
      createWebsocket: (u: string, protocols: string[]) => {
        const ws = new WebSocket(u, protocols);
        ws.on('close', (code) => onClose(code));
        return ws;
      },
    } as Parameters<typeof connect>[1]);
    client.once('connect', () => resolve({ client, closeCode }));
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
  });
}

function wrap(client: MqttClient, closeCode: Promise<number>): ConformanceClient {
  const queues = new Map<string, unknown[]>();
  const waiters = new Map<string, Array<(v: unknown) => void>>();
  client.on('message', (topic, payload) => {
    const msg = JSON.parse(payload.toString('utf8')) as unknown;
    const w = waiters.get(topic)?.shift();
    if (w) w(msg);
    else queues.set(topic, [...(queues.get(topic) ?? []), msg]);
  });
  return {
    async subscribe(channel) {
      // QoS 1: MQTT.js hands a message over on PUBLISH, so none can surface after UNSUBACK
      const granted = await client.subscribeAsync(topicOf(channel), { qos: 1 });
      if (granted[0]?.qos !== 1) throw new Error(`subscription refused: ${JSON.stringify(granted)}`);
    },
    nextData(channel, timeoutMs) {
      const topic = topicOf(channel);
      const q = queues.get(topic);
      if (q?.length) return Promise.resolve(q.shift());
      return new Promise((resolve, reject) => {
        const list = waiters.get(topic) ?? [];
        waiters.set(topic, list);
        const t = setTimeout(() => {
          list.splice(list.indexOf(done), 1);
          reject(new Error(`no data on ${channel} within ${timeoutMs} ms`));
        }, timeoutMs);
        const done = (v: unknown) => {
          clearTimeout(t);
          resolve(v);
        };
        list.push(done);
      });
    },
    async unsubscribe(channel) {
      await client.unsubscribeAsync(topicOf(channel));
      queues.delete(topicOf(channel));
    },
    heartbeat() {
      return new Promise((resolve) => {
        const onPacket = (p: { cmd: string }) => {
          if (p.cmd !== 'pingresp') return;
          client.off('packetreceive', onPacket);
          resolve(p);
        };
        client.on('packetreceive', onPacket);
        client.sendPing();
      });
    },
    async badRequest() {
      // a SUBSCRIBE whose reserved flag bits are wrong: MQTT-3.8.1-1 says close the connection
      const bad = Buffer.from(generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'x', qos: 0 }] }));
      bad[0] = 0x80;
      (client.stream as unknown as { write(b: Buffer): void }).write(bad);
      await closeCode;
      return 'closed';
    },
    closed: () => closeCode,
    close: () => void client.end(true),
  };
}

const CHANNELS = ['BTC_USDT@orderBook@0.01', 'BTC_USDT@depth', 'ETH_USDT@kline@60000', 'BTC_USDT@tickers'];

runConformance({
  exchange: 'coinsuper',
  endpoint: 'mqtt',
  channels: CHANNELS,
  async connect(url) {
    const { client, closeCode } = await open(url, 'da65be18f44b33b69603c39fd03ddf49', topicOf(CHANNELS[0]));
    return wrap(client, closeCode);
  },
  async refusedWithBadAuth(hostUrl) {
    try {
      const { client } = await open(hostUrl('mqtt'), 'wrong-user-code', topicOf(CHANNELS[0]));
      client.end(true);
    } catch (err) {
      if ((err as { code?: number }).code === 4) return err;
      throw err;
    }
    throw new Error('a wrong userCode was accepted');
  },
  badRequestCloses: true,
  // An explicit idle timeout overrides the keep-alive rule (MQTT.js would ping every 60 s).
  idle: { timing: { idleTimeoutMs: 300 }, waitMs: 5_000 },
});
