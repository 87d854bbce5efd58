/**
 * The recorder (a real child process) records Coinsuper over MQTT on a plain TCP socket
 * (`tcp://`, as the exchange's own demos connect) and over TLS (`mqtts://`): one record per MQTT
 * packet, whose bytes are exactly what the broker sent — the records of a connection, joined, are
 * the server's byte stream. And its own connections survive the client-id rule (MQTT-3.1.4-2):
 * rotating a connection never takes the recorder's other connection with that id over.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startHost, type ConnectionFactory, type ExchangeHost, type TlsFiles } from '../../exchanges/host.js';
import { coinsuper } from '../../exchanges/coinsuper/index.js';
import { MqttFramer } from '../../exchanges/coinsuper/framing.js';
import { readFrame } from '../../exchanges/coinsuper/packets.js';
import type { TapeRecord } from '../../schemas/record.js';
import { skipWithout } from '../helpers/system-tools.js';
import { createTestFeedFactory, TEST_INSTRUMENTS } from '../helpers/test-feed.js';
import { selfSignedCert } from '../helpers/tls-cert.js';
import { getJson, journalRecords, RecorderProcess, text, tmpDir, until } from './harness.js';

const BOOK = 'BTC_USDT@orderBook@0.01';
const TICKERS = 'BTC_USDT@tickers';

let host: ExchangeHost | null = null;
const procs: RecorderProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const p of procs.splice(0)) await p.stop('SIGKILL');
  await host?.close();
  host = null;
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A Coinsuper host with a TCP listener that keeps every byte it sends, per connection. */
async function serve(tls?: TlsFiles): Promise<{ host: ExchangeHost; sent: Buffer[][] }> {
  const sent: Buffer[][] = [];
  const feeds = createTestFeedFactory({ intervalMs: 15 });
  const connection: ConnectionFactory = () => {
    const mine: Buffer[] = [];
    sent.push(mine);
    return {
      context: { instruments: TEST_INSTRUMENTS, credentials: [coinsuper.demoCredentials], nowMs: Date.now, timing: {}, random: Math.random },
      feed: feeds(),
      outbound: (data, binary, next) => {
        mine.push(Buffer.from(typeof data === 'string' ? Buffer.from(data) : data));
        next(data, binary);
      },
    };
  };
  host = await startHost({ port: 0, tcpPorts: { coinsuper: 0 }, tls, connection });
  return { host, sent };
}

function record(args: string[], env: NodeJS.ProcessEnv = {}): { rec: RecorderProcess; data: string } {
  const data = tmpDir('tt-rec-mqtt-');
  dirs.push(data);
  const rec = new RecorderProcess(['--data', data, '--http', '127.0.0.1:0', '--instance', 'rec-mqtt', '--stagger-ms', '0', ...args], env);
  procs.push(rec);
  return { rec, data };
}

async function framesOfEveryStream(rec: RecorderProcess, n: number): Promise<void> {
  const port = await rec.httpPort();
  await until(async () => {
    const h = await getJson(port, '/health');
    return h.streams.length > 0 && h.streams.every((s: { frames: number }) => s.frames >= n);
  }, `every stream to deliver ${n} frames`);
}

function byConnection(recs: TapeRecord[]): Map<string, TapeRecord[]> {
  const out = new Map<string, TapeRecord[]>();
  for (const r of recs) {
    if (r.exchange !== 'coinsuper') continue;
    let list = out.get(r.connId);
    if (!list) out.set(r.connId, (list = []));
    list.push(r);
  }
  return out;
}

describe('recording Coinsuper over MQTT on TCP', () => {
  it('tcp://: one record per MQTT packet, the bytes exactly as the broker sent them', async () => {
    const { host, sent } = await serve();
    const url = `tcp://127.0.0.1:${host.tcpPort('coinsuper')}`;
    const { rec, data } = record(['--exchange', 'coinsuper', '--channels', `${BOOK},${TICKERS}`, '--url', url]);
    await framesOfEveryStream(rec, 30);
    await rec.stop('SIGKILL');
    const conns = byConnection(journalRecords(data));
    expect(conns.size).toBe(2); // one connection per public topic
    const streams = [...sent].filter((s) => s.length > 0).map((s) => Buffer.concat(s));
    for (const [connId, recs] of conns) {
      expect(recs[0].endpoint, connId).toBe(url);
      expect(recs.find((r) => r.kind === 'connected')).toBeDefined();
      const frames = recs.filter((r) => r.direction !== 'event');
      expect(frames.every((r) => r.kind === 'binary')).toBe(true);
      // every record is exactly one whole MQTT packet
      for (const r of frames) {
        const cut = new MqttFramer(1 << 30).push(r.payload);
        expect(cut.error).toBeNull();
        expect(cut.messages).toHaveLength(1);
        expect(cut.messages[0].byteLength).toBe(r.payload.byteLength);
        expect(readFrame(r.payload).packets).toHaveLength(1);
      }
      expect(frames.find((r) => r.direction === 'out' && readFrame(r.payload).packets[0].cmd === 'connect')).toBeDefined();
      // what came in, joined, is (a prefix of: the recorder was killed mid-stream) what the server sent on one connection
      const got = Buffer.concat(frames.filter((r) => r.direction === 'in').map((r) => r.payload));
      expect(got.byteLength).toBeGreaterThan(1000);
      expect(
        streams.some((s) => s.subarray(0, got.byteLength).equals(got)),
        connId,
      ).toBe(true);
      const publishes = frames.filter((r) => r.direction === 'in' && r.stream !== '');
      expect(publishes.length).toBeGreaterThanOrEqual(30);
      for (const p of publishes) expect(readFrame(p.payload).packets[0]).toMatchObject({ cmd: 'publish', topic: p.stream });
    }
  });

  it('mqtts://: the same over TLS', async () => {
    if (skipWithout('openssl', 'recording Coinsuper over mqtts://')) return;
    const dir = tmpDir('tt-cert-');
    dirs.push(dir);
    const cert = selfSignedCert(dir);
    const { host } = await serve({ cert: cert.cert, key: cert.key });
    const url = `mqtts://localhost:${host.tcpPort('coinsuper')}`;
    const { rec, data } = record(['--exchange', 'coinsuper', '--channels', BOOK, '--url', url], { NODE_EXTRA_CA_CERTS: cert.certFile });
    await framesOfEveryStream(rec, 10);
    await rec.stop('SIGKILL');
    const recs = [...byConnection(journalRecords(data)).values()].flat();
    expect(recs.filter((r) => r.direction === 'in' && r.stream === fullBook()).length).toBeGreaterThanOrEqual(10);
    expect(recs.every((r) => r.endpoint === url)).toBe(true);
  });

  it("rotating connections never takes the recorder's own client ids over: the old connection closes first", async () => {
    const { host } = await serve();
    const dir = tmpDir('tt-rec-cfg-');
    dirs.push(dir);
    const config = path.join(dir, 'rec.json');
    // public topics (a client id each) and private ones (one connection, the access key as its id);
    // the test feed's orders are fills, which the order-change topic does not push, so it is left out
    const channels = [BOOK, TICKERS, ...coinsuper.privateChannels(TEST_INSTRUMENTS).filter((c) => !c.startsWith('order@'))];
    fs.writeFileSync(config, JSON.stringify({ exchanges: [{ name: 'coinsuper', channels, url: `tcp://127.0.0.1:${host.tcpPort('coinsuper')}`, credentials: coinsuper.demoCredentials, rotateAfterMs: 1200 }] }), { mode: 0o600 });
    const { rec, data } = record(['--config', config]);
    const port = await rec.httpPort();
    await until(() => rec.logs.filter((l) => l.msg.startsWith('rotating connection')).length >= 6, 'a few rotations of every connection', 30_000);
    await new Promise((r) => setTimeout(r, 1_500)); // the last ones complete
    await framesOfEveryStream(rec, 10);
    const health = await getJson(port, '/health');
    await rec.stop('SIGKILL');
    const closes = journalRecords(data)
      .filter((r) => r.exchange === 'coinsuper' && r.kind === 'disconnected')
      .map((r) => JSON.parse(text(r)) as { code: number; reason: string; initiator: string });
    expect(closes.length).toBeGreaterThanOrEqual(6);
    // every connection ended because the recorder rotated it, none because a newer one took its id
    for (const c of closes) expect(c).toMatchObject({ initiator: 'local', reason: expect.stringMatching(/^rotated/) });
    expect(rec.logs.some((l) => l.msg === 'connection lost')).toBe(false);
    expect(health.streams.every((s: { reconnects: number }) => s.reconnects === 0)).toBe(true);
  });
});

function fullBook(): string {
  return coinsuper.client.parseChannel(BOOK).key;
}
