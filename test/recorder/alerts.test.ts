/**
 * What the operator must see: refused and silent subscriptions, rate limits, low disk — as alert
 * events in the data, log lines and /health — and sealing on its schedule while recording.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Simulator } from '../../simulator/server.js';
import { EXCHANGES } from '../../exchanges/registry.js';
import { listPartitionFiles } from '../../store/partitions.js';
import { openJournalWriter } from '../../store/journal/index.js';
import { spawnSync } from 'node:child_process';
import { ROOT, RecorderProcess, getJson, text, journalRecords, tmpDir, until } from './harness.js';
import { startRecorder, startSim, writeSimConfig } from './sim-harness.js';

let dir: string;
let data: string;
let sim: Simulator | null = null;
const procs: RecorderProcess[] = [];

beforeEach(() => {
  dir = tmpDir('tt-alert-');
  data = path.join(dir, 'data');
});

afterEach(async () => {
  for (const p of procs.splice(0)) await p.stop('SIGKILL');
  await sim?.close();
  sim = null;
  // A seal child of a killed recorder may still be finishing: retry the removal.
  fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
});

describe('alerts', () => {
  it('a refused and a silent subscription are alerts in the data, the logs and /health; low disk too', async () => {
    sim = await startSim({ faults: { stall: 'book', stallAfter: 0 } });
    const depth = EXCHANGES.coinstore.client.parseChannel('btcusdt@depth@20').key;
    // Coinsuper has one MQTT connection per topic, so a refused topic stands alone (Coinstore refuses
    // a whole SUB command when one of its channels is unknown).
    const base = `ws://127.0.0.1:${sim.port}`;
    const cfg = path.join(dir, 'alerts.json');
    fs.writeFileSync(
      cfg,
      JSON.stringify({
        instance: 'alerts',
        data,
        http: '127.0.0.1:0',
        staggerMs: 0,
        lowDiskGb: 1e9,
        exchanges: [
          { name: 'coinstore', baseUrl: base, channels: ['btcusdt@trade', 'btcusdt@depth@20'], staleMs: { 'btcusdt@depth@20': 800 } },
          { name: 'coinsuper', baseUrl: base, channels: ['BTC_USDT@tickers', 'XYZ_ABC@tickers'] },
        ],
      }),
    );
    const refusedKey = EXCHANGES.coinsuper.client.parseChannel('XYZ_ABC@tickers').key;
    const rec = startRecorder(cfg);
    procs.push(rec);
    const port = await rec.httpPort();
    const h = await until(async () => {
      const doc = await getJson(port, '/health');
      const by = new Map(doc.streams.map((s: any) => [s.stream, s]));
      return (by.get(refusedKey) as any)?.refused && (by.get(depth) as any)?.silent ? doc : null;
    }, 'the refused and the silent stream to show in /health');
    expect(h.status).toBe('degraded');
    expect(h.disk.low).toBe(true);
    expect(h.disk.warning).toMatch(/GB free/);
    expect(h.alerts.some((a: any) => a.stream === refusedKey && /refused/.test(a.message))).toBe(true);
    expect(h.alerts.some((a: any) => a.stream === depth && /silent/.test(a.message))).toBe(true);
    await rec.waitLog((l) => l.msg === 'alert' && l.stream === depth); // stderr may arrive after the HTTP answer
    // The silent stream did not make the recorder reconnect in a loop.
    expect(h.streams.every((s: any) => s.reconnects === 0)).toBe(true);
    await rec.stop('SIGKILL');
    const recs = journalRecords(data);
    expect(recs.some((r) => r.kind === 'refused' && r.stream === refusedKey)).toBe(true);
    const alerts = recs.filter((r) => r.kind === 'alert').map((r) => JSON.parse(text(r)));
    expect(alerts.some((a) => a.stream === depth && /silent/.test(a.message))).toBe(true);
    const gaps = recs.filter((r) => r.kind === 'gap').map((r) => JSON.parse(text(r)));
    expect(gaps.some((g) => g.cause === 'refused' && g.stream === refusedKey)).toBe(true);
    // The other streams went on.
    expect(recs.some((r) => r.direction === 'in' && r.stream === 'btcusdt@trade')).toBe(true);
  });

  it('one bad channel in a refused batch does not sink the good ones: they are subscribed one by one', async () => {
    sim = await startSim();
    const cfg = writeSimConfig(dir, sim, data, { exchanges: ['coinstore'], perExchange: { channels: ['btcusdt@trade', 'xyzabc@trade', 'ethusdt@trade'] } });
    const rec = startRecorder(cfg);
    procs.push(rec);
    const port = await rec.httpPort();
    const h = await until(async () => {
      const doc = await getJson(port, '/health');
      const by = new Map(doc.streams.map((s: any) => [s.stream, s]));
      return (by.get('btcusdt@trade') as any)?.frames > 0 && (by.get('ethusdt@trade') as any)?.frames > 0 && (by.get('xyzabc@trade') as any)?.refused ? doc : null;
    }, 'the good streams to deliver and the bad one to be refused');
    expect(h.streams.filter((s: any) => s.refused).map((s: any) => s.stream)).toEqual(['xyzabc@trade']);
    await rec.waitLog((l) => String(l.msg).startsWith('several subscriptions refused at once'));
    await rec.stop('SIGKILL');
    const gaps = journalRecords(data)
      .filter((r) => r.kind === 'gap')
      .map((r) => JSON.parse(text(r)));
    expect(gaps.map((g) => `${g.cause} ${g.stream}`)).toEqual(['refused xyzabc@trade']);
  });

  it('an HTTP 429 on connect pauses connects for its Retry-After and is an alert', async () => {
    let attempts = 0;
    const server = http.createServer((_req, res) => res.end());
    server.on('upgrade', (_req, socket) => {
      attempts += 1;
      socket.end('HTTP/1.1 429 Too Many Requests\r\nRetry-After: 3\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (server.address() as AddressInfo).port;
      const rec = new RecorderProcess(['--exchange', 'coinstore', '--channels', 'btcusdt@trade', '--url', `ws://127.0.0.1:${port}/s/ws`, '--data', data, '--http', '127.0.0.1:0']);
      procs.push(rec);
      const hp = await rec.httpPort();
      const line = await rec.waitLog((l) => l.msg === 'reconnecting');
      expect(Number(line.delayMs)).toBeGreaterThanOrEqual(2900);
      const h = await getJson(hp, '/health');
      expect(h.alerts.some((a: any) => /rate limited/.test(a.message))).toBe(true);
      expect(attempts).toBe(1);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe('sealing on a schedule', () => {
  it('the sealing child process seals closed segments and compacts finished days of its instance', async () => {
    const day = 1_795_000_000_000_000_000n; // 2026-11-18
    for (let seg = 0; seg < 2; seg++) {
      let t = day + BigInt(seg) * 3_600_000_000_000n;
      const j = openJournalWriter({ dataDir: data, instance: 'cmp', nowNs: () => t });
      for (let i = 1; i <= 100; i++) {
        t += 1_000_000n;
        j.append({ exchange: 'coinstore', connId: `cmp-x-${seg}`, seq: i, recvNs: t, direction: 'in', kind: 'text', stream: 'btcusdt@trade', endpoint: 'ws://x/s/ws', payload: Buffer.from(`{"S":${i}}`), flags: 0 });
      }
      await j.close();
      if (seg === 0) {
        const r = spawnSync(process.execPath, [path.join(ROOT, 'dist/recorder/seal-child.js'), data, 'cmp'], { encoding: 'utf8' });
        expect(r.status, r.stderr).toBe(0);
        expect(JSON.parse(r.stdout)).toMatchObject({ segments: 1, records: 100, failures: [] });
      }
    }
    const r = spawnSync(process.execPath, [path.join(ROOT, 'dist/recorder/seal-child.js'), data, 'cmp', 'compact'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ segments: 1, records: 100, compacted: 1 });
    expect(listPartitionFiles(data).map((f) => `${f.table} ${f.date} ${f.kind}`)).toEqual(['raw 2026-11-18 day']);
  });

  it('seals closed journal segments while recording, in a separate process', async () => {
    sim = await startSim();
    const cfg = writeSimConfig(dir, sim, data, { exchanges: ['coinstore'], publicOnly: true, extra: { seal: { intervalMs: 1500 } } });
    const rec = startRecorder(cfg);
    procs.push(rec);
    const port = await rec.httpPort();
    await until(() => listPartitionFiles(data).some((f) => f.table === 'trades'), 'a sealed trades partition while the recorder runs', 60_000);
    const h = await until(async () => {
      const doc = await getJson(port, '/health');
      return doc.seal.runs > 0 ? doc : null;
    }, 'the seal run to report');
    expect(h.seal.last_error).toBeNull();
    expect(rec.child.exitCode).toBeNull();
    expect((await rec.stop('SIGTERM')).code).toBe(0);
  });
});
