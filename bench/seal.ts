/**
 * Sealing benchmarks.
 *
 * 1. `ticktape seal` as an operator runs it, one child process per run: one journal segment of
 *    Coinstore trade pushes (~100 MB and ~500 MB: SEAL_SEGMENT_MB), normalized and sealed into
 *    verified zstd Parquet (raw + trades); frames/s, CPU and peak RSS of the child (`/usr/bin/time`).
 *    The same segment is also sealed by the recorder's seal child (recorder/seal-child.js), the
 *    process a running recorder starts, whose peak RSS is bounded the same way.
 *    With TICKTAPE_BENCH_SEAL_BASELINE=<a built checkout's dist folder> the same journals are also
 *    sealed by that build, alternating with this one, so before and after come from one run.
 *    TICKTAPE_BENCH_SEAL_CPUS=<taskset CPU list> pins every seal child to those cores ("0": a seal
 *    on one core); TICKTAPE_BENCH_SEAL_CHILD=0 leaves the recorder's seal child out.
 * 2. The storage path (TICKTAPE_BENCH_SEAL_STORAGE=0 skips it): frames/s from closed segments to
 *    raw Parquet for an exchange without a normalizer, and bytes per frame against gzip'd NDJSON.
 *    The same sealed files are also compacted at zstd level 19 (`seal.compactZstdLevel`,
 *    `ticktape seal --compact --zstd-level`) to show what the default level 9 trades.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { TapeRecord } from '../schemas/record.js';
import { openJournalWriter } from '../store/journal/index.js';
import { listPartitionFiles } from '../store/partitions.js';
import { compactAll } from '../store/seal/compact.js';
import { sealClosedSegments } from '../store/seal/sealer.js';
import type { BenchResult } from './types.js';
import { shape } from './peers/shapes.js';

export const BENCH_FRAMES = Number(process.env.TICKTAPE_BENCH_FRAMES ?? 1_000_000);
/** 2026-01-15T10:00:00Z. */
const T0 = 1_768_471_200_000_000_000n;
/** The archive setting measured next to the default compaction level. */
const ARCHIVE_ZSTD_LEVEL = 19;

/**
 * Market-like frames (~150–250 bytes): depth updates and trades of a few symbols on two
 * connections, prices on a random walk, 100 µs apart — compressible the way real feeds are.
 */
export function benchRecords(n: number): TapeRecord[] {
  let x = 0x2545f491;
  const rnd = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
  const symbols = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'XRPUSDT'];
  const mid = [64000, 3400, 150, 0.6];
  const out: TapeRecord[] = new Array(n);
  const seqs = [0, 0];
  for (let i = 0; i < n; i++) {
    const s = i % symbols.length;
    mid[s] *= 1 + (rnd() - 0.5) * 1e-4;
    const px = (d: number) => (mid[s] * (1 + d)).toFixed(mid[s] > 100 ? 2 : 5);
    const trade = i % 3 === 0;
    const conn = trade ? 0 : 1;
    const payload = trade
      ? `{"T":"trade","s":"${symbols[s]}","t":${1768471200000 + Math.floor(i / 10)},"i":${5_000_000 + i},"p":"${px(0)}","q":"${(rnd() * 2).toFixed(4)}","m":${rnd() < 0.5}}`
      : `{"T":"depth","s":"${symbols[s]}","E":${1768471200000 + Math.floor(i / 10)},"U":${9_000_000 + i},"b":[["${px(-1e-4)}","${(rnd() * 3).toFixed(4)}"],["${px(-2e-4)}","${(rnd() * 3).toFixed(4)}"]],"a":[["${px(1e-4)}","${(rnd() * 3).toFixed(4)}"],["${px(2e-4)}","${(rnd() * 3).toFixed(4)}"]]}`;
    out[i] = {
      exchange: 'benchex',
      connId: `bench-k-${conn}`,
      seq: ++seqs[conn],
      recvNs: T0 + BigInt(i) * 100_000n,
      direction: 'in',
      kind: 'text',
      stream: `${symbols[s].toLowerCase()}@${trade ? 'trade' : 'depth'}`,
      endpoint: 'wss://sim/ws',
      payload: Buffer.from(payload),
      flags: 0,
    };
  }
  return out;
}

/** The same frames as gzip'd NDJSON, the usual capture format (one JSON line per frame with its metadata). */
export function ndjsonGzipBytes(records: readonly TapeRecord[]): number {
  const CHUNK = 100_000;
  let total = 0;
  for (let i = 0; i < records.length; i += CHUNK) {
    const lines = records
      .slice(i, i + CHUNK)
      .map((r) => `{"ts":"${r.recvNs}","conn":"${r.connId}","seq":${r.seq},"stream":"${r.stream}","msg":${Buffer.from(r.payload).toString('utf8')}}\n`)
      .join('');
    total += gzipSync(lines).length; // default level (6), as `gzip` does
  }
  return total;
}

/** Writes the records as journal segments of about `perSegment` records each. */
export async function writeBenchJournal(dataDir: string, records: readonly TapeRecord[], perSegment = 250_000): Promise<void> {
  const w = openJournalWriter({ dataDir, instance: 'bench' });
  for (let i = 0; i < records.length; i++) {
    w.append(records[i]);
    if (i % 1000 === 999) w.flush();
    if (i % perSegment === perSegment - 1 && i < records.length - 1) w.rotate();
  }
  await w.close();
}

/** Segment sizes sealed by `ticktape seal` (MiB of journal). */
export const SEAL_SEGMENT_MB = (process.env.TICKTAPE_BENCH_SEAL_MB ?? '100,500').split(',').map(Number);
/** Runs of each (build, size), alternating builds; the best run is reported (the machine is shared). */
const SEAL_ROUNDS = Number(process.env.TICKTAPE_BENCH_SEAL_ROUNDS ?? 1);
const here = path.dirname(new URL(import.meta.url).pathname);
/** This build's dist folder (bench/ is dist/bench/ once built). */
const THIS_DIST = path.resolve(here, '..');

/** One journal segment of Coinstore trade pushes of at least `mb` MiB; returns the record count. */
async function writeTradeSegment(dataDir: string, mb: number): Promise<{ records: number; bytes: number }> {
  const target = mb * 2 ** 20;
  const w = openJournalWriter({ dataDir, instance: 'bench', segmentMaxBytes: target * 2, segmentMaxAgeMs: 24 * 3_600_000 });
  let n = 0;
  for (const rec of shape('coinstore-trades').frames(Number.MAX_SAFE_INTEGER)) {
    w.append(rec);
    if (++n % 1000 === 0) {
      w.flush();
      if (w.stats().bytesWritten >= target) break;
    }
  }
  await w.close();
  const seg = fs.readdirSync(path.join(dataDir, 'journal', 'bench')).filter((f) => f.endsWith('.ttj'));
  if (seg.length !== 1) throw new Error(`expected one segment, found ${seg.length}`);
  return { records: n, bytes: fs.statSync(path.join(dataDir, 'journal', 'bench', seg[0])).size };
}

interface SealRun {
  secs: number;
  cpuSecs: number;
  peakRssMiB: number;
}

/** How a segment is sealed: by `ticktape seal`, or by the recorder's seal child (recorder/seal-child.ts, what a running recorder starts). */
type SealHow = 'cli' | 'recorder child';

/** Command line of one seal of `work` by the given build. */
function sealCommand(dist: string, work: string, how: SealHow): string[] {
  return how === 'cli' ? [path.join(dist, 'cli', 'main.js'), 'seal', '--data', work] : [path.join(dist, 'recorder', 'seal-child.js'), work, 'bench'];
}

/** Records sealed, from the command's output (`ticktape seal`'s summary line, or the seal child's JSON line). */
function sealedRecords(out: string, how: SealHow): number | null {
  if (how === 'cli') {
    const m = /Sealed \d+ segment\(s\): (\d+) records/.exec(out);
    return m ? Number(m[1]) : null;
  }
  const line = out.trim().split('\n').pop() ?? '';
  try {
    return Number((JSON.parse(line) as { records: number }).records);
  } catch {
    return null;
  }
}

/** CPU list every seal child is pinned to with taskset (unset: not pinned). */
const SEAL_CPUS = process.env.TICKTAPE_BENCH_SEAL_CPUS;

/** A seal of `<copy of dataDir>` by the given build, in a child process under /usr/bin/time. */
function sealInChild(dist: string, journalDir: string, expectRecords: number, how: SealHow): SealRun {
  const work = `${journalDir}-run`;
  fs.rmSync(work, { recursive: true, force: true });
  fs.cpSync(journalDir, work, { recursive: true });
  const timeFile = `${work}.time`;
  try {
    const pin = SEAL_CPUS ? ['taskset', '-c', SEAL_CPUS] : [];
    const out = execFileSync('/usr/bin/time', ['-o', timeFile, '-f', '%e %U %S %M', ...pin, process.execPath, ...sealCommand(dist, work, how)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const sealed = sealedRecords(out, how);
    if (sealed !== expectRecords) throw new Error(`${how} sealed ${sealed ?? '?'} of ${expectRecords} records: ${out.slice(0, 300)}`);
    const [e, u, sy, kb] = fs.readFileSync(timeFile, 'utf8').trim().split(/\s+/).slice(-4).map(Number);
    return { secs: e, cpuSecs: u + sy, peakRssMiB: kb / 1024 };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
    fs.rmSync(timeFile, { force: true });
  }
}

/** `ticktape seal` of one big segment, this build and (optionally) a baseline build, alternating. */
async function runSealCli(): Promise<BenchResult[]> {
  const baseline = process.env.TICKTAPE_BENCH_SEAL_BASELINE;
  const builds: Array<{ label: string; dist: string; how: SealHow }> = [{ label: 'this build', dist: THIS_DIST, how: 'cli' }];
  if (process.env.TICKTAPE_BENCH_SEAL_CHILD !== '0') builds.push({ label: 'this build, recorder seal child', dist: THIS_DIST, how: 'recorder child' });
  if (baseline) builds.unshift({ label: 'baseline', dist: path.resolve(baseline), how: 'cli' });
  const out: BenchResult[] = [];
  for (const mb of SEAL_SEGMENT_MB) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ticktape-bench-seal-${mb}-`));
    try {
      const { records, bytes } = await writeTradeSegment(dir, mb);
      const best = new Map<string, SealRun>();
      for (let r = 0; r < SEAL_ROUNDS; r++) {
        for (const b of builds) {
          process.stderr.write(`seal: ${(bytes / 2 ** 20).toFixed(0)} MiB segment, ${b.label}, round ${r + 1}...\n`);
          const run = sealInChild(b.dist, dir, records, b.how);
          const prev = best.get(b.label);
          best.set(b.label, prev ? { secs: Math.min(prev.secs, run.secs), cpuSecs: Math.min(prev.cpuSecs, run.cpuSecs), peakRssMiB: Math.max(prev.peakRssMiB, run.peakRssMiB) } : run);
        }
      }
      const seg = `${(bytes / 2 ** 20).toFixed(0)} MiB segment (${records} Coinstore trades)`;
      for (const b of builds) {
        const x = best.get(b.label)!;
        const pinned = SEAL_CPUS ? `, taskset -c ${SEAL_CPUS}` : '';
        out.push({ name: `ticktape seal, ${seg}, ${b.label}: rate`, value: Math.round(records / x.secs), unit: 'frames/s', note: `raw + trades, normalized, verified; ${x.secs.toFixed(1)} s wall${pinned}` });
        out.push({ name: `ticktape seal, ${seg}, ${b.label}: per CPU-second`, value: Math.round(records / x.cpuSecs), unit: 'frames/CPU-s', note: 'all threads (JS + DuckDB)' });
        out.push({ name: `ticktape seal, ${seg}, ${b.label}: peak RSS`, value: Math.round(x.peakRssMiB), unit: 'MiB', note: `${(x.peakRssMiB / (bytes / 2 ** 20)).toFixed(2)}× the segment; goal ≤ 512 MiB` });
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  return out;
}

export async function run(): Promise<BenchResult[]> {
  const cli = await runSealCli();
  if (process.env.TICKTAPE_BENCH_SEAL_STORAGE === '0') return cli;
  return [...cli, ...(await runStorage())];
}

async function runStorage(): Promise<BenchResult[]> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ticktape-bench-seal-'));
  const dataDir19 = `${dataDir}-z19`;
  try {
    const records = benchRecords(BENCH_FRAMES);
    const payloadBytes = records.reduce((a, r) => a + r.payload.byteLength, 0);
    await writeBenchJournal(dataDir, records);
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    const report = await sealClosedSegments(dataDir);
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(c0);
    const cpuSecs = (cpu.user + cpu.system) / 1e6;
    if (report.records !== records.length) throw new Error(`sealed ${report.records} of ${records.length}`);
    const rawBytes = listPartitionFiles(dataDir, ['raw']).reduce((a, f) => a + f.bytes, 0);
    // A copy of the sealed files, compacted at level 19 below.
    fs.cpSync(dataDir, dataDir19, { recursive: true });
    const t1 = process.hrtime.bigint();
    await compactAll(dataDir);
    const compactSecs = Number(process.hrtime.bigint() - t1) / 1e9;
    const dayBytes = listPartitionFiles(dataDir, ['raw']).reduce((a, f) => a + f.bytes, 0);
    const t2 = process.hrtime.bigint();
    await compactAll(dataDir19, { zstdLevel: ARCHIVE_ZSTD_LEVEL });
    const compact19Secs = Number(process.hrtime.bigint() - t2) / 1e9;
    const day19Files = listPartitionFiles(dataDir19, ['raw']);
    if (day19Files.some((f) => f.kind !== 'day')) throw new Error('level-19 compaction left segment files');
    const day19Bytes = day19Files.reduce((a, f) => a + f.bytes, 0);
    const gz = ndjsonGzipBytes(records);
    const n = records.length;
    return [
      { name: 'seal rate (raw, verified, fsynced)', value: Math.round(n / secs), unit: 'frames/s', note: `${n} frames, avg payload ${(payloadBytes / n).toFixed(0)} B, ${report.segments.length} segments` },
      { name: 'seal rate per CPU-second', value: Math.round(n / cpuSecs), unit: 'frames/CPU-s', note: 'all threads (JS + DuckDB)' },
      { name: 'compaction rate', value: Math.round(n / compactSecs), unit: 'frames/s', note: 'segment files → one day file, zstd level 9, verified' },
      { name: 'raw Parquet on disk, sealed segments', value: rawBytes / n, unit: 'bytes/frame', note: 'zstd 3, every column (ids, times, stream, payload)' },
      { name: 'raw Parquet on disk, compacted day', value: dayBytes / n, unit: 'bytes/frame', note: 'zstd 9' },
      { name: 'gzip NDJSON of the same frames', value: gz / n, unit: 'bytes/frame', note: 'gzip -6, one JSON line per frame' },
      { name: 'compacted Parquet / gzip NDJSON', value: dayBytes / gz, unit: 'ratio', note: 'goal ≤ 0.5' },
      {
        name: `raw Parquet on disk, compacted day at zstd ${ARCHIVE_ZSTD_LEVEL}`,
        value: day19Bytes / n,
        unit: 'bytes/frame',
        note: `the same sealed files compacted with --zstd-level ${ARCHIVE_ZSTD_LEVEL}`,
      },
      { name: `compacted Parquet at zstd ${ARCHIVE_ZSTD_LEVEL} / gzip NDJSON`, value: day19Bytes / gz, unit: 'ratio', note: `seal.compactZstdLevel: ${ARCHIVE_ZSTD_LEVEL}` },
      { name: `compaction time at zstd ${ARCHIVE_ZSTD_LEVEL}`, value: compact19Secs, unit: 's', note: `${n} frames, verified; level 9 took ${compactSecs.toFixed(2)} s` },
    ];
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(dataDir19, { recursive: true, force: true });
  }
}
