/**
 * Reader benchmarks: frames/s from sealed partitions in (recv_ns, conn_id, seq) order, as raw bytes
 * and JSON-parsed — the bound of a top-speed replay (raw files are stored in that order, so no sort
 * is involved). Also what that order costs: the reader and a SQL query filtered on one stream,
 * which can no longer skip row groups by stream.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compactAll } from '../store/seal/compact.js';
import { sealClosedSegments } from '../store/seal/sealer.js';
import { readRecords } from '../store/reader/read-records.js';
import { openDuckSession } from '../store/duck/session.js';
import { BENCH_FRAMES, benchRecords, writeBenchJournal } from './seal.js';
import type { BenchResult } from './types.js';

const decoder = new TextDecoder();

/** The stream of a twelfth of the frames (one symbol's trades). */
const ONE_STREAM = 'btcusdt@trade';

async function pass(dataDir: string, parse: boolean, streams?: string[]): Promise<{ frames: number; secs: number; cpuSecs: number; checksum: number; peakRss: number; bytes: number }> {
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  let frames = 0;
  let checksum = 0;
  let peakRss = 0;
  let bytes = 0;
  for await (const batch of readRecords({ dataDir, includeJournal: false, streams })) {
    frames += batch.length;
    if ((frames & 0xffff) < batch.length) peakRss = Math.max(peakRss, process.memoryUsage.rss());
    for (const r of batch) bytes += r.payload.byteLength;
    if (parse) {
      for (const r of batch) checksum += (JSON.parse(decoder.decode(r.payload)) as { s: string }).s.length;
    } else {
      for (const r of batch) checksum += r.payload.byteLength;
    }
  }
  const c = process.cpuUsage(c0);
  return { frames, secs: Number(process.hrtime.bigint() - t0) / 1e9, cpuSecs: (c.user + c.system) / 1e6, checksum, peakRss, bytes };
}

const SQL_RUNS = 5;

/** Median wall time of a SQL query on raw filtered on one stream (what analysts run on raw). */
async function streamQuerySecs(dataDir: string): Promise<number> {
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name));
      else if (e.name.endsWith('.parquet')) files.push(path.join(d, e.name));
    }
  };
  walk(path.join(dataDir, 'raw'));
  const session = await openDuckSession();
  try {
    const q = `SELECT count(*), sum(octet_length(payload)) FROM read_parquet([${files.map((f) => `'${f}'`).join(', ')}]) WHERE stream = '${ONE_STREAM}'`;
    await session.conn.runAndReadAll(q);
    const times: number[] = [];
    for (let i = 0; i < SQL_RUNS; i++) {
      const t0 = process.hrtime.bigint();
      await session.conn.runAndReadAll(q);
      times.push(Number(process.hrtime.bigint() - t0) / 1e9);
    }
    return times.sort((a, b) => a - b)[SQL_RUNS >> 1];
  } finally {
    session.close();
  }
}

export async function run(): Promise<BenchResult[]> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ticktape-bench-reader-'));
  try {
    const records = benchRecords(BENCH_FRAMES);
    // The ceiling of any parsed reader on this machine: JSON.parse alone over in-memory payloads.
    const t0 = process.hrtime.bigint();
    let sink = 0;
    for (const r of records) sink += (JSON.parse(decoder.decode(r.payload)) as { s: string }).s.length;
    const parseOnlySecs = Number(process.hrtime.bigint() - t0) / 1e9;
    await writeBenchJournal(dataDir, records);
    records.length = 0;
    await sealClosedSegments(dataDir);
    await compactAll(dataDir);
    await pass(dataDir, false); // warm-up: page cache, DuckDB code paths
    const raw = await pass(dataDir, false);
    const parsed = await pass(dataDir, true);
    const oneStream = await pass(dataDir, false, [ONE_STREAM]);
    const sql = await streamQuerySecs(dataDir);
    if (raw.frames !== BENCH_FRAMES || parsed.frames !== BENCH_FRAMES) throw new Error(`read ${raw.frames}/${parsed.frames} of ${BENCH_FRAMES}`);
    return [
      { name: 'reader, raw bytes', value: Math.round(raw.frames / raw.secs), unit: 'frames/s', note: `${raw.frames} frames, one compacted day file in replay order` },
      { name: 'reader, raw bytes, per CPU-second', value: Math.round(raw.frames / raw.cpuSecs), unit: 'frames/CPU-s', note: 'all threads (JS + DuckDB): the figure that holds on a busy machine' },
      { name: 'reader, JSON-parsed', value: Math.round(parsed.frames / parsed.secs), unit: 'frames/s', note: 'TextDecoder + JSON.parse per frame' },
      { name: 'reader, one stream', value: Math.round(oneStream.frames / oneStream.secs), unit: 'frames/s', note: `${oneStream.frames} frames of ${ONE_STREAM} out of ${BENCH_FRAMES}: every row group is scanned` },
      { name: 'SQL, one stream', value: sql * 1000, unit: 'ms', note: `count + sum(octet_length(payload)) WHERE stream = '${ONE_STREAM}' over the day file, median of ${SQL_RUNS}` },
      { name: 'reader peak RSS', value: raw.peakRss / 2 ** 20, unit: 'MiB', note: `while streaming ${(raw.bytes / 2 ** 20).toFixed(0)} MiB of payloads (process total, DuckDB included)` },
      { name: 'JSON.parse alone (ceiling)', value: Math.round(BENCH_FRAMES / parseOnlySecs), unit: 'frames/s', note: `same payloads from memory, no reader (${sink > 0 ? 'checked' : 'empty'})` },
    ];
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
