/**
 * Sealing a segment a chunk at a time, so that memory stays bounded whatever the segment's size:
 * every SEAL_CHUNK_RECORDS records, the staged rows of each output (table, exchange, date) are
 * written to a part file in a scratch folder and the staging tables are emptied (staging never holds
 * more than a chunk); at the end each output's parts become its one sealed file.
 *
 * Raw files with payload templates (the default) need no sort in DuckDB: a journal is written in
 * receive order, so the Stager knows each row's rank (its place in replay order) as it arrives, and
 * stages a chunk's rows in block order (by stream, then rank: stage.ts). Each chunk's rows of an
 * output are one rank block (RANK_BLOCK_ORDER), written to a part as they lie; the sealed file is
 * the parts one after another. An output holding a row that sorts before an earlier one (a journal
 * written out of order) goes the general path from that chunk on, as normalized tables and gaps
 * (sorted by symbol, stream) always do: parts as staged, sorted by DuckDB when the file is written
 * (DuckDB's sort spills to disk beyond its memory limit; for templated raw rows it does not, so that
 * one case runs with a larger limit: sealer.ts).
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
import type { OutputStat, Stager } from './stage.js';

/**
 * Records staged before the staged rows are written out as part files. The raw rows of a chunk
 * are held in JS until the chunk is staged in block order (stage.ts), and DuckDB holds the staged
 * tables: about 40 MiB of peak RSS per 8k Coinstore trades with their normalized rows (16k: 356
 * MiB for a 100 MiB segment, 32k: 437 MiB; BENCHMARKS.md), at no cost in CPU per frame.
 */
export const SEAL_CHUNK_RECORDS = 16_384;
/** Scratch folder of part files, per instance, under the data folder (removed when a seal starts and ends). */
const SEAL_WORK_DIR = '.seal-work';
/** Part files are read once, right away: fast compression. */
const PART_COMPRESSION = 'snappy';

export function sealWorkDir(dataDir: string, instance: string): string {
  return path.join(dataDir, SEAL_WORK_DIR, instance);
}

interface OutputParts {
  /** Parts in final form (templated raw, rank blocks in replay order), in order. */
  ranked: string[];
  /**
   * Parts as staged (without the date column), all with the same columns: read as one file list
   * (a UNION of one scan per part runs out of memory on a segment of many chunks).
   */
  plain: string[];
  checksum: bigint;
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
   * `last`: the segment has no more records (the tables stay as they are).
   */
  async spill(last: boolean): Promise<void> {
    this.stager.close(); // appended rows visible; appenders reopen in restage()
    for (const o of this.stager.outputs.values()) {
      const key = this.keyOf(o);
      let p = this.parts.get(key);
      if (!p) {
        p = { ranked: [], plain: [], checksum: 0n };
        this.parts.set(key, p);
      }
      if (o.stagedRows === 0) continue;
      const from = this.stager.stagedSource(o);
      const templatedRaw = this.stager.templates && o.table === 'raw';
      p.checksum += o.table === 'raw' && this.stager.checksums ? o.stagedChecksum : BigInt(await checksumOf(this.conn, o.table, from, templatedRaw));
      if (templatedRaw && o.ordered) {
        // Every row so far came after the one before: this chunk's rows are the next rank block,
        // staged in block order with their ranks (Stager), written as they lie.
        p.ranked.push(await this.copyPart(stagedBlockSelect(from)));
        continue;
      }
      p.plain.push(await this.copyPart(`SELECT * EXCLUDE ("date"${templatedRaw ? ', "rank"' : ''}) FROM ${from}`));
    }
    this.chunks++;
    if (!last) await this.stager.restage();
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

/**
 * The SELECT of a templated raw file's rows from staged rows `from` that are one rank block (an
 * ordered output's rows of one chunk, which the Stager stages in block order with their ranks): no
 * sort, DuckDB keeps the rows' order.
 */
export function stagedBlockSelect(from: string): string {
  return `SELECT ${templatedRawColumns()} FROM (SELECT * EXCLUDE ("rank"), "rank" AS "_tt_rank" FROM ${from})`;
}
