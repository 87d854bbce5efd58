/**
 * Sealing: closed journal segments become zstd Parquet files, one per (table, exchange, date) and
 * segment, named `<instance>-<segment>.parquet` so that sealing the same segment twice writes the
 * same files.
 *
 * Per segment: stage the records in DuckDB (raw, gaps, normalized rows) a chunk at a time, the
 * chunks of a segment larger than one written to part files in a scratch folder (chunk-parts.ts:
 * memory stays bounded whatever the segment's size), COPY each output to a
 * temp file, fsync, re-read and compare with the tally taken from the records, rename every output
 * into place, fsync the directories, save the normalizers' state, and only then delete the journal
 * segment. A crash at any step leaves either the journal segment (and perhaps some of its files,
 * which readers skip while the segment exists and the next run overwrites) or the sealed files
 * alone: every record is in exactly one place that readers use.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { silentLogger } from '../../core/log.js';
import type { TapeRecord } from '../../schemas/record.js';
import type { TableName } from '../../schemas/tables.js';
import { DUCKDB_MEMORY_LIMIT, openDuckSession, type DuckSession } from '../duck/session.js';
import { listSegments, readSegment } from '../journal/index.js';
import type { SegmentInfo } from '../journal/api.js';
import { fsyncPath, journalDir, listTempFiles, parsePartitionFileName, partitionDir, segmentFileName, sqlStr, tempPathFor, TEMP_SUFFIX } from '../partitions.js';
import { crashIf, type CrashMode, type CrashPoint } from './crash.js';
import { mkdirDurable } from './atomic-file.js';
import { NormalizerSet, type NormalizeIssues } from './normalizers.js';
import { checksumOf, columnList, copyToParquet, orderBy, templatedRawSelect, verifyParquet, writeChecksumFile } from './parquet-file.js';
import { ChunkParts, SEAL_CHUNK_RECORDS, sealWorkDir, stagedBlockSelect } from './chunk-parts.js';
import { collectGarbage } from './heap.js';
import { acquireSealLock } from './seal-lock.js';
import { Stager, type OutputStat } from './stage.js';
import { loadStateFile, saveStateAfter, stateBefore } from './state-file.js';

export interface SealOptions {
  /** Seal only this instance's journal. */
  instance?: string;
  /** Test seam: stop dead at this step of the first segment. */
  crashAt?: CrashPoint;
  crashMode?: CrashMode;
  rowGroupRows?: number;
  log?: Logger;
  /** Reuse a DuckDB session (benchmarks); one is opened and closed otherwise. */
  session?: DuckSession;
  /**
   * Store raw payloads as templates (default true). False writes the earlier layout (payloads as
   * they are, in replay order), which every reader still reads: benchmarks compare the two.
   */
  payloadTemplates?: boolean;
  /** Records staged at a time (default SEAL_CHUNK_RECORDS). */
  chunkRecords?: number;
  /** Called after each chunk of a segment is written out (a segment within one chunk has none). */
  onProgress?: (p: SealProgress) => void;
}

export interface SealProgress {
  instance: string;
  segment: string;
  /** Chunks of the segment written out so far. */
  chunks: number;
  /** Records of the segment staged so far. */
  records: number;
}

/**
 * DuckDB's memory limit in a seal run's own session (`TICKTAPE_DUCKDB_MEMORY` sets it, as it sets
 * every session's). Sealing in chunks keeps DuckDB's use under it whatever the segment's size:
 * with 96 MB `ticktape seal` of a 500 MiB segment peaks at 464 MiB RSS (128 MB: 532 MiB; BENCHMARKS.md).
 */
const SEAL_DUCKDB_MEMORY = process.env.TICKTAPE_DUCKDB_MEMORY ?? '96MB';
/**
 * DuckDB threads of a seal run's own session: the cores this process may run on (its CPU affinity,
 * which `taskset` and container CPU sets narrow), not the machine's. DuckDB counts the machine's
 * cores; two DuckDB threads on one allowed core take turns, and sealing 347k Coinstore trades
 * took about a third more CPU than with one thread (BENCHMARKS.md).
 */
const SEAL_DUCKDB_THREADS = Math.max(1, os.availableParallelism());
/**
 * The limit while a segment whose raw rows came out of order across chunks is sorted whole (a
 * journal written out of receive order: rare). DuckDB cannot sort templated raw rows in a small
 * limit, so that one step gets the sessions' default, as before sealing went in chunks.
 */
const SEAL_OUT_OF_ORDER_DUCKDB_MEMORY = DUCKDB_MEMORY_LIMIT;
/**
 * Rows per row group of a sealed segment's files: two seal chunks (a compacted day's are
 * ROW_GROUP_ROWS, 122,880). DuckDB's Parquet writer holds a row group's encoded columns outside its
 * memory limit: at 122,880 rows the final COPY of a 347k-trade segment's raw file added about 75
 * MiB of RSS. Measured on that segment (BENCHMARKS.md): 16,384 rows, peak 320 MiB and a raw file
 * 5.6 % larger; 32,768, 327 MiB and raw 2 % larger, trades 10 % smaller; 122,880, 407 MiB.
 */
const SEAL_ROW_GROUP_ROWS = 2 * SEAL_CHUNK_RECORDS;
const MiB = 2 ** 20;

/**
 * After a chunk of a segment larger than one is staged (before DuckDB writes its parts, and so
 * before the outputs are written after the last): a full collection of the JS heap (heap.ts), and
 * at debug level what the process holds then. A segment of one chunk leaves at most one chunk's
 * garbage, left to V8's own schedule.
 */
function afterChunk(log: Logger, instance: string, segment: string, chunks: number, records: number): void {
  const collected = collectGarbage();
  if (!log.isLevelEnabled('debug')) return;
  const m = process.memoryUsage();
  log.debug({ instance, segment, chunks, records, collected, heapUsedMiB: Math.round(m.heapUsed / MiB), rssMiB: Math.round(m.rss / MiB) }, 'seal chunk written');
}

export interface SealedFile {
  table: TableName;
  exchange: string;
  date: string;
  path: string;
  rows: number;
  bytes: number;
}

export interface SegmentSealReport {
  instance: string;
  segment: string;
  records: number;
  files: SealedFile[];
  normalize: NormalizeIssues;
  badGapPayloads: number;
  /** Normalized rows skipped because a value could not be stored. */
  badRows: number;
  /** Chunks the segment was staged in (1: it fit in one). */
  chunks: number;
}

export interface SealReport {
  segments: SegmentSealReport[];
  records: number;
  files: number;
  /** Instances skipped because another sealer holds their lock. */
  busyInstances: string[];
  tempFilesRemoved: number;
  /** Segments that failed (the journal segment is kept; later segments of the instance wait). */
  failures: Array<{ instance: string; segment: string; error: string }>;
}

/** Temp files of this instance left by an interrupted run. */
function removeStaleTemps(dataDir: string, instance: string): number {
  let n = 0;
  for (const t of listTempFiles(dataDir)) {
    const base = path.basename(t);
    const parsed = parsePartitionFileName(base.slice(1, -TEMP_SUFFIX.length));
    if (parsed?.instance === instance) {
      fs.rmSync(t, { force: true });
      n++;
    }
  }
  fs.rmSync(sealWorkDir(dataDir, instance), { recursive: true, force: true });
  return n;
}

/**
 * Seals the records of one segment. Exposed for tests and benchmarks that build records in memory;
 * the journal segment itself is deleted by the caller.
 */
export async function sealRecords(
  session: DuckSession,
  dataDir: string,
  instance: string,
  segment: string,
  records: Iterable<TapeRecord>,
  opts: {
    normalizers: NormalizerSet;
    crashAt?: CrashPoint;
    crashMode?: CrashMode;
    rowGroupRows?: number;
    payloadTemplates?: boolean;
    chunkRecords?: number;
    onProgress?: (p: SealProgress) => void;
    log?: Logger;
  },
): Promise<SegmentSealReport> {
  const log = opts.log ?? silentLogger;
  const templates = opts.payloadTemplates !== false;
  const chunkRecords = Math.max(1, opts.chunkRecords ?? SEAL_CHUNK_RECORDS);
  const stager = await Stager.create(session.conn, 'seal_', instance, opts.normalizers, { templates, checksums: true, rawFeed: true });
  const workDir = sealWorkDir(dataDir, instance);
  const parts = new ChunkParts(session.conn, stager, workDir);
  let count = 0;
  let inChunk = 0;
  try {
    try {
      for (const rec of records) {
        stager.add(rec);
        count++;
        if (++inChunk >= chunkRecords) {
          stager.flush();
          // The chunk's records are staged: their garbage goes before DuckDB writes the parts.
          afterChunk(log, instance, segment, parts.chunks + 1, count);
          await parts.spill(false);
          inChunk = 0;
          opts.onProgress?.({ instance, segment, chunks: parts.chunks, records: count });
        }
      }
      stager.flush();
      if (parts.chunks > 0) {
        afterChunk(log, instance, segment, parts.chunks + 1, count);
        await parts.spill(true);
        opts.onProgress?.({ instance, segment, chunks: parts.chunks, records: count });
      }
    } finally {
      stager.close();
    }

    const outputs = [...stager.outputs.values()].sort((a, b) => (`${a.table}/${a.exchange}/${a.date}` < `${b.table}/${b.exchange}/${b.date}` ? -1 : 1));
    const planned = outputs.map((o) => {
      const dir = partitionDir(dataDir, o.table, o.exchange, o.date);
      const finalPath = path.join(dir, segmentFileName(instance, segment));
      return { o, dir, finalPath, tmp: tempPathFor(finalPath), checksum: '' };
    });

    for (const p of planned) {
      mkdirDurable(p.dir);
      const templated = templates && p.o.table === 'raw';
      let select: string;
      let wholeSort = false;
      if (parts.chunks > 0) {
        ({ select, checksum: p.checksum, wholeSort } = parts.finalSelect(p.o));
      } else {
        const from = stager.stagedSource(p.o);
        p.checksum = p.o.table === 'raw' ? String(p.o.stagedChecksum) : await checksumOf(session.conn, p.o.table, from, templated);
        if (!templated) select = `SELECT ${columnList(p.o.table)} FROM ${from} ORDER BY ${orderBy(p.o.table)}`;
        else select = p.o.ordered ? stagedBlockSelect(from) : templatedRawSelect(`(SELECT * EXCLUDE ("rank") FROM ${from})`);
      }
      const write = () => copyToParquet(session.conn, select, p.tmp, { table: p.o.table, templated, instance, sources: [segment], expectation: { ...p.o, checksum: p.checksum } }, opts.rowGroupRows ?? SEAL_ROW_GROUP_ROWS);
      if (wholeSort) await withMemoryLimit(session, SEAL_OUT_OF_ORDER_DUCKDB_MEMORY, write);
      else await write();
    }
    return await finishSeal(session, instance, segment, count, parts.chunks, stager, planned, opts);
  } finally {
    stager.release();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

/** Runs `fn` with the session's DuckDB memory limit set to `limit`, then puts the session's own back. */
async function withMemoryLimit(session: DuckSession, limit: string, fn: () => Promise<void>): Promise<void> {
  const before = String((await session.conn.runAndReadAll(`SELECT current_setting('memory_limit')`)).getRows()[0][0]);
  await session.conn.run(`SET memory_limit = ${sqlStr(limit)}`);
  try {
    await fn();
  } finally {
    await session.conn.run(`SET memory_limit = ${sqlStr(before)}`);
  }
}

interface PlannedFile {
  o: OutputStat;
  dir: string;
  finalPath: string;
  tmp: string;
  checksum: string;
}

/** Verify every temp file, write checksum files, rename into place: the steps after the COPYs. */
async function finishSeal(
  session: DuckSession,
  instance: string,
  segment: string,
  count: number,
  chunks: number,
  stager: Stager,
  planned: PlannedFile[],
  opts: { normalizers: NormalizerSet; crashAt?: CrashPoint; crashMode?: CrashMode },
): Promise<SegmentSealReport> {
  crashIf(opts.crashAt, 'after-temp', opts.crashMode);
  for (const p of planned) await verifyParquet(session.conn, p.tmp, p.o.table, { ...p.o, checksum: p.checksum });
  for (const p of planned) writeChecksumFile(p.tmp, p.finalPath);
  crashIf(opts.crashAt, 'after-verify', opts.crashMode);
  for (let i = 0; i < planned.length; i++) {
    fs.renameSync(planned[i].tmp, planned[i].finalPath);
    if (i === 0) crashIf(opts.crashAt, 'after-rename-partial', opts.crashMode);
  }
  for (const dir of new Set(planned.map((p) => p.dir))) fsyncPath(dir);
  crashIf(opts.crashAt, 'after-rename', opts.crashMode);

  return {
    instance,
    segment,
    records: count,
    files: planned.map((p) => ({ table: p.o.table, exchange: p.o.exchange, date: p.o.date, path: p.finalPath, rows: p.o.rows, bytes: fs.statSync(p.finalPath).size })),
    normalize: opts.normalizers.issues(),
    badGapPayloads: stager.issues.badGapPayloads,
    badRows: stager.issues.badRows,
    chunks: Math.max(1, chunks),
  };
}

async function sealOneSegment(session: DuckSession, dataDir: string, seg: SegmentInfo, opts: SealOptions): Promise<SegmentSealReport> {
  const stateFile = loadStateFile(dataDir, seg.instance);
  const before = stateBefore(stateFile, seg.name);
  const normalizers = new NormalizerSet(before);
  const report = await sealRecords(session, dataDir, seg.instance, seg.name, readSegment(seg.path), {
    normalizers,
    crashAt: opts.crashAt,
    crashMode: opts.crashMode,
    rowGroupRows: opts.rowGroupRows,
    payloadTemplates: opts.payloadTemplates,
    chunkRecords: opts.chunkRecords,
    onProgress: opts.onProgress,
    log: opts.log,
  });
  saveStateAfter(dataDir, seg.instance, stateFile, seg.name, before, normalizers.states());
  crashIf(opts.crashAt, 'after-state', opts.crashMode);
  fs.unlinkSync(seg.path);
  fsyncPath(path.dirname(seg.path));
  return report;
}

/**
 * The seal session's settings as DuckDB reports them, and the chunking around it: what bounds a
 * seal's memory, logged once per run (tests check that `ticktape seal` and the recorder's seal
 * child both seal with them).
 */
async function logSessionSettings(session: DuckSession, log: Logger): Promise<void> {
  if (!log.isLevelEnabled('info')) return;
  const [memoryLimit, threads] = (await session.conn.runAndReadAll(`SELECT current_setting('memory_limit'), current_setting('threads')`)).getRows()[0];
  log.info({ duckdbMemoryLimit: String(memoryLimit), duckdbThreads: Number(threads), chunkRecords: SEAL_CHUNK_RECORDS, rowGroupRows: SEAL_ROW_GROUP_ROWS }, 'seal session');
}

/** Seals every closed segment, oldest first, instance by instance. */
export async function sealClosedSegments(dataDir: string, opts: SealOptions = {}): Promise<SealReport> {
  const log = opts.log ?? silentLogger;
  const report: SealReport = { segments: [], records: 0, files: 0, busyInstances: [], tempFilesRemoved: 0, failures: [] };
  const all = (await listSegments(dataDir, opts.instance)).filter((s) => !s.open);
  const byInstance = new Map<string, SegmentInfo[]>();
  for (const s of all) {
    const list = byInstance.get(s.instance) ?? [];
    list.push(s);
    byInstance.set(s.instance, list);
  }
  if (byInstance.size === 0) return report;
  const session = opts.session ?? (await openDuckSession({ memoryLimit: SEAL_DUCKDB_MEMORY, threads: SEAL_DUCKDB_THREADS }));
  try {
    await logSessionSettings(session, log);
    for (const [instance, segs] of [...byInstance].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      if (!fs.existsSync(journalDir(dataDir, instance))) continue;
      const release = acquireSealLock(dataDir, instance);
      if (!release) {
        report.busyInstances.push(instance);
        continue;
      }
      try {
        report.tempFilesRemoved += removeStaleTemps(dataDir, instance);
        for (const seg of segs.sort((a, b) => (a.name < b.name ? -1 : 1))) {
          try {
            const r = await sealOneSegment(session, dataDir, seg, opts);
            report.segments.push(r);
            report.records += r.records;
            report.files += r.files.length;
            log.info({ instance, segment: seg.name, records: r.records, files: r.files.length }, 'segment sealed');
          } catch (err) {
            if ((err as Error).name === 'InjectedCrash') throw err;
            report.failures.push({ instance, segment: seg.name, error: (err as Error).message });
            log.error({ instance, segment: seg.name, err: (err as Error).message }, 'segment not sealed; journal kept');
            break; // keep the instance's order: later segments need this one's normalizer state
          }
        }
      } finally {
        release();
      }
    }
  } finally {
    if (!opts.session) session.close();
  }
  return report;
}
