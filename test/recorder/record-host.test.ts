/**
 * The recorder as a real child process against a real exchange server (the shared host with a
 * deterministic feed, Coinstore protocol): frames reach the journal with per-connection sequences,
 * events are written, /health and /metrics answer, SIGTERM seals everything and exits 0, and a
 * server-side drop becomes a `gap` row.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { startHost, type ExchangeHost } from '../../exchanges/host.js';
import { coinstore } from '../../exchanges/coinstore/index.js';
import { openTape } from '../../store/duck/index.js';
import { listSegments } from '../../store/journal/index.js';
import { TEST_INSTRUMENTS, createTestFeedFactory, type TestFeedStats } from '../helpers/test-feed.js';
import { RecorderProcess, getJson, getText, journalRecords, text, tmpDir, until } from './harness.js';

let host: ExchangeHost;
let stats: TestFeedStats;
let data: string;
const procs: RecorderProcess[] = [];

beforeEach(async () => {
  stats = { delivered: new Map() };
  const feeds = createTestFeedFactory({ intervalMs: 10, stats });
  host = await startHost({
    port: 0,
    connection: () => ({ context: { instruments: TEST_INSTRUMENTS, credentials: [coinstore.demoCredentials], nowMs: Date.now, timing: {}, random: Math.random }, feed: feeds() }),
  });
  data = tmpDir();
});

afterEach(async () => {
  for (const p of procs.splice(0)) await p.stop('SIGKILL');
  await host.close();
  fs.rmSync(data, { recursive: true, force: true });
});

function record(extra: string[] = []): RecorderProcess {
  const p = new RecorderProcess(['--exchange', 'coinstore', '--channels', 'btcusdt@trade,btcusdt@depth@5', '--url', host.url('coinstore', 'ws'), '--data', data, '--http', '127.0.0.1:0', '--instance', 'rec-test', '--stagger-ms', '0', ...extra]);
  procs.push(p);
  return p;
}

describe('recorder against a Coinstore server', () => {
  it('journals every frame with strictly increasing per-connection sequences and seals on SIGTERM', async () => {
    const rec = record();
    const port = await rec.httpPort();
    await until(async () => {
      const h = await getJson(port, '/health');
      return h.streams.every((s: any) => s.frames >= 20);
    }, 'both streams to deliver');
    const health = await getJson(port, '/health');
    expect(health.instance).toBe('rec-test');
    expect(health.streams.map((s: any) => s.stream).sort()).toEqual(['btcusdt@depth@5', 'btcusdt@trade'].sort());
    expect(health.open_gaps).toBe(0);
    const metrics = await getText(port, '/metrics');
    expect(metrics).toMatch(/ticktape_frames_total\{exchange="coinstore",stream="btcusdt@trade"\} \d+/);
    expect(metrics).toMatch(/ticktape_journal_records_written_total \d+/);

    const { code } = await rec.stop('SIGTERM');
    expect(code).toBe(0);
    // SIGTERM leaves only sealed partitions: no journal segment remains.
    expect(listSegments(data), rec.stderr.slice(-4000)).toEqual([]);

    const tape = await openTape(data);
    try {
      const rows = (await tape.conn.runAndReadAll(`SELECT conn_id, seq, direction, kind, stream FROM raw ORDER BY conn_id, seq`)).getRowObjects();
      expect(rows.length).toBeGreaterThan(40);
      const byConn = new Map<string, number[]>();
      for (const r of rows) {
        const list = byConn.get(String(r.conn_id)) ?? [];
        list.push(Number(r.seq));
        byConn.set(String(r.conn_id), list);
      }
      for (const [connId, seqs] of byConn) {
        expect(connId).toMatch(/^rec-test-[a-z0-9]+-\d+$/);
        expect(seqs).toEqual(seqs.map((_, i) => i + 1)); // from 1, no hole, no repeat
      }
      const kinds = new Set(rows.map((r) => `${r.direction}:${r.kind}`));
      for (const k of ['event:connected', 'event:disconnected', 'event:clock', 'out:text', 'in:text']) expect(kinds).toContain(k);
      const trades = Number((await tape.conn.runAndReadAll(`SELECT count(*) FROM trades`)).getRows()[0][0]);
      const tradeFrames = rows.filter((r) => r.stream === 'btcusdt@trade' && r.direction === 'in').length;
      expect(trades).toBe(tradeFrames);
      const gaps = Number((await tape.conn.runAndReadAll(`SELECT count(*) FROM gaps`)).getRows()[0][0]);
      expect(gaps).toBe(0);
    } finally {
      tape.close();
    }
  });

  it('turns a dropped connection into a gap row and reconnects', async () => {
    let dropped = false;
    await host.close();
    const feeds = createTestFeedFactory({ intervalMs: 10, stats });
    host = await startHost({
      port: 0,
      connection: () => ({
        context: { instruments: TEST_INSTRUMENTS, credentials: [coinstore.demoCredentials], nowMs: Date.now, timing: {}, random: Math.random },
        feed: feeds(),
        onOpen: (conn) => {
          if (dropped) return;
          dropped = true;
          setTimeout(() => conn.transport.terminate(), 500);
        },
      }),
    });
    const rec = record();
    const port = await rec.httpPort();
    await rec.waitLog((l) => l.msg === 'connection lost');
    await until(async () => {
      const h = await getJson(port, '/health');
      return h.streams.every((s: any) => s.gaps >= 1 && !s.open_gap);
    }, 'the gaps to close after the reconnect');
    const h = await getJson(port, '/health');
    expect(h.streams.every((s: any) => s.reconnects >= 1)).toBe(true);
    await rec.stop('SIGKILL');
    const recs = journalRecords(data);
    const gaps = recs.filter((r) => r.kind === 'gap').map((r) => JSON.parse(text(r)));
    expect(gaps.map((g) => g.stream).sort()).toEqual(['btcusdt@depth@5', 'btcusdt@trade']);
    for (const g of gaps) {
      expect(g.cause).toBe('disconnect');
      expect(BigInt(g.end_ns)).toBeGreaterThan(BigInt(g.start_ns));
    }
    const disc = recs.filter((r) => r.kind === 'disconnected');
    expect(disc.length).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(text(disc[0])).initiator).toBe('remote');
  });
});
