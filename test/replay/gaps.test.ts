/**
 * Recorded gaps replayed: a recording made through the simulator's fault injection (each connection
 * dropped after 60 frames, 2 % of frames mangled). Where the recorder lost its connection the
 * replay closes the client's connection (1001), a reconnect of the same session goes on after the
 * loss, and `continueOnGaps` plays straight through; a Coinstore session-sequence gap makes the
 * replayed S skip.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXCHANGES } from '../../exchanges/registry.js';
import { startReplay, type ReplayServer } from '../../replay/server.js';
import { Timeline } from '../../replay/timeline.js';
import { readRecords } from '../../store/reader/index.js';
import type { FeedItem } from '../../exchanges/types.js';
import type { DisconnectSpan } from '../../replay/catalog.js';
import { FLAG_OVERLAP } from '../../schemas/record.js';
import { RecorderProcess } from '../recorder/harness.js';
import { blobBytes, query } from '../recorder/sim-harness.js';
import { collect, json, maxSpeedCursor, recordedFrames, tmpDir } from './fixture.js';

const TOKEN = 'WHZWUFAxWlV0bzdMMzl5N1dmYy1z';
const DEPTH = ['API_MARKETDEPTH:BTCUSDT:5', 'API_MARKETDEPTH:ETHUSDT:5'];

let data: string;
let replay: ReplayServer;
let straight: ReplayServer;

beforeAll(async () => {
  const dir = tmpDir('tt-replay-gaps-');
  data = path.join(dir, 'data');
  const cfg = {
    data,
    http: 'off',
    staggerMs: 0,
    backoff: { initialMs: 100, maxMs: 300 },
    simulate: { seed: 7, rate: 100, faults: { dropEvery: 60, malformedRate: 0.02 } },
  };
  const file = path.join(dir, 'ticktape.json');
  fs.writeFileSync(file, JSON.stringify(cfg), { mode: 0o600 });
  const rec = new RecorderProcess(['--config', file]);
  await rec.waitLog((l) => l.msg === 'recording');
  await new Promise((r) => setTimeout(r, 6000));
  expect((await rec.stop('SIGTERM')).code).toBe(0);
  replay = await startReplay({ dataDir: data, port: 0, speed: 'max', graceMs: 50 });
  straight = await startReplay({ dataDir: data, port: 0, speed: 'max', graceMs: 50, continueOnGaps: true });
}, 90_000);
afterAll(async () => {
  await replay?.close();
  await straight?.close();
});

function nexusGaps(): DisconnectSpan[] {
  return replay.catalog.nexus.disconnects.filter((d) => d.stream === '' || DEPTH.includes(d.stream));
}

async function nexusClient(port: number, query = '') {
  const c = await collect(`ws://127.0.0.1:${port}/nexus/api/realtime?X-API-TOKEN=${TOKEN}${query}`);
  for (const sym of ['BTCUSDT', 'ETHUSDT']) c.ws.send(JSON.stringify({ id: '1', action: 'SUBSCRIBE', event: 'API_MARKETDEPTH', symbol: sym, depth: 5 }));
  return c;
}

describe('disconnect gaps', () => {
  it('the replay closes the connection where the recording lost it; the same session goes on after the loss', async () => {
    const gaps = nexusGaps();
    expect(gaps.length).toBeGreaterThan(0);
    const frames = await recordedFrames(data, 'nexus', DEPTH);
    const first = gaps[0];
    const c = await nexusClient(replay.port, '&session=gap1');
    const end = await c.closed;
    expect(end.code).toBe(1001);
    const before = frames.filter((f) => f.recvNs <= first.startNs).map((f) => f.payload.toString('utf8'));
    expect(before.length).toBeGreaterThan(0);
    expect(c.messages).toEqual(before);
    // reconnecting to the same session: the frames after the loss (primed with the latest books)
    const again = await nexusClient(replay.port, '&session=gap1');
    await again.closed;
    const texts = frames.map((f) => f.payload.toString('utf8'));
    const resumed = again.messages.map((m) => frames[texts.indexOf(m)]);
    expect(resumed.every((f) => f !== undefined)).toBe(true);
    const live = resumed.filter((f) => f.recvNs >= first.endNs);
    expect(live.length).toBeGreaterThan(0);
    expect(resumed.filter((f) => f.recvNs < first.endNs).length).toBeLessThanOrEqual(DEPTH.length);
    expect(live[0].recvNs).toBeGreaterThan(first.startNs);
  });

  it('continueOnGaps plays straight through to the end (1000)', async () => {
    const c = await nexusClient(straight.port);
    expect((await c.closed).code).toBe(1000);
    const all = (await recordedFrames(data, 'nexus', DEPTH)).map((f) => f.payload.toString('utf8'));
    expect(c.messages).toEqual(all);
  });
});

describe('sequence gaps', () => {
  // The session-sequence gaps the recorder saw (Coinstore S skipped where a frame was mangled).
  async function sessionGaps(): Promise<Array<{ connId: string; recvNs: bigint; lost: number }>> {
    const rows = await query(data, `SELECT conn_id, recv_ns, payload FROM raw WHERE exchange = 'coinstore' AND kind = 'gap' ORDER BY recv_ns`);
    return rows
      .map((r) => ({ connId: String(r.conn_id), recvNs: BigInt(r.recv_ns as bigint), g: JSON.parse(blobBytes(r.payload).toString('utf8')) }))
      .filter((r) => r.g.cause === 'sequence' && r.g.stream === '')
      .map((r) => ({ connId: r.connId, recvNs: r.recvNs, lost: Number(r.g.lost_frames) }));
  }

  const session = EXCHANGES.coinstore.server.createSession(
    'ws',
    { url: new URL('ws://x/'), send() {}, ping() {}, close() {}, subscribe: () => ({ ok: true }), unsubscribe() {}, bufferedAmount: () => 0, claim() {}, maxMessageBytes: 1 << 20, cork: (fn) => fn(), sendWith: () => undefined },
    {
      instruments: [],
      credentials: [],
      nowMs: () => 0,
      timing: {},
      random: Math.random,
    },
  );
  const coinstoreSkips = typeof session.onGap === 'function';
  session.onClose();

  it('the cursor hands each session-sequence gap to the session before the frame that revealed it', async () => {
    // the session-sequence gaps and the frame recorded right before each (the one whose S jumped);
    // a rotation's overlapping frames are not replayed (their data went out from the other connection)
    const rows = await query(
      data,
      `SELECT g.conn_id, g.seq, f.stream, f.payload AS frame, g.payload AS gap FROM raw g JOIN raw f ON f.conn_id = g.conn_id AND f.seq = g.seq - 1
       WHERE g.exchange = 'coinstore' AND g.kind = 'gap' AND f.direction = 'in' AND (f.flags & ${FLAG_OVERLAP}) = 0 ORDER BY g.recv_ns`,
    );
    const expected = rows.map((r) => ({ stream: String(r.stream), frame: blobBytes(r.frame).toString('utf8'), g: JSON.parse(blobBytes(r.gap).toString('utf8')) })).filter((r) => r.g.cause === 'sequence' && r.g.stream === '' && r.stream !== '');
    expect(expected.length).toBeGreaterThan(0);
    const streams = replay.catalog.coinstore.streams;
    const wanted = new Set(expected.map((e) => e.stream));
    const delivered: string[] = [];
    const skips: Array<{ lost: number; before: number }> = [];
    const {
      cursor,
      link,
      ended: done,
    } = maxSpeedCursor(streams, replay.catalog.coinstore.firstNs!, () => new Timeline(() => readRecords({ dataDir: data, exchanges: ['coinstore'], directions: ['in', 'event'], fromNs: replay.catalog.coinstore.firstNs! })[Symbol.asyncIterator](), 4));
    // a real Coinstore session, observed: what the cursor delivers and where it asks for a skip
    const real = EXCHANGES.coinstore.server.createSession('ws', link, { instruments: [], credentials: [], nowMs: () => 0, timing: {}, random: Math.random });
    const observed = {
      onMessage: (d: Uint8Array, b: boolean) => real.onMessage(d, b),
      onClose: () => real.onClose(),
      deliver: (_s: unknown, item: FeedItem) => delivered.push(Buffer.from((item as { payload: Uint8Array }).payload).toString('utf8')),
      onGap: (_s: unknown, lost: number) => skips.push({ lost, before: delivered.length }),
    };
    cursor.bind(link, observed);
    for (const key of wanted) cursor.subscribe(EXCHANGES.coinstore.client.parseChannel(key), (item) => observed.deliver(null, item));
    await done;
    cursor.close();
    real.onClose();
    // every gap after a subscribed frame: a skip of its size, right before that frame went out
    expect(skips.map((s) => s.lost)).toEqual(expected.map((e) => e.g.lost_frames));
    skips.forEach((s, i) => expect(delivered[s.before]).toBe(expected[i].frame));
  });

  it.skipIf(!coinstoreSkips)('a Coinstore session-sequence gap makes the replayed S skip by the frames lost', async () => {
    const gaps = await sessionGaps();
    expect(gaps.length).toBeGreaterThan(0);
    const channels = [...replay.catalog.coinstore.streams.keys()].filter((k) => !k.startsWith('!') && !k.endsWith('@account') && !k.endsWith('@order'));
    const c = await collect(`ws://127.0.0.1:${straight.port}/coinstore/s/ws`);
    c.ws.send(JSON.stringify({ op: 'SUB', channel: channels, id: 1 }));
    await c.closed;
    // without gap replay S is gap-free; with it, the holes add up to the frames lost next to subscribed frames
    c.messages.map(json).forEach((m, i) => expect(m.S).toBe(i + 1));
    // with gaps replayed: reconnect after each recorded disconnect until the range ends; S skips
    let holes = 0;
    for (let n = 0; n < 100; n++) {
      const g = await collect(`ws://127.0.0.1:${replay.port}/coinstore/s/ws?session=seq1`);
      g.ws.send(JSON.stringify({ op: 'SUB', channel: channels, id: 1 }));
      const end = await g.closed;
      const S = g.messages.map((m) => json(m).S as number);
      for (let i = 1; i < S.length; i++) {
        expect(S[i]).toBeGreaterThan(S[i - 1]);
        holes += S[i] - S[i - 1] - 1;
      }
      if (end.code === 1000) break;
      expect(end.code).toBe(1001);
    }
    expect(holes).toBeGreaterThan(0);
  });
});
