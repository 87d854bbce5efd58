/** The recorder's side of Coinsuper, over a real socket to the broker hosted by startHost. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { generate, parser, type IConnectPacket, type Packet } from 'mqtt-packet';
import type { ExchangeHost } from '../../../exchanges/host.js';
import { coinsuper } from '../../../exchanges/coinsuper/index.js';
import { verifyPrivateLogin } from '../../../exchanges/coinsuper/auth.js';
import type { ClientSession, Credentials, FrameInfo, OutFrame, StreamSpec } from '../../../exchanges/types.js';
import { isTicktapeError } from '../../../core/errors.js';
import { DEMO, mqttUrl, startCoinsuperHost } from './harness.js';
import { publishFrame, rawFrame } from './fixtures.js';

const client = coinsuper.client;
const spec = (channel: string): StreamSpec => client.parseChannel(channel);

function packetsOf(bytes: Uint8Array | string): Packet[] {
  const out: Packet[] = [];
  const p = parser({ protocolVersion: 4 });
  p.on('packet', (x: Packet) => out.push(x));
  p.parse(Buffer.from(bytes as Uint8Array));
  return out;
}

/** Runs a client session the way the recorder does: send onOpen, feed frames, send the replies. */
async function drive(url: string, streams: StreamSpec[], credentials?: Credentials) {
  const session = client.createSession({ endpointUrl: url, endpoint: 'mqtt', streams, credentials, nowMs: () => Date.now() });
  const ws = new WebSocket(session.url, session.protocols);
  const frames: Array<{ data: Buffer; info: FrameInfo }> = [];
  const sent: OutFrame[] = [];
  const send = (f: OutFrame) => {
    sent.push(f);
    ws.send(f.data, { binary: f.binary });
  };
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    const info = session.onFrame(new Uint8Array(data), isBinary);
    frames.push({ data, info });
    for (const r of info.replies ?? []) send(r);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  for (const f of session.onOpen()) send(f);
  const waitFor = async (pred: (i: FrameInfo) => boolean, what: string, timeoutMs = 3000) => {
    const deadline = Date.now() + timeoutMs;
    let seen = 0;
    for (;;) {
      for (; seen < frames.length; seen++) if (pred(frames[seen].info)) return frames[seen];
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return { session, ws, frames, sent, send, waitFor, close: () => ws.close() };
}

describe('coinsuper client session against the broker', () => {
  let host: ExchangeHost;
  beforeAll(async () => {
    host = await startCoinsuperHost();
  });
  afterAll(async () => {
    await host?.close();
  });

  it('logs in on a public topic, subscribes after CONNACK, reads PUBLISH frames and pings', async () => {
    const book = spec('BTC_USDT@orderBook@0.01');
    const d = await drive(mqttUrl(host), [book]);
    try {
      expect(d.session.protocols).toEqual(['mqtt']);
      const connect = packetsOf(d.sent[0].data)[0] as IConnectPacket;
      expect(connect).toMatchObject({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, keepalive: 60, username: 'api_subscriber' });
      expect(connect.clientId).toHaveLength(96);
      expect(d.sent[0].stored).toBeUndefined(); // the public userCode is published, nothing to redact

      const connack = await d.waitFor((i) => i.auth !== undefined, 'CONNACK');
      expect(connack.info).toMatchObject({ auth: { ok: true }, control: true, stream: '' });
      expect(packetsOf(connack.info.replies![0].data as Uint8Array)[0]).toMatchObject({ cmd: 'subscribe', subscriptions: [{ topic: book.key, qos: 0 }] });

      const suback = await d.waitFor((i) => (i.acks?.length ?? 0) > 0, 'SUBACK');
      expect(suback.info.acks).toEqual([{ stream: book.key, ok: true }]);

      const data = await d.waitFor((i) => !i.control, 'PUBLISH');
      expect(data.info).toMatchObject({ stream: book.key, malformed: false, control: false });
      expect(typeof data.info.exchangeTsMs).toBe('number');
      const rows = coinsuper.createNormalizer().normalize(rawFrame(book.key, data.data));
      expect(rows).toHaveLength(30);
      expect(rows[0]).toMatchObject({ table: 'book', symbol: 'BTC/USDT', is_snapshot: true, levels: 15 });

      const hb = d.session.heartbeat!;
      expect(hb.intervalMs).toBe(60_000);
      const ping = hb.frame();
      expect(ping).not.toBe('ws-ping');
      d.send(ping as OutFrame);
      const pong = await d.waitFor((i) => i.control && !i.auth && !i.acks && i.stream === '' && d.frames.length > 3, 'PINGRESP');
      expect(packetsOf(pong.data).some((p) => p.cmd === 'pingresp')).toBe(true);
    } finally {
      d.close();
    }
  });

  it('adds and removes topics on a live connection', async () => {
    const d = await drive(mqttUrl(host), [spec('BTC_USDT@kline@1m')]);
    try {
      await d.waitFor((i) => (i.acks?.length ?? 0) > 0, 'first SUBACK');
      const tickers = spec('ETH_USDT@tickers');
      for (const f of d.session.subscribe([tickers])) d.send(f);
      const ack = await d.waitFor((i) => i.acks?.[0]?.stream === tickers.key, 'second SUBACK');
      expect(ack.info.acks![0].ok).toBe(true);
      const first = await d.waitFor((i) => i.stream === tickers.key, 'tickers data');
      expect(first.info.exchangeTsMs).toBeGreaterThan(0);
      const frames = d.session.unsubscribe([tickers]);
      expect(packetsOf(frames[0].data as Uint8Array)[0]).toMatchObject({ cmd: 'unsubscribe', unsubscriptions: [tickers.key] });
    } finally {
      d.close();
    }
  });

  it('reports a refused topic (SUBACK 0x80) as a failed ack', async () => {
    const unknown = spec('XRP_USDT@depth');
    const d = await drive(mqttUrl(host), [unknown]);
    try {
      const suback = await d.waitFor((i) => (i.acks?.length ?? 0) > 0, 'SUBACK');
      expect(suback.info.acks).toEqual([{ stream: unknown.key, ok: false, reason: expect.stringMatching(/0x80/) }]);
    } finally {
      d.close();
    }
  });

  it('logs in privately with a redacted stored CONNECT, and records all private topics on one link', async () => {
    const streams = coinsuper.privateChannels([]).map(spec);
    expect(client.planConnections(streams)).toHaveLength(1);
    const d = await drive(mqttUrl(host), streams, { ...DEMO });
    try {
      const out = d.sent[0];
      const real = packetsOf(out.data)[0] as IConnectPacket;
      const stored = packetsOf(out.stored!)[0] as IConnectPacket;
      expect(real).toMatchObject({ clientId: DEMO.accessKey, username: 'api_private' });
      expect(verifyPrivateLogin(real.clientId, real.password!.toString(), [DEMO])).not.toBeNull();
      expect({ ...stored, password: undefined }).toEqual({ ...real, password: undefined });
      expect(stored.password!.toString()).toMatch(/^demouser@demo\.domain,\d+,\*{32}$/);
      expect(out.stored!.length).toBe((out.data as Uint8Array).length);
      expect(Buffer.from(out.stored!).includes(Buffer.from(real.password!.toString().split(',')[2]))).toBe(false);

      const suback = await d.waitFor((i) => (i.acks?.length ?? 0) > 0, 'SUBACK');
      expect(suback.info.acks!.map((a) => a.ok)).toEqual([true, true, true]);
      for (const s of streams) {
        const f = await d.waitFor((i) => i.stream === s.key, s.key);
        expect(coinsuper.createNormalizer().normalize(rawFrame(s.key, f.data)).length).toBeGreaterThan(0);
      }
    } finally {
      d.close();
    }
  });

  it('reports a refused private login (CONNACK 4) as an authentication failure', async () => {
    const d = await drive(mqttUrl(host), [spec(`asset@${DEMO.email}`)], { ...DEMO, secretKey: 'wrong' });
    try {
      const f = await d.waitFor((i) => i.auth !== undefined, 'CONNACK');
      expect(f.info.auth).toEqual({ ok: false, reason: 'CONNACK 4: bad user name or password' });
      expect(f.info.replies).toBeUndefined();
    } finally {
      d.close();
    }
  });

  it('needs accessKey, secretKey and email for private topics', () => {
    let err: unknown;
    try {
      client.createSession({ endpointUrl: 'ws://x/coinsuper/mqtt', endpoint: 'mqtt', streams: [spec(`order@${DEMO.email}`)], credentials: { accessKey: 'k' }, nowMs: Date.now });
    } catch (e) {
      err = e;
    }
    expect(isTicktapeError(err) && err.code === 'TT_CREDENTIALS_MISSING' && /secretKey, email/.test(err.message)).toBe(true);
  });
});

describe('coinsuper client frame reading', () => {
  const book = spec('BTC_USD@orderBook@0.01');
  const fresh = (): ClientSession => client.createSession({ endpointUrl: 'ws://x/coinsuper/mqtt', endpoint: 'mqtt', streams: [book], nowMs: () => 0 });

  it('acknowledges QoS 1 with PUBACK, QoS 2 with PUBREC, PUBREL with PUBCOMP', () => {
    const s = fresh();
    const q1 = s.onFrame(publishFrame(book.key, '{"timestamp":5}', 1, 41), true);
    expect(q1).toMatchObject({ stream: book.key, control: false, exchangeTsMs: 5 });
    expect(packetsOf(q1.replies![0].data as Uint8Array)[0]).toMatchObject({ cmd: 'puback', messageId: 41 });
    const q2 = s.onFrame(publishFrame(book.key, '{}', 2, 42), true);
    expect(packetsOf(q2.replies![0].data as Uint8Array)[0]).toMatchObject({ cmd: 'pubrec', messageId: 42 });
    const rel = s.onFrame(generate({ cmd: 'pubrel', messageId: 42 }), true);
    expect(rel.control).toBe(true);
    expect(packetsOf(rel.replies![0].data as Uint8Array)[0]).toMatchObject({ cmd: 'pubcomp', messageId: 42 });
  });

  it('reads several packets in one frame and a packet split over two frames', () => {
    const s = fresh();
    const pub = publishFrame(book.key, '{"timestamp":7}', 1, 3);
    const both = s.onFrame(Buffer.concat([generate({ cmd: 'pingresp' }), pub]), true);
    expect(both).toMatchObject({ stream: book.key, control: false });
    expect(both.replies).toHaveLength(1);
    const head = s.onFrame(pub.subarray(0, 5), true);
    expect(head).toMatchObject({ stream: '', control: true, malformed: false });
    expect(s.onFrame(pub.subarray(5), true)).toMatchObject({ stream: book.key, control: false });
  });

  it('starts each connection with a clean reader: a packet cut by a disconnect is not continued', () => {
    const s = fresh();
    const pub = publishFrame(book.key, '{"timestamp":7}');
    s.onFrame(pub.subarray(0, 5), true);
    s.onOpen();
    expect(s.onFrame(pub, true)).toMatchObject({ stream: book.key, control: false, malformed: false });
  });

  it('flags text frames, bytes that are not MQTT and packets only a client sends as malformed', () => {
    const s = fresh();
    expect(s.onFrame(Buffer.from('{"op":"pong"}'), false).malformed).toBe(true);
    expect(s.onFrame(Buffer.from([0xff, 0xff, 0xff]), true).malformed).toBe(true);
    expect(s.onFrame(generate({ cmd: 'pingreq' }), true).malformed).toBe(true);
    // the reader recovers: the next good frame is read
    expect(s.onFrame(publishFrame(book.key, '{}'), true)).toMatchObject({ stream: book.key, malformed: false });
  });
});
