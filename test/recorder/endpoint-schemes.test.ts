/**
 * Which URLs a recorder config may point an exchange at: WebSocket URLs for every exchange, and
 * for Coinsuper also MQTT over a byte stream — `tcp://` (as the exchange's demos write it),
 * `mqtt://` and `mqtts://` — with the transport chosen from the scheme. Anything else is refused
 * naming the field, before anything connects.
 */
import { describe, expect, it } from 'vitest';
import { quickConfig } from '../../recorder/config.js';
import { endpointUrl } from '../../recorder/group-plan.js';
import { byteStreamOf } from '../../recorder/connection.js';
import { EXCHANGES } from '../../exchanges/registry.js';

const coinsuper = (url: string) => quickConfig({ exchange: 'coinsuper', channels: ['BTC_USDT@depth'], url }, {});

describe('endpoint URL schemes', () => {
  it('Coinsuper takes tcp://, mqtt:// and mqtts:// (and ws://, wss://)', () => {
    for (const url of ['tcp://127.0.0.1:1883', 'mqtt://mqtt.coinsuper.com:1883', 'mqtts://localhost:8883', 'ws://127.0.0.1:9001/mqtt', 'wss://api-mqtt-premium.coinsuper.com:443/mqtt']) {
      const plan = coinsuper(url).exchanges[0];
      expect(endpointUrl(plan, EXCHANGES.coinsuper, 'mqtt')).toBe(url);
    }
    expect(byteStreamOf(EXCHANGES.coinsuper, 'tcp://h:1883')).toEqual({ tls: false });
    expect(byteStreamOf(EXCHANGES.coinsuper, 'mqtt://h:1883')).toEqual({ tls: false });
    expect(byteStreamOf(EXCHANGES.coinsuper, 'mqtts://h:8883')).toEqual({ tls: true });
    expect(byteStreamOf(EXCHANGES.coinsuper, 'wss://h/mqtt')).toBeNull();
  });

  it('a simulator or replay base URL in tcp:// form is the whole address (a byte stream has no paths)', () => {
    const plan = quickConfig({ exchange: 'coinsuper', channels: ['BTC_USDT@depth'] }, {}).exchanges[0];
    expect(endpointUrl({ ...plan, baseUrl: 'tcp://127.0.0.1:9002' }, EXCHANGES.coinsuper, 'mqtt')).toBe('tcp://127.0.0.1:9002');
    expect(endpointUrl({ ...plan, baseUrl: 'ws://127.0.0.1:9001' }, EXCHANGES.coinsuper, 'mqtt')).toBe('ws://127.0.0.1:9001/coinsuper/mqtt');
  });

  it('refuses a byte-stream scheme for an exchange that is WebSocket only, and unknown schemes, naming the field', () => {
    expect(() => quickConfig({ exchange: 'coinstore', channels: ['btcusdt@trade'], url: 'tcp://127.0.0.1:1883' }, {})).toThrow(/exchanges\[0\]\.url: .*tcp:\/\/.*coinstore/);
    expect(() => coinsuper('ftp://127.0.0.1/x')).toThrow(expect.objectContaining({ code: 'TT_CONFIG_INVALID' }));
  });
});
