import { describe, expect, it } from 'vitest';
import { coinceres } from '../../../exchanges/coinceres/index.js';
import { isTicktapeError } from '../../../core/errors.js';
import { TEST_INSTRUMENTS } from '../../helpers/test-feed.js';
import type { OutFrame } from '../../../exchanges/types.js';

const { client } = coinceres;
const enc = new TextEncoder();
const dataOf = (f: OutFrame | 'ws-ping') => (f === 'ws-ping' ? f : String(f.data));

describe('coinceres channels', () => {
  it('parses market channels into canonical stream keys', () => {
    expect(client.parseChannel('OKEX:BTC/USDT@tick')).toMatchObject({ key: 'OKEX:BTC/USDT:tick', kind: 'ticker', symbol: 'BTC/USDT', endpoint: 'market', private: false });
    expect(client.parseChannel('huobi:btc_usdt@trade')).toMatchObject({ key: 'HUOBI:BTC/USDT:trade', kind: 'trade', params: { venue: 'HUOBI' } });
    expect(client.parseChannel('OKEX:BTC/USDT@depth10')).toMatchObject({ key: 'OKEX:BTC/USDT:depth10', kind: 'book', params: { levels: 10 } });
    expect(client.parseChannel('OKEX:BTC/USDT@depth').key).toBe('OKEX:BTC/USDT:depth10');
    expect(client.parseChannel('OKEX:ETH/USDT@candle@5m')).toMatchObject({ key: 'OKEX:ETH/USDT:candle:5m', kind: 'kline', params: { interval: '5m', intervalMs: 300000 } });
  });

  it('parses the trading channel: venue, contracts for fills, poll period', () => {
    expect(client.parseChannel('trading')).toMatchObject({ key: 'trading', kind: 'trading', endpoint: 'trade', private: true, symbol: null, params: { venue: 'TEST', contracts: '', intervalMs: 10000 } });
    expect(client.parseChannel('trading@TEST:btc_usdt,ETH/USDT@5s').params).toEqual({ venue: 'TEST', contracts: 'BTC/USDT,ETH/USDT', intervalMs: 5000 });
  });

  it('refuses unknown channels with TT_UNKNOWN_CHANNEL and a hint', () => {
    for (const bad of ['BTC/USDT@trade', 'OKEX:BTC/USDT@book', 'OKEX:BTC/USDT@candle', 'OKEX:BTC/USDT@candle@2m', 'trading@100ms', 'trading@nonsense']) {
      let err: unknown;
      try {
        client.parseChannel(bad);
      } catch (e) {
        err = e;
      }
      expect(isTicktapeError(err) && err.code === 'TT_UNKNOWN_CHANNEL', bad).toBe(true);
    }
  });

  it('default and private channels parse, and channelHelp documents the trading poll', () => {
    const chans = [...coinceres.defaultChannels(TEST_INSTRUMENTS), ...coinceres.privateChannels(TEST_INSTRUMENTS)];
    expect(chans).toContain('OKEX:BTC/USDT@depth10');
    expect(chans).toContain('trading@TEST:BTC/USDT,ETH/USDT');
    expect(chans).toContain('notify');
    expect(coinceres.privateChannels([])).toEqual(['trading', 'notify']);
    expect(client.parseChannel(' NOTIFY ')).toEqual(client.parseChannel('notify'));
    for (const c of chans) expect(() => client.parseChannel(c)).not.toThrow();
    expect(client.channelHelp.join('\n')).toMatch(/request\/response.*\n.*poll/s);
  });

  it('plans market streams apart from the trading socket and the notification socket', () => {
    const specs = [...coinceres.defaultChannels(TEST_INSTRUMENTS), 'trading', 'notify'].map(client.parseChannel);
    const groups = client.planConnections(specs);
    expect(groups.map((g) => g[0].endpoint)).toEqual(['market', 'trade', 'notify']);
    expect(groups[0]).toHaveLength(8);
    expect(client.endpoints.notify).toMatchObject({ url: 'ws://open.coinceres.com:19003', simPath: '/coinceres/notify' });
  });
});

describe('coinceres market client session', () => {
  const streams = ['OKEX:BTC/USDT@tick', 'OKEX:BTC/USDT@candle@1m'].map(client.parseChannel);
  const s = client.createSession({ endpointUrl: 'ws://open.coinceres.com:18003', endpoint: 'market', streams, nowMs: () => 0 });

  it('subscribes with one JSON array in the documented element shape', () => {
    expect(s.url).toBe('ws://open.coinceres.com:18003');
    expect(s.safeUrl).toBe(s.url);
    expect(s.onOpen().map(dataOf)).toEqual(['[{"msg_type":"subscribe-tick","exchange":"OKEX","contract":"BTC/USDT"},{"msg_type":"subscribe-candle","exchange":"OKEX","contract":"BTC/USDT","duration":"1m"}]']);
  });

  it('pings with {"msg_type":"ping"} every 5 s', () => {
    expect(s.heartbeat?.intervalMs).toBe(5000);
    expect(dataOf(s.heartbeat!.frame())).toBe('{"msg_type":"ping"}');
  });

  it('reads acks (200/201 ok, 400/500 refused), the handshake, pongs and pushes', () => {
    const ack = s.onFrame(
      enc.encode('[{"msg_type":"subscribed-tick","exchange":"OKEX","contract":"BTC/USDT","code":201,"message":"repeated subscribe"},{"msg_type":"subscribed-trade","exchange":"OKEX","contract":"XXX/YYY","code":400,"message":"invalid contract"}]'),
      false,
    );
    expect(ack.acks).toEqual([
      { stream: 'OKEX:BTC/USDT:tick', ok: true },
      { stream: 'OKEX:XXX/YYY:trade', ok: false, reason: '400 invalid contract' },
    ]);
    expect(s.onFrame(enc.encode('{"info":"connection established"}'), false)).toMatchObject({ control: true, malformed: false, stream: '' });
    expect(s.onFrame(enc.encode('not json'), false)).toMatchObject({ malformed: true });
    expect(s.onFrame(enc.encode('{}'), true)).toMatchObject({ malformed: true });
  });

  it('subscribes and (ASSUMPTION) unsubscribes on the live connection', () => {
    const [trade] = ['OKEX:ETH/USDT@trade'].map(client.parseChannel);
    expect(s.subscribe([trade]).map(dataOf)).toEqual(['[{"msg_type":"subscribe-trade","exchange":"OKEX","contract":"ETH/USDT"}]']);
    expect(s.unsubscribe([trade]).map(dataOf)).toEqual(['[{"msg_type":"unsubscribe-trade","exchange":"OKEX","contract":"ETH/USDT"}]']);
  });
});

describe('coinceres trading client session', () => {
  const creds = { apiKey: 'bGppXpZqNrzVOptf', secret: 'bcBFnn3GbFz1cB73f5TkJa8P5gbrFdgt' };

  it('signs the URL; the stored URL keeps the api_key and drops the sign; the secret appears nowhere', () => {
    let now = 0;
    const s = client.createSession({ endpointUrl: 'ws://open.coinceres.com:19001', endpoint: 'trade', streams: [client.parseChannel('trading@TEST:BTC/USDT')], credentials: creds, nowMs: () => now });
    expect(s.url).toBe('ws://open.coinceres.com:19001?api_key=bGppXpZqNrzVOptf&sign=2bb24f69ca812c766a7bd73e3c2a331b55373a122bba8ede47ced0b4a07139c0');
    expect(s.safeUrl).toBe('ws://open.coinceres.com:19001?api_key=bGppXpZqNrzVOptf');
    const opened = s.onOpen().map(dataOf);
    expect(opened).toEqual(['ping', '{"biz_type":14}', '{"biz_type":15}', '{"biz_type":16}', '{"biz_type":17,"exchange":"TEST","contract":"BTC/USDT","count":50}']);
    for (const f of opened) expect(f).not.toContain(creds.secret);

    // The poll: one heartbeat tick per query plus one for the text ping, each period (10 s).
    const hb = s.heartbeat!;
    expect(hb.intervalMs).toBe(2000);
    const sent: string[] = [];
    for (let i = 1; i <= 10; i++) {
      now = i * hb.intervalMs;
      sent.push(dataOf(hb.frame()));
    }
    expect(sent).toEqual(['ping', 'ping', 'ping', 'ping', '{"biz_type":14}', '{"biz_type":15}', '{"biz_type":16}', '{"biz_type":17,"exchange":"TEST","contract":"BTC/USDT","count":50}', 'ping', '{"biz_type":14}']);
  });

  it('keeps pinging at least every 10 s during a long poll over many contracts', () => {
    let now = 0;
    const contracts = Array.from({ length: 10 }, (_, i) => `C${i}/USDT`).join(',');
    const s = client.createSession({ endpointUrl: 'ws://x/coinceres/trade', endpoint: 'trade', streams: [client.parseChannel(`trading@TEST:${contracts}@60s`)], credentials: creds, nowMs: () => now });
    s.onOpen();
    const hb = s.heartbeat!;
    expect(hb.intervalMs).toBe(Math.floor(60000 / 19)); // 13 queries + 6 pings per period
    let lastPing = 0;
    let maxGap = 0;
    let queries = 0;
    for (now = hb.intervalMs; now <= 600_000; now += hb.intervalMs) {
      const f = dataOf(hb.frame());
      if (f === 'ping') {
        maxGap = Math.max(maxGap, now - lastPing);
        lastPing = now;
      } else queries++;
    }
    expect(maxGap).toBeLessThanOrEqual(10_000 + hb.intervalMs);
    // ten periods after the first poll (sent on open): nine or ten more full polls
    expect(queries).toBeGreaterThanOrEqual(9 * 13);
    expect(queries).toBeLessThanOrEqual(10 * 13);
  });

  it('reports the session authenticated on the first answer, pong is control, errors carry no data', () => {
    const s = client.createSession({ endpointUrl: 'ws://127.0.0.1:1/coinceres/trade', endpoint: 'trade', streams: [client.parseChannel('trading')], credentials: creds, nowMs: () => 0 });
    expect(s.onFrame(enc.encode('pong'), false)).toEqual({ stream: '', malformed: false, control: true, auth: { ok: true }, acks: [{ stream: 'trading', ok: true }] });
    expect(s.onFrame(enc.encode('{"code":"200","data":[],"biz_type":14,"message":"SUCESS"}'), false)).toMatchObject({ stream: 'trading', control: false });
    expect(s.onFrame(enc.encode('{"code":"400","message":"parameter error"}'), false)).toMatchObject({ stream: 'trading', control: true });
  });

  it('needs credentials', () => {
    expect(() => client.createSession({ endpointUrl: 'ws://x', endpoint: 'trade', streams: [], nowMs: () => 0 })).toThrow(/TICKTAPE_COINCERES_API_KEY/);
  });
});
