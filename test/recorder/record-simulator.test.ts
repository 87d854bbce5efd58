/**
 * The recorder (a real child process) against the simulator speaking all four native protocols:
 * public and private channels, frames counted on both sides, the sealed store checked with SQL.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import type { Simulator } from '../../simulator/server.js';
import { EXCHANGES } from '../../exchanges/registry.js';
import { listSegments } from '../../store/journal/index.js';
import { getJson, tmpDir, until, type RecorderProcess } from './harness.js';
import { blobBytes, coinstoreTradeCoverage, gapRecords, queries, startRecorder, startSim, unbridgedReconnects, writeSimConfig } from './sim-harness.js';

let dir: string;
let data: string;
let sim: Simulator | null = null;
const procs: RecorderProcess[] = [];

beforeEach(() => {
  dir = tmpDir('tt-sim-');
  data = path.join(dir, 'data');
});

afterEach(async () => {
  for (const p of procs.splice(0)) await p.stop('SIGKILL');
  await sim?.close();
  sim = null;
  if (process.env.TT_KEEP_TEST_DATA) process.stderr.write(`test data kept in ${dir}\n`);
  else fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
});

/** Waits until every exchange's streams delivered `min` frames in total (condition, not a timer). */
async function waitFrames(port: number, min: number): Promise<void> {
  await until(async () => {
    const h = await getJson(port, '/health');
    const per = new Map<string, number>();
    for (const s of h.streams) per.set(s.exchange, (per.get(s.exchange) ?? 0) + s.frames);
    return per.size === 4 && [...per.values()].every((n) => n >= min);
  }, `every exchange to deliver ${min} frames`);
}

describe('recording all four exchanges from the simulator', () => {
  it('keeps every frame the simulator sent, in order, normalized, with no gap rows and no secret', async () => {
    sim = await startSim();
    const cfg = writeSimConfig(dir, sim, data);
    const rec = startRecorder(cfg);
    procs.push(rec);
    const port = await rec.httpPort();
    await waitFrames(port, 100);
    const health = await getJson(port, '/health');
    expect(health.open_gaps).toBe(0);
    expect((await rec.stop('SIGTERM')).code).toBe(0);
    expect(listSegments(data), rec.stderr.slice(-4000)).toEqual([]);

    const stats = sim.stats();
    const routes = sim.endpoints().filter((e) => e.transport === 'websocket' && !e.alias);
    const q = await queries(data, {
      perEndpoint: `SELECT exchange, endpoint, count(*) AS n FROM raw WHERE direction = 'in' AND kind IN ('text', 'binary') GROUP BY ALL`,
      order: `SELECT conn_id, seq, recv_ns FROM raw ORDER BY conn_id, seq`,
      gaps: `SELECT exchange, stream, cause, detail, start_ns, end_ns FROM gaps`,
      malformed: `SELECT count(*) AS n FROM raw WHERE malformed`,
      normalized: `SELECT exchange, count(*) AS n FROM (SELECT exchange FROM trades UNION ALL SELECT exchange FROM book UNION ALL SELECT exchange FROM tickers UNION ALL SELECT exchange FROM klines) GROUP BY ALL`,
      privateOut: `SELECT exchange, count(*) AS n FROM raw WHERE direction = 'out' GROUP BY ALL`,
      payloads: `SELECT payload, endpoint FROM raw`,
    });

    // Every frame the simulator sent on every route is in raw: counted on both sides.
    let routesWithTraffic = 0;
    for (const r of routes) {
      const rs = stats.routes[`${r.exchange}/${r.endpoint}`];
      const sent = rs?.frames ?? 0;
      if (!sent) continue;
      routesWithTraffic += 1;
      const got = q.perEndpoint.filter((x) => x.exchange === r.exchange && new URL(String(x.endpoint)).pathname === new URL(r.url).pathname).reduce((a, x) => a + Number(x.n), 0);
      // The simulator counts every frame it sends (greetings included); the recorder may close a
      // connection with a last frame in flight: at most one frame per connection apart.
      expect(got, `${r.exchange}/${r.endpoint}`).toBeGreaterThanOrEqual(sent);
      expect(got - sent, `${r.exchange}/${r.endpoint}`).toBeLessThanOrEqual(rs.connectionsTotal);
    }
    expect(routesWithTraffic).toBeGreaterThanOrEqual(4);

    // In order: per connection, seq runs 1..n and receive times never go back.
    let prev: { conn: string; seq: number; ns: bigint } | null = null;
    for (const r of q.order) {
      const conn = String(r.conn_id);
      const seq = Number(r.seq);
      const ns = BigInt(r.recv_ns as bigint);
      if (prev && prev.conn === conn) {
        expect(seq).toBe(prev.seq + 1);
        expect(ns >= prev.ns).toBe(true);
      } else expect(seq).toBe(1);
      prev = { conn, seq, ns };
    }

    expect(q.gaps).toEqual([]);
    expect(Number(q.malformed[0].n)).toBe(0);
    const normalizedBy = new Map(q.normalized.map((r) => [String(r.exchange), Number(r.n)]));
    for (const id of ['coinstore', 'coinsuper', 'nexus', 'coinceres']) expect(normalizedBy.get(id) ?? 0, id).toBeGreaterThan(0);

    const cov = await coinstoreTradeCoverage(data);
    expect(cov.trades).toBeGreaterThan(0);
    expect(cov.duplicates).toBe(0);
    expect(cov.uncovered).toEqual([]);

    // Secrets of the private channels are nowhere in the data or the logs.
    const secrets = [EXCHANGES.coinceres.demoCredentials.secret, EXCHANGES.coinsuper.demoCredentials.secretKey, EXCHANGES.nexus.demoCredentials.token, EXCHANGES.coinstore.demoCredentials.apiKey].filter(Boolean);
    expect(secrets.length).toBe(4);
    for (const row of q.payloads) {
      const text = blobBytes(row.payload).toString('latin1') + String(row.endpoint);
      for (const s of secrets) expect(text.includes(s!), `secret in data`).toBe(false);
    }
    for (const s of secrets) expect(rec.stderr.includes(s!)).toBe(false);
  });
});

describe('fault injection', () => {
  it('drops and malformed frames: every frame recorded or covered by a gap, none twice, malformed kept raw and flagged', async () => {
    sim = await startSim({ faults: { dropEverySeconds: 1.5, malformedRate: 0.02 } });
    const cfg = writeSimConfig(dir, sim, data);
    const rec = startRecorder(cfg);
    procs.push(rec);
    const port = await rec.httpPort();
    await until(async () => {
      const h = await getJson(port, '/health');
      const reconnected = new Set(h.streams.filter((s: any) => s.reconnects >= 2).map((s: any) => s.exchange));
      return reconnected.size === 4;
    }, 'every exchange to reconnect twice');
    await waitFrames(port, 100);
    expect((await rec.stop('SIGTERM')).code).toBe(0);
    const faults = sim.stats().faults;
    expect(faults.drops).toBeGreaterThan(4);
    expect(faults.malformed).toBeGreaterThan(0);

    const q = await queries(data, {
      malformed: `SELECT exchange, kind, payload, flags FROM raw WHERE malformed`,
      // Coinsuper's trade windows repeat earlier trades on every new connection: the sealer's
      // per-stream normalizer state de-duplicates them across connections.
      dupTrades: `SELECT exchange, symbol, trade_id, count(*) AS n FROM trades WHERE trade_id IS NOT NULL GROUP BY ALL HAVING count(*) > 1`,
      disconnects: `SELECT count(*) AS n FROM raw WHERE kind = 'disconnected'`,
    });
    // Malformed frames are kept, byte for byte, and flagged; they did not stop the recorder.
    expect(q.malformed.length).toBeGreaterThan(0);
    expect(q.malformed.length).toBeLessThanOrEqual(faults.malformed);
    for (const m of q.malformed) {
      expect(Number(m.flags) & 1).toBe(1);
      if (m.kind === 'text') expect(blobBytes(m.payload).toString('utf8').endsWith('\u0000')).toBe(true);
    }
    expect(Number(q.disconnects[0].n)).toBeGreaterThan(4);
    expect(q.dupTrades).toEqual([]);
    expect(await unbridgedReconnects(data)).toEqual([]);
    const cov = await coinstoreTradeCoverage(data);
    expect(cov.trades).toBeGreaterThan(0);
    expect(cov.duplicates).toBe(0);
    expect(cov.uncovered).toEqual([]);
    const gaps = await gapRecords(data);
    expect(gaps.some((g) => g.cause === 'disconnect')).toBe(true);
  });

  it('a stalled stream is detected, reconnected and its silence is a stale gap; the other stream loses nothing', async () => {
    sim = await startSim({ faults: { stall: 'book', stallAfter: 20 } });
    const cfg = writeSimConfig(dir, sim, data, {
      exchanges: ['coinstore'],
      perExchange: { channels: ['btcusdt@trade', 'btcusdt@depth@20'], staleMs: { 'btcusdt@depth@20': 1000 } },
    });
    const rec = startRecorder(cfg);
    procs.push(rec);
    const port = await rec.httpPort();
    await rec.waitLog((l) => l.msg === 'rotation complete');
    await until(async () => (await getJson(port, '/health')).streams.every((s: any) => s.frames > 0 && !s.open_gap), 'the depth stream to come back');
    expect((await rec.stop('SIGTERM')).code).toBe(0);
    expect(sim.stats().faults.stalledStreams).toBeGreaterThan(0);
    const gaps = await gapRecords(data);
    const depthKey = EXCHANGES.coinstore.client.parseChannel('btcusdt@depth@20').key;
    expect(gaps.filter((g) => g.stream === depthKey && g.cause === 'stale').length).toBeGreaterThan(0);
    // make-before-break: the trade stream went on across the reconnect without a gap or a duplicate
    expect(gaps.filter((g) => g.stream === 'btcusdt@trade')).toEqual([]);
    const cov = await coinstoreTradeCoverage(data);
    expect(cov.duplicates).toBe(0);
    expect(cov.uncovered).toEqual([]);
    const alerts = await queries(data, { a: `SELECT count(*) AS n FROM raw WHERE kind = 'alert'` });
    expect(Number(alerts.a[0].n)).toBeGreaterThan(0);
  });
});

describe('make-before-break rotation', () => {
  it('rotates before the connection lifetime limit and on demand, losing and duplicating nothing', async () => {
    // The simulator closes connections at 6 s; the recorder rotates every 1.5 s (4.5 s of margin, so
    // a loaded machine does not turn a slow handoff into a lifetime close) and the test runs past 6 s.
    sim = await startSim({ faults: { lifetimeS: 6 } });
    const startedMs = Date.now();
    const cfg = writeSimConfig(dir, sim, data, { publicOnly: true, perExchange: { rotateAfterMs: 1500 } });
    const rec = startRecorder(cfg);
    procs.push(rec);
    const port = await rec.httpPort();
    await waitFrames(port, 50);
    const rotated = await getJson(port, '/rotate', 'POST');
    expect(rotated.rotating).toBeGreaterThan(0);
    // Wait for at least two rounds of lifetime rotations on every exchange. Coinsuper lets one MQTT
    // connection hold a client id (a second CONNECT takes the first over), so it rotates
    // break-before-make; the others make-before-break.
    const rotations = () => rec.logs.filter((l) => l.msg === 'rotation complete' || (l.msg === 'rotation: old connection closed, opening the new one' && l.exchange === 'coinsuper'));
    await until(() => {
      const done = rotations();
      const per = new Map<string, number>();
      for (const l of done) per.set(l.exchange, (per.get(l.exchange) ?? 0) + 1);
      return Date.now() - startedMs > 7_000 && per.size === 4 && [...per.values()].every((n) => n >= 2) && done.length >= 20;
    }, 'rotations on every exchange, past the simulator lifetime');
    expect((await rec.stop('SIGTERM')).code).toBe(0);
    // The simulator may still close a connection for its age while it is in its handoff overlap
    // (already replaced, waiting for a quiet stream's first frame on the new one): the stream goes on
    // on the new connection, with no gap and no duplicate, which is what is asserted below.

    const q = await queries(data, {
      gaps: `SELECT * FROM gaps`,
      overlap: `SELECT exchange, count(*) AS n FROM raw WHERE (flags & 8) <> 0 GROUP BY ALL`,
      conns: `SELECT exchange, count(DISTINCT conn_id) AS n FROM raw GROUP BY ALL`,
      dupTrades: `SELECT exchange, symbol, trade_id, count(*) AS n FROM trades WHERE trade_id IS NOT NULL GROUP BY ALL HAVING count(*) > 1`,
      dupBook: `SELECT exchange, stream, exchange_ts_ms, count(DISTINCT conn_id) AS n FROM book WHERE exchange = 'coinceres' AND exchange_ts_ms IS NOT NULL GROUP BY ALL HAVING count(DISTINCT conn_id) > 1`,
    });
    // Make-before-break loses nothing: no gap on Coinstore, Nexus or Coinceres. Coinsuper's
    // break-before-make rotations are each a closed disconnect gap that says why, and nothing else.
    expect(q.gaps.filter((g: any) => g.exchange !== 'coinsuper')).toEqual([]);
    const suGaps = q.gaps.filter((g: any) => g.exchange === 'coinsuper');
    expect(suGaps.length).toBeGreaterThan(0);
    for (const g of suGaps) {
      expect(g.cause).toBe('disconnect');
      expect(String(g.detail)).toMatch(/^rotation \([a-z ]+\): the exchange lets one connection hold the client id/);
      expect(Number(g.end_ns), 'the gap is closed once the new connection delivers').toBeGreaterThan(Number(g.start_ns));
    }
    expect(q.overlap.length).toBeGreaterThan(0); // both connections delivered during the overlap, and it was marked
    for (const c of q.conns) expect(Number(c.n), String(c.exchange)).toBeGreaterThan(2);
    expect(q.dupTrades).toEqual([]);
    expect(q.dupBook).toEqual([]);
    const cov = await coinstoreTradeCoverage(data);
    expect(cov.trades).toBeGreaterThan(0);
    expect(cov.duplicates).toBe(0);
    expect(cov.uncovered).toEqual([]);
  });
});
