/** Channel syntax ↔ MQTT topics, and how streams are grouped into connections. */
import { describe, expect, it } from 'vitest';
import { coinsuper } from '../../../exchanges/coinsuper/index.js';
import { topicToSpec } from '../../../exchanges/coinsuper/topics.js';
import { isTicktapeError } from '../../../core/errors.js';
import { fixture } from './fixtures.js';

interface Topics {
  cases: Array<{ channel: string; topic: string; kind: string }>;
  invalid: string[];
}
const t = fixture<Topics>('topics');
const client = coinsuper.client;

describe('coinsuper channels', () => {
  for (const c of t.cases) {
    it(`${c.channel} → ${c.topic}`, () => {
      const s = client.parseChannel(c.channel);
      expect(s.key).toBe(c.topic);
      expect(s.kind).toBe(c.kind);
      expect(s.endpoint).toBe('mqtt');
      // the topic itself parses to the same stream: client, server and data agree on the key
      expect(topicToSpec(c.topic)).toEqual(s);
    });
  }

  it('rejects what is not a Coinsuper channel with TT_UNKNOWN_CHANNEL', () => {
    for (const bad of t.invalid) {
      let err: unknown;
      try {
        client.parseChannel(bad);
      } catch (e) {
        err = e;
      }
      expect(isTicktapeError(err) && err.code === 'TT_UNKNOWN_CHANNEL', bad).toBe(true);
    }
  });

  it('carries the stream parameters the simulator and the normalizer read', () => {
    expect(client.parseChannel('BTC_USD@kline@5m')).toMatchObject({ symbol: 'BTC_USD', private: false, params: { intervalMs: 300000, interval: '300000' } });
    expect(client.parseChannel('BTC_USD@orderBook@0.1')).toMatchObject({ params: { levels: 15, step: '0.1' } });
    expect(client.parseChannel('asset@demouser@demo.domain')).toMatchObject({ symbol: null, private: true, kind: 'account' });
  });

  it('plans one connection per public topic and one for all private topics', () => {
    const streams = ['BTC_USD@depth', 'BTC_USD@tickers', 'asset@demouser@demo.domain', 'BTC_USD@depth', 'trade@demouser@demo.domain'].map(client.parseChannel);
    const plan = client.planConnections(streams);
    expect(plan.map((g) => g.map((s) => s.kind))).toEqual([['depth_chart'], ['trade_window'], ['account', 'fill']]);
  });

  it('default and private channels parse', () => {
    const inst = [{ base: 'BTC', quote: 'USD', id: 1, priceDecimals: 2, amountDecimals: 4 }];
    const keys = [...coinsuper.defaultChannels(inst), ...coinsuper.privateChannels(inst)].map((c) => client.parseChannel(c).key);
    expect(keys).toContain('exchange_ha_prod_hk/api/ws/v1/market/orderBook/BTC_USD/0.01');
    expect(keys).toContain('exchange_ha_prod_hk/ws/personal/v1/order/change/demouser@demo.domain');
    expect(client.channelHelp.length).toBeGreaterThanOrEqual(7);
  });
});
