/**
 * Round trip: simulator → recorder → data A; `ticktape replay --speed max` over A → the recorder
 * again, pointed at the replay server's URLs → data B. B's frames equal A's, stream by stream and
 * frame by frame (session fields aside: Coinstore's S and sid, Coinsuper's MQTT packet ids).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import mqttPacket from 'mqtt-packet';
import { EXCHANGES } from '../../exchanges/registry.js';
import { EXCHANGE_IDS } from '../../exchanges/types.js';
import { startSimulator } from '../../simulator/server.js';
import { getJson, RecorderProcess } from '../recorder/harness.js';
import { fixtureData, recordedFrames, startReplayProcess, tmpDir, until, withoutSessionFields, type RecordedFrame } from './fixture.js';

let dataA: string;
let dataB: string;
let replay: Awaited<ReturnType<typeof startReplayProcess>> | null = null;
let recorder: RecorderProcess | null = null;

beforeAll(async () => {
  dataA = await fixtureData('tt-replay-rt-');
  dataB = path.join(tmpDir('tt-replay-rt-b-'), 'data');
}, 60_000);
afterAll(async () => {
  await recorder?.stop('SIGKILL');
  await replay?.stop();
});

/** What must survive a replay: the bytes, with the session's own fields blanked. */
function comparable(exchange: string, f: RecordedFrame): string[] {
  if (exchange === 'coinstore') return [withoutSessionFields(f.payload.toString('utf8'))];
  if (exchange === 'coinsuper') {
    const out: string[] = [];
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on('packet', (p) => {
      if (p.cmd === 'publish') out.push(`${p.topic} ${Buffer.from(p.payload as Buffer).toString('utf8')}`);
    });
    parser.parse(f.payload);
    return out;
  }
  return [f.payload.toString('utf8')];
}

/**
 * Coinceres' trading socket is request/response: its server side answers the recorder's polls with
 * the recorded answers as of the replay time, so it is compared apart.
 */
const REQUEST_RESPONSE = new Set(['coinceres trading']);

function byStream(exchange: string, frames: RecordedFrame[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const f of frames) {
    if (!f.stream || REQUEST_RESPONSE.has(`${exchange} ${f.stream}`)) continue;
    const list = m.get(f.stream) ?? [];
    list.push(...comparable(exchange, f));
    m.set(f.stream, list);
  }
  return m;
}

it('record → replay at max → record again: the same frames, stream by stream', async () => {
  replay = await startReplayProcess(['--data', dataA, '--speed', 'max', '--grace-ms', '500']);
  const sim = await startSimulator({ port: 0, rate: 0 });
  const instruments = sim.market.instruments;
  await sim.close();
  const exchanges = EXCHANGE_IDS.map((id) => {
    const m = EXCHANGES[id];
    return {
      name: id,
      channels: [...m.defaultChannels(instruments), ...m.privateChannels(instruments)],
      baseUrl: `ws://127.0.0.1:${replay!.port}`,
      credentials: { ...m.demoCredentials },
    };
  });
  // a long backoff: the replay closes every connection at the end of the range, and a reconnect
  // would replay the range again
  const cfg = { instance: 'rt', data: dataB, http: '127.0.0.1:0', staggerMs: 0, backoff: { initialMs: 60_000, maxMs: 60_000 }, exchanges };
  const cfgFile = path.join(path.dirname(dataB), 'ticktape.json');
  fs.writeFileSync(cfgFile, JSON.stringify(cfg), { mode: 0o600 });
  recorder = new RecorderProcess(['--config', cfgFile]);
  await recorder.waitLog((l) => l.msg === 'recording');
  // done when every replay session has ended and no frame has moved for a while
  let last = -1;
  await until(
    async () => {
      const [stats, sessions] = await Promise.all([getJson(replay!.port, '/control/stats'), getJson<unknown[]>(replay!.port, '/control/sessions')]);
      const settled = stats.frames > 0 && stats.frames === last && sessions.length === 0;
      last = stats.frames;
      return settled;
    },
    'the replay to finish every session',
    40_000,
    700,
  );
  expect((await recorder.stop('SIGTERM')).code).toBe(0);
  recorder = null;

  for (const ex of EXCHANGE_IDS) {
    const a = byStream(ex, await recordedFrames(dataA, ex));
    const b = byStream(ex, await recordedFrames(dataB, ex));
    expect([...b.keys()].sort(), ex).toEqual([...a.keys()].sort());
    expect(a.size, ex).toBeGreaterThan(3);
    for (const [stream, frames] of a) {
      expect(frames.length, `${ex} ${stream}`).toBeGreaterThan(0);
      expect(b.get(stream), `${ex} ${stream}`).toEqual(frames);
    }
  }
  // The trading socket answers each of the second recorder's polls with the recorded answer of the
  // same biz_type as of the replay time (before the first one, as an empty account): every answer
  // that names a biz_type is a recorded one or that empty answer, and recorded ones come back.
  const tradingA = (await recordedFrames(dataA, 'coinceres', ['trading'])).map((f) => f.payload.toString('utf8'));
  const tradingB = (await recordedFrames(dataB, 'coinceres', ['trading'])).map((f) => f.payload.toString('utf8'));
  expect(tradingA.length).toBeGreaterThan(0);
  const recordedAnswers = new Set(tradingA);
  const answersB = tradingB.filter((t) => t.startsWith('{') && 'biz_type' in (JSON.parse(t) as object));
  const fromRecording = answersB.filter((t) => recordedAnswers.has(t));
  expect(fromRecording.length, 'answers taken from the recording').toBeGreaterThan(0);
  for (const t of answersB) {
    if (recordedAnswers.has(t)) continue;
    const a = JSON.parse(t) as { code?: string; data?: unknown };
    // not from the recording: the empty account's answer (no data), never a made-up one
    expect(a.data === undefined || (Array.isArray(a.data) && a.data.length === 0) || a.code !== '200', t).toBe(true);
  }
}, 120_000);
