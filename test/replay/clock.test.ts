/**
 * Time in the replay: determinism, pacing at 1x and 10x (loosely: the recorded spacing is kept,
 * not its exact value), a start in the middle of the recording (latest book/ticker/kline first),
 * the end of the range (1000), --loop, shared session clocks, and the control API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReplay, type ReplayServer } from '../../replay/server.js';
import { query } from '../recorder/sim-harness.js';
import { collect, fixtureData, recordedFrames, withoutSessionFields, type FrameFloor, type RecordedFrame } from './fixture.js';

const TOKEN = 'WHZWUFAxWlV0bzdMMzl5N1dmYy1z'; // Nexus demo token
const DEPTH = ['API_MARKETDEPTH:BTCUSDT:5', 'API_MARKETDEPTH:ETHUSDT:5'];

let data: string;
let replay: ReplayServer;
let nexus: RecordedFrame[];

/** The frames the cases below count on (the seek goes to the 61st Nexus depth frame and reads on); recorded until they are there. */
const FLOOR: FrameFloor = [...DEPTH.map((k) => ['nexus', k, 45] as const), ['coinstore', 'btcusdt@trade', 40], ['coinstore', 'btcusdt@depth@20', 100]];

beforeAll(async () => {
  data = await fixtureData('tt-replay-clock-', 4000, FLOOR);
  replay = await startReplay({ dataDir: data, port: 0, speed: 'max', graceMs: 50 });
  nexus = await recordedFrames(data, 'nexus', DEPTH);
}, 150_000);
afterAll(async () => {
  await replay?.close();
});

const base = () => `ws://127.0.0.1:${replay.port}`;
const texts = (fs: RecordedFrame[]) => fs.map((f) => f.payload.toString('utf8'));

async function nexusDepth(query: string) {
  const c = await collect(`${base()}/nexus/api/realtime?X-API-TOKEN=${TOKEN}&${query}`);
  const arrivals: bigint[] = [];
  c.ws.on('message', () => arrivals.push(process.hrtime.bigint()));
  for (const [i, sym] of ['BTCUSDT', 'ETHUSDT'].entries()) {
    c.ws.send(JSON.stringify({ id: String(i), action: 'SUBSCRIBE', event: 'API_MARKETDEPTH', symbol: sym, depth: 5 }));
  }
  return { ...c, arrivals };
}

async function coinstoreAll(query: string): Promise<string[]> {
  const c = await collect(`${base()}/coinstore/s/ws?${query}`);
  c.ws.send(JSON.stringify({ op: 'SUB', channel: ['btcusdt@trade', 'ethusdt@trade', 'btcusdt@depth@20', 'ethusdt@ticker', 'btcusdt@kline@min_1'], id: 1 }));
  expect((await c.closed).code).toBe(1000);
  // session fields: S and sid, and the wall-clock second a subscription started
  return c.messages.map((m) => withoutSessionFields(m).replace(/"lifeStartTime":\d+/g, '"lifeStartTime":0'));
}

/** Share of recorded gaps (≥ 20 ms at speed 1) whose replayed gap is within half to twice its length. */
function spacingKept(recorded: RecordedFrame[], arrivals: bigint[], speed: number): { share: number; n: number } {
  let ok = 0;
  let n = 0;
  for (let i = 1; i < recorded.length; i++) {
    const want = Number(recorded[i].recvNs - recorded[i - 1].recvNs) / speed;
    if (want < 20e6 / speed || want < 5e6) continue;
    const got = Number(arrivals[i] - arrivals[i - 1]);
    n++;
    if (got > want / 2 && got < want * 2) ok++;
  }
  return { share: n ? ok / n : 0, n };
}

describe('determinism and pacing', () => {
  it('two replays of the same range send the same frames in the same order', async () => {
    const a = await coinstoreAll('speed=max');
    const b = await coinstoreAll('speed=max');
    expect(a.length).toBeGreaterThan(200);
    expect(b).toEqual(a);
    const c = await coinstoreAll('speed=20');
    expect(c).toEqual(a);
  });

  it('1x keeps the recorded spacing between frames', async () => {
    const c = await nexusDepth('speed=1');
    expect((await c.closed).code).toBe(1000);
    expect(c.messages).toEqual(texts(nexus));
    const { share, n } = spacingKept(nexus, c.arrivals, 1);
    expect(n).toBeGreaterThan(20);
    expect(share).toBeGreaterThan(0.8);
    const span = Number(c.arrivals[c.arrivals.length - 1] - c.arrivals[0]);
    const recordedSpan = Number(nexus[nexus.length - 1].recvNs - nexus[0].recvNs);
    expect(span).toBeGreaterThan(recordedSpan * 0.8);
  });

  it('10x keeps the spacing, ten times shorter', async () => {
    const c = await nexusDepth('speed=10');
    expect((await c.closed).code).toBe(1000);
    expect(c.messages).toEqual(texts(nexus));
    const span = Number(c.arrivals[c.arrivals.length - 1] - c.arrivals[0]);
    const recordedSpan = Number(nexus[nexus.length - 1].recvNs - nexus[0].recvNs);
    expect(span).toBeGreaterThan(recordedSpan / 10 / 2);
    expect(span).toBeLessThan(recordedSpan / 2);
  });
});

describe('many clients', () => {
  it('clients of the same range share one read of the store, each gets every frame', async () => {
    const [{ n }] = await query(data, `SELECT count(*)::INTEGER AS n FROM raw WHERE exchange = 'nexus' AND direction IN ('in', 'event') AND recv_ns >= (SELECT min(recv_ns) FROM raw WHERE exchange = 'nexus' AND direction = 'in')`);
    const before = replay.stats.recordsRead;
    const clients = await Promise.all([1, 2, 3, 4].map(() => nexusDepth('speed=max')));
    for (const c of clients) {
      expect((await c.closed).code).toBe(1000);
      expect(c.messages).toEqual(texts(nexus));
    }
    const read = replay.stats.recordsRead - before;
    expect(read).toBeGreaterThanOrEqual(Number(n));
    expect(read).toBeLessThan(2 * Number(n));
  });

  it('a bad replay parameter closes the connection with 1008 and a hint', async () => {
    const c = await collect(`${base()}/nexus/api/realtime?X-API-TOKEN=${TOKEN}&speed=fast`);
    const end = await c.closed;
    expect(end.code).toBe(1008);
    expect(end.reason).toMatch(/speed/);
  });
});

describe('range', () => {
  it('a start mid-recording sends the latest book, ticker and kline first; --to ends with 1000', async () => {
    const all = await recordedFrames(data, 'coinstore', ['btcusdt@trade', 'btcusdt@depth@20', 'btcusdt@ticker', 'btcusdt@kline@min_1']);
    const mid = all[Math.floor(all.length / 2)].recvNs;
    const to = all[Math.floor((all.length * 3) / 4)].recvNs;
    const c = await collect(`${base()}/coinstore/s/ws?from=${mid}&to=${to}`);
    c.ws.send(JSON.stringify({ op: 'SUB', channel: ['btcusdt@trade', 'btcusdt@depth@20', 'btcusdt@ticker', 'btcusdt@kline@min_1'], id: 1 }));
    const end = await c.closed;
    expect(end.code).toBe(1000);
    const got = c.messages.slice(3).map(withoutSessionFields);
    const before = all.filter((f) => f.recvNs < mid);
    const latest = (stream: string) => before.filter((f) => f.stream === stream).pop()!;
    const primers = ['btcusdt@depth@20', 'btcusdt@ticker', 'btcusdt@kline@min_1'].map(latest).sort((a, b) => (a.recvNs < b.recvNs ? -1 : 1));
    const inRange = all.filter((f) => f.recvNs >= mid && f.recvNs < to);
    expect(got).toEqual([...primers, ...inRange].map((f) => withoutSessionFields(f.payload.toString('utf8'))));
  });

  it('--loop starts over at the end of the range', async () => {
    const looping = await startReplay({ dataDir: data, port: 0, speed: 'max', graceMs: 20, loop: true });
    try {
      const to = nexus[9].recvNs + 1n;
      const from = nexus[0].recvNs;
      const c = await collect(`ws://127.0.0.1:${looping.port}/nexus/api/realtime?X-API-TOKEN=${TOKEN}&from=${from}&to=${to}`);
      for (const sym of ['BTCUSDT', 'ETHUSDT']) c.ws.send(JSON.stringify({ id: '1', action: 'SUBSCRIBE', event: 'API_MARKETDEPTH', symbol: sym, depth: 5 }));
      await c.waitFor((m) => m.length >= 35, 'three and a half rounds');
      c.ws.terminate();
      const round = texts(nexus.slice(0, 10));
      expect(c.messages.slice(0, 30)).toEqual([...round, ...round, ...round]);
    } finally {
      await looping.close();
    }
  });
});

describe('sessions and control', () => {
  it('connections with the same session share one clock; an anonymous one starts at the beginning', async () => {
    const cs = await recordedFrames(data, 'coinstore', ['btcusdt@trade']);
    const a = await collect(`${base()}/coinstore/s/ws?session=shared1&speed=1`);
    a.ws.send(JSON.stringify({ op: 'SUB', channel: ['btcusdt@trade'], id: 1 }));
    await a.waitFor((m) => m.length >= 3 + 25, '25 trades on the first connection');
    const b = await nexusDepth('session=shared1');
    const anon = await nexusDepth('speed=1');
    await b.waitFor((m) => m.length >= 3, 'frames on the second connection');
    await anon.waitFor((m) => m.length >= 3, 'frames on the anonymous connection');
    const sessions = await (await fetch(`http://127.0.0.1:${replay.port}/control/sessions`)).json();
    const s = sessions.find((x: { id: string }) => x.id === 'shared1');
    expect(s.connections).toBe(2);
    // the anonymous connection starts at the beginning; the second one of the session joined its
    // running clock: after the two primed books, its frames are from past the 25th trade A saw
    const nexusTexts = texts(nexus);
    expect(nexusTexts.indexOf(anon.messages[0])).toBe(0);
    await b.waitFor((m) => m.length >= 3, 'a frame after the primers');
    const third = nexus[nexusTexts.indexOf(b.messages[2])];
    expect(third.recvNs).toBeGreaterThanOrEqual(cs[24].recvNs);
    for (const c of [a, b, anon]) c.ws.terminate();
  });

  it('pause stops the frames, seek moves the clock (primed), resume goes on from there', async () => {
    const ctl = `http://127.0.0.1:${replay.port}/control/sessions/ctl1`;
    const c = await nexusDepth('session=ctl1&speed=1');
    await c.waitFor((m) => m.length >= 10, '10 frames');
    const paused = await (await fetch(`${ctl}/pause`, { method: 'POST' })).json();
    expect(paused.paused).toBe(true);
    await new Promise((r) => setTimeout(r, 100)); // frames already on the wire
    const n = c.messages.length;
    await new Promise((r) => setTimeout(r, 700));
    expect(c.messages.length).toBe(n);
    const target = nexus[60].recvNs;
    const seek = await fetch(`${ctl}/seek?to=${target}`, { method: 'POST' });
    expect(seek.status).toBe(200);
    expect((await seek.json()).nowNs).toBe(String(target));
    expect((await fetch(`${ctl}/resume`, { method: 'POST' })).status).toBe(200);
    await c.waitFor((m) => m.length >= n + 6, 'frames after the seek');
    const after = c.messages.slice(n, n + 6);
    const nexusTexts = texts(nexus);
    // primed with the latest book of each symbol before the target, then the frames from the target on
    const latestBefore = DEPTH.map((k) => nexus.filter((f) => f.stream === k && f.recvNs < target).pop()!).sort((x, y) => (x.recvNs < y.recvNs ? -1 : 1));
    expect(after.slice(0, 2)).toEqual(texts(latestBefore));
    expect(after.slice(2)).toEqual(nexusTexts.slice(60, 64));
    const bad = await fetch(`${ctl}/seek?to=yesterday-ish`, { method: 'POST' });
    expect(bad.status).toBe(400);
    expect((await fetch(`http://127.0.0.1:${replay.port}/control/sessions/nosuch/pause`, { method: 'POST' })).status).toBe(404);
    c.ws.terminate();
  });
});
