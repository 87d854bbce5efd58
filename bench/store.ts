/**
 * Object-storage benchmarks against a real S3 server (`moto_server` on a free loopback port, as the
 * tests run it), each next to the local-disk figure measured in the same run:
 *  - upload MB/s (ticktape's verified upload: PUT/multipart, read-back, sidecar, manifest commit)
 *    vs copying the same files on the local disk;
 *  - cold-cache time to the first replayed frame: the library's `replay()`, which streams day by
 *    day while later days download (store/remote/streamed-days.ts), vs syncing the whole range
 *    first and reading it (what every reader did before, and the replay server still does), vs
 *    the first batch from the local store; the frames span TICKTAPE_BENCH_STORE_DAYS days;
 *  - one query over the bucket with a cold cache, with a warm cache, and on the local store;
 *  - cold-cache time to the first frame a native client gets from the replay SERVER
 *    (`startReplayServer`, what `ticktape replay` runs) over s3:// (streaming day by day,
 *    replay/served-days.ts), vs syncing the whole range first and serving the snapshot (what the
 *    server did before), vs the local store: Coinstore trade pushes over the same days, from start
 *    to the first trade message, SERVER_ROUNDS rounds alternating, medians.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { openAnalysis } from '../analysis/open.js';
import WebSocket from 'ws';
import { replay } from '../api/replay.js';
import { startReplayServer } from '../api/replay-server.js';
import { listPartitionFiles } from '../store/partitions.js';
import { readRecords } from '../store/reader/read-records.js';
import { openRemoteDataSource } from '../store/remote/data-source.js';
import { openRemoteStore } from '../store/remote/s3-client.js';
import { resolveStoreConfig } from '../store/remote/store-config.js';
import { uploadStore } from '../store/remote/uploader.js';
import { sealClosedSegments } from '../store/seal/sealer.js';
import { shape } from './peers/shapes.js';
import { benchRecords, writeBenchJournal } from './seal.js';
import type { BenchResult } from './types.js';

const FRAMES = Number(process.env.TICKTAPE_BENCH_STORE_FRAMES ?? 500_000);
/** Days the frames are spread over (one journal segment, so one raw file, per day). */
const DAYS = Number(process.env.TICKTAPE_BENCH_STORE_DAYS ?? 4);
const DAY_NS = 86_400_000_000_000n;
const QUERY = 'SELECT stream, count(*), sum(octet_length(payload)) FROM raw GROUP BY stream';
/** Coinstore trade pushes of the replay server figures (over the same DAYS days). */
const SERVER_FRAMES = Number(process.env.TICKTAPE_BENCH_STORE_SERVER_FRAMES ?? 400_000);
const SERVER_ROUNDS = Number(process.env.TICKTAPE_BENCH_STORE_SERVER_ROUNDS ?? 3);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** From `start()` to the first trade push a Coinstore client subscribed to `channels` gets; then everything is closed. */
async function serverFirstFrameMs(start: () => Promise<{ port: number; close(): Promise<void> }>, channels: string[]): Promise<number> {
  const t0 = performance.now();
  const s = await start();
  try {
    const ws = new WebSocket(`ws://127.0.0.1:${s.port}/coinstore/s/ws`);
    const ms = await new Promise<number>((resolve, reject) => {
      ws.on('open', () => ws.send(JSON.stringify({ op: 'SUB', channel: channels, id: 1 })));
      ws.on('message', (d: Buffer) => {
        if (d.includes('"T":"trade"')) resolve(performance.now() - t0);
      });
      ws.on('error', reject);
      ws.on('close', () => reject(new Error('closed before a trade')));
    });
    ws.terminate();
    return ms;
  } finally {
    await s.close();
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

async function startMoto(): Promise<{ endpoint: string; stop(): void }> {
  const port = await freePort();
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  for (let i = 0; i < 300; i++) {
    const up = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), r(true)));
      s.on('error', () => r(false));
    });
    if (up) return { endpoint: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error('moto_server did not start (is it installed?)');
}

async function firstBatchMs(dataDir: string): Promise<number> {
  const t0 = performance.now();
  for await (const batch of readRecords({ dataDir, includeJournal: false })) if (batch.length) break;
  return performance.now() - t0;
}

async function queryMs(dataDir: string): Promise<number> {
  const t0 = performance.now();
  const tape = await openAnalysis(dataDir, { includeJournal: false });
  try {
    await tape.conn.runAndReadAll(QUERY);
  } finally {
    tape.close();
  }
  return performance.now() - t0;
}

export async function run(): Promise<BenchResult[]> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-bench-store-'));
  const moto = await startMoto();
  const env = { AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench', AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: moto.endpoint };
  try {
    const data = path.join(root, 'data');
    const perDay = Math.ceil(FRAMES / DAYS);
    await writeBenchJournal(
      data,
      benchRecords(FRAMES).map((r, i) => ({ ...r, recvNs: r.recvNs + BigInt(Math.floor(i / perDay)) * DAY_NS })),
      perDay,
    );
    await sealClosedSegments(data);
    const files = listPartitionFiles(data);
    const bytes = files.reduce((a, f) => a + f.bytes, 0);
    const url = 's3://tt-bench/store';
    const store = openRemoteStore(resolveStoreConfig(url, {}, env));
    await store.client.send(new CreateBucketCommand({ Bucket: 'tt-bench' }));

    let t0 = performance.now();
    const copy = path.join(root, 'copy');
    for (const f of files) {
      const dst = path.join(copy, path.relative(data, f.path));
      fs.mkdirSync(path.dirname(dst), { recursive: true });
      fs.copyFileSync(f.path, dst);
      fs.fsyncSync(fs.openSync(dst, 'r'));
    }
    const copySecs = (performance.now() - t0) / 1000;
    t0 = performance.now();
    const up = await uploadStore(data, store);
    const upSecs = (performance.now() - t0) / 1000;
    if (up.failures.length) throw new Error(up.failures[0].message);

    const localFirst = await firstBatchMs(data);
    t0 = performance.now();
    const cold = await openRemoteDataSource(url, { env, cacheDir: path.join(root, 'cache-a') });
    let coldFirst: number;
    try {
      coldFirst = performance.now() - t0 + (await firstBatchMs(cold.dir));
    } finally {
      cold.close();
    }
    // The library's replay(): the first day's files, then its first frame, while the rest download.
    // (the library takes credentials from the environment, as the SDK does).
    const savedEnv = { ...process.env };
    Object.assign(process.env, env);
    t0 = performance.now();
    let streamedFirst = 0;
    try {
      for await (const _item of replay({ data: url, remote: { endpoint: moto.endpoint, cacheDir: path.join(root, 'cache-s') } })) {
        streamedFirst = performance.now() - t0;
        break;
      }
    } finally {
      process.env = savedEnv;
    }
    const localQuery = await queryMs(data);
    const remoteQuery = async (cacheDir: string): Promise<number> => {
      const t = performance.now();
      const src = await openRemoteDataSource(url, { env, cacheDir });
      try {
        return performance.now() - t + (await queryMs(src.dir));
      } finally {
        src.close();
      }
    };
    const coldQuery = await remoteQuery(path.join(root, 'cache-b'));
    const warmQuery = await remoteQuery(path.join(root, 'cache-b'));

    // The replay server: Coinstore trade pushes over the same days, in their own bucket prefix.
    const served = path.join(root, 'served');
    const perServedDay = Math.ceil(SERVER_FRAMES / DAYS);
    const trades = [...shape('coinstore-trades').frames(SERVER_FRAMES)].map((r, i) => ({ ...r, recvNs: r.recvNs + BigInt(Math.floor(i / perServedDay)) * DAY_NS }));
    const channels = [...new Set(trades.map((r) => r.stream))];
    await writeBenchJournal(served, trades, perServedDay);
    await sealClosedSegments(served);
    const servedUrl = 's3://tt-bench/served';
    const servedStore = openRemoteStore(resolveStoreConfig(servedUrl, {}, env));
    const upServed = await uploadStore(served, servedStore);
    servedStore.close();
    if (upServed.failures.length) throw new Error(upServed.failures[0].message);
    const opts = { port: 0, mqttPort: 'off' as const, speed: 'max' as const, graceMs: 0 };
    const rounds = { local: [] as number[], streamed: [] as number[], whole: [] as number[] };
    Object.assign(process.env, env);
    try {
      for (let r = 0; r < SERVER_ROUNDS; r++) {
        rounds.streamed.push(await serverFirstFrameMs(() => startReplayServer({ ...opts, data: servedUrl, remote: { endpoint: moto.endpoint, cacheDir: path.join(root, `srv-s-${r}`) } }), channels));
        rounds.whole.push(
          await serverFirstFrameMs(async () => {
            const src = await openRemoteDataSource(servedUrl, { env, cacheDir: path.join(root, `srv-w-${r}`) });
            const h = await startReplayServer({ ...opts, data: src.dir });
            return { port: h.port, close: async () => (await h.close(), src.close()) };
          }, channels),
        );
        rounds.local.push(await serverFirstFrameMs(() => startReplayServer({ ...opts, data: served }), channels));
      }
    } finally {
      process.env = savedEnv;
    }
    store.close();
    const mb = bytes / 1e6;
    const note = `${FRAMES} frames over ${DAYS} days, ${files.length} files, ${mb.toFixed(1)} MB; moto_server on loopback`;
    return [
      { name: 'store: upload (verified, committed)', value: mb / upSecs, unit: 'MB/s', note },
      { name: 'store: local copy + fsync of the same files', value: mb / copySecs, unit: 'MB/s' },
      { name: 'store: first replayed frame, cold cache (s3://), replay() streaming day by day', value: streamedFirst, unit: 'ms' },
      { name: 'store: first replayed frame, cold cache (s3://), whole range synced first', value: coldFirst, unit: 'ms' },
      { name: 'store: first replayed frame, local store', value: localFirst, unit: 'ms' },
      { name: 'store: query, cold cache (s3://)', value: coldQuery, unit: 'ms', note: QUERY },
      { name: 'store: query, warm cache (s3://)', value: warmQuery, unit: 'ms' },
      { name: 'store: query, local store', value: localQuery, unit: 'ms' },
      {
        name: 'store: replay server, first frame, cold cache (s3://), streaming day by day',
        value: median(rounds.streamed),
        unit: 'ms',
        note: `${SERVER_FRAMES} Coinstore trade pushes over ${DAYS} days; start to the first trade a native client gets; median of ${SERVER_ROUNDS}, alternating`,
      },
      { name: 'store: replay server, first frame, cold cache (s3://), whole range synced first', value: median(rounds.whole), unit: 'ms' },
      { name: 'store: replay server, first frame, local store', value: median(rounds.local), unit: 'ms' },
    ];
  } finally {
    moto.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
}
