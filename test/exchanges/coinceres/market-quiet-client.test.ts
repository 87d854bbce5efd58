/**
 * Coinceres' market socket and a client that never pings it — the exchange's own SDK opens the
 * market socket, subscribes and only listens. No document says the server closes such a client,
 * so neither the simulator nor the replay may: past 30 s of silence from the client the data keeps
 * coming. Written from the documents: the subscribe arrays of coinceres_market_2019-02-19.md
 * (`subscribe-depth10`) and the 2019-02 Python client's `subscribe-depth`; the ping
 * `{"msg_type":"ping"}` answered with `{"msg_type":"pong","time":…}`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../../simulator/server.js';
import { startReplay, type ReplayServer } from '../../../replay/server.js';
import { fixtureData } from '../../replay/fixture.js';
import { openSocket, type TestSocket } from './ws-client.js';

/** Longer than the 30 s after which the market socket used to close a client that did not ping. */
const QUIET_MS = 33_000;

const sub = (type: string) => JSON.stringify([{ msg_type: type, exchange: 'OKEX', contract: 'BTC/USDT' }]);

/** Subscribes and returns a counter of depth pushes received. */
async function listen(url: string, msgType: string): Promise<{ s: TestSocket; depths: () => number; closes: { code: number; reason: string }[] }> {
  const s = await openSocket(url);
  await s.nextJson((m) => typeof m.info === 'string' || m.info !== undefined);
  let depths = 0;
  const closes: { code: number; reason: string }[] = [];
  s.ws.on('message', (d: Buffer) => {
    if (d.toString('utf8').includes('"push-depth10"')) depths++;
  });
  void s.closed.then((c) => closes.push(c));
  s.send(sub(msgType));
  const [ack] = await s.nextJson<Array<Record<string, unknown>>>(Array.isArray);
  expect(ack).toMatchObject({ msg_type: `subscribed-${msgType.slice('subscribe-'.length)}`, exchange: 'OKEX', contract: 'BTC/USDT', code: 200 });
  return { s, depths: () => depths, closes };
}

describe('coinceres market socket: a client that never pings', () => {
  let sim: Simulator;
  let replay: ReplayServer;
  beforeAll(async () => {
    sim = await startSimulator({ port: 0, seed: 5, rate: 20 });
    replay = await startReplay({ dataDir: await fixtureData('tt-cc-quiet-'), port: 0, speed: 1, loop: true, graceMs: 50 });
  }, 60_000);
  afterAll(async () => {
    await sim?.close();
    await replay?.close();
  });

  it(
    'stays open and keeps receiving depth past 30 s, on the simulator and the replay, with subscribe-depth and subscribe-depth10',
    async () => {
      const simUrl = sim.url('coinceres', 'market');
      const replayUrl = `ws://127.0.0.1:${replay.port}/coinceres/market`;
      const clients = await Promise.all([listen(simUrl, 'subscribe-depth10'), listen(simUrl, 'subscribe-depth'), listen(replayUrl, 'subscribe-depth10'), listen(replayUrl, 'subscribe-depth')]);
      // one client pings as the document says, and is answered
      const pinger = await openSocket(simUrl);
      pinger.send('{"msg_type":"ping"}');
      const pong = await pinger.nextJson((m) => m.msg_type === 'pong');
      expect(typeof pong.time).toBe('string');
      expect(Number(pong.time)).toBeGreaterThan(0);
      pinger.close();

      await new Promise((r) => setTimeout(r, QUIET_MS));
      const before = clients.map((c) => c.depths());
      await new Promise((r) => setTimeout(r, 2_000));
      clients.forEach((c, i) => {
        expect(c.closes, `client ${i}`).toEqual([]);
        expect(c.s.ws.readyState, `client ${i}`).toBe(c.s.ws.OPEN);
        expect(c.depths(), `client ${i}`).toBeGreaterThan(before[i]);
      });
      for (const c of clients) c.s.close();
    },
    QUIET_MS + 20_000,
  );

  it('closing idle clients stays available as a fault (fault.idleCloseS)', async () => {
    const s = await openSocket(`${sim.url('coinceres', 'market')}?fault.idleCloseS=0.5`);
    const closed = await s.closed;
    expect(closed).toEqual({ code: 1000, reason: 'idle timeout: no ping received' });
    expect(sim.stats().faults.idleLimits).toBe(1);
  });
});
