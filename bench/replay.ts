/**
 * Replay server benchmarks, on sealed synthetic recordings (Nexus depth frames: sent as recorded;
 * Coinstore trades: S and sid re-stamped per session):
 *  - max-speed frames/s to one client and to 10 clients of the same range (clients in a child
 *    process, so the server has its own core);
 *  - timing error of 1x and 10x replay: actual − scheduled send time, p50/p99/max, at 2k and
 *    20k frames/s;
 *  - server RSS while a client reads slowly at max speed.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import type { TapeRecord } from '../schemas/record.js';
import { compactAll } from '../store/seal/compact.js';
import { sealClosedSegments } from '../store/seal/sealer.js';
import { startReplay } from '../replay/server.js';
import { openJournalWriter } from '../store/journal/index.js';
import type { BenchResult } from './types.js';

const MAX_FRAMES = Number(process.env.TICKTAPE_BENCH_REPLAY_FRAMES ?? 1_000_000);
/** Paced data: one frame every 500 µs (2k frames/s at 1x). */
const PACED_SPACING_NS = 500_000n;
const PACED_FRAMES = 100_000;
const T0 = 1_795_400_000_000_000_000n;
export const TOKEN = 'WHZWUFAxWlV0bzdMMzl5N1dmYy1z';
/** Parts to run (TICKTAPE_BENCH_REPLAY_PARTS, comma separated: paced, max, ten, slow; default all). */
const PARTS = new Set((process.env.TICKTAPE_BENCH_REPLAY_PARTS ?? 'paced,max,ten,slow').split(',').filter(Boolean));
/**
 * TICKTAPE_BENCH_REPLAY_BASELINE: the `dist` folder of an earlier build; its replay server serves
 * the same recordings at max speed, alternating with this build's for TICKTAPE_BENCH_REPLAY_ROUNDS
 * rounds (default 3): before and after from one run.
 */
const BASELINE_DIST = process.env.TICKTAPE_BENCH_REPLAY_BASELINE ?? '';
const ROUNDS = Number(process.env.TICKTAPE_BENCH_REPLAY_ROUNDS ?? (BASELINE_DIST ? 3 : 1));
type StartReplay = typeof startReplay;
const baselineStart: StartReplay | null = BASELINE_DIST ? ((await import(pathToFileURL(path.join(BASELINE_DIST, 'replay/server.js')).href)) as { startReplay: StartReplay }).startReplay : null;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
const CLIENT_FLAG = '--replay-bench-client';
const MAKE_FLAG = '--replay-bench-make';

function nexusRecord(i: number, spacingNs: bigint): TapeRecord {
  const px = 64000 + (i % 97) - 48;
  const payload = `{"event":"API_MARKETDEPTH","data":{"asks":[{"cp":"lp1","price":"${px + 1}.5","time":"${1795400000000 + i}","volume":"0.25"}],"bids":[{"cp":"lp2","price":"${px}.5","time":"${1795400000000 + i}","volume":"0.5"}],"symbol":"BTCUSDT"}}`;
  return { exchange: 'nexus', connId: 'bench-nx-1', seq: i + 1, recvNs: T0 + BigInt(i) * spacingNs, direction: 'in', kind: 'text', stream: 'API_MARKETDEPTH:BTCUSDT:5', endpoint: 'wss://sim/api/realtime', payload: Buffer.from(payload), flags: 0 };
}

function coinstoreRecord(i: number, spacingNs: bigint): TapeRecord {
  const payload = `{"S":${i + 4},"T":"trade","channel":"btcusdt@trade","price":"65000.${i % 100}","tradeId":${i + 1},"seq":${i + 1},"ts":${1795400000000 + i},"takerSide":"BUY","time":1795400000,"volume":"0.0867","symbol":"BTCUSDT","instrumentId":4}`;
  return { exchange: 'coinstore', connId: 'bench-cs-1', seq: i + 1, recvNs: T0 + BigInt(i) * spacingNs, direction: 'in', kind: 'text', stream: 'btcusdt@trade', endpoint: 'wss://sim/s/ws', payload: Buffer.from(payload), flags: 0 };
}

/** Writes and seals `n` generated records into `dir` (run in a child process: the bench's own heap stays small). */
async function makeData(dir: string, kind: string, n: number, spacingNs: bigint): Promise<void> {
  const make = kind === 'nexus' ? nexusRecord : coinstoreRecord;
  const w = openJournalWriter({ dataDir: dir, instance: 'bench' });
  for (let i = 0; i < n; i++) {
    w.append(make(i, spacingNs));
    if (i % 1000 === 999) w.flush();
    if (i % 250_000 === 249_999 && i < n - 1) w.rotate();
  }
  await w.close();
  await sealClosedSegments(dir);
  await compactAll(dir);
}

/** A sealed data folder of `n` generated records, made by a child process. */
export async function sealedData(kind: 'nexus' | 'coinstore', n: number, spacingNs: bigint): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-bench-replay-'));
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), MAKE_FLAG, dir, kind, String(n), String(spacingNs)], { stdio: ['ignore', 'inherit', 'inherit'] });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`making the bench data failed (${code})`);
  return dir;
}

interface ClientReport {
  /** Recorded frames received (the session's own replies before them not counted). */
  frames: number;
  /** From the first recorded frame to the close. */
  secs: number;
  code: number;
}

/**
 * Messages a session sends before the first recorded frame: Coinstore's welcome, then the echo and
 * resp of the SUB; Nexus answers a SUBSCRIBE with nothing. The client's clock starts after them,
 * so both parts time the same thing: the recorded frames, not the wait for the first read.
 */
function repliesBeforeData(exchange: string): number {
  return exchange === 'coinstore' ? 3 : 0;
}

/** Runs `count` clients in a child process; each subscribes and counts frames until the server closes. */
export function runClients(url: string, exchange: 'nexus' | 'coinstore', count: number, mode: 'raw' | 'fast' | 'slow'): { done: Promise<ClientReport[]>; pid: number | undefined } {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), CLIENT_FLAG, url, exchange, String(count), mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  const done = new Promise<ClientReport[]>((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as ClientReport[]) : reject(new Error(`bench client exited with ${code}`)))));
  return { done, pid: child.pid };
}

/** The subscribe message of the bench client. */
function subscribeText(exchange: string): string {
  return exchange === 'nexus' ? JSON.stringify({ id: '1', action: 'SUBSCRIBE', event: 'API_MARKETDEPTH', symbol: 'BTCUSDT', depth: 5 }) : JSON.stringify({ op: 'SUB', channel: ['btcusdt@trade'], id: 1 });
}

/**
 * A client that reads the WebSocket stream off a plain TCP socket and only walks the frame headers:
 * it measures what the server sends, not how fast a client can decode (a `ws` client in Node tops
 * out near the server's rate and would hide it). Its work is per frame, not per byte: a payload
 * that runs past the end of a chunk is skipped in the next one, never copied; only a header (or a
 * close frame) cut by a chunk's end is carried over, a few bytes.
 */
function rawClient(url: string, exchange: string): Promise<ClientReport> {
  const u = new URL(url);
  return new Promise<ClientReport>((resolve, reject) => {
    const sock = net.connect(Number(u.port), u.hostname);
    /** Bytes of the upgrade response while it is incomplete. */
    let handshake: Buffer | null = Buffer.alloc(0);
    /** A frame start cut by the end of the last chunk (its header, or a whole close frame). */
    let carried: Buffer | null = null;
    /** Payload bytes of the current frame still to come in later chunks. */
    let skip = 0;
    const replies = repliesBeforeData(exchange);
    /** Text and binary frames received, the session's replies included. */
    let seen = 0;
    let t0 = 0n;
    let code = 0;
    sock.on('connect', () => {
      sock.write(`GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    const walk = (buf: Buffer, from: number) => {
      let off = from;
      while (off < buf.length) {
        const left = buf.length - off;
        if (left < 2) {
          carried = buf.subarray(off);
          return;
        }
        const op = buf[off] & 0x0f;
        let len = buf[off + 1] & 0x7f;
        let head = 2;
        if (len === 126) {
          if (left < 4) {
            carried = buf.subarray(off);
            return;
          }
          len = (buf[off + 2] << 8) | buf[off + 3];
          head = 4;
        } else if (len === 127) {
          if (left < 10) {
            carried = buf.subarray(off);
            return;
          }
          len = Number(buf.readBigUInt64BE(off + 2));
          head = 10;
        }
        if (op === 0x8) {
          if (left < head + len) {
            carried = buf.subarray(off);
            return;
          }
          code = len >= 2 ? buf.readUInt16BE(off + head) : 1005;
        } else if (op === 0x1 || op === 0x2) {
          if (++seen === replies + 1) t0 = process.hrtime.bigint();
        }
        const end = off + head + len;
        if (end > buf.length) {
          skip = end - buf.length;
          return;
        }
        off = end;
      }
    };
    sock.on('data', (d: Buffer) => {
      if (handshake) {
        const all: Buffer = Buffer.concat([handshake, d]);
        const end = all.indexOf('\r\n\r\n');
        if (end < 0) {
          handshake = all;
          return;
        }
        handshake = null;
        const payload = Buffer.from(subscribeText(exchange));
        const mask = Buffer.from([1, 2, 3, 4]);
        const masked = Buffer.from(payload.map((b, i) => b ^ mask[i & 3]));
        sock.write(Buffer.concat([Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 0xff]), mask, masked]));
        walk(all, end + 4);
      } else if (skip >= d.length) skip -= d.length;
      else {
        const from = skip;
        skip = 0;
        const c: Buffer | null = carried;
        carried = null;
        if (c) walk(Buffer.concat([c, d.subarray(from)]), 0);
        else walk(d, from);
      }
      if (code) sock.end();
    });
    sock.on('error', reject);
    sock.on('close', () => resolve({ frames: Math.max(0, seen - replies), secs: Number(process.hrtime.bigint() - t0) / 1e9, code }));
  });
}

async function clientMain(url: string, exchange: string, count: number, mode: string): Promise<void> {
  if (mode === 'raw') {
    process.stdout.write(JSON.stringify(await Promise.all(Array.from({ length: count }, () => rawClient(url, exchange)))));
    return;
  }
  const one = () =>
    new Promise<ClientReport>((resolve, reject) => {
      const ws = new WebSocket(url);
      const replies = repliesBeforeData(exchange);
      let seen = 0;
      let t0 = 0n;
      ws.on('open', () => {
        ws.send(subscribeText(exchange));
        if (mode === 'slow') {
          // reads 20 ms out of every 250 ms
          const timer = setInterval(() => {
            ws.resume();
            setTimeout(() => ws.pause(), 20);
          }, 250);
          ws.pause();
          ws.once('close', () => clearInterval(timer));
        }
      });
      ws.on('message', () => {
        if (++seen === replies + 1) t0 = process.hrtime.bigint();
      });
      ws.on('error', reject);
      ws.on('close', (code) => resolve({ frames: Math.max(0, seen - replies), secs: Number(process.hrtime.bigint() - t0) / 1e9, code }));
    });
  const reports = await Promise.all(Array.from({ length: count }, one));
  process.stdout.write(JSON.stringify(reports));
}

async function maxSpeed(dataDir: string, exchange: 'nexus' | 'coinstore', clients: number, start: StartReplay = startReplay): Promise<{ perClient: number; total: number; frames: number }> {
  const server = await start({ dataDir, port: 0, speed: 'max', graceMs: 50 });
  try {
    const path = exchange === 'nexus' ? `/nexus/api/realtime?X-API-TOKEN=${TOKEN}` : '/coinstore/s/ws';
    const { done } = runClients(`ws://127.0.0.1:${server.port}${path}`, exchange, clients, 'raw');
    const reports = await done;
    const frames = reports.reduce((a, r) => a + r.frames, 0);
    const secs = Math.max(...reports.map((r) => r.secs));
    const min = Math.min(...reports.map((r) => r.frames));
    if (min < MAX_FRAMES) throw new Error(`a client got ${min} of ${MAX_FRAMES} frames`);
    return { perClient: reports.reduce((a, r) => a + r.frames / r.secs, 0) / reports.length, total: frames / secs, frames };
  } finally {
    await server.close();
  }
}

async function paced(dataDir: string, speed: number, frames: number): Promise<{ p50: number; p99: number; max: number; samples: number; rate: number }> {
  const server = await startReplay({ dataDir, port: 0, speed, graceMs: 50, toNs: T0 + BigInt(frames) * PACED_SPACING_NS });
  try {
    const { done } = runClients(`ws://127.0.0.1:${server.port}/nexus/api/realtime?X-API-TOKEN=${TOKEN}`, 'nexus', 1, 'fast');
    const [r] = await done;
    const l = server.stats.latenessMs();
    return { ...l, rate: r.frames / r.secs };
  } finally {
    await server.close();
  }
}

async function slowClientMemory(dataDir: string): Promise<{ peakRssMb: number; baseRssMb: number; peakJsMb: number; frames: number }> {
  const server = await startReplay({ dataDir, port: 0, speed: 'max', graceMs: 50 });
  try {
    const js = () => {
      const m = process.memoryUsage();
      return m.heapUsed + m.external;
    };
    const base = process.memoryUsage().rss;
    let peak = base;
    let peakJs = js();
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
      peakJs = Math.max(peakJs, js());
    }, 50);
    const { done, pid } = runClients(`ws://127.0.0.1:${server.port}/nexus/api/realtime?X-API-TOKEN=${TOKEN}`, 'nexus', 1, 'slow');
    await new Promise((r) => setTimeout(r, 6000));
    clearInterval(sampler);
    try {
      if (pid) process.kill(pid, 'SIGKILL');
    } catch {
      // it finished the range already
    }
    await done.catch(() => undefined);
    return { peakRssMb: peak / 2 ** 20, baseRssMb: base / 2 ** 20, peakJsMb: peakJs / 2 ** 20, frames: server.stats.frames };
  } finally {
    await server.close();
  }
}

/** One client at max speed, median of ROUNDS, alternating with the baseline build's server when one is given. */
async function maxSpeedRounds(dataDir: string, exchange: 'nexus' | 'coinstore', label: string, note: string): Promise<BenchResult[]> {
  const now: number[] = [];
  const before: number[] = [];
  let frames = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const a = await maxSpeed(dataDir, exchange, 1);
    now.push(a.perClient);
    frames = a.frames;
    if (baselineStart) before.push((await maxSpeed(dataDir, exchange, 1, baselineStart)).perClient);
  }
  const out: BenchResult[] = [{ name: `max speed, 1 client (${label})`, value: Math.round(median(now)), unit: 'frames/s', note: `${frames} frames of ${note}${ROUNDS > 1 ? `; median of ${ROUNDS}` : ''}` }];
  if (before.length) out.push({ name: `max speed, 1 client (${label}), baseline build (before)`, value: Math.round(median(before)), unit: 'frames/s', note: `median of ${ROUNDS}, alternating; ${BASELINE_DIST}` });
  return out;
}

export async function run(): Promise<BenchResult[]> {
  const dirs: string[] = [];
  try {
    const out: BenchResult[] = [];
    if (PARTS.has('paced')) {
      // paced runs first, while the process is small and quiet
      const pacedData = await sealedData('nexus', PACED_FRAMES, PACED_SPACING_NS);
      dirs.push(pacedData);
      const x1 = await paced(pacedData, 1, 10_000);
      out.push({ name: '1x timing error p50 (2k frames/s)', value: x1.p50, unit: 'ms', note: `actual − scheduled send, all ${x1.samples} frames (histogram, ±4 %)` });
      out.push({ name: '1x timing error p99 (2k frames/s)', value: x1.p99, unit: 'ms' });
      out.push({ name: '1x timing error max (2k frames/s)', value: x1.max, unit: 'ms' });
      const x10 = await paced(pacedData, 10, PACED_FRAMES);
      out.push({ name: '10x timing error p50 (20k frames/s)', value: x10.p50, unit: 'ms', note: `all ${x10.samples} frames` });
      out.push({ name: '10x timing error p99 (20k frames/s)', value: x10.p99, unit: 'ms' });
      out.push({ name: '10x timing error max (20k frames/s)', value: x10.max, unit: 'ms' });
    }
    if (!PARTS.has('max') && !PARTS.has('ten') && !PARTS.has('slow')) return out;
    const maxNexus = await sealedData('nexus', MAX_FRAMES, 10_000n);
    dirs.push(maxNexus);
    if (PARTS.has('max')) {
      const maxCoinstore = await sealedData('coinstore', MAX_FRAMES, 10_000n);
      dirs.push(maxCoinstore);
      out.push(...(await maxSpeedRounds(maxNexus, 'nexus', 'nexus, bytes as recorded', '~200 B; the client walks frame headers only')));
      out.push(...(await maxSpeedRounds(maxCoinstore, 'coinstore', 'coinstore, S re-stamped', '~190 B')));
    }
    if (PARTS.has('ten')) {
      const ten = await maxSpeed(maxNexus, 'nexus', 10);
      out.push({ name: 'max speed, 10 clients of one range (nexus)', value: Math.round(ten.total), unit: 'frames/s', note: `all clients together; ${Math.round(ten.perClient)} frames/s each` });
    }
    if (PARTS.has('slow')) {
      const slow = await slowClientMemory(maxNexus);
      out.push({
        name: 'slow client at max speed: peak RSS',
        value: Math.round(slow.peakRssMb),
        unit: 'MiB',
        note: `before: ${Math.round(slow.baseRssMb)} MiB; DuckDB's sorted read dominates; ${slow.frames} frames in 6 s to a client reading 20 ms of every 250 ms`,
      });
      out.push({ name: 'slow client at max speed: peak JS heap + buffers', value: Math.round(slow.peakJsMb), unit: 'MiB', note: 'what the replay itself holds' });
    }
    return out;
  } finally {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  }
}

if (process.argv[2] === MAKE_FLAG) {
  void makeData(process.argv[3], process.argv[4], Number(process.argv[5]), BigInt(process.argv[6])).then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`${String(err)}\n`);
      process.exit(1);
    },
  );
}

if (process.argv[2] === CLIENT_FLAG) {
  void clientMain(process.argv[3], process.argv[4], Number(process.argv[5]), process.argv[6]).then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`${String(err)}\n`);
      process.exit(1);
    },
  );
}
