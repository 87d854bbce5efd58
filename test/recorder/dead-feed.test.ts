/**
 * A stream that receives nothing is never "ok": a handshake refused with 401 (Nexus, Coinceres), a
 * host that does not resolve, an endpoint that refuses or never answers, a connection closed right
 * after opening — each makes its streams `down` with the cause in /health, an alert (logs, /health,
 * an `alert` event record, /metrics), and the recorder `failing` while an exchange has no live
 * stream. Once the endpoint works, the stream is live again.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { WebSocketServer } from 'ws';
import { EXCHANGES } from '../../exchanges/registry.js';
import { startSimulator, type Simulator } from '../../simulator/server.js';
import { RecorderProcess, getText, journalRecords, text, tmpDir, until } from './harness.js';
import { startRecorder, startSim } from './sim-harness.js';

/** The bound: a stream's first connect shows its cause within 30 s. */
const FIRST_CONNECT_BOUND_MS = 30_000;

let dir: string;
let data: string;
const procs: RecorderProcess[] = [];
const cleanups: Array<() => Promise<void> | void> = [];

beforeEach(() => {
  dir = tmpDir('tt-dead-');
  data = path.join(dir, 'data');
});

afterEach(async () => {
  for (const p of procs.splice(0)) await p.stop('SIGKILL');
  for (const c of cleanups.splice(0).reverse()) await c();
  fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
});

async function health(port: number): Promise<{ status: number; doc: any }> {
  const res = await fetch(`http://127.0.0.1:${port}/health`);
  return { status: res.status, doc: await res.json() };
}

function writeConfig(exchanges: unknown[]): string {
  const file = path.join(dir, 'ticktape.json');
  fs.writeFileSync(file, JSON.stringify({ instance: 'deadfeed', data, http: '127.0.0.1:0', staggerMs: 0, backoff: { initialMs: 100, maxMs: 1000 }, exchanges }), { mode: 0o600 });
  return file;
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function alertRecords(): Array<{ exchange: string; message: string; cause?: string }> {
  return journalRecords(data)
    .filter((r) => r.direction === 'event' && r.kind === 'alert')
    .map((r) => ({ exchange: r.exchange, ...JSON.parse(text(r)) }));
}

describe('a feed that delivers nothing', () => {
  it('a handshake refused with 401 (Nexus, Coinceres): down "refused 401", an alert everywhere, the recorder failing', async () => {
    const sim: Simulator = await startSim();
    cleanups.push(() => sim.close());
    const base = `ws://127.0.0.1:${sim.port}`;
    const nexusChannel = EXCHANGES.nexus.defaultChannels(sim.market.instruments)[0];
    const cfg = writeConfig([
      { name: 'coinstore', baseUrl: base, channels: ['btcusdt@trade'] },
      { name: 'nexus', baseUrl: base, channels: [nexusChannel], credentials: { token: 'not-a-valid-token' } },
      { name: 'coinceres', baseUrl: base, channels: ['trading', 'notify'], credentials: { apiKey: 'demo', secret: 'wrong-secret' } },
    ]);
    const rec = startRecorder(cfg);
    procs.push(rec);
    const port = await rec.httpPort();
    const { status, doc } = await until(
      async () => {
        const h = await health(port);
        const byKey = new Map(h.doc.streams.map((s: any) => [`${s.exchange} ${s.stream}`, s]));
        const down = ['nexus', 'coinceres'].every((ex) => h.doc.streams.filter((s: any) => s.exchange === ex).every((s: any) => s.down?.cause === 'refused 401'));
        return down && (byKey.get('coinstore btcusdt@trade') as any)?.live ? h : null;
      },
      'the refused streams to be down with "refused 401"',
      FIRST_CONNECT_BOUND_MS,
    );
    expect(doc.status).toBe('failing');
    expect(status).toBe(503);
    expect(doc.exchanges_down.sort()).toEqual(['coinceres', 'nexus']);
    expect(doc.streams.filter((s: any) => s.exchange !== 'coinstore').every((s: any) => !s.live && s.down.attempts >= 1 && /HTTP 401/.test(s.down.detail))).toBe(true);
    for (const ex of ['nexus', 'coinceres']) {
      expect(doc.alerts.some((a: any) => a.exchange === ex && a.cause === 'refused 401' && /refused 401/.test(a.message))).toBe(true);
    }
    const metrics = await getText(port, '/metrics');
    const nexusKey = EXCHANGES.nexus.client.parseChannel(nexusChannel).key;
    expect(metrics).toContain(`ticktape_stream_down{exchange="nexus",stream="${nexusKey}",cause="refused 401"} 1`);
    expect(metrics).toContain('ticktape_exchange_live_streams{exchange="nexus"} 0');
    expect(metrics).toContain('ticktape_exchange_live_streams{exchange="coinstore"} 1');
    expect(metrics).toMatch(/ticktape_alerts_by_cause_total\{exchange="coinceres",cause="refused 401"\} [1-9]/);
    expect(metrics).toContain('ticktape_up 0');
    // reconnects go on with backoff, but the alert is raised once per cause, not per attempt
    await until(async () => (await health(port)).doc.streams.find((s: any) => s.exchange === 'nexus').down.attempts >= 3, 'more attempts');
    await rec.stop('SIGKILL');
    const records = alertRecords();
    expect(records.filter((a) => a.exchange === 'nexus' && a.cause === 'refused 401')).toHaveLength(1);
    expect(records.some((a) => a.exchange === 'coinceres' && a.cause === 'refused 401')).toBe(true);
  });

  it('dns, unreachable, no answer and closed on open: each named; the stream is live again once its endpoint works', async () => {
    const refusedPort = await closedPort();
    // accepts the WebSocket and closes it at once
    const closer = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    closer.on('connection', (ws) => ws.close(1000, 'bye'));
    cleanups.push(() => new Promise<void>((r) => closer.close(() => r())));
    await new Promise<void>((r) => (closer.address() ? r() : closer.once('listening', () => r())));
    // accepts TCP and never answers the handshake
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => silent.close(() => r()));
    });
    const closerPort = (closer.address() as AddressInfo).port;
    const silentPort = (silent.address() as AddressInfo).port;
    const cfg = writeConfig([
      { name: 'coinstore', url: 'ws://no-such-host.invalid/s/ws', channels: ['btcusdt@trade'] },
      { name: 'coinsuper', url: `ws://127.0.0.1:${refusedPort}/coinsuper/mqtt`, channels: ['BTC_USDT@tickers'] },
      { name: 'nexus', url: `ws://127.0.0.1:${closerPort}/api/realtime`, channels: ['BTCUSDT@depth@5'], credentials: { token: 't' } },
      { name: 'coinceres', url: `ws://127.0.0.1:${silentPort}/market`, channels: ['OKEX:BTC/USDT@trade'] },
    ]);
    const rec = startRecorder(cfg);
    procs.push(rec);
    const port = await rec.httpPort();
    const expected: Record<string, string> = { coinstore: 'dns', coinsuper: 'unreachable', nexus: 'closed on open', coinceres: 'unreachable' };
    const { status, doc } = await until(
      async () => {
        const h = await health(port);
        return h.doc.streams.length === 4 && h.doc.streams.every((s: any) => s.down?.cause === expected[s.exchange]) ? h : null;
      },
      'every stream to be down with its cause',
      FIRST_CONNECT_BOUND_MS,
    );
    expect(status).toBe(503);
    expect(doc.status).toBe('failing');
    expect(doc.exchanges_down.sort()).toEqual(['coinceres', 'coinstore', 'coinsuper', 'nexus']);
    for (const [ex, cause] of Object.entries(expected)) {
      expect(
        doc.alerts.some((a: any) => a.exchange === ex && a.cause === cause && a.message.includes(cause)),
        `${ex} alert`,
      ).toBe(true);
      await rec.waitLog((l) => l.msg === 'alert' && l.exchange === ex && l.cause === cause);
    }
    const metrics = await getText(port, '/metrics');
    expect(metrics).toContain('cause="dns"} 1');
    expect(metrics).toContain('cause="closed on open"} 1');

    // the refused endpoint comes up (a simulator on that port): Coinsuper is live again, the rest still down
    const sim = await startSimulator({ port: refusedPort, seed: 7, rate: 200 });
    cleanups.push(() => sim.close());
    const after = await until(async () => {
      const h = (await health(port)).doc;
      const cs = h.streams.find((s: any) => s.exchange === 'coinsuper');
      return cs.live && cs.frames > 0 ? h : null;
    }, 'the Coinsuper stream to be live again');
    expect(after.streams.find((s: any) => s.exchange === 'coinsuper').down).toBeNull();
    expect(after.exchanges_down).not.toContain('coinsuper');
    expect(after.status).toBe('failing'); // the others still deliver nothing
    await rec.waitLog((l) => l.msg === 'connection established again' && l.exchange === 'coinsuper');
    await rec.stop('SIGKILL');
    const records = alertRecords();
    for (const [ex, cause] of Object.entries(expected))
      expect(
        records.some((a) => a.exchange === ex && a.cause === cause),
        `${ex} alert record`,
      ).toBe(true);
  });

  it('Coinsuper on MQTT over TCP: an endpoint that accepts the connection and never answers (no CONNACK) is unreachable', async () => {
    // a TCP connection is open before the server says anything: it must answer the CONNECT in time
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => silent.close(() => r()));
    });
    const cfg = writeConfig([{ name: 'coinsuper', url: `tcp://127.0.0.1:${(silent.address() as AddressInfo).port}`, channels: ['BTC_USDT@tickers'] }]);
    const rec = startRecorder(cfg);
    procs.push(rec);
    const port = await rec.httpPort();
    const { status, doc } = await until(
      async () => {
        const h = await health(port);
        const alerted = h.doc.alerts.some((a: any) => a.exchange === 'coinsuper' && a.cause === 'unreachable');
        return h.doc.streams.length === 1 && h.doc.streams[0].down?.cause === 'unreachable' && alerted ? h : null;
      },
      'the stream to be down, unreachable, with an alert',
      FIRST_CONNECT_BOUND_MS,
    );
    expect(sockets.length).toBeGreaterThanOrEqual(1); // it did connect: TCP was accepted
    expect(status).toBe(503);
    expect(doc.status).toBe('failing');
    expect(doc.exchanges_down).toEqual(['coinsuper']);
    expect(doc.streams[0].live).toBe(false);
    expect(doc.streams[0].down.detail).toMatch(/sent nothing/);
    await rec.waitLog((l) => l.msg === 'alert' && l.exchange === 'coinsuper' && l.cause === 'unreachable');
    // the alert is also an `alert` event record in the journal
    await until(() => alertRecords().some((a) => a.exchange === 'coinsuper' && a.cause === 'unreachable'), 'the alert record in the journal', 30_000);
  }, 90_000);
});
