/**
 * Sealing a segment a chunk at a time, so that memory stays bounded whatever the segment's size:
 * every SEAL_CHUNK_RECORDS records, the staged rows of each output (table, exchange, date) are
 * written to a part file in a scratch folder and the staging tables are emptied (staging never holds
 * more than a chunk); at the end each
 * output's parts become its one sealed file.
 *
 * Raw files with payload templates (the default) need no sort at the end: their rows are staged in
 * replay order (a journal is written in receive order), so each chunk's rows get the next ranks
 * and are written out as whole rank blocks (RANK_BLOCK_ORDER), the rows of an unfinished block
 * being carried over in part files of their own; the sealed file is then the parts one after another,
 * exactly the rows and order a whole-segment seal writes. A chunk holding a row that sorts before
 * a row of an earlier chunk (a journal written out of order) turns that output to the general
 * path, as are normalized tables and gaps (sorted by symbol, stream): parts as staged, sorted by
 * DuckDB when the file is written (DuckDB's sort spills to disk beyond its memory limit).
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
import { checksumOf, columnList, orderBy, RANK_BLOCK_ORDER_SQL, RAW_BLOCK_ROWS, templatedRawColumns, templatedRawSelect } from './parquet-file.js';
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

export function sealWorkDir(dataDir: string, instance: string): string {
  return path.join(dataDir, SEAL_WORK_DIR, instance);
}

interface OutputParts {
  /** Parts in final form (templated raw, in replay order), in order. */
  ranked: string[];
  /** SELECTs of the parts as staged (without the date column). */
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
          const carried = `(SELECT * EXCLUDE ("_tt_rank") FROM ${this.list(p.carry)})`;
          p.checksum += BigInt(await checksumOf(this.conn, 'raw', carried, true));
          p.plain.push(`SELECT * FROM ${carried}`);
          p.carry = [];
        }
      }
      if (templatedRaw) p.prevMaxKey = o.maxKey;
      if (o.stagedRows === 0 && !(last && p.carry.length)) continue;
      if (templatedRaw && p.ordered) {
        // The new rows follow every earlier row: their ranks continue from the rows before them.
        const offset = p.flushedRows + p.carried;
        const total = offset + o.stagedRows;
        const ranked = `(SELECT * EXCLUDE ("date"), (${offset} + row_number() OVER (ORDER BY recv_ns, conn_id, seq) - 1)::BIGINT AS "_tt_rank" FROM "${table}" WHERE ${where})`;
        // Whole blocks only, but for the segment's last rows.
        const upTo = last ? total : Math.floor(total / RAW_BLOCK_ROWS) * RAW_BLOCK_ROWS;
        if (upTo > p.flushedRows) {
          // The carried rows all belong to the block that is now complete.
          const pieces = [`SELECT * FROM ${ranked} WHERE "_tt_rank" < ${upTo}`];
          if (p.carry.length) pieces.push(`SELECT * FROM ${this.list(p.carry)}`);
          const from = `(${pieces.join(' UNION ALL BY NAME ')})`;
          p.checksum += BigInt(await checksumOf(this.conn, 'raw', from, true));
          p.ranked.push(await this.copyPart(`SELECT ${templatedRawColumns()} FROM ${from} ORDER BY ${RANK_BLOCK_ORDER_SQL}`));
          for (const f of p.carry) fs.rmSync(f, { force: true });
          p.carry = [];
        }
        if (upTo < total) p.carry.push(await this.copyPart(`SELECT * FROM ${ranked} WHERE "_tt_rank" >= ${Math.max(upTo, offset)}`));
        p.carried = total - upTo;
        p.flushedRows = upTo;
        continue;
      }
      const from = `"${table}" WHERE ${where}`;
      p.checksum += BigInt(await checksumOf(this.conn, o.table, from, templatedRaw));
      p.plain.push(`SELECT * FROM read_parquet(${sqlStr(await this.copyPart(`SELECT * EXCLUDE ("date") FROM ${from}`))}, hive_partitioning=false)`);
    }
    this.chunks++;
    if (!last) await this.stager.restage();
  }

  private list(files: string[]): string {
    return `read_parquet([${files.map(sqlStr).join(', ')}], hive_partitioning=false)`;
  }

  /** The SELECT writing an output's sealed file from its parts, and the content checksum of its rows. */
  finalSelect(o: OutputStat): { select: string; checksum: string } {
    const p = this.parts.get(this.keyOf(o));
    if (!p) throw new Error(`no parts for ${this.keyOf(o)}`);
    const checksum = String(p.checksum);
    if (this.stager.templates && o.table === 'raw') {
      // Parts in final form, one after another (DuckDB keeps the order of a file list).
      if (p.plain.length === 0) return { select: `SELECT * FROM ${this.list(p.ranked)}`, checksum };
      const sources = [...p.plain];
      if (p.ranked.length) sources.push(`SELECT * EXCLUDE ("rank") REPLACE (${payloadExpr()} AS "payload") FROM ${this.list(p.ranked)}`);
      return { select: templatedRawSelect(`(${sources.join(' UNION ALL BY NAME ')})`), checksum };
    }
    return { select: `SELECT ${columnList(o.table as TableName)} FROM (${p.plain.join(' UNION ALL BY NAME ')}) ORDER BY ${orderBy(o.table)}`, checksum };
  }
}
