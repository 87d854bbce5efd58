/**
 * `--loop` restarts read the store once for all the sessions that come back to the start of the
 * range, as the first start does, not once per session: a read per session at every restart (each
 * on a DuckDB instance of its own) made the replay's memory jump by hundreds of megabytes
 * (bench/replay-loop.ts measures it). Counted here by what the server reports: records read from
 * the store and reads open, never by time or memory.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openJournalWriter } from '../../store/journal/index.js';
import { startReplay, type ReplayServer } from '../../replay/server.js';
import { collect, tmpDir, until, type Collected } from './fixture.js';

const TOKEN = 'WHZWUFAxWlV0bzdMMzl5N1dmYy1z';
/** Fewer records than the timeline's read-ahead holds: no client can fall behind into a read of its own. */
const FRAMES = 3_000;
const CLIENTS = 8;
const PASSES = 3;
const T0 = 1_795_400_000_000_000_000n;

let dir: string;
let replay: ReplayServer;

beforeAll(async () => {
  dir = tmpDir('tt-replay-loop-');
  const data = path.join(dir, 'data');
  const w = openJournalWriter({ dataDir: data, instance: 'loop', nowNs: () => T0 });
  for (let i = 0; i < FRAMES; i++) {
    const payload = `{"event":"API_MARKETDEPTH","data":{"asks":[{"cp":"lp1","price":"${64001 + (i % 7)}.5","time":"${1795400000000 + i}","volume":"0.25"}],"bids":[],"symbol":"BTCUSDT"}}`;
    w.append({ exchange: 'nexus', connId: 'loop-nx-1', seq: i + 1, recvNs: T0 + BigInt(i) * 1_000_000n, direction: 'in', kind: 'text', stream: 'API_MARKETDEPTH:BTCUSDT:5', endpoint: 'wss://x/api/realtime', payload: Buffer.from(payload), flags: 0 });
  }
  await w.close();
  replay = await startReplay({ dataDir: data, port: 0, speed: 'max', graceMs: 200, loop: true });
});

afterAll(async () => {
  await replay?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** CLIENTS connections (of one named session, or each its own), each until it got PASSES passes of the range. */
async function loopClients(session: string | null): Promise<{ passes: number; read: number }> {
  const before = replay.stats.recordsRead;
  const clients: Collected[] = [];
  for (let i = 0; i < CLIENTS; i++) {
    const c = await collect(`ws://127.0.0.1:${replay.port}/nexus/api/realtime?X-API-TOKEN=${TOKEN}${session ? `&session=${session}` : ''}`);
    c.ws.send(JSON.stringify({ id: '1', action: 'SUBSCRIBE', event: 'API_MARKETDEPTH', symbol: 'BTCUSDT', depth: 5 }));
    clients.push(c);
  }
  await Promise.all(clients.map((c) => c.waitFor((m) => m.length >= PASSES * FRAMES, `${PASSES} passes of the range`, 60_000)));
  for (const c of clients) c.ws.terminate();
  // the server sees the closes: every read of the store is released with its last client
  await until(() => replay.stats.readsOpen === 0, 'the reads of the store released', 10_000, 20);
  const passes = Math.ceil(Math.max(...clients.map((c) => c.messages.length)) / FRAMES);
  return { passes, read: replay.stats.recordsRead - before };
}

it('the connections of a session coming back to the start of the range share one read of it', async () => {
  // one session, one clock: at the end of the range it starts over for all of its connections at once
  const { passes, read } = await loopClients('looping');
  // one read of the range per pass, whatever the number of clients (a read per client at each
  // restart is CLIENTS times that)
  expect(read).toBeLessThanOrEqual((passes + 1) * FRAMES);
}, 90_000);

it('sessions of their own, each looping on its own clock, share one read of the range at each restart', async () => {
  const { passes, read } = await loopClients(null);
  // sessions of one range move in step on the shared read: they come back to the start together
  // and join the new read; one late session may start another
  expect(read).toBeLessThanOrEqual((passes + 2) * FRAMES);
  expect(read).toBeLessThan(CLIENTS * (passes - 1) * FRAMES);
}, 90_000);
