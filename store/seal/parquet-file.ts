/**
 * Writing one sealed Parquet file: COPY a sorted SELECT to a temp file (zstd, with ticktape's
 * metadata), fsync it, then re-read it and compare row count and per-connection sequence ranges
 * with an expectation computed independently. Renaming into place is the caller's step.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { TicktapeError } from '../../core/errors.js';
import { SCHEMA_VERSION, SORT_KEYS, TABLES, type TableName } from '../../schemas/tables.js';
import { META, checksumPathFor, fsyncPath, sqlStr } from '../partitions.js';
import { PAYLOAD_CODEC, PAYLOAD_CODEC_META, SLOT_COLUMNS, TEMPLATE_COLUMNS } from '../template/index.js';

/** Rows per Parquet row group: large enough for good compression, small enough for pruning by stream and time. */
export const ROW_GROUP_ROWS = 122_880;
/**
 * zstd level of hourly seals (fast: sealing keeps up with recording) and of compacted day files
 * (denser: compaction runs in the background and its output is what stays on disk).
 * Compaction's level is a setting (CompactOptions.zstdLevel, the recorder's `seal.compactZstdLevel`,
 * `ticktape seal --compact --zstd-level`); this is its default. Per million market-like frames:
 * level 9 → 24.3 bytes/frame in 1.7 s, 15 → 22.1 in 18.8 s, 19 → 18.2 in 45.8 s (bench/seal.ts).
 */
const SEAL_ZSTD_LEVEL = 3;
export const COMPACT_ZSTD_LEVEL = 9;

/**
 * Key-value metadata naming the columns a file is sorted by (SORT_KEYS at write time, comma
 * separated). The reader streams raw files that carry `recv_ns,conn_id,seq` without sorting them;
 * files without it (written before raw files were in replay order) are sorted as they are read.
 */
export const SORT_KEYS_META = 'ticktape.sort_keys';

/**
 * The order of templated raw files (SORT_KEYS_META): blocks of rows in replay order (RAW_BLOCK_ROWS
 * in files this module sorts, one seal chunk in a sealed segment: chunk-parts.ts), each block
 * sorted by stream (a stream's frames side by side compress far better: its templates,
 * slots and rest text repeat), and `rank` = the row's place in replay order within the file, so
 * the reader puts each block back in order by position, without sorting.
 */
export const RANK_BLOCK_ORDER = 'rank_block,stream,rank';
/** Rows per block of a templated raw file this module sorts (one row group each). */
export const RAW_BLOCK_ROWS = ROW_GROUP_ROWS;

export interface ConnRange {
  rows: number;
  min: number;
  max: number;
}

export interface FileExpectation {
  rows: number;
  conns: Map<string, ConnRange>;
  /** Order-independent content checksum (see checksumExpr); compared when present. */
  checksum?: string;
}

interface ParquetFileMeta {
  table: TableName;
  /** A raw file with payload templates (templatedRawSelect). */
  templated?: boolean;
  instance: string;
  sources: string[];
  expectation: FileExpectation;
}

export function columnList(table: TableName): string {
  return TABLES[table].map((c) => `"${c.name}"`).join(', ');
}

export function orderBy(table: TableName): string {
  return SORT_KEYS[table].map((k) => `"${k}"`).join(', ');
}

/**
 * The SELECT writing a templated raw file from `from` (a table or file list with the raw columns,
 * the template columns and the original or rebuilt payload): payloads that have a template are
 * not stored again, `rank` is each row's place in replay order, rows go out block by block, each
 * block by stream.
 */
export function templatedRawSelect(from: string): string {
  // The new rank is computed under another name: a source of templated files has a rank of its own.
  return `SELECT ${templatedRawColumns()} FROM (SELECT *, (row_number() OVER (ORDER BY recv_ns, conn_id, seq) - 1)::BIGINT AS "_tt_rank" FROM ${from}) ORDER BY ${RANK_BLOCK_ORDER_SQL}`;
}

/** The ORDER BY of a templated raw file over rows whose rank is `_tt_rank` (RANK_BLOCK_ORDER). */
const RANK_BLOCK_ORDER_SQL = `"_tt_rank" // ${RAW_BLOCK_ROWS}, "stream", "_tt_rank"`;

/**
 * The columns of a templated raw file, from rows with the raw columns, the template columns and
 * their rank as `_tt_rank`: payloads that have a template are not stored again.
 */
export function templatedRawColumns(): string {
  const cols = TABLES.raw.map((c) => (c.name === 'payload' ? `CASE WHEN "tpl" IS NULL THEN "payload" END AS "payload"` : `"${c.name}"`));
  const tcols = ['tpl', 'pre', 'rest', ...SLOT_COLUMNS].map((c) => `"${c}"`);
  return [...cols, ...tcols, '"_tt_rank" AS "rank"'].join(', ');
}

/**
 * Content checksum of a table's rows: the sum of the low 64 bits of each row's MD5 (over every
 * column as text, payloads as hex). A sum, not a xor, so identical rows do not cancel out; MD5, not
 * DuckDB's hash(), so the value does not change with the DuckDB version. Catches a flipped byte
 * that still decodes (an uncompressed page), which a row count would miss.
 */
function checksumExpr(table: TableName, templated = false): string {
  // A templated raw file is checked on what it stores: the payload where it is kept as it is, and
  // the template columns (rank excepted: compaction renumbers it). Staging computes the same sum
  // from the same columns; the template encoding itself is checked when it is made (store/template).
  const stored = (c: string) => (templated && table === 'raw' && c === 'payload' ? `CASE WHEN "tpl" IS NULL THEN "payload" END` : `"${c}"`);
  const parts = TABLES[table].map((c) => (c.type === 'BLOB' ? `coalesce(hex(${stored(c.name)}), '~')` : `coalesce(CAST("${c.name}" AS VARCHAR), '~')`));
  if (templated && table === 'raw') parts.push(`coalesce("tpl", '~')`, `coalesce(hex("pre"), '~')`, `coalesce("rest", '~')`, ...SLOT_COLUMNS.map((c) => `coalesce(CAST("${c}" AS VARCHAR), '~')`));
  return `sum(md5_number_lower(concat_ws('|', ${parts.join(', ')})))::VARCHAR`;
}

export async function checksumOf(conn: DuckDBConnection, table: TableName, from: string, templated = false): Promise<string> {
  const r = await conn.runAndReadAll(`SELECT coalesce(${checksumExpr(table, templated)}, '0') FROM ${from}`);
  return String(r.getRows()[0][0]);
}

function kvMetadata(meta: ParquetFileMeta): string {
  const ranges: Record<string, [number, number]> = {};
  for (const [c, r] of [...meta.expectation.conns].sort((a, b) => (a[0] < b[0] ? -1 : 1))) ranges[c] = [r.min, r.max];
  const kv: Record<string, string> = {
    [META.schemaVersion]: String(SCHEMA_VERSION),
    [META.table]: meta.table,
    [META.instance]: meta.instance,
    [META.sourceSegments]: JSON.stringify([...meta.sources].sort()),
    [META.rows]: String(meta.expectation.rows),
    [META.seqRanges]: JSON.stringify(ranges),
    [SORT_KEYS_META]: meta.templated ? RANK_BLOCK_ORDER : SORT_KEYS[meta.table].join(','),
  };
  if (meta.templated) kv[PAYLOAD_CODEC_META] = PAYLOAD_CODEC;
  if (meta.expectation.checksum !== undefined) kv[META.checksum] = meta.expectation.checksum;
  return `{${Object.entries(kv)
    .map(([k, v]) => `${sqlStr(k)}: ${sqlStr(v)}`)
    .join(', ')}}`;
}

/** COPY `select` (already ordered) to `tmpPath` and fsync it. */
/**
 * COPY `select` (already ordered) to `tmpPath` and fsync it. Parquet format 2 pages, so integer
 * columns use DELTA_BINARY_PACKED: recv_ns and seq, sorted, shrink to almost nothing (about 800×
 * smaller than with format 1 on the benchmark frames). Spark, Trino and DuckDB read format 2.
 */
/**
 * Parquet field ids (`FIELD_IDS`): each column's 1-based position in schemas/tables.ts, where
 * columns are only ever appended. Table formats that track columns by id (Iceberg) can adopt the
 * files as they are, without rewriting them.
 */
function fieldIds(table: TableName, templated = false): string {
  const ids = TABLES[table].map((c, i) => `"${c.name}": ${i + 1}`);
  // The payload template columns of raw files are storage, not table columns: ids from 1001 up.
  if (templated) TEMPLATE_COLUMNS.forEach((c, i) => ids.push(`"${c}": ${TEMPLATE_FIELD_ID_BASE + i}`));
  return `{${ids.join(', ')}}`;
}

/** Field id of the first payload template column (far above any table column's). */
export const TEMPLATE_FIELD_ID_BASE = 1001;

export async function copyToParquet(conn: DuckDBConnection, select: string, tmpPath: string, meta: ParquetFileMeta, rowGroupRows = ROW_GROUP_ROWS, zstdLevel = SEAL_ZSTD_LEVEL): Promise<void> {
  fs.rmSync(tmpPath, { force: true });
  await conn.run(
    `COPY (${select}) TO ${sqlStr(tmpPath)} (FORMAT parquet, PARQUET_VERSION V2, COMPRESSION zstd, COMPRESSION_LEVEL ${zstdLevel}, ROW_GROUP_SIZE ${rowGroupRows}, FIELD_IDS ${fieldIds(meta.table, meta.templated)}, KV_METADATA ${kvMetadata(meta)})`,
  );
  fsyncPath(tmpPath);
}

function parquetFrom(paths: readonly string[]): string {
  return `read_parquet([${paths.map(sqlStr).join(', ')}], hive_partitioning=false, union_by_name=true)`;
}

/** Per-connection tally (and content checksum) of a Parquet file or list of files as DuckDB reads them. */
/** Whether any of the files stores templated payloads (their union then has the template columns). */
export async function anyTemplated(conn: DuckDBConnection, paths: readonly string[]): Promise<boolean> {
  if (paths.length === 0) return false;
  const r = await conn.runAndReadAll(`SELECT count(*) FROM parquet_kv_metadata([${paths.map(sqlStr).join(', ')}]) WHERE decode(key) = ${sqlStr(PAYLOAD_CODEC_META)}`);
  return Number(r.getRows()[0][0]) > 0;
}

export async function tallyParquet(conn: DuckDBConnection, paths: readonly string[], table: TableName): Promise<FileExpectation> {
  const list = `[${paths.map(sqlStr).join(', ')}]`;
  const r = await conn.runAndReadAll(`SELECT conn_id, count(*)::BIGINT, min(seq)::BIGINT, max(seq)::BIGINT FROM read_parquet(${list}, hive_partitioning=false, union_by_name=true) GROUP BY conn_id`);
  const conns = new Map<string, ConnRange>();
  let rows = 0;
  for (const [c, n, mn, mx] of r.getRows() as [string, bigint, bigint, bigint][]) {
    conns.set(c, { rows: Number(n), min: Number(mn), max: Number(mx) });
    rows += Number(n);
  }
  const templated = table === 'raw' && (await anyTemplated(conn, paths));
  return { rows, conns, checksum: await checksumOf(conn, table, parquetFrom(paths), templated) };
}

/**
 * Problems with the ranks of a templated raw file: they must number its rows 0..rows-1, each once
 * (the reader puts rows in order by rank). [] for other files.
 */
export async function rankProblems(conn: DuckDBConnection, path: string): Promise<string[]> {
  if (!(await anyTemplated(conn, [path]))) return [];
  const [n, distinct, min, max] = (await conn.runAndReadAll(`SELECT count(*), count(DISTINCT "rank"), min("rank"), max("rank") FROM read_parquet(${sqlStr(path)}, hive_partitioning=false)`)).getRows()[0] as bigint[];
  return n === 0n || (distinct === n && min === 0n && max === n - 1n) ? [] : [`ranks ${min}..${max} (${distinct} distinct) do not number ${n} rows`];
}

/** Throws TT_SEAL_VERIFY when the file does not hold exactly what was expected. */
export async function verifyParquet(conn: DuckDBConnection, path: string, table: TableName, expected: FileExpectation): Promise<void> {
  let got: FileExpectation;
  const rankIssues: string[] = [];
  try {
    got = await tallyParquet(conn, [path], table);
    if (table === 'raw') rankIssues.push(...(await rankProblems(conn, path)));
  } catch (err) {
    throw new TicktapeError('TT_SEAL_VERIFY', `Sealed file ${path} cannot be read back (${(err as Error).message}); the journal is kept. Check the disk, then run \`ticktape seal\` again.`, { path }, { cause: err });
  }
  const problems = [...compareTally(got, expected), ...rankIssues];
  if (problems.length) {
    throw new TicktapeError('TT_SEAL_VERIFY', `Sealed file ${path} does not match its input (${problems.slice(0, 3).join('; ')}); the input is kept. Run \`ticktape verify\`.`, { path, problems });
  }
}

/** Differences between what a file holds and what it should hold ([] when they match). */
export function compareTally(got: FileExpectation, expected: FileExpectation, checkConnRows = true): string[] {
  const problems: string[] = [];
  if (got.rows !== expected.rows) problems.push(`rows ${got.rows} != ${expected.rows}`);
  for (const [c, e] of expected.conns) {
    const g = got.conns.get(c);
    if (!g) problems.push(`connection ${c} missing`);
    else if ((checkConnRows && g.rows !== e.rows) || g.min !== e.min || g.max !== e.max) problems.push(`connection ${c}: seq ${g.min}..${g.max} (${g.rows} rows) != ${e.min}..${e.max} (${e.rows} rows)`);
  }
  for (const c of got.conns.keys()) if (!expected.conns.has(c)) problems.push(`unexpected connection ${c}`);
  if (expected.checksum !== undefined && got.checksum !== undefined && got.checksum !== expected.checksum) problems.push(`content checksum ${got.checksum} != ${expected.checksum}`);
  return problems;
}

/** SHA-256 of a file, hex. */
export function sha256File(file: string): string {
  const h = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}

/** Writes the checksum file of `finalPath` from the verified temp file, before the temp is renamed. */
export function writeChecksumFile(tmpPath: string, finalPath: string): void {
  const file = checksumPathFor(finalPath);
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeFileSync(fd, `${sha256File(tmpPath)}  ${path.basename(finalPath)}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Removes a sealed file and its checksum file. */
export function removeSealedFile(p: string): void {
  fs.rmSync(p, { force: true });
  fs.rmSync(checksumPathFor(p), { force: true });
}

/** The recorded SHA-256 of a sealed file, or null when it has none. */
export function readChecksumFile(parquetPath: string): string | null {
  try {
    return fs.readFileSync(checksumPathFor(parquetPath), 'utf8').split(/\s+/)[0] || null;
  } catch {
    return null;
  }
}
