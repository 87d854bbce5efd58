/** The shared server-side conformance suite, driven by a plain `ws` client speaking Coinceres' market protocol. */
import { runConformance, type ConformanceClient } from '../conformance.js';
import { coinceres } from '../../../exchanges/coinceres/index.js';
import { readMarketFrame, subscribeElement } from '../../../exchanges/coinceres/client.js';
import { handshakeSign } from '../../../exchanges/coinceres/sign.js';
import { TEST_INSTRUMENTS } from '../../helpers/test-feed.js';
import { createTestAccount } from './demo-account.js';
import { tradingFromDemo } from '../../../exchanges/trading.js';
import { openSocket } from './ws-client.js';

const enc = new TextEncoder();
const specOf = (channel: string) => coinceres.client.parseChannel(channel);
const isArray = (m: unknown) => Array.isArray(m);

async function connect(url: string): Promise<ConformanceClient> {
  const s = await openSocket(url);
  await s.nextJson((m) => typeof m.info === 'string'); // the handshake notice
  const streamOf = (t: string) => readMarketFrame(enc.encode(t), false).stream;
  const ackFor = async (channel: string, action: 'subscribe' | 'unsubscribe') => {
    const el = subscribeElement(specOf(channel), action);
    s.send(JSON.stringify([el]));
    const [ack] = await s.nextJson<Array<{ msg_type: string; code: number; message: string }>>((m) => isArray(m) && m[0]?.msg_type === `${action}d-${el.msg_type.split('-')[1]}` && m[0]?.contract === el.contract);
    if (ack.code !== 200) throw new Error(`${action} ${channel} refused: ${ack.code} ${ack.message}`);
  };
  return {
    subscribe: (channel) => ackFor(channel, 'subscribe'),
    async nextData(channel, timeoutMs) {
      const key = specOf(channel).key;
      return JSON.parse(await s.next((t) => streamOf(t) === key, timeoutMs));
    },
    async unsubscribe(channel) {
      await ackFor(channel, 'unsubscribe');
      const key = specOf(channel).key;
      // pushes that were in flight before the acknowledgement are dropped
      while (await s.next((t) => streamOf(t) === key, 1).catch(() => null));
    },
    async heartbeat() {
      s.send('{"msg_type":"ping"}');
      return s.nextJson((m) => m.msg_type === 'pong');
    },
    async badRequest() {
      s.send('this is not json');
      return s.nextJson((m) => isArray(m) && m[0]?.code === 400);
    },
    closed: () => s.closed.then((c) => c.code),
    close: () => s.close(),
  };
}

runConformance({
  exchange: 'coinceres',
  endpoint: 'market',
  channels: ['OKEX:BTC/USDT@trade', 'OKEX:BTC/USDT@depth10', 'HUOBI:ETH/USDT@tick', 'OKEX:BTC/USDT@candle@1m'],
  connect,
  async refusedWithBadAuth(hostUrl) {
    // Only the trading socket authenticates: a wrong sign refuses the upgrade.
    const { apiKey } = coinceres.demoCredentials;
    try {
      const s = await openSocket(`${hostUrl('trade')}?api_key=${apiKey}&sign=${handshakeSign(apiKey, 'not-the-secret')}`);
      s.close();
    } catch (err) {
      const status = (err as { status?: number }).status;
      if (status === 401) return { status };
      throw err;
    }
    throw new Error('a wrong sign was accepted');
  },
  badRequestCloses: false,
  idle: { timing: { idleTimeoutMs: 300 }, waitMs: 5000 },
  context: (base) => {
    const account = createTestAccount(TEST_INSTRUMENTS);
    return { ...base, account, trading: tradingFromDemo(account) };
  },
});
