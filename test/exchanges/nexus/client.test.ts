import { describe, expect, it } from 'vitest';
import { isTicktapeError } from '../../../core/errors.js';
import { createNexusModule, DEMO_TOKEN, nexus } from '../../../exchanges/nexus/index.js';
import { PING_INTERVAL_MS } from '../../../exchanges/nexus/client.js';
import type { ClientSession, StreamSpec } from '../../../exchanges/types.js';
import { judgeFrame, newCursor } from '../../../recorder/handoff.js';
import { loadFixtures, loadRequests } from './fixtures.js';

const enc = (s: string) => new TextEncoder().encode(s);
const parse = (c: string) => nexus.client.parseChannel(c);

function session(channels: string[], nowMs = () => 1_639_121_062_583, credentials: Record<string, string> | null = { token: DEMO_TOKEN }): ClientSession {
  return nexus.client.createSession({
    endpointUrl: nexus.client.endpoints.realtime.url,
    endpoint: 'realtime',
    streams: channels.map(parse),
    credentials: credentials ?? undefined,
    nowMs,
  });
}

function thrownCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isTicktapeError(err) ? err.code : 'not a TicktapeError';
  }
  return undefined;
}

describe('nexus channels', () => {
  it('parses the documented channel syntax into stream specs', () => {
    expect(parse('BTCUSDT@depth@5')).toMatchObject({ key: 'API_MARKETDEPTH:BTCUSDT:5', kind: 'book', symbol: 'BTCUSDT', private: true, params: { levels: 5 } });
    expect(parse('btcusdt@depth').key).toBe('API_MARKETDEPTH:BTCUSDT:5');
    expect(parse('ETHUSDT@depth@20').key).toBe('API_MARKETDEPTH:ETHUSDT:20');
    expect(parse('orders')).toMatchObject({ key: 'API_ORDER', kind: 'order', symbol: null, private: true });
    expect(parse('positions@A')).toMatchObject({ key: 'API_RISK_POSITION:A:ALL', kind: 'position', symbol: null, private: true, params: { book: 'A', symbol: 'ALL' } });
    expect(parse('positions@A@BTCUSDT')).toMatchObject({ key: 'API_RISK_POSITION:A:BTCUSDT', symbol: 'BTCUSDT' });
    expect(parse('positions@A@all').key).toBe('API_RISK_POSITION:A:ALL');
  });

  it('marks every stream private: no Nexus socket opens without the login token', () => {
    for (const ch of ['BTCUSDT@depth@5', 'orders', 'positions@A', 'API_QUOTE:BTCUSDT', 'API_AGGREGATED_QUOTE:BTCUSDT']) expect(parse(ch).private, ch).toBe(true);
  });

  it('accepts its own stream keys as channels (round trip)', () => {
    for (const key of ['API_MARKETDEPTH:BTCUSDT:5', 'API_ORDER', 'API_RISK_POSITION:A:ALL', 'API_RISK_POSITION:B:ETHUSDT', 'API_QUOTE:BTCUSDT', 'API_AGGREGATED_QUOTE:BTCUSDT']) {
      expect(parse(key).key).toBe(key);
    }
  });

  it('refuses unknown channels with TT_UNKNOWN_CHANNEL', () => {
    for (const bad of ['BTCUSDT@trade', 'BTCUSDT@depth@0', 'BTCUSDT@depth@51', 'BTCUSDT@depth@x', 'positions', 'positions@', 'positions@A@B@C', 'B/TC@depth', 'API_MARKETDEPTH:BTCUSDT', 'API_FOO:X', '']) {
      expect(
        thrownCode(() => parse(bad)),
        bad,
      ).toBe('TT_UNKNOWN_CHANNEL');
    }
  });

  it('documents every channel pattern', () => {
    const help = nexus.client.channelHelp.join('\n');
    for (const word of ['@depth', 'orders', 'positions@<book>', 'API_MARKETDEPTH', 'API_ORDER', 'API_RISK_POSITION']) expect(help).toContain(word);
  });

  it('default and private channels parse', () => {
    const insts = [
      { base: 'BTC', quote: 'USDT', id: 4, priceDecimals: 2, amountDecimals: 4 },
      { base: 'eth', quote: 'usdt', id: 5, priceDecimals: 2, amountDecimals: 4 },
    ];
    expect(nexus.defaultChannels(insts)).toEqual(['BTCUSDT@depth@5', 'ETHUSDT@depth@5']);
    expect(nexus.privateChannels(insts).map((c) => parse(c).key)).toEqual(['API_ORDER', 'API_RISK_POSITION:A:ALL']);
  });

  it('plans one depth per symbol per connection', () => {
    const streams = ['BTCUSDT@depth@5', 'BTCUSDT@depth@20', 'ETHUSDT@depth@5', 'orders', 'BTCUSDT@depth@5'].map(parse);
    const groups = nexus.client.planConnections(streams);
    expect(groups.map((g) => g.map((s) => s.key))).toEqual([['API_MARKETDEPTH:BTCUSDT:5', 'API_MARKETDEPTH:ETHUSDT:5', 'API_ORDER'], ['API_MARKETDEPTH:BTCUSDT:20']]);
  });
});

describe('nexus client session', () => {
  it('puts the token in the URL query and stores the URL with it redacted', () => {
    const s = session(['BTCUSDT@depth@5']);
    expect(s.url).toBe(`wss://demo.go-nexus.io/api/realtime?X-API-TOKEN=${DEMO_TOKEN}`);
    expect(s.safeUrl).toBe('wss://demo.go-nexus.io/api/realtime?X-API-TOKEN=REDACTED');
    expect(s.safeUrl).not.toContain(DEMO_TOKEN);
    expect(s.protocols).toBeUndefined();
  });

  it('needs a token for every connection', () => {
    expect(thrownCode(() => session(['BTCUSDT@depth@5'], undefined, null))).toBe('TT_CREDENTIALS_MISSING');
    expect(thrownCode(() => session(['BTCUSDT@depth@5'], undefined, {}))).toBe('TT_CREDENTIALS_MISSING');
  });

  it('sends the subscriptions of WsDemo.java byte for byte (ids aside)', () => {
    const demo = loadRequests().filter((r) => r.source === 'nexus_WsDemo.java');
    const s = session(['BTCUSDT@depth@5', 'orders', 'positions@A']);
    const sent = s.onOpen().map((f) => String(f.data));
    const unsub = s.unsubscribe([parse('BTCUSDT@depth@5')]).map((f) => String(f.data));
    const withIdOf = (ours: string, theirs: string) => ours.replace(/"id":"\d+"/, /"id":"\d+"/.exec(theirs)![0]);
    const ourTexts = [...sent, ...unsub];
    expect(ourTexts).toHaveLength(demo.length);
    ourTexts.forEach((t, i) => expect(withIdOf(t, demo[i].text)).toBe(demo[i].text));
    expect(s.onOpen().map((f) => f.stream)).toEqual(['API_MARKETDEPTH:BTCUSDT:5', 'API_ORDER', 'API_RISK_POSITION:A:ALL']);
  });

  it('sends the documented request objects (seed and English doc) for each channel', () => {
    const docs = loadRequests()
      .filter((r) => r.source !== 'nexus_WsDemo.java')
      .map((r) => JSON.parse(r.text) as Record<string, unknown>);
    const s = session([]);
    const ours = [...s.subscribe(['BTCUSDT@depth@5', 'orders', 'positions@A@BTCUSDT'].map(parse)), s.heartbeat!.frame() as { data: string }].map((f) => JSON.parse(String(f.data)) as Record<string, unknown>);
    for (const doc of docs) {
      const match = ours.find((o) => o.action === doc.action && o.event === doc.event);
      expect(match, JSON.stringify(doc)).toBeDefined();
      expect({ ...match, id: doc.id }).toEqual(doc);
    }
  });

  it('sends a PING every minute by default, configurable', () => {
    const s = session([]);
    expect(s.heartbeat!.intervalMs).toBe(PING_INTERVAL_MS);
    expect(PING_INTERVAL_MS).toBe(60_000);
    const f = s.heartbeat!.frame();
    expect(f).not.toBe('ws-ping');
    expect(JSON.parse(String((f as { data: string }).data))).toEqual({ id: '1639121062583', action: 'PING', event: '' });
    const custom = createNexusModule({ pingIntervalMs: 5_000 }).client.createSession({
      endpointUrl: 'ws://127.0.0.1:1/nexus/api/realtime',
      endpoint: 'realtime',
      streams: [],
      credentials: { token: 't' },
      nowMs: () => 0,
    });
    expect(custom.heartbeat!.intervalMs).toBe(5_000);
  });

  it('gives every request a distinct, increasing id even within one millisecond', () => {
    const s = session(['BTCUSDT@depth@5', 'ETHUSDT@depth@5', 'orders'], () => 1000);
    const ids = s.onOpen().map((f) => (JSON.parse(String(f.data)) as { id: string }).id);
    expect(ids).toEqual(['1000', '1001', '1002']);
  });

  it('routes every fixture push to the stream key of its subscription', () => {
    for (const f of loadFixtures()) {
      const s = session([f.stream]);
      s.onOpen();
      const info = s.onFrame(enc(f.payload), false);
      expect(info, f.name).toMatchObject({ stream: f.stream, malformed: false, control: false });
    }
  });

  it('derives the depth key from the subscription, not from the level count', () => {
    const f = loadFixtures().find((x) => x.name === 'seed003_marketdepth')!; // 1 + 1 levels
    const s = session(['BTCUSDT@depth@20']);
    s.onOpen();
    expect(s.onFrame(enc(f.payload), false)).toMatchObject({ stream: 'API_MARKETDEPTH:BTCUSDT:20' });
    // without a subscription for the symbol, the key falls back to what the frame carries
    expect(session([]).onFrame(enc(f.payload), false).stream).toBe('API_MARKETDEPTH:BTCUSDT:1');
  });

  it('a book of older quotes or the cancel of an older order, on another connection, is no repeat', () => {
    // The recorder tells a repeat at a reconnect by the time that orders a stream's frames. Nexus
    // frames carry none: depth levels hold their providers' quote times and orders their own
    // creation and fill times, so a frame pushed later can carry only older times.
    const fx = loadFixtures();
    const book = fx.find((x) => x.name === 'en_marketdepth')!.payload;
    const olderQuotes = book.replace(/"time": "(\d+)"/g, (_, t: string) => `"time": "${Number(t) - 900}"`);
    const fill = fx.find((x) => x.name === 'en_order')!.payload;
    const cancel = fill
      .replace(/"status": "EXECUTED"/g, '"status": "CANCELLED"')
      .replace(/"executeTime": "\d+"/g, '"executeTime": "0"')
      .replace(/"orderTime": "(\d+)"/g, (_, t: string) => `"orderTime": "${Number(t) - 60_000}"`)
      .replace(/1513108459447745045/g, '1513108459447745001');
    expect(olderQuotes).not.toBe(book);
    expect(cancel).not.toBe(fill);
    for (const [first, later] of [
      [book, olderQuotes],
      [fill, cancel],
    ]) {
      const a = session(['BTCUSDT@depth@5', 'orders']);
      const b = session(['BTCUSDT@depth@5', 'orders']);
      a.onOpen();
      b.onOpen();
      const cursor = newCursor();
      const judge = (s: ClientSession, payload: string, connId: string, recvNs: bigint) => {
        const info = s.onFrame(enc(payload), false);
        expect(info.malformed).toBe(false);
        return judgeFrame(cursor, connId, { seqMin: null, seqMax: null, tsMs: info.exchangeTsMs ?? null, recvNs });
      };
      expect(judge(a, first, 'c1', 1n)).not.toBe(true);
      expect(judge(b, later, 'c2', 2n)).not.toBe(true);
    }
  });

  it('routes risk positions to the exact subscription first, then to ALL of the book', () => {
    const payload = loadFixtures().find((x) => x.name === 'en_risk_position')!.payload;
    const both = session(['positions@A', 'positions@A@BTCUSDT']);
    both.onOpen();
    expect(both.onFrame(enc(payload), false).stream).toBe('API_RISK_POSITION:A:BTCUSDT');
    const all = session(['positions@A', 'positions@B@BTCUSDT']);
    all.onOpen();
    expect(all.onFrame(enc(payload), false).stream).toBe('API_RISK_POSITION:A:ALL');
  });

  it('turns an error reply into a refused subscription of the request it names', () => {
    const s = session(['BTCUSDT@depth@5'], () => 42);
    s.onOpen();
    const reply = '{"id":"42","data":null,"result":"INVALID_DATA","type":"API","message":"unknown symbol BTCUSDT"}';
    expect(s.onFrame(enc(reply), false)).toEqual({
      stream: 'API_MARKETDEPTH:BTCUSDT:5',
      malformed: false,
      control: true,
      acks: [{ stream: 'API_MARKETDEPTH:BTCUSDT:5', ok: false, reason: 'INVALID_DATA: unknown symbol BTCUSDT' }],
    });
    // the same reply again, or one without an id, names no request
    expect(s.onFrame(enc(reply), false)).toEqual({ stream: '', malformed: false, control: true });
    expect(s.onFrame(enc('{"data":null,"result":"INVALID_REQUEST","type":"API"}'), false)).toEqual({ stream: '', malformed: false, control: true });
  });

  it('reads the REST error envelope of the server side, with the request id inside data.data', () => {
    const s = session(['BTCUSDT@depth@5'], () => 43);
    s.onOpen();
    const reply = '{"data":{"data":{"symbol":"INVALID","id":"43"},"type":"VALIDATION"},"result":"INVALID_DATA","type":"API"}';
    expect(s.onFrame(enc(reply), false)).toEqual({
      stream: 'API_MARKETDEPTH:BTCUSDT:5',
      malformed: false,
      control: true,
      acks: [{ stream: 'API_MARKETDEPTH:BTCUSDT:5', ok: false, reason: 'INVALID_DATA: symbol INVALID' }],
    });
  });

  it('flags malformed frames and treats unknown messages as control', () => {
    const s = session(['BTCUSDT@depth@5']);
    expect(s.onFrame(enc('{"event":"API_MARKETDEPTH","data":'), false)).toEqual({ stream: '', malformed: true, control: false });
    expect(s.onFrame(enc('[]'), false)).toEqual({ stream: '', malformed: true, control: false });
    expect(s.onFrame(enc('{"event":"API_MARKETDEPTH","data":{"asks":[]}}'), false)).toEqual({ stream: '', malformed: true, control: false });
    expect(s.onFrame(new Uint8Array([1, 2, 3]), true)).toEqual({ stream: '', malformed: true, control: false });
    expect(s.onFrame(enc('pong'), false)).toEqual({ stream: '', malformed: false, control: true });
    expect(s.onFrame(enc('{"event":"SOMETHING_NEW","data":{}}'), false)).toEqual({ stream: '', malformed: false, control: true });
  });

  it('speaks the BTHub text commands for API_QUOTE streams', () => {
    const s = session(['API_QUOTE:BTCUSDT', 'API_AGGREGATED_QUOTE:BTCUSDT']);
    expect(s.onOpen().map((f) => f.data)).toEqual(['subscribe:apiQuote:BTCUSDT', 'subscribe:apiAggregatedQuote:BTCUSDT']);
    expect(s.unsubscribe([parse('API_QUOTE:BTCUSDT')]).map((f) => f.data)).toEqual(['unsubscribe:apiQuote:BTCUSDT']);
  });

  it('refuses streams that are not Nexus streams', () => {
    const foreign: StreamSpec = { key: 'btcusdt@trade', kind: 'trade', symbol: 'btcusdt', endpoint: 'realtime', private: false, params: {}, quietMs: 1000 };
    expect(thrownCode(() => session([]).subscribe([foreign]))).toBe('TT_UNKNOWN_CHANNEL');
  });
});
