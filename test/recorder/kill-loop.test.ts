/**
 * kill -9 loops at full rate on every exchange: the recorder (a real child process) records the
 * simulator at `--rate max`, is SIGKILLed at random moments, restarted, several rounds, then stopped
 * and sealed. The gaps must be exact:
 *   - no recorded frame of a stream lies strictly inside a gap of that stream;
 *   - every loss is inside a gap: where a stream moves to another connection, a gap of it starts no
 *     later than the last record of the connection it leaves and ends no earlier than its next frame;
 *   - Coinstore trade ids, the exchange's own count: every missing id is in a gap's [expected, got),
 *     no recorded id is (lost_frames is what is missing, not more), and none is recorded twice;
 *   - a replay with reconnects (the same `?session=`) delivers every recorded frame of the subscribed
 *     streams exactly once, in order — the "bot" is a second recorder pointed at the replay.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqttPacket from 'mqtt-packet';
import { EXCHANGES } from '../../exchanges/registry.js';
import { EXCHANGE_IDS, type ExchangeId } from '../../exchanges/types.js';
import type { Simulator } from '../../simulator/server.js';
import { startReplay, type ReplayServer } from '../../replay/server.js';
import { listSegments } from '../../store/journal/index.js';
import { CLI, RecorderProcess, getJson, tmpDir, until } from './harness.js';
import { coinstoreTradeCoverage, framesInsideGaps, gapRecords, query, blobBytes, startRecorder, startSim, unbridgedReconnects, writeSimConfig } from './sim-harness.js';
import { withoutSessionFields } from '../replay/fixture.js';
import { seededRandom } from '../../core/seeded-random.js';

const KILLS = 3;
/** How long each run records once every exchange delivers: a random moment in this range. */
const RUN_MS: [number, number] = [200, 1000];
const SESSION = 'killloop';

let dir: string;
let data: string;
/** The first recording's config. */
let cfg: string;
let sim: Simulator | null = null;
let replay: ReplayServer | null = null;
const procs: RecorderProcess[] = [];
const kills: bigint[] = [];

async function framesPerExchange(port: number): Promise<Map<string, number>> {
  const h = await getJson(port, '/health');
  const per = new Map<string, number>();
  for (const s of h.streams) per.set(s.exchange, (per.get(s.exchange) ?? 0) + s.frames);
  return per;
}

async function untilAllDeliver(rec: RecorderProcess): Promise<number> {
  const port = await rec.httpPort();
  await until(async () => [...(await framesPerExchange(port)).values()].filter((n) => n >= 20).length === 4, 'data from every exchange', 60_000, 50);
  return port;
}

beforeAll(async () => {
  dir = tmpDir('tt-killloop-');
  data = path.join(dir, 'data');
  sim = await startSim({ rate: 'max' });
  // the last stop leaves sealing to `ticktape seal`, once, for everything
  cfg = writeSimConfig(dir, sim, data, { extra: { seal: { atShutdown: false } } });
  const random = seededRandom(20261201);
  for (let round = 0; round < KILLS; round++) {
    const rec = startRecorder(cfg);
    procs.push(rec);
    await untilAllDeliver(rec);
    await new Promise((r) => setTimeout(r, RUN_MS[0] + Math.floor(random() * (RUN_MS[1] - RUN_MS[0]))));
    kills.push(BigInt(Date.now()) * 1_000_000n);
    await rec.stop('SIGKILL');
  }
  const last = startRecorder(cfg);
  procs.push(last);
  await untilAllDeliver(last);
  expect((await last.stop('SIGTERM')).code).toBe(0);
  await sim.close();
  sim = null;
  const sealed = spawnSync(process.execPath, [CLI, 'seal', '--data', data], { encoding: 'utf8', timeout: 120_000 });
  expect(sealed.status, sealed.stderr).toBe(0);
  expect(listSegments(data)).toEqual([]);
}, 240_000);

afterAll(async () => {
  for (const p of procs.splice(0)) await p.stop('SIGKILL');
  await replay?.close();
  await sim?.close();
  if (process.env.TT_KEEP_TEST_DATA) process.stderr.write(`test data kept in ${dir}\n`);
  else fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
});

describe('kill -9 loops at full rate: gaps that are exact', () => {
  it('every run left a restart gap on every exchange', async () => {
    const restarts = (await gapRecords(data)).filter((g) => g.detail?.startsWith('recorder stopped unexpectedly'));
    for (const ex of EXCHANGE_IDS) expect(restarts.filter((g) => g.exchange === ex).length, ex).toBeGreaterThanOrEqual(KILLS);
  });

  it('no recorded frame of a stream lies strictly inside a gap of that stream', async () => {
    expect(await framesInsideGaps(data)).toEqual([]);
  });

  it('every loss is inside a gap', async () => {
    expect(await unbridgedReconnects(data)).toEqual([]);
  });

  it('Coinstore trade ids: what is missing is exactly what the gaps say was lost, nothing twice', async () => {
    const cov = await coinstoreTradeCoverage(data);
    expect(cov.trades).toBeGreaterThan(0);
    expect(cov.duplicates).toBe(0);
    expect(cov.uncovered).toEqual([]);
    const ids = await query(data, `SELECT stream, CAST(trade_id AS BIGINT) AS id FROM trades WHERE exchange = 'coinstore'`);
    const byStream = new Map<string, Set<number>>();
    for (const r of ids) byStream.set(String(r.stream), (byStream.get(String(r.stream)) ?? new Set()).add(Number(r.id)));
    const claimed: string[] = [];
    let lost = 0;
    for (const g of (await gapRecords(data)).filter((x) => x.exchange === 'coinstore' && x.expected !== undefined && byStream.has(x.stream))) {
      const have = byStream.get(g.stream)!;
      for (let id = g.expected!; id < g.got!; id++) if (have.has(id)) claimed.push(`${g.stream} ${id} (${g.cause})`);
      lost += g.got! - g.expected!;
    }
    expect(claimed).toEqual([]);
    expect(lost).toBeGreaterThan(0);
  });

  it('a replay with reconnects of the same session delivers every recorded frame of the subscribed streams exactly once', async () => {
    replay = await startReplay({ dataDir: data, port: 0, speed: 'max', graceMs: 300, sessionKeepMs: 120_000 });
    const base = `ws://127.0.0.1:${replay.port}`;
    const dataB = path.join(dir, 'bot');
    const exchanges = EXCHANGE_IDS.map((id) => {
      const m = EXCHANGES[id];
      const channels = channelsOf(id);
      const urls = Object.fromEntries(Object.entries(m.client.endpoints).map(([name, e]) => [name, `${base}${e.simPath}?session=${SESSION}`]));
      return { name: id, channels, urls, credentials: { ...m.demoCredentials } };
    });
    const botCfg = path.join(dir, 'bot.json');
    fs.writeFileSync(botCfg, JSON.stringify({ instance: 'bot', data: dataB, http: '127.0.0.1:0', staggerMs: 0, backoff: { initialMs: 50, maxMs: 200 }, seal: { atShutdown: false }, exchanges }), { mode: 0o600 });
    const expected = await recordedByStream(data);
    expect(new Set([...expected.keys()].map((k) => k.split(' ')[0]))).toEqual(new Set(EXCHANGE_IDS));
    const frameCounts = new Map((await query(data, `SELECT exchange || ' ' || stream AS k, count(*) AS n FROM raw WHERE ${DATA_FRAMES} GROUP BY ALL`)).map((r) => [String(r.k), Number(r.n)]));
    const bot = startRecorder(botCfg);
    procs.push(bot);
    const port = await bot.httpPort();
    await until(
      async () => {
        const h = await getJson(port, '/health');
        return h.streams.every((s: any) => REQUEST_RESPONSE.has(`${s.exchange} ${s.stream}`) || (frameCounts.get(`${s.exchange} ${s.stream}`) ?? 0) <= s.frames);
      },
      'the bot to receive every recorded frame',
      120_000,
      200,
    );
    expect((await bot.stop('SIGTERM')).code).toBe(0); // flushed: every frame it got is in its journal
    const got = await recordedByStream(dataB);
    const missing: string[] = [];
    for (const [key, frames] of expected) {
      const mine = got.get(key) ?? [];
      if (mine.length !== frames.length || mine.some((f, i) => f !== frames[i])) {
        let i = 0;
        while (i < frames.length && mine[i] === frames[i]) i++;
        missing.push(`${key}: recorded ${frames.length}, delivered ${mine.length}, first difference at ${i}`);
      }
    }
    expect(missing).toEqual([]);
    // it went through the recorded losses: each exchange's connections were closed at every restart
    // gap and the bot reconnected with the same session (one connection per exchange at least, and
    // one more per kill)
    expect(replay.stats.sessionsOpened).toBeGreaterThanOrEqual(EXCHANGE_IDS.length * (KILLS + 1));
    expect(replay.sessions.get(SESSION)).toBeDefined();
  }, 180_000);
});

/** What the first recording subscribed, as channels (every default public one and the private ones). */
function channelsOf(id: ExchangeId): string[] {
  const doc = JSON.parse(fs.readFileSync(cfg, 'utf8'));
  return doc.exchanges.find((e: { name: string }) => e.name === id).channels;
}

/** Data frames a replay sends: not malformed, not a rotation's overlap (sent from the other connection). */
const DATA_FRAMES = `direction = 'in' AND stream <> '' AND kind IN ('text', 'binary') AND (flags & 8) = 0 AND NOT malformed`;

/** Coinceres' trading socket answers requests; the bot's polls get answers, not the recording. */
const REQUEST_RESPONSE = new Set(['coinceres trading']);

/** Each stream's data frames in recorded order, session fields blanked (Coinstore S and sid, MQTT packet ids). */
async function recordedByStream(dataDir: string): Promise<Map<string, string[]>> {
  const rows = await query(dataDir, `SELECT exchange, stream, payload FROM raw WHERE ${DATA_FRAMES} ORDER BY recv_ns, conn_id, seq`);
  const out = new Map<string, string[]>();
  for (const r of rows) {
    const key = `${String(r.exchange)} ${String(r.stream)}`;
    if (REQUEST_RESPONSE.has(key)) continue;
    const list = out.get(key) ?? [];
    list.push(...comparable(String(r.exchange), blobBytes(r.payload)));
    out.set(key, list);
  }
  return out;
}

function comparable(exchange: string, payload: Buffer): string[] {
  if (exchange === 'coinstore') return [withoutSessionFields(payload.toString('utf8'))];
  if (exchange === 'coinsuper') {
    const out: string[] = [];
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on('packet', (p) => {
      if (p.cmd === 'publish') out.push(`${p.topic} ${Buffer.from(p.payload as Buffer).toString('utf8')}`);
    });
    parser.parse(payload);
    return out;
  }
  return [payload.toString('utf8')];
}
