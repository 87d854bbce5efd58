/**
 * Compaction: a day's small files of one instance become one file, `<instance>-day-<hash>.parquet`,
 * whose metadata lists every segment it holds. Inputs are read sorted, written to a temp file,
 * verified against the inputs' own tally (rows and per-connection sequence ranges), renamed into
 * place, and only then deleted. Until they are deleted, readers skip inputs that a day file covers
 * (store/duck/live-files.ts), and the next run deletes them: a crash at any step loses nothing and
 * duplicates nothing.
 *
 * Files whose segment is still in the journal are left alone: that segment's seal is not finished.
 */
import fs from 'node:fs';
import path from 'node:path';
import { TicktapeError } from '../../core/errors.js';
import type { TableName } from '../../schemas/tables.js';
import { openDuckSession, type DuckSession } from '../duck/session.js';
import { resolveLiveFiles, type LiveFile } from '../duck/live-files.js';
import { dayFileName, fsyncPath, journalDir, listPartitionFiles, partitionDir, sqlStr, tempPathFor } from '../partitions.js';
import { crashIf, type CrashMode, type CrashPoint } from './crash.js';
import { anyTemplated, columnList, copyToParquet, orderBy, readChecksumFile, templatedRawSelect, removeSealedFile, sha256File, tallyParquet, verifyParquet, writeChecksumFile, COMPACT_ZSTD_LEVEL, ROW_GROUP_ROWS } from './parquet-file.js';

export interface CompactOptions {
  crashAt?: CrashPoint;
  crashMode?: CrashMode;
  session?: DuckSession;
  /** Compact only this instance's files. */
  instance?: string;
  rowGroupRows?: number;
  /**
   * zstd level of the day files, 1-22, every table. Unset: RAW_COMPACT_ZSTD_LEVEL (16) for raw,
   * COMPACT_ZSTD_LEVEL (9) for the normalized tables (defaultZstdLevel). Higher levels write
   * smaller files and cost more CPU.
   */
  zstdLevel?: number;
}

/**
 * zstd level of raw day files when none is set. Templated raw files are mostly book text (`rest`)
 * in which a frame repeats the previous frame of its stream but for a level or two: zstd's optimal
 * parser (levels 16 and up) codes those repeats much more cheaply than the lazy parser of 9-15.
 * Measured on the peer benchmark's shapes (bench/peers, BENCHMARKS.md "Bytes"): raw bytes per
 * frame 9 → 16: Coinstore depth@20 11.74 → 9.72, Coinsuper order books 18.55 → 15.72, for a day's
 * compaction 1.3-1.8× as long; 19 gains 2-3 % more for 1.5× the time of 16. The normalized tables
 * gain 4 % at 16 and stay at COMPACT_ZSTD_LEVEL.
 */
export const RAW_COMPACT_ZSTD_LEVEL = 16;

/** The level a table's day file is written at when CompactOptions.zstdLevel is not set. */
export function defaultZstdLevel(table: TableName): number {
  return table === 'raw' ? RAW_COMPACT_ZSTD_LEVEL : COMPACT_ZSTD_LEVEL;
}

const MIN_ZSTD_LEVEL = 1;
const MAX_ZSTD_LEVEL = 22;

/** What is wrong with a zstd level (an integer 1-22, or its digits as text), or null when nothing is. */
export function zstdLevelProblem(value: unknown): string | null {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n === 'number' && Number.isInteger(n) && n >= MIN_ZSTD_LEVEL && n <= MAX_ZSTD_LEVEL) return null;
  return `${typeof value === 'string' ? JSON.stringify(value) : String(value)} is not a zstd level; use an integer from ${MIN_ZSTD_LEVEL} to ${MAX_ZSTD_LEVEL} (default ${RAW_COMPACT_ZSTD_LEVEL} for raw, ${COMPACT_ZSTD_LEVEL} for the other tables; higher is smaller and slower).`;
}

/**
 * The zstd level of a compaction, checked: an integer 1-22 (undefined stays undefined: each table's
 * default, defaultZstdLevel). `field` names where the value came from (a flag or a config field) in the error.
 */
export function compactZstdLevel(value: unknown, field = 'zstdLevel'): number | undefined {
  if (value === undefined) return undefined;
  const problem = zstdLevelProblem(value);
  if (problem) throw new TicktapeError('TT_CONFIG_INVALID', `${field}: ${problem}`, { field, value });
  return Number(value);
}

export interface CompactResult {
  table: TableName;
  exchange: string;
  date: string;
  instance: string;
  inputs: string[];
  output: string | null;
  rows: number;
  /** Superseded files deleted (leftovers of an interrupted compaction). */
  cleaned: number;
  /** compactAll: why this day was not compacted (its files are left as they are). */
  error?: { code: string; message: string };
}

/** `<instance>/<segment>` of every segment still in the journal (closed or open). */
export function journalSegmentKeys(dataDir: string): Set<string> {
  const out = new Set<string>();
  let instances: string[] = [];
  try {
    instances = fs.readdirSync(journalDir(dataDir));
  } catch {
    return out;
  }
  for (const inst of instances) {
    let names: string[] = [];
    try {
      names = fs.readdirSync(journalDir(dataDir, inst));
    } catch {
      continue;
    }
    for (const n of names) {
      const m = /^(.+?)\.ttj(\.open)?$/.exec(n);
      if (m) out.add(`${inst}/${m[1]}`);
    }
  }
  return out;
}

export async function compactDay(dataDir: string, table: TableName, exchange: string, date: string, opts: CompactOptions = {}): Promise<CompactResult[]> {
  const zstdLevel = compactZstdLevel(opts.zstdLevel) ?? defaultZstdLevel(table);
  const dir = partitionDir(dataDir, table, exchange, date);
  const files = listPartitionFiles(dataDir, [table]).filter((f) => f.exchange === exchange && f.date === date && (!opts.instance || f.instance === opts.instance));
  if (files.length === 0) return [];
  const session = opts.session ?? (await openDuckSession());
  const results: CompactResult[] = [];
  try {
    const pending = journalSegmentKeys(dataDir);
    // Finish interrupted compactions first: delete files a day file already covers.
    const live = await resolveLiveFiles(session.conn, files, new Set());
    const livePaths = new Set(live.map((f) => f.path));
    let cleaned = 0;
    for (const f of files) {
      if (!livePaths.has(f.path) && !(f.kind === 'segment' && pending.has(`${f.instance}/${f.segment}`))) {
        removeSealedFile(f.path);
        cleaned++;
      }
    }
    if (cleaned) fsyncPath(dir);

    const byInstance = new Map<string, LiveFile[]>();
    for (const f of live) {
      if (f.kind === 'segment' && pending.has(`${f.instance}/${f.segment}`)) continue;
      const l = byInstance.get(f.instance) ?? [];
      l.push(f);
      byInstance.set(f.instance, l);
    }
    for (const [instance, inputs] of [...byInstance].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      if (inputs.length < 2) {
        if (cleaned) results.push({ table, exchange, date, instance, inputs: [], output: null, rows: 0, cleaned });
        continue;
      }
      const sources = [...new Set(inputs.flatMap((f) => f.sources))].sort();
      const finalPath = path.join(dir, dayFileName(instance, sources));
      const tmp = tempPathFor(finalPath);
      const paths = inputs.map((f) => f.path);
      // A damaged input would be baked into the day file: check each input's bytes first.
      for (const p of paths) {
        const recorded = readChecksumFile(p);
        if (recorded !== null && recorded !== sha256File(p)) {
          throw new TicktapeError('TT_PARTITION_DAMAGED', `Sealed file ${p} changed since sealing (SHA-256 mismatch); the day is not compacted. Run \`ticktape verify\` and restore the file from a copy.`, { path: p });
        }
      }
      const expected = await tallyParquet(session.conn, paths, table);
      const list = `[${paths.map(sqlStr).join(', ')}]`;
      // Raw days with templated files stay templated (rows of older files keep their payload as it is).
      const templated = table === 'raw' && (await anyTemplated(session.conn, paths));
      const src = `read_parquet(${list}, hive_partitioning=false, union_by_name=true)`;
      const select = templated ? templatedRawSelect(src) : `SELECT ${columnList(table)} FROM ${src} ORDER BY ${orderBy(table)}`;
      await copyToParquet(session.conn, select, tmp, { table, templated, instance, sources, expectation: expected }, opts.rowGroupRows ?? ROW_GROUP_ROWS, zstdLevel);
      crashIf(opts.crashAt, 'after-temp', opts.crashMode);
      await verifyParquet(session.conn, tmp, table, expected);
      writeChecksumFile(tmp, finalPath);
      crashIf(opts.crashAt, 'after-verify', opts.crashMode);
      fs.renameSync(tmp, finalPath);
      fsyncPath(dir);
      crashIf(opts.crashAt, 'after-rename', opts.crashMode);
      let deleted = 0;
      for (const p of paths) {
        if (p === finalPath) continue;
        removeSealedFile(p);
        if (++deleted === 1) crashIf(opts.crashAt, 'after-delete-partial', opts.crashMode);
      }
      fsyncPath(dir);
      results.push({ table, exchange, date, instance, inputs: paths, output: finalPath, rows: expected.rows, cleaned });
    }
  } finally {
    if (!opts.session) session.close();
  }
  return results;
}

export interface CompactAllOptions extends CompactOptions {
  /**
   * Only days before this date (YYYY-MM-DD). A day still being recorded gets a new file every hour;
   * compacting it once it is over rewrites it once instead of every hour.
   */
  beforeDate?: string;
}

/** Compacts every (table, exchange, date) that has more than one file of an instance, or leftovers. */
export async function compactAll(dataDir: string, opts: CompactAllOptions = {}): Promise<CompactResult[]> {
  // Checked before any day: a bad level is the caller's mistake, not one day's failure.
  compactZstdLevel(opts.zstdLevel);
  const groups = new Map<string, { table: TableName; exchange: string; date: string; n: number; day: boolean }>();
  for (const f of listPartitionFiles(dataDir)) {
    if (opts.instance && f.instance !== opts.instance) continue;
    if (opts.beforeDate && f.date >= opts.beforeDate) continue;
    const k = `${f.table}\t${f.exchange}\t${f.date}\t${f.instance}`;
    const g = groups.get(k) ?? { table: f.table, exchange: f.exchange, date: f.date, n: 0, day: false };
    g.n++;
    groups.set(k, g);
  }
  const session = opts.session ?? (await openDuckSession());
  const out: CompactResult[] = [];
  const done = new Set<string>();
  try {
    for (const g of groups.values()) {
      const k = `${g.table}\t${g.exchange}\t${g.date}`;
      if (g.n < 2 || done.has(k)) continue;
      done.add(k);
      try {
        out.push(...(await compactDay(dataDir, g.table, g.exchange, g.date, { ...opts, session })));
      } catch (err) {
        if ((err as Error).name === 'InjectedCrash') throw err;
        const code = (err as { code?: unknown }).code;
        out.push({ table: g.table, exchange: g.exchange, date: g.date, instance: opts.instance ?? '', inputs: [], output: null, rows: 0, cleaned: 0, error: { code: typeof code === 'string' ? code : 'TT_INTERNAL', message: (err as Error).message } });
      }
    }
  } finally {
    if (!opts.session) session.close();
  }
  return out;
}
