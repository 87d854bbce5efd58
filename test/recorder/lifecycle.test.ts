/**
 * Lifecycle of the recorder process: SIGKILL mid-stream and a restart (the journal is recovered,
 * the downtime is a gap row, nothing is duplicated), SIGHUP adding streams live, and the README's
 * main-job command (`record --simulate`).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import type { Simulator } from '../../simulator/server.js';
import { listSegments } from '../../store/journal/index.js';
import { spawnSync } from 'node:child_process';
import { CLI, RecorderProcess, getJson, tmpDir, until } from './harness.js';
import { coinstoreTradeCoverage, gapRecords, queries, startRecorder, startSim, unbridgedReconnects, writeSimConfig } from './sim-harness.js';

let dir: string;
let data: string;
let sim: Simulator | null = null;
const procs: RecorderProcess[] = [];

beforeEach(() => {
  dir = tmpDir('tt-life-');
  data = path.join(dir, 'data');
});

afterEach(async () => {
  for (const p of procs.splice(0)) await p.stop('SIGKILL');
  await sim?.close();
  sim = null;
  if (process.env.TT_KEEP_TEST_DATA) process.stderr.write(`test data kept in ${dir}\n`);
  else fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
});

async function framesPerExchange(port: number): Promise<Map<string, number>> {
  const h = await getJson(port, '/health');
  const per = new Map<string, number>();
  for (const s of h.streams) per.set(s.exchange, (per.get(s.exchange) ?? 0) + s.frames);
  return per;
}

describe('recorder lifecycle', () => {
  it('SIGKILL mid-stream, then a restart: journal recovered, the downtime is a gap, nothing twice', async () => {
    sim = await startSim();
    const cfg = writeSimConfig(dir, sim, data);
    const first = startRecorder(cfg);
    procs.push(first);
    const port1 = await first.httpPort();
    await until(async () => [...(await framesPerExchange(port1)).values()].filter((n) => n >= 50).length === 4, 'data from every exchange');
    await until(() => fs.existsSync(path.join(data, 'recorder', 'simtest', 'last-seen.json')), 'the last-seen state');
    expect((await first.stop('SIGKILL')).signal).toBe('SIGKILL');
    expect(listSegments(data).some((s) => s.open)).toBe(true); // left for recovery

    const second = startRecorder(cfg);
    procs.push(second);
    await second.waitLog((l) => l.msg === 'recorder starting' && l.previousRun === 'unclean stop');
    const port2 = await second.httpPort();
    await until(async () => [...(await framesPerExchange(port2)).values()].filter((n) => n >= 50).length === 4, 'data after the restart');
    expect((await second.stop('SIGTERM')).code).toBe(0);
    expect(listSegments(data), second.stderr.slice(-4000)).toEqual([]);

    const gaps = await gapRecords(data);
    const restartGaps = gaps.filter((g) => g.detail?.startsWith('recorder stopped unexpectedly'));
    expect(restartGaps.length).toBeGreaterThan(0);
    expect(new Set(restartGaps.map((g) => g.exchange)).size).toBe(4);
    expect(await unbridgedReconnects(data)).toEqual([]);
    const cov = await coinstoreTradeCoverage(data);
    expect(cov.trades).toBeGreaterThan(0);
    expect(cov.duplicates).toBe(0);
    expect(cov.uncovered).toEqual([]);
    const q = await queries(data, {
      conns: `SELECT count(DISTINCT split_part(conn_id, '-', 2)) AS runs FROM raw`,
      dupTrades: `SELECT exchange, symbol, trade_id FROM trades WHERE trade_id IS NOT NULL GROUP BY ALL HAVING count(*) > 1`,
    });
    expect(Number(q.conns[0].runs)).toBe(2); // both processes' frames are in the store
    expect(q.dupTrades).toEqual([]);
  });

  it('after a crash, every stream of the crashed run starts with a gap from what its last state save knew', async () => {
    sim = await startSim();
    const cfg = writeSimConfig(dir, sim, data, { exchanges: ['coinstore'], perExchange: { channels: ['btcusdt@trade', 'ethusdt@trade', 'btcusdt@ticker'] } });
    // The state a crashed run left: ethusdt had data (last seq 5), btcusdt had none yet, btcusdt@ticker was not recorded.
    const savedNs = 1_795_000_000_000_000_000n;
    const stateDir = path.join(data, 'recorder', 'simtest');
    fs.mkdirSync(stateDir, { recursive: true });
    fs.writeFileSync(
      path.join(stateDir, 'last-seen.json'),
      JSON.stringify({
        version: 1,
        clean: false,
        written_ns: String(savedNs),
        streams: { 'coinstore ethusdt@trade': { last_ns: String(savedNs - 5_000_000_000n), last_seq: 5 } },
        subscribed: ['coinstore ethusdt@trade', 'coinstore btcusdt@trade'],
      }),
    );
    const rec = startRecorder(cfg);
    procs.push(rec);
    await rec.waitLog((l) => l.msg === 'recorder starting' && l.previousRun === 'unclean stop');
    const port = await rec.httpPort();
    await until(async () => (await getJson(port, '/health')).streams.every((s: any) => s.frames > 0 && !s.open_gap), 'every stream to deliver');
    expect((await rec.stop('SIGTERM')).code).toBe(0);
    const gaps = await gapRecords(data);
    const eth = gaps.find((g) => g.stream === 'ethusdt@trade')!;
    expect(eth.start_ns).toBe(savedNs - 5_000_000_000n);
    expect(eth.expected).toBe(6);
    expect(eth.detail).toMatch(/^recorder stopped unexpectedly/);
    const btc = gaps.find((g) => g.stream === 'btcusdt@trade')!;
    expect(btc.start_ns).toBe(savedNs);
    expect(btc.cause).toBe('disconnect');
    expect(gaps.some((g) => g.stream.includes('ticker'))).toBe(false); // new stream: nothing was missed
  });

  it('SIGHUP reloads the config: new streams start live, the others keep their connection', async () => {
    sim = await startSim();
    const cfgPath = path.join(dir, 'ticktape.yaml');
    const yaml = (coinstore: string[], coinsuper: string[]) =>
      [
        'instance: huptest',
        `data: ${data}`,
        'http: 127.0.0.1:0',
        'staggerMs: 0',
        'exchanges:',
        '  - name: coinstore',
        `    baseUrl: ws://127.0.0.1:${sim!.port}`,
        `    channels: [${coinstore.join(', ')}]`,
        ...(coinsuper.length ? ['  - name: coinsuper', `    baseUrl: ws://127.0.0.1:${sim!.port}`, `    channels: [${coinsuper.join(', ')}]`] : []),
        '',
      ].join('\n');
    fs.writeFileSync(cfgPath, yaml(['btcusdt@trade'], []), { mode: 0o600 });
    const rec = startRecorder(cfgPath);
    procs.push(rec);
    const port = await rec.httpPort();
    await until(async () => (await getJson(port, '/health')).streams[0]?.frames > 10, 'the first stream');
    const before = (await getJson(port, '/health')).streams[0];

    fs.writeFileSync(cfgPath, yaml(['btcusdt@trade', 'ethusdt@trade'], ['BTC_USDT@tickers']), { mode: 0o600 });
    rec.child.kill('SIGHUP');
    await rec.waitLog((l) => l.msg === 'configuration reloaded');
    await until(async () => {
      const h = await getJson(port, '/health');
      return h.streams.length === 3 && h.streams.every((s: any) => s.frames > 0);
    }, 'the added streams to deliver');
    const after = await getJson(port, '/health');
    const kept = after.streams.find((s: any) => s.stream === 'btcusdt@trade');
    expect(kept.conn_id).toBe(before.conn_id); // same connection: subscribed live, not reconnected
    expect(kept.reconnects).toBe(0);
    expect(kept.frames).toBeGreaterThanOrEqual(before.frames);
    expect(after.open_gaps).toBe(0);

    // A broken edit is refused and the recorder keeps running on the previous config.
    fs.writeFileSync(cfgPath, 'exchanges: [{name: coinstore, channels: [nope]}]\n');
    rec.child.kill('SIGHUP');
    await rec.waitLog((l) => l.msg?.startsWith('reload failed'));
    expect((await getJson(port, '/health')).streams.length).toBe(3);

    expect((await rec.stop('SIGTERM')).code).toBe(0);
    const q = await queries(data, {
      trades: `SELECT exchange, symbol, count(*) AS n FROM trades GROUP BY ALL ORDER BY ALL`,
      gaps: `SELECT exchange, stream, cause, detail, start_ns, end_ns FROM gaps`,
    });
    expect(q.trades.map((r) => `${r.exchange} ${r.symbol}`)).toEqual(expect.arrayContaining(['coinstore BTCUSDT', 'coinstore ETHUSDT']));
    expect(q.trades.some((r) => r.exchange === 'coinsuper')).toBe(true);
    expect(q.gaps).toEqual([]);
  });

  it('`ticktape record --simulate` records all four exchanges and stops cleanly', async () => {
    const rec = new RecorderProcess(['--simulate', '--data', data, '--http', '127.0.0.1:0', '--stagger-ms', '10']);
    procs.push(rec);
    const port = await rec.httpPort();
    await until(async () => [...(await framesPerExchange(port)).values()].filter((n) => n >= 30).length === 4, 'all four exchanges');
    const h = await getJson(port, '/health');
    expect(h.status).toBe('ok');
    expect(h.disk.free_bytes).toBeGreaterThan(0);
    expect(h.journal.written).toBeGreaterThan(0);
    expect((await rec.stop('SIGINT')).code).toBe(0);
    expect(listSegments(data), rec.stderr.slice(-4000)).toEqual([]);
    expect(fs.readFileSync(path.join(data, 'instance-id'), 'utf8').trim()).toMatch(/^[a-z0-9-]+-[0-9a-f]{6}$/);
    const q = await queries(data, { n: `SELECT exchange, count(*) AS n FROM raw WHERE direction = 'in' GROUP BY ALL`, gaps: `SELECT exchange, stream, cause, detail, start_ns, end_ns FROM gaps` });
    expect(q.n.length).toBe(4);
    expect(q.gaps).toEqual([]);
  });

  it('a stop whose sealing outlasts seal.shutdownBudgetMs exits 0 at once; the journal keeps the rest, sealed later with nothing lost', async () => {
    sim = await startSim();
    const cfg = writeSimConfig(dir, sim, data, { extra: { seal: { shutdownBudgetMs: 1 } } });
    const rec = startRecorder(cfg);
    procs.push(rec);
    const port = await rec.httpPort();
    await until(async () => [...(await framesPerExchange(port)).values()].filter((n) => n >= 50).length === 4, 'data from every exchange');
    expect((await rec.stop('SIGTERM')).code).toBe(0);
    expect(rec.logs.some((l) => l.msg.startsWith('sealing did not finish within seal.shutdownBudgetMs'))).toBe(true);
    // the journal keeps what was not sealed, closed (not a crash to recover)
    const left = listSegments(data);
    expect(left.length).toBeGreaterThan(0);
    expect(left.some((s) => s.open)).toBe(false);
    const count = `SELECT count(*) AS n, count(DISTINCT (conn_id, seq)) AS d FROM raw`;
    const before = (await queries(data, { c: count })).c[0];
    expect(Number(before.n)).toBeGreaterThan(0);
    // `ticktape seal` finishes the job: everything sealed, the same records, none twice
    const sealed = spawnSync(process.execPath, [CLI, 'seal', '--data', data], { encoding: 'utf8' });
    expect(sealed.status, sealed.stderr).toBe(0);
    expect(listSegments(data)).toEqual([]);
    const after = (await queries(data, { c: count })).c[0];
    expect(after).toEqual(before);
    expect(after.d).toEqual(after.n);
  });
});
