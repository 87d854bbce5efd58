/**
 * A Coinstore `param.size` batch is read from the recording while the replay goes on: at max speed
 * with no grace the replay of a short range reaches its end before that read returns. The end of the
 * range (close 1000) waits for what the session still has to send: the resp, the batch, then every
 * trade after the replay time, never a close in between.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startReplay, type ReplayServer } from '../../replay/server.js';
import { collect, fixtureData, json, recordedFrames, withoutSessionFields } from './fixture.js';

let data: string;
let replay: ReplayServer;

beforeAll(async () => {
  data = await fixtureData('tt-replay-batch-end-', 3000, [['coinstore', 'btcusdt@trade', 25]]);
  replay = await startReplay({ dataDir: data, port: 0, speed: 'max', graceMs: 0 });
}, 150_000);
afterAll(async () => {
  await replay?.close();
});

it('the end of the range waits for the param.size batch and the trades behind it', async () => {
  const trades = await recordedFrames(data, 'coinstore', ['btcusdt@trade']);
  // near the end of the recording: few frames after, so the cursor is done long before the batch is read
  const at = trades[trades.length - 3].recvNs;
  const after = trades.filter((f) => f.recvNs >= at).map((f) => withoutSessionFields(f.payload.toString('utf8')));
  const before = trades.filter((f) => f.recvNs < at).slice(-5);
  for (let round = 0; round < 5; round++) {
    const c = await collect(`ws://127.0.0.1:${replay.port}/coinstore/s/ws?from=${at}`);
    c.ws.send(JSON.stringify({ op: 'SUB', channel: ['btcusdt@trade'], param: { size: 5 }, id: 7 }));
    const end = await c.closed;
    expect(end.code).toBe(1000);
    const msgs = c.messages.map(json);
    expect(msgs[2]).toMatchObject({ T: 'resp', C: 200, M: 'sub.channel.success' });
    expect(msgs[3]?.data?.length).toBe(before.length);
    expect(c.messages.slice(4).map(withoutSessionFields)).toEqual(after);
    msgs.forEach((m, i) => expect(m.S).toBe(i + 1));
  }
}, 60_000);
