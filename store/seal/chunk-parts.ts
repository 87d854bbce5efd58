/**
 * Sealing a segment a chunk at a time, so that memory stays bounded whatever the segment's size:
 * every SEAL_CHUNK_RECORDS records, the staged rows of each output (table, exchange, date) are
 * written to a part file in a scratch folder and the staging tables are emptied (staging never holds
 * more than a chunk); at the end each
 * output's parts become its one sealed file.
 *
 * Raw files with payload templates (the default) need no sort at the end: their rows are staged in
 * replay order (a journal is written in receive order), so each chunk's rows get the next ranks
 * and are written, in rank order, to a carry part; once a rank block (RANK_BLOCK_ORDER) is
 * complete its rows are written out from the carry parts in block order (writeBlock: stream by
 * stream, never sorting more than BLOCK_SORT_ROWS rows at once); the sealed file is then the parts
 * one after another, exactly the rows and order a whole-segment seal writes. A chunk holding a row that sorts before
 * a row of an earlier chunk (a journal written out of order) turns that output to the general
 * path, as are normalized tables and gaps (sorted by symbol, stream): parts as staged, sorted by
 * DuckDB when the file is written (DuckDB's sort spills to disk beyond its memory limit; for
 * templated raw rows it does not, so that one case runs with a larger limit: sealer.ts).
 *
 * The content checksum of every output is summed over its chunks (the checksum is a sum over
 * rows), so the written file is still verified against a tally taken from the records.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { TableName } from '../../schemas/tables.js';
import { sqlStr } from '../partitions.js';
import { payloadExpr } from '../template/index.js';
import { checksumOf, columnList, orderBy, RAW_BLOCK_ROWS, templatedRawColumns, templatedRawSelect } from './parquet-file.js';
import { compareRowKeys, type OutputStat, type RowKey, type Stager } from './stage.js';

/**
 * Records staged before the staged rows are written out as part files. About 100 MiB of staging
 * (DuckDB tables and what it allocates around them) per 32k Coinstore trades with their
 * normalized rows; with the seal session's DuckDB memory limit this keeps a seal under 512 MiB.
 */
export const SEAL_CHUNK_RECORDS = 32_768;
/** Scratch folder of part files, per instance, under the data folder (removed when a seal starts and ends). */
const SEAL_WORK_DIR = '.seal-work';
/** Part files are read once, right away: fast compression. */
const PART_COMPRESSION = 'snappy';

/**
 * Rows of a rank block sorted at a time when it is written out (writeBlock): what DuckDB sorts
 * within the seal session's memory limit.
 */
const BLOCK_SORT_ROWS = SEAL_CHUNK_RECORDS;

/**
 * The streams of a block (in sort order, NULL last) in groups written by one statement each: a
 * stream of more than BLOCK_SORT_ROWS rows alone, smaller neighbours together up to that many rows.
 * A NULL stream is a group of its own (a range of names cannot hold it).
 */
function streamGroups(streams: ReadonlyArray<{ stream: string | null; rows: number }>, maxRows = BLOCK_SORT_ROWS): Array<Array<{ stream: string | null; rows: number }>> {
  const groups: Array<Array<{ stream: string | null; rows: number }>> = [];
  let cur: Array<{ stream: string | null; rows: number }> = [];
  let rows = 0;
  for (const s of streams) {
    if (cur.length && (rows + s.rows > maxRows || s.stream === null)) {
      groups.push(cur);
      cur = [];
      rows = 0;
    }
    cur.push(s);
    rows += s.rows;
  }
  if (cur.length) groups.push(cur);
  return groups;
}

export function sealWorkDir(dataDir: string, instance: string): string {
  return path.join(dataDir, SEAL_WORK_DIR, instance);
}

interface OutputParts {
  /** Parts in final form (templated raw, in replay order), in order. */
  ranked: string[];
  /**
   * Parts as staged (without the date column), all with the same columns: read as one file list
   * (a UNION of one scan per part runs out of memory on a segment of many chunks).
   */
  plain: string[];
  /** Templated raw: parts of the unfinished rank block (staged columns and `_tt_rank`). */
  carry: string[];
  checksum: bigint;
  /** Templated raw: rows written to ranked parts (the next rank). */
  flushedRows: number;
  /** Templated raw: rows of this output in carry parts. */
  carried: number;
  /** Templated raw: the largest key staged before the current chunk. */
  prevMaxKey: RowKey | null;
  /** Templated raw: every chunk so far came after the one before (ranked parts are valid). */
  ordered: boolean;
}

export class ChunkParts {
  private readonly parts = new Map<string, OutputParts>();
  private fileNo = 0;
  /** Chunks written out so far. */
  chunks = 0;

  constructor(
    private readonly conn: DuckDBConnection,
    private readonly stager: Stager,
    private readonly dir: string,
  ) {}

  private keyOf(o: OutputStat): string {
    return `${o.table}\t${o.exchange}\t${o.date}`;
  }

  private nextPath(): string {
    if (this.fileNo === 0) fs.mkdirSync(this.dir, { recursive: true });
    return path.join(this.dir, `part-${String(this.fileNo++).padStart(6, '0')}.parquet`);
  }

  private async copyPart(select: string): Promise<string> {
    const file = this.nextPath();
    await this.conn.run(`COPY (${select}) TO ${sqlStr(file)} (FORMAT parquet, COMPRESSION ${PART_COMPRESSION}, ROW_GROUP_SIZE ${RAW_BLOCK_ROWS})`);
    return file;
  }

  /**
   * Writes the staged rows of every output as part files and empties the staging tables.
   * `last`: the segment has no more records (nothing is carried over, the tables stay as they are).
   */
  async spill(last: boolean): Promise<void> {
    this.stager.close(); // appended rows visible; appenders reopen in restage()
    for (const o of this.stager.outputs.values()) {
      const key = this.keyOf(o);
      let p = this.parts.get(key);
      if (!p) {
        p = { ranked: [], plain: [], carry: [], checksum: 0n, flushedRows: 0, carried: 0, prevMaxKey: null, ordered: true };
        this.parts.set(key, p);
      }
      const table = this.stager.tableName(o.table);
      const where = `exchange = ${sqlStr(o.exchange)} AND "date" = DATE ${sqlStr(o.date)}`;
      const templatedRaw = this.stager.templates && o.table === 'raw';
      if (templatedRaw && p.ordered && p.prevMaxKey && o.chunkMinKey && compareRowKeys(o.chunkMinKey, p.prevMaxKey) <= 0) {
        // Out of order: what was carried over goes the general way too.
        p.ordered = false;
        if (p.carry.length) {
          const carried = `(SELECT * EXCLUDE ("_tt_rank") FROM ${this.list(p.carry)} WHERE "_tt_rank" >= ${p.flushedRows})`;
          p.checksum += BigInt(await checksumOf(this.conn, 'raw', carried, true));
          p.plain.push(await this.copyPart(`SELECT * FROM ${carried}`));
          for (const f of p.carry) fs.rmSync(f, { force: true });
          p.carry = [];
        }
      }
      if (templatedRaw) p.prevMaxKey = o.maxKey;
      if (o.stagedRows === 0 && !(last && p.carry.length)) continue;
      if (templatedRaw && p.ordered) {
        // The new rows follow every earlier row: their ranks continue from the rows before them.
        const offset = p.flushedRows + p.carried;
        const total = offset + o.stagedRows;
        // Whole blocks only, but for the segment's last rows.
        const upTo = last ? total : Math.floor(total / RAW_BLOCK_ROWS) * RAW_BLOCK_ROWS;
        if (o.stagedRows > 0) {
          // This chunk's rows with their ranks, in rank order (a sort of one chunk at most).
          const ranked = `SELECT * EXCLUDE ("date"), (${offset} + row_number() OVER (ORDER BY recv_ns, conn_id, seq) - 1)::BIGINT AS "_tt_rank" FROM "${table}" WHERE ${where}`;
          p.carry.push(await this.copyPart(`SELECT * FROM (${ranked}) ORDER BY "_tt_rank"`));
        }
        for (let lo = p.flushedRows; lo < upTo; lo += RAW_BLOCK_ROWS) await this.writeBlock(p, lo, Math.min(lo + RAW_BLOCK_ROWS, upTo));
        if (upTo > p.flushedRows) {
          // Only the newest part can hold rows of the unfinished block (fewer than a block are ever carried).
          const keep = upTo < total ? p.carry.slice(-1) : [];
          for (const f of p.carry) if (!keep.includes(f)) fs.rmSync(f, { force: true });
          p.carry = keep;
        }
        p.carried = total - upTo;
        p.flushedRows = upTo;
        continue;
      }
      const from = `"${table}" WHERE ${where}`;
      p.checksum += BigInt(await checksumOf(this.conn, o.table, from, templatedRaw));
      p.plain.push(await this.copyPart(`SELECT * EXCLUDE ("date") FROM ${from}`));
    }
    this.chunks++;
    if (!last) await this.stager.restage();
  }

  /**
   * Writes the rows ranked lo..hi-1 (one rank block, or the segment's last rows) from the carry
   * parts, which hold them in rank order, as ranked parts in block order: by stream, then rank.
   * DuckDB cannot sort a block of templated rows in a small memory limit (the template text of
   * every row goes through the sort and does not spill), so a block is written in groups of
   * streams next to each other in sort order: a stream with more than BLOCK_SORT_ROWS rows is a
   * group of its own and needs no sort at all (its rows are read in rank order, which a filter
   * keeps), and smaller streams are sorted together, at most BLOCK_SORT_ROWS rows at a time.
   */
  private async writeBlock(p: OutputParts, lo: number, hi: number): Promise<void> {
    const src = `${this.list(p.carry)} WHERE "_tt_rank" >= ${lo} AND "_tt_rank" < ${hi}`;
    p.checksum += BigInt(await checksumOf(this.conn, 'raw', `(SELECT * EXCLUDE ("_tt_rank") FROM ${src})`, true));
    const counts = (await this.conn.runAndReadAll(`SELECT "stream", count(*)::BIGINT FROM ${src} GROUP BY "stream" ORDER BY "stream"`)).getRows() as Array<[string | null, bigint]>;
    for (const g of streamGroups(counts.map(([stream, n]) => ({ stream, rows: Number(n) })))) {
      const single = g.length === 1;
      const first = g[0].stream;
      const last = g[g.length - 1].stream;
      const which = single ? (first === null ? `"stream" IS NULL` : `"stream" = ${sqlStr(first)}`) : `"stream" BETWEEN ${sqlStr(first!)} AND ${sqlStr(last!)}`;
      p.ranked.push(await this.copyPart(`SELECT ${templatedRawColumns()} FROM ${src} AND ${which}${single ? '' : ' ORDER BY "stream", "_tt_rank"'}`));
    }
  }

  private list(files: string[]): string {
    return `read_parquet([${files.map(sqlStr).join(', ')}], hive_partitioning=false)`;
  }

  /**
   * The SELECT writing an output's sealed file from its parts, and the content checksum of its rows.
   * `wholeSort`: templated raw rows out of order, sorted all at once (the one step whose memory
   * grows with the segment; see SEAL_OUT_OF_ORDER_DUCKDB_MEMORY).
   */
  finalSelect(o: OutputStat): { select: string; checksum: string; wholeSort: boolean } {
    const p = this.parts.get(this.keyOf(o));
    if (!p) throw new Error(`no parts for ${this.keyOf(o)}`);
    const checksum = String(p.checksum);
    if (this.stager.templates && o.table === 'raw') {
      // Parts in final form, one after another (DuckDB keeps the order of a file list).
      if (p.plain.length === 0) return { select: `SELECT * FROM ${this.list(p.ranked)}`, checksum, wholeSort: false };
      const sources = [`SELECT * FROM ${this.list(p.plain)}`];
      if (p.ranked.length) sources.push(`SELECT * EXCLUDE ("rank") REPLACE (${payloadExpr()} AS "payload") FROM ${this.list(p.ranked)}`);
      return { select: templatedRawSelect(`(${sources.join(' UNION ALL BY NAME ')})`), checksum, wholeSort: true };
    }
    return { select: `SELECT ${columnList(o.table as TableName)} FROM ${this.list(p.plain)} ORDER BY ${orderBy(o.table)}`, checksum, wholeSort: false };
  }
}
