/**
 * The trade-notification socket (B): the handshake check (2019 sign and the later timestamped one),
 * text ping → pong, the idle timeout, order notices pushed on the simulator's demo-account changes
 * in the document's shapes, the client side against the server side over real sockets, and the
 * replay of recorded notices byte for byte.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coinceres } from '../../../exchanges/coinceres/index.js';
import { readNotifyFrame } from '../../../exchanges/coinceres/client-notify.js';
import { NOTIFY_FIXTURES } from '../../../exchanges/coinceres/fixtures/notify.js';
import { REST_DOC_CREDENTIALS } from '../../../exchanges/coinceres/fixtures/sign.js';
import { ENTRUST_STATUS_CODES } from '../../../exchanges/coinceres/protocol.js';
import { handshakeSign } from '../../../exchanges/coinceres/sign.js';
import { formatWallTime } from '../../../exchanges/coinceres/time.js';
import type { OrderEvent } from '../../../exchanges/market.js';
import type { FrameInfo, OutFrame, ServerContext, SessionLink } from '../../../exchanges/types.js';
import type { NormalizedRow, OrderRow } from '../../../schemas/rows.js';
import { startSimulator, type Simulator } from '../../../simulator/server.js';
import { hostCoinceres } from './host.js';
import { openSocket, type TestSocket } from './ws-client.js';

const enc = new TextEncoder();
const { apiKey, secret } = coinceres.demoCredentials;
const ORIGIN_MS = Date.UTC(2026, 0, 2, 3, 4, 5);
const NOTICE_KEYS = ['product', 'exchange', 'contract', 'entrustId', 'avgDealPrice', 'entrustTime', 'entrustStatus', 'entrustDir', 'entrustType', 'lever', 'entrustPrice', 'entrustVol', 'dealVol', 'totalDealVol', 'messageType'];
const DOC_NOTICE = NOTIFY_FIXTURES.find((f) => f.name.startsWith('order notice, messageType 1'))!.raw;

async function refusal(url: string): Promise<number> {
  try {
    const s = await openSocket(url);
    s.close();
  } catch (err) {
    return (err as { status?: number }).status ?? -1;
  }
  throw new Error('the upgrade was accepted');
}

const isNotice = (t: string) => t.startsWith('{');

describe('coinceres notification socket: handshake, heartbeat, idle timeout', () => {
  it('refuses a bad, missing or mis-timestamped sign and an unknown key with 401; accepts both documented forms', async () => {
    const { host } = await hostCoinceres();
    try {
      const base = host.url('coinceres', 'notify');
      expect(base).toMatch(/\/coinceres\/notify$/);
      expect(await refusal(`${base}?api_key=${apiKey}&sign=${handshakeSign(apiKey, 'wrong-secret')}`)).toBe(401);
      expect(await refusal(`${base}?api_key=${apiKey}`)).toBe(401);
      expect(await refusal(base)).toBe(401);
      expect(await refusal(`${base}?api_key=${REST_DOC_CREDENTIALS.apiKey}&sign=${handshakeSign(REST_DOC_CREDENTIALS.apiKey, REST_DOC_CREDENTIALS.secret)}`)).toBe(401);
      // the timestamp is part of the signed string: a sign without it, or another timestamp, fails
      expect(await refusal(`${base}?api_key=${apiKey}&timestamp=1568602940731&sign=${handshakeSign(apiKey, secret)}`)).toBe(401);
      expect(await refusal(`${base}?api_key=${apiKey}&timestamp=1568602940732&sign=${handshakeSign(apiKey, secret, '1568602940731')}`)).toBe(401);
      expect(await refusal(`${base}?api_key=${apiKey}&timestamp=soon&sign=${handshakeSign(apiKey, secret, 'soon')}`)).toBe(401);

      // 2019 (port 19003): sha256("api_key=<k>&secret=<s>"), the documented demo sign
      const a = await openSocket(`${base}?api_key=bGppXpZqNrzVOptf&sign=2bb24f69ca812c766a7bd73e3c2a331b55373a122bba8ede47ced0b4a07139c0`);
      // LMT: sha256("api_key=<k>&timestamp=<ms>&secret=<s>")
      const sign = handshakeSign(apiKey, secret, '1568602940731');
      expect(sign).toBe(handshakeSign(apiKey, secret, '1568602940731'));
      const b = await openSocket(`${base}?api_key=${apiKey}&timestamp=1568602940731&sign=${sign}`);
      a.close();
      b.close();
    } finally {
      await host.close();
    }
  });

  it('answers text ping with text pong, leaves anything else unanswered, and closes a socket whose pings stopped', async () => {
    const { host } = await hostCoinceres({ account: false, timing: { idleTimeoutMs: 400 } });
    try {
      const url = `${host.url('coinceres', 'notify')}?api_key=${apiKey}&sign=${handshakeSign(apiKey, secret)}`;
      const alive = await openSocket(url);
      const idle = await openSocket(url);
      alive.send('{"biz_type":14}');
      alive.send('hello');
      alive.send('ping');
      // the first thing back is the pong: the other two were not answered (the test feed's fake
      // order events come on this stream too, so only text frames are looked at)
      expect(await alive.next((t) => !isNotice(t))).toBe('pong');
      const timer = setInterval(() => alive.send('ping'), 100);
      const closed = await idle.closed;
      expect(closed).toEqual({ code: 1000, reason: 'idle timeout: no ping received' });
      expect(alive.ws.readyState).toBe(alive.ws.OPEN);
      clearInterval(timer);
      expect((await alive.closed).code).toBe(1000);
    } finally {
      await host.close();
    }
  });
});

describe('coinceres notification socket on the simulator: order notices', () => {
  let sim: Simulator;
  let s: TestSocket;
  beforeAll(async () => {
    sim = await startSimulator({ port: 0, rate: 0, seed: 5, autoTrade: false, originMs: ORIGIN_MS, symbols: ['BTC-USDT', 'ETH-USDT'] });
    sim.step(50);
    s = await openSocket(`${sim.url('coinceres', 'notify')}?api_key=${apiKey}&sign=${handshakeSign(apiKey, secret)}`);
    // the session subscribes its stream as it opens; a ping round trip makes sure it is in place
    s.send('ping');
    expect(await s.next()).toBe('pong');
  });
  afterAll(async () => {
    s?.close();
    await sim?.close();
  });

  const book = () => sim.market.book(sim.market.instruments[0]);

  it('a resting limit order: one SUBMITTED notice, exactly as the document shapes it', async () => {
    const inst = sim.market.instruments[0];
    const bid = Number(book().bids[0][0]);
    const price = (bid * 0.9).toFixed(inst.priceDecimals);
    const r = sim.market.account.placeOrder({ inst, side: 'buy', orderType: 'limit', price, amount: '0.01', clientOrderId: 'n1' });
    expect(r.ok).toBe(true);
    const o = (r as { order: OrderEvent }).order;
    const text = await s.next(isNotice);
    expect(Object.keys(JSON.parse(text))).toEqual(NOTICE_KEYS);
    expect(Object.keys(JSON.parse(text))).toEqual(Object.keys(JSON.parse(DOC_NOTICE)));
    expect(text).toBe(
      `{"product":"test-demo","exchange":"TEST","contract":"BTC/USDT","entrustId":"${o.orderId}","avgDealPrice":"${o.avgPrice}","entrustTime":"${formatWallTime(o.createdMs)}",` +
        `"entrustStatus":"SUBMITTED","entrustDir":"BUY","entrustType":"LIMIT","lever":"null","entrustPrice":"${price}","entrustVol":"0.0100","dealVol":"0","totalDealVol":"null","messageType":"1"}`,
    );
    expect(formatWallTime(o.createdMs)).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);

    // cancelled before any fill: CANCELED
    expect(sim.market.account.cancelOrder(o.orderId).ok).toBe(true);
    const cancelled = JSON.parse(await s.next(isNotice));
    expect(cancelled).toMatchObject({ entrustId: o.orderId, entrustStatus: 'CANCELED', dealVol: '0', totalDealVol: 'null', messageType: '1' });
  });

  it('a market sell: SUBMITTED, then a notice per fill whose dealVol adds up to totalDealVol, ending FILLED', async () => {
    const inst = sim.market.instruments[0];
    const r = sim.market.account.placeOrder({ inst, side: 'sell', orderType: 'market', amount: '0.05' });
    expect(r.ok).toBe(true);
    const id = (r as { order: OrderEvent }).order.orderId;
    const notices: Array<Record<string, string>> = [];
    for (;;) {
      const n = JSON.parse(await s.next(isNotice));
      expect(n.entrustId).toBe(id);
      notices.push(n);
      if (n.entrustStatus === 'FILLED' || n.entrustStatus === 'PART_CANCELED') break;
    }
    expect(notices[0]).toMatchObject({ entrustStatus: 'SUBMITTED', entrustDir: 'SELL', entrustType: 'MARKET', entrustPrice: '0', totalDealVol: 'null' });
    const fills = notices.slice(1);
    expect(fills.length).toBeGreaterThan(0);
    expect(fills.at(-1)!.entrustStatus).toBe('FILLED');
    const dealt = fills.reduce((sum, n) => sum + Number(n.dealVol), 0);
    expect(dealt.toFixed(4)).toBe(fills.at(-1)!.totalDealVol);
    expect(fills.at(-1)!.totalDealVol).toBe('0.0500');
    expect(Number(fills.at(-1)!.avgDealPrice)).toBeGreaterThan(0);
    for (const n of notices) {
      expect(Object.keys(n)).toEqual(NOTICE_KEYS);
      expect(Object.values(n).every((v) => typeof v === 'string')).toBe(true);
      expect(ENTRUST_STATUS_CODES[n.entrustStatus]).toBeDefined();
    }
  });
});

describe('coinceres notification client side against the server side', () => {
  it('connects with the signed URL, pings on the SDK schedule, reads notices as the notify stream, and they normalize to orders', async () => {
    const sim = await startSimulator({ port: 0, rate: 0, seed: 6, autoTrade: false, originMs: ORIGIN_MS, symbols: ['BTC-USDT'] });
    sim.step(50);
    const [spec] = coinceres
      .privateChannels(sim.market.instruments)
      .filter((c) => c === 'notify')
      .map(coinceres.client.parseChannel);
    expect(spec).toMatchObject({ key: 'notify', kind: 'order', endpoint: 'notify', private: true, symbol: null });
    expect(coinceres.client.planConnections([spec, spec])).toEqual([[spec]]);
    const session = coinceres.client.createSession({ endpointUrl: sim.url('coinceres', 'notify'), endpoint: 'notify', streams: [spec], credentials: coinceres.demoCredentials, nowMs: () => 0 });
    expect(session.url).toContain(`sign=${handshakeSign(apiKey, secret)}`);
    expect(session.safeUrl).toBe(`${sim.url('coinceres', 'notify')}?api_key=${apiKey}`);
    expect(session.onOpen()).toEqual([]);
    expect(session.heartbeat!.intervalMs).toBe(5_000);

    const WebSocket = (await import('ws')).default;
    const ws = new WebSocket(session.url);
    const infos: Array<{ info: FrameInfo; raw: string }> = [];
    const rows: NormalizedRow[] = [];
    const normalizer = coinceres.createNormalizer();
    let wake: (() => void) | null = null;
    ws.on('message', (data: Buffer, binary: boolean) => {
      const info = session.onFrame(new Uint8Array(data), binary);
      infos.push({ info, raw: data.toString() });
      rows.push(...normalizer.normalize({ payload: new Uint8Array(data), kind: binary ? 'binary' : 'text', stream: info.stream, endpoint: 'notify', recvNs: 1n }));
      wake?.();
    });
    const until = (ok: () => boolean) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out; got ${JSON.stringify(infos.map((i) => i.raw))}`)), 5_000);
        const check = () => {
          if (!ok()) return;
          clearTimeout(timer);
          wake = null;
          resolve();
        };
        wake = check;
        check();
      });
    let pongs = 0;
    ws.on('pong', () => {
      pongs += 1;
      wake?.();
    });
    try {
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      // the heartbeat ticks every 5 s: text ping at 5 s, WebSocket ping at 10 s, text ping at 15 s…
      const beats = Array.from({ length: 4 }, () => session.heartbeat!.frame());
      expect(beats.map((b) => (b === 'ws-ping' ? 'ws-ping' : (b as OutFrame).data))).toEqual(['ping', 'ws-ping', 'ping', 'ws-ping']);
      ws.send('ping');
      ws.ping();
      await until(() => infos.length >= 1 && pongs >= 1);
      expect(infos[0]).toEqual({ raw: 'pong', info: { stream: '', malformed: false, control: true, auth: { ok: true }, acks: [{ stream: 'notify', ok: true }] } });

      const inst = sim.market.instruments[0];
      const price = (Number(sim.market.book(inst).bids[0][0]) * 0.8).toFixed(inst.priceDecimals);
      const r = sim.market.account.placeOrder({ inst, side: 'buy', orderType: 'limit', price, amount: '0.02' });
      const id = (r as { order: OrderEvent }).order.orderId;
      sim.market.account.cancelOrder(id);
      await until(() => rows.length >= 2);
      expect(infos.slice(1).map((i) => i.info)).toEqual([
        { stream: 'notify', malformed: false, control: false, exchangeTsMs: null },
        { stream: 'notify', malformed: false, control: false, exchangeTsMs: null },
      ]);
      const o = (r as { order: OrderEvent }).order;
      const row: OrderRow = {
        table: 'orders',
        symbol: 'BTC/USDT',
        exchange_ts_ms: Math.floor(o.createdMs / 1000) * 1000,
        order_id: id,
        client_order_id: null,
        side: 'buy',
        order_type: 'limit',
        status: 'reported',
        price,
        amount: '0.0200',
        filled_amount: null,
        avg_price: o.avgPrice,
      };
      expect(rows).toEqual([row, { ...row, status: 'cancelled' }]);
    } finally {
      ws.terminate();
      await sim.close();
    }
  });
});

describe('coinceres notification replay and robustness', () => {
  function fakeLink(sent: Array<string | Uint8Array>, subscribed: string[], closes: string[] = []): SessionLink {
    return {
      url: new URL('ws://x/coinceres/notify'),
      send: (d) => sent.push(d),
      ping() {},
      close: (code, reason) => closes.push(`${code} ${reason}`),
      subscribe: (spec) => {
        subscribed.push(spec.key);
        return { ok: true };
      },
      unsubscribe() {},
      bufferedAmount: () => 0,
      claim() {},
      maxMessageBytes: 1 << 20,
      cork: (fn) => fn(),
      sendWith: () => undefined,
    };
  }
  const ctx: ServerContext = { instruments: [], credentials: [], nowMs: () => 0, timing: { idleTimeoutMs: 0 }, random: Math.random };

  it('subscribes the notify stream on connect and sends recorded notices byte for byte', () => {
    const sent: Array<string | Uint8Array> = [];
    const subscribed: string[] = [];
    const session = coinceres.server.createSession('notify', fakeLink(sent, subscribed), ctx);
    expect(subscribed).toEqual(['notify']);
    const spec = coinceres.client.parseChannel('notify');
    for (const f of NOTIFY_FIXTURES.filter((x) => x.direction === 'in' && x.raw.startsWith('{'))) {
      const payload = enc.encode(f.raw);
      session.deliver(spec, { type: 'recorded', payload, binary: false, recvNs: 1n });
      expect(sent.at(-1)).toBe(payload);
    }
    expect(sent).toHaveLength(3);
    session.onClose();
    session.deliver(spec, { type: 'recorded', payload: enc.encode(DOC_NOTICE), binary: false, recvNs: 2n });
    expect(sent).toHaveLength(3);
  });

  it('the session takes any bytes without throwing or closing, and answers only ping', () => {
    const sent: Array<string | Uint8Array> = [];
    const closes: string[] = [];
    const session = coinceres.server.createSession('notify', fakeLink(sent, [], closes), ctx);
    const inputs = ['', ' ping ', 'PING', '{"biz_type":14}', '[1,2', DOC_NOTICE, '\u0000'];
    for (const t of inputs) session.onMessage(enc.encode(t), false);
    session.onMessage(new Uint8Array([0xff, 0xfe]), false);
    session.onMessage(enc.encode('ping'), true);
    expect(sent).toEqual(['pong']);
    expect(closes).toEqual([]);
    session.onClose();
  });

  it('the reader flags what is no notice: binary and unreadable frames malformed, other JSON control', () => {
    expect(readNotifyFrame(enc.encode('pong'), true)).toMatchObject({ malformed: true });
    expect(readNotifyFrame(new Uint8Array([0xff]), false)).toMatchObject({ malformed: true });
    expect(readNotifyFrame(enc.encode('[1]'), false)).toMatchObject({ malformed: true });
    expect(readNotifyFrame(enc.encode('{"messageType":"3"}'), false)).toEqual({ stream: '', malformed: false, control: true });
    expect(readNotifyFrame(enc.encode('{"messageType":2}'), false)).toMatchObject({ stream: 'notify', control: false });
  });

  it('without credentials the client refuses to build a session, naming the variables to set', () => {
    expect(() => coinceres.client.createSession({ endpointUrl: 'ws://x/coinceres/notify', endpoint: 'notify', streams: [coinceres.client.parseChannel('notify')], nowMs: () => 0 })).toThrow(/TICKTAPE_COINCERES_API_KEY/);
  });
});
