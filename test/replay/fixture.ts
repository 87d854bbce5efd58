/**
 * Replay test fixtures: a data folder recorded from the simulator by the real recorder (a child
 * process), the recorded frames read back from the raw table, and small socket helpers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { CLI, ROOT, RecorderProcess, journalRecords, tmpDir, until } from '../recorder/harness.js';
import { blobBytes, query } from '../recorder/sim-harness.js';
import { FLAG_OVERLAP } from '../../schemas/record.js';
import { ReplayCursor } from '../../replay/cursor.js';
import { ReplayClock } from '../../replay/clock.js';
import { ReplayStats } from '../../replay/stats.js';
import type { Timeline } from '../../replay/timeline.js';
import type { StreamInfo } from '../../replay/catalog.js';
import type { SessionLink } from '../../exchanges/types.js';
import { FAST_FEED_THROTTLE } from '../../simulator/feed.js';

export { tmpDir, until };

/** Streams a fixture must hold data frames of: `[exchange, stream key, at least this many]`. */
export type FrameFloor = ReadonlyArray<readonly [exchange: string, stream: string, atLeast: number]>;

/** The longest a fixture records past its `ms` while it waits for its floor (a loaded machine is slow). */
const FLOOR_WAIT_MS = 90_000;

/** Whether the journal (open segments included) holds the floor's data frames, counted as the replay sends them. */
function journalMeets(dataDir: string, floor: FrameFloor): boolean {
  const counts = new Map<string, number>();
  for (const r of journalRecords(dataDir)) {
    if (r.direction !== 'in' || (r.kind !== 'text' && r.kind !== 'binary') || r.flags & FLAG_OVERLAP) continue;
    const key = `${r.exchange}\u0000${r.stream}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return floor.every(([exchange, stream, atLeast]) => (counts.get(`${exchange}\u0000${stream}`) ?? 0) >= atLeast);
}

/**
 * Records the built-in simulator (all four exchanges, their default public and private channels)
 * for about `ms`, and on past it until the journal holds the `floor` (a condition wait, so a slow
 * machine gets the frames a test counts on), then stops the recorder with SIGTERM (which seals the
 * journal). Snapshots are pushed at the simulator's fast load-test rates (FAST_FEED_THROTTLE), not
 * at each exchange's documented cadence, so a few seconds of recording hold plenty of frames of
 * every stream.
 */
export async function recordSimulated(dataDir: string, ms = 4000, extraArgs: string[] = [], floor: FrameFloor = []): Promise<void> {
  // the simulator's options go in a config file; a quick-form --exchange/--channels goes there too
  const args = [...extraArgs];
  const take = (flag: string): string | undefined => {
    const i = args.indexOf(flag);
    return i < 0 ? undefined : args.splice(i, 2)[1];
  };
  const exchange = take('--exchange');
  const channels = take('--channels');
  const file = { simulate: { seed: 7, rate: 100, throttle: FAST_FEED_THROTTLE }, ...(exchange ? { exchanges: [{ name: exchange, channels: (channels ?? '').split(',') }] } : {}) };
  const config = path.join(dataDir, '..', `simulate-${path.basename(dataDir)}.json`);
  fs.writeFileSync(config, JSON.stringify(file));
  const rec = new RecorderProcess(['--config', config, '--data', dataDir, '--http', 'off', '--stagger-ms', '0', ...args]);
  await rec.waitLog((l) => l.msg === 'recording', 30_000);
  await new Promise((r) => setTimeout(r, ms));
  if (floor.length > 0) await until(() => journalMeets(dataDir, floor), `recorded frames ${JSON.stringify(floor)}`, FLOOR_WAIT_MS, 250);
  const exit = await rec.stop('SIGTERM');
  if (exit.code !== 0) throw new Error(`recorder exited with ${exit.code}: ${rec.stderr.slice(-2000)}`);
}

/** A fixture folder shared by the tests of one file: recorded once (for `ms`, and until it holds `floor`). */
export async function fixtureData(prefix: string, ms = 4000, floor: FrameFloor = []): Promise<string> {
  const dir = tmpDir(prefix);
  const data = path.join(dir, 'data');
  fs.mkdirSync(data);
  await recordSimulated(data, ms, [], floor);
  return data;
}

export interface RecordedFrame {
  stream: string;
  recvNs: bigint;
  connId: string;
  kind: string;
  payload: Buffer;
}

/** Data frames of the given streams (or all), in recorded order, as the replay sends them (overlaps left out). */
export async function recordedFrames(data: string, exchange: string, streams?: string[], fromNs?: bigint): Promise<RecordedFrame[]> {
  const conds = [`exchange = '${exchange}'`, `direction = 'in'`, `kind IN ('text', 'binary')`, `(flags & ${FLAG_OVERLAP}) = 0`];
  if (streams) conds.push(`stream IN (${streams.map((s) => `'${s.replace(/'/g, "''")}'`).join(', ')})`);
  if (fromNs !== undefined) conds.push(`recv_ns >= ${fromNs}`);
  const rows = await query(data, `SELECT stream, recv_ns, conn_id, kind, payload FROM raw WHERE ${conds.join(' AND ')} ORDER BY recv_ns, conn_id, seq`);
  return rows.map((r) => ({ stream: String(r.stream), recvNs: BigInt(r.recv_ns as bigint), connId: String(r.conn_id), kind: String(r.kind), payload: blobBytes(r.payload) }));
}

/** Coinstore frames with the session fields (S, sid) blanked: what must match byte for byte. */
export function withoutSessionFields(text: string): string {
  return text.replace(/"S":\d+/, '"S":0').replace(/"sid":"[^"]*"/, '"sid":""');
}

export interface Collected {
  ws: WebSocket;
  messages: string[];
  closed: Promise<{ code: number; reason: string }>;
  /** Resolves once `pred` holds over the messages so far (or rejects when the socket closes first). */
  waitFor(pred: (msgs: string[]) => boolean, what: string, timeoutMs?: number): Promise<void>;
}

/** Opens a WebSocket and collects its text messages. */
export async function collect(url: string, opts: WebSocket.ClientOptions = {}, protocols: string[] = []): Promise<Collected> {
  const ws = new WebSocket(url, protocols, opts);
  const messages: string[] = [];
  const waiters: Array<() => void> = [];
  ws.on('message', (d: Buffer) => {
    messages.push(d.toString('utf8'));
    for (const w of [...waiters]) w();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
      for (const w of [...waiters]) w();
    });
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    ws,
    messages,
    closed,
    waitFor(pred, what, timeoutMs = 20_000) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (pred(messages)) {
            done();
            resolve();
          } else if (ws.readyState === WebSocket.CLOSED) {
            done();
            reject(new Error(`socket closed while waiting for ${what}; got ${messages.length} messages`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out waiting for ${what}; got ${messages.length} messages: ${messages.slice(-3).join(' | ').slice(0, 500)}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          const i = waiters.indexOf(check);
          if (i >= 0) waiters.splice(i, 1);
        };
        waiters.push(check);
        check();
      });
    },
  };
}

export function json(s: string): any {
  return JSON.parse(s);
}

/** `ticktape replay ...` as a child process; resolves once it listens (port read from its banner). */
export async function startReplayProcess(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ port: number; child: ChildProcess; stderr: () => string; stop(): Promise<number | null> }> {
  const child = spawn(process.execPath, [CLI, 'replay', '--port', '0', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TICKTAPE_LOG_LEVEL: 'info', ...env } });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      const m = /listening on [^\s]+:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    void exited.then((code) => reject(new Error(`replay exited (${code}) before listening: ${err.slice(-2000)}`)));
  });
  return {
    port,
    child,
    stderr: () => err,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/**
 * A Coinstore replay cursor at max speed over `timeline`, bound to an in-memory link: resolves
 * `ended` when the cursor closes the link at the end of the range.
 */
export function maxSpeedCursor(streams: ReadonlyMap<string, StreamInfo>, firstNs: bigint, timeline: () => Timeline): { cursor: ReplayCursor; link: SessionLink; ended: Promise<void> } {
  let end!: () => void;
  const ended = new Promise<void>((r) => (end = r));
  const cursor = new ReplayCursor({
    exchange: 'coinstore',
    graceMs: 0,
    continueOnGaps: false,
    loop: false,
    softBufferBytes: 1 << 20,
    maxBufferedBytes: 1 << 30,
    streams,
    disconnects: [],
    stats: new ReplayStats(),
    clock: () => new ReplayClock(firstNs, 'max'),
    timeline,
    primers: async () => [],
  });
  const link: SessionLink = {
    url: new URL('ws://x/'),
    send() {},
    ping() {},
    close: () => end(),
    subscribe: () => ({ ok: true as const }),
    unsubscribe() {},
    bufferedAmount: () => 0,
    claim() {},
    maxMessageBytes: 1 << 20,
    cork: (fn: () => void) => fn(),
    sendWith: () => undefined,
  };
  return { cursor, link, ended };
}
