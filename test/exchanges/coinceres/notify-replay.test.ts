/**
 * The notification socket through the whole product: `ticktape record --simulate` (built CLI)
 * records the demo account's notices on the `notify` stream, they seal into orders rows, and the
 * replay server sends exactly the recorded notices, byte for byte and in order, to a client that
 * connects with the signed URL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { coinceres } from '../../../exchanges/coinceres/index.js';
import { handshakeSign } from '../../../exchanges/coinceres/sign.js';
import { startReplay, type ReplayServer } from '../../../replay/server.js';
import { query } from '../../recorder/sim-harness.js';
import { fixtureData, recordedFrames } from '../../replay/fixture.js';

let data: string;
let replay: ReplayServer | null = null;

beforeAll(async () => {
  data = await fixtureData('tt-cc-notify-', 4000);
}, 60_000);
afterAll(async () => {
  await replay?.close();
});

describe('coinceres notify: record, seal, replay', () => {
  it('records notices on the notify stream with the sign left out of the stored URL, and they seal into orders rows', async () => {
    const frames = await recordedFrames(data, 'coinceres', ['notify']);
    expect(frames.length).toBeGreaterThan(0);
    for (const f of frames) expect(JSON.parse(f.payload.toString('utf8')).messageType).toBe('1');
    const endpoints = await query(data, `SELECT DISTINCT endpoint FROM raw WHERE exchange = 'coinceres' AND stream = 'notify'`);
    expect(endpoints.map((r) => String(r.endpoint))).toEqual([expect.stringMatching(/\/coinceres\/notify\?api_key=bGppXpZqNrzVOptf$/)]);
    const rows = await query(data, `SELECT count(*) AS n FROM orders WHERE exchange = 'coinceres' AND stream = 'notify'`);
    expect(Number(rows[0].n)).toBe(frames.length);
  });

  it('the replay sends the recorded notices byte for byte, and answers ping with pong', async () => {
    replay = await startReplay({ dataDir: data, port: 0, speed: 'max', graceMs: 100 });
    const { apiKey, secret } = coinceres.demoCredentials;
    const ws = new WebSocket(`${replay.url('coinceres', 'notify')}?api_key=${apiKey}&sign=${handshakeSign(apiKey, secret)}`);
    const texts: string[] = [];
    ws.on('message', (d: Buffer) => texts.push(d.toString('utf8')));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.send('ping');
    const end = await new Promise<number>((resolve) => ws.once('close', (code: number) => resolve(code)));
    expect(end).toBe(1000);
    expect(texts).toContain('pong');
    const want = (await recordedFrames(data, 'coinceres', ['notify'])).map((f) => f.payload.toString('utf8'));
    expect(texts.filter((t) => t !== 'pong')).toEqual(want);
  });
});
