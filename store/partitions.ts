/**
 * Layout of the sealed store: path functions and a directory walk.
 *
 *   <data>/<table>/exchange=<ex>/date=<YYYY-MM-DD>/<instance>-<segment>.parquet     one sealed segment
 *   <data>/<table>/exchange=<ex>/date=<YYYY-MM-DD>/<instance>-day-<hash>.parquet    a compacted day
 *   <data>/journal/<instance>/...                                                   unsealed journals
 *
 * Hive-style keys (`exchange=`, `date=`) let DuckDB, Spark and Trino read the tree as it is. Every
 * file name starts with the recorder instance id, so several recorders share one store without
 * colliding and two stores merge by copying files. A day file's name carries a hash of the set of
 * segments it holds (listed in its metadata), so compacting the same inputs always gives the same name.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { TABLE_NAMES, type TableName } from '../schemas/tables.js';
import { safePartitionDir } from '../core/safe-path.js';

const JOURNAL_DIR = 'journal';
const PARQUET_EXT = '.parquet';
/** Suffix of files being written; never matched by `*.parquet` globs, removed by the next run. */
export const TEMP_SUFFIX = '.tmp';

/** Parquet key-value metadata keys written on every sealed file. */
export const META = {
  schemaVersion: 'ticktape.schema_version',
  table: 'ticktape.table',
  instance: 'ticktape.instance',
  sourceSegments: 'ticktape.source_segments', // JSON array of segment names
  rows: 'ticktape.rows',
  seqRanges: 'ticktape.seq_ranges', // JSON {conn_id: [min, max]}
  checksum: 'ticktape.checksum', // order-independent content checksum (store/seal/parquet-file.ts)
} as const;

const SEGMENT_FILE_RE = /^(.+)-(\d{8}T\d{6}Z-[a-z0-9]+-\d+)\.parquet$/;
const DAY_FILE_RE = /^(.+)-day-([0-9a-f]{16})\.parquet$/;

export function journalDir(dataDir: string, instance?: string): string {
  return instance ? path.join(dataDir, JOURNAL_DIR, instance) : path.join(dataDir, JOURNAL_DIR);
}

function tableDir(dataDir: string, table: TableName): string {
  return path.join(dataDir, table);
}

/**
 * Folder key of records that name no exchange (instance-wide events). Hive-style readers take the
 * `exchange` column from the folder name, so views show these rows under 'no-exchange'; the files
 * themselves and the reader keep ''.
 */
const NO_EXCHANGE_KEY = 'no-exchange';

export function exchangeDirKey(exchange: string): string {
  return exchange === '' ? NO_EXCHANGE_KEY : exchange;
}

function exchangeFromDirKey(key: string): string {
  return key === NO_EXCHANGE_KEY ? '' : key;
}

/** The exchange and date come from recorded data: they are checked so no record can place a file outside the data folder. */
export function partitionDir(dataDir: string, table: TableName, exchange: string, date: string): string {
  return safePartitionDir(dataDir, table, exchangeDirKey(exchange), date);
}

export function segmentFileName(instance: string, segment: string): string {
  return `${instance}-${segment}${PARQUET_EXT}`;
}

/** Deterministic name of a compacted file: the instance and a hash of the sorted set of its segments. */
export function dayFileName(instance: string, segments: readonly string[]): string {
  const h = createHash('sha256')
    .update([...segments].sort().join('\n'))
    .digest('hex')
    .slice(0, 16);
  return `${instance}-day-${h}${PARQUET_EXT}`;
}

/**
 * Whole-file SHA-256 of a sealed file, in `sha256sum` format, beside it as a hidden file (Hive,
 * Spark and Trino skip names starting with a dot; `*.parquet` globs do not match it). Parquet
 * carries no checksum of its own footer and statistics: this catches a flipped byte anywhere.
 */
export function checksumPathFor(parquetPath: string): string {
  return path.join(path.dirname(parquetPath), `.${path.basename(parquetPath)}.sha256`);
}

export function tempPathFor(finalPath: string): string {
  return path.join(path.dirname(finalPath), `.${path.basename(finalPath)}${TEMP_SUFFIX}`);
}

type PartitionFileKind = 'segment' | 'day';

export interface PartitionFile {
  table: TableName;
  exchange: string;
  date: string;
  instance: string;
  kind: PartitionFileKind;
  /** For segment files, the segment name; for day files null (read the metadata). */
  segment: string | null;
  path: string;
  bytes: number;
}

export function parsePartitionFileName(name: string): { instance: string; kind: PartitionFileKind; segment: string | null } | null {
  const day = DAY_FILE_RE.exec(name);
  if (day) return { instance: day[1], kind: 'day', segment: null };
  const seg = SEGMENT_FILE_RE.exec(name);
  if (seg) return { instance: seg[1], kind: 'segment', segment: seg[2] };
  return null;
}

function readDirSafe(dir: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Every sealed file of the given tables (all by default), in a stable order. */
export function listPartitionFiles(dataDir: string, tables: readonly TableName[] = TABLE_NAMES): PartitionFile[] {
  const out: PartitionFile[] = [];
  for (const table of tables) {
    for (const exDir of readDirSafe(tableDir(dataDir, table))) {
      if (!exDir.isDirectory() || !exDir.name.startsWith('exchange=')) continue;
      const exchange = exchangeFromDirKey(exDir.name.slice('exchange='.length));
      const exPath = path.join(tableDir(dataDir, table), exDir.name);
      for (const dateDir of readDirSafe(exPath)) {
        if (!dateDir.isDirectory() || !dateDir.name.startsWith('date=')) continue;
        const date = dateDir.name.slice('date='.length);
        const datePath = path.join(exPath, dateDir.name);
        for (const f of readDirSafe(datePath)) {
          if (!f.isFile()) continue;
          const parsed = parsePartitionFileName(f.name);
          if (!parsed) continue;
          const p = path.join(datePath, f.name);
          out.push({ table, exchange, date, ...parsed, path: p, bytes: fs.statSync(p).size });
        }
      }
    }
  }
  out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return out;
}

/** Temp files left by an interrupted seal or compaction (safe to delete when no sealer runs). */
export function listTempFiles(dataDir: string, tables: readonly TableName[] = TABLE_NAMES): string[] {
  const out: string[] = [];
  for (const table of tables) {
    for (const exDir of readDirSafe(tableDir(dataDir, table))) {
      if (!exDir.isDirectory()) continue;
      const exPath = path.join(tableDir(dataDir, table), exDir.name);
      for (const dateDir of readDirSafe(exPath)) {
        if (!dateDir.isDirectory()) continue;
        const datePath = path.join(exPath, dateDir.name);
        for (const f of readDirSafe(datePath)) if (f.isFile() && f.name.endsWith(TEMP_SUFFIX)) out.push(path.join(datePath, f.name));
      }
    }
  }
  return out.sort();
}

/** UTC day bounds [start, end) in ns of a YYYY-MM-DD date. */
export function dayBoundsNs(date: string): { startNs: bigint; endNs: bigint } {
  const ms = Date.parse(`${date}T00:00:00Z`);
  const startNs = BigInt(ms) * 1_000_000n;
  return { startNs, endNs: startNs + 86_400_000_000_000n };
}

/** SQL string literal. */
export function sqlStr(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** Fsyncs a file or a directory (directory fsync makes a rename durable). */
export function fsyncPath(p: string): void {
  const fd = fs.openSync(p, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
