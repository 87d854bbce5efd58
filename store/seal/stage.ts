/**
 * Staging: records go into DuckDB tables shaped exactly like the sealed tables (built from
 * schemas/tables.ts) plus a `date` DATE column, the partition key. The sealer COPYs them out to
 * Parquet; a query session over unsealed journals queries them directly.
 *
 * The stager also counts what it staged per output (table, exchange, date): rows and the sequence
 * range of every connection. Those counts come from the records themselves, not from DuckDB, so
 * the sealer's re-read of each written file checks DuckDB's output against an independent tally.
 */
import type { DuckDBAppender, DuckDBConnection, DuckDBType } from '@duckdb/node-api';
import { BIGINT, BLOB, BOOLEAN, DATE, DOUBLE, DuckDBDateValue, INTEGER, VARCHAR } from '@duckdb/node-api';
import { FLAG_MALFORMED, FLAG_REDACTED, type GapPayload, type TapeRecord } from '../../schemas/record.js';
import type { NormalizedRow } from '../../schemas/rows.js';
import { createTableSql, NORMALIZED_TABLES, TABLE_NAMES, TABLES, type ColumnDef, type NormalizedTable, type TableName } from '../../schemas/tables.js';
import type { NormalizerSet } from './normalizers.js';
import { encodePayload, TEMPLATE_COLUMNS_DDL, TEMPLATE_SLOTS } from '../template/index.js';
import { addMd5Lower, Md5LowerSum, rawChecksumText } from './raw-checksum.js';
import { NATIVE_CHUNK_ROWS, NativeChunk } from './native-chunk.js';
import { RawFeed } from './raw-feed.js';
import { sqlStr } from '../partitions.js';
import { TEMPLATE_COLUMNS } from '../template/index.js';

const NS_PER_DAY = 86_400_000_000_000n;
/**
 * Rows are staged a DuckDB data chunk at a time (DuckDB's vector size), filled from JS column
 * buffers and written to native memory once per chunk (native-chunk.ts), one appender call per chunk
 * instead of one per value.
 */
const RAW_CHUNK_ROWS = NATIVE_CHUNK_ROWS;
const RAW_CHUNK_TYPES: DuckDBType[] = [VARCHAR, VARCHAR, BIGINT, BIGINT, VARCHAR, VARCHAR, VARCHAR, VARCHAR, BLOB, BOOLEAN, BOOLEAN, VARCHAR, INTEGER, DATE];
/** Column names of the raw staging table with templates (RAW_CHUNK_TYPES, TEMPLATE_CHUNK_TYPES). */
const RAW_FEED_NAMES = [...TABLES.raw.map((c) => c.name), 'date', ...TEMPLATE_COLUMNS];

/** An output's key among the feed's (table, exchange, date). */
function outputKey(o: OutputStat): string {
  return `${o.table}\t${o.exchange}\t${o.date}`;
}

/** With payload templates (sealing): tpl, pre, rest, the integer slots and the rank after the date. */
const TEMPLATE_CHUNK_TYPES: DuckDBType[] = [VARCHAR, BLOB, VARCHAR, ...Array.from({ length: TEMPLATE_SLOTS }, () => BIGINT), BIGINT];

interface StagerOptions {
  /**
   * Encode payloads as templates (store/template) in extra columns of the raw table, as sealing
   * writes them; `payload` then holds only the payloads that have no template (the rest are
   * rebuilt from their template: tt_payload), as a templated file stores them. Raw rows
   * are then held until flush() and staged in block order (see flush) with their rank.
   */
  templates?: boolean;
  /**
   * Take the content checksum of the raw rows staged (OutputStat.stagedChecksum) from the records
   * in JS (raw-checksum.ts), as sealing does, rather than have DuckDB compute it afterwards.
   */
  checksums?: boolean;
  /**
   * With templates: raw rows are not appended to the staging table but held for the seal's COPYs,
   * which read them through a table function (raw-feed.ts, `rawSource`); the raw table stays empty.
   */
  rawFeed?: boolean;
}

interface SeqRange {
  min: number;
  max: number;
  rows: number;
}

/** The replay-order key of a raw row (SORT_KEYS.raw). */
interface RowKey {
  recvNs: bigint;
  connId: string;
  seq: number;
}

/** Negative, zero or positive as `a` sorts before, with or after `b` in replay order. */
function compareRowKeys(a: RowKey, b: RowKey): number {
  if (a.recvNs !== b.recvNs) return a.recvNs < b.recvNs ? -1 : 1;
  if (a.connId !== b.connId) return a.connId < b.connId ? -1 : 1;
  return a.seq - b.seq;
}

export interface OutputStat {
  table: TableName;
  exchange: string;
  date: string;
  rows: number;
  /** Rows added since the staging tables were last emptied (restage). */
  stagedRows: number;
  /** Raw outputs, with StagerOptions.checksums: content checksum of the rows added since the last restage. */
  stagedChecksum: bigint;
  /** Raw outputs: the largest replay-order key added. */
  maxKey: RowKey | null;
  /**
   * Raw outputs: every row came after the one before in replay order (a journal is written in
   * receive order), so a row's rank (its place in replay order) is its place in arrival order.
   */
  ordered: boolean;
  /** conn_id → sequence range and row count. */
  conns: Map<string, SeqRange>;
  minRecvNs: bigint;
  maxRecvNs: bigint;
}

interface StageIssues {
  badGapPayloads: number;
  /** Normalized rows skipped: unknown table or a value that cannot be stored. */
  badRows: number;
}

type Cell = string | number | bigint | boolean | null;

/** A raw row waiting to be staged: its output and rank within it. */
interface PendingRaw {
  rec: TapeRecord;
  out: OutputStat;
  date: DuckDBDateValue;
  instance: string;
  rank: number;
}

/** Block order of pending raw rows: output (exchange, date), stream, rank. */
function blockOrder(a: PendingRaw, b: PendingRaw): number {
  if (a.out !== b.out) {
    if (a.out.exchange !== b.out.exchange) return a.out.exchange < b.out.exchange ? -1 : 1;
    if (a.out.date !== b.out.date) return a.out.date < b.out.date ? -1 : 1;
  }
  if (a.rec.stream !== b.rec.stream) return a.rec.stream < b.rec.stream ? -1 : 1;
  return a.rank - b.rank;
}

interface ColumnReader {
  type: ColumnDef['type'];
  get(rec: TapeRecord, row: NormalizedRow): Cell;
}

function toDouble(s: unknown): number | null {
  if (s === null || s === undefined || s === '') return null;
  const n = typeof s === 'number' ? s : Number(s);
  return Number.isFinite(n) ? n : null;
}

/** An integer cell, or null when the value is not a finite number (a normalizer's slip is not fatal). */
function toInt(v: unknown): number | null {
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? Math.trunc(n) : null;
}

/**
 * How to read each column of a normalized table: provenance from the record, the rest from the
 * row, converted up front. A whole row is converted before any of it is appended, so a value that
 * cannot be converted skips that row (counted) instead of leaving a half-written row behind.
 */
function normalizedColumns(table: NormalizedTable): ColumnReader[] {
  const defs: readonly ColumnDef[] = TABLES[table];
  const decimalBases = new Set(defs.filter((c) => c.name.endsWith('_str')).map((c) => c.name.slice(0, -4)));
  return defs.map((c): ColumnReader => {
    switch (c.name) {
      case 'exchange':
        return { type: c.type, get: (r) => r.exchange };
      case 'recv_ns':
        return { type: c.type, get: (r) => r.recvNs };
      case 'conn_id':
        return { type: c.type, get: (r) => r.connId };
      case 'seq':
        return { type: c.type, get: (r) => r.seq };
      case 'stream':
        return { type: c.type, get: (r) => r.stream };
    }
    const name = c.name;
    if (c.type === 'DOUBLE' && decimalBases.has(name)) return { type: c.type, get: (_r, row) => toDouble((row as unknown as Record<string, unknown>)[name]) };
    const field = name.endsWith('_str') && decimalBases.has(name.slice(0, -4)) ? name.slice(0, -4) : name;
    return {
      type: c.type,
      get: (_r, row) => {
        const v = (row as unknown as Record<string, unknown>)[field];
        if (v === null || v === undefined) return null;
        switch (c.type) {
          case 'BIGINT':
          case 'INTEGER':
            return toInt(v);
          case 'DOUBLE':
            return toDouble(v);
          case 'BOOLEAN':
            return Boolean(v);
          default:
            return typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
        }
      },
    };
  });
}

/** DuckDB type of a normalized table's column in a staging chunk. */
function chunkType(type: ColumnDef['type']): DuckDBType {
  switch (type) {
    case 'BIGINT':
      return BIGINT;
    case 'INTEGER':
      return INTEGER;
    case 'DOUBLE':
      return DOUBLE;
    case 'BOOLEAN':
      return BOOLEAN;
    default:
      return VARCHAR;
  }
}

const TWO_63 = 2 ** 63;

/** A converted cell as a staging chunk takes it (a value a BIGINT or INTEGER cannot hold throws). */
function chunkValue(type: ColumnDef['type'], v: Cell): Cell {
  if (v === null) return null;
  if (type === 'BIGINT') {
    if (typeof v === 'bigint' ? BigInt.asIntN(64, v) !== v : (v as number) >= TWO_63 || (v as number) < -TWO_63) throw new RangeError(`${v} is out of BIGINT range`);
    return v;
  }
  // A chunk's INTEGER vector would wrap a value out of range: the row is skipped instead (counted).
  if (type === 'INTEGER' && ((v as number) > 2147483647 || (v as number) < -2147483648)) throw new RangeError(`${v} is out of INTEGER range`);
  return v;
}

/** Normalized rows of one table waiting to be staged, a data chunk at a time. */
interface PendingRows {
  cols: ColumnReader[];
  types: DuckDBType[];
  cells: Cell[][];
  dates: DuckDBDateValue[];
  chunk: NativeChunk | null;
}

export class Stager {
  readonly outputs = new Map<string, OutputStat>();
  readonly issues: StageIssues = { badGapPayloads: 0, badRows: 0 };
  private readonly appenders = new Map<TableName, DuckDBAppender>();
  private readonly columns = new Map<NormalizedTable, PendingRows>();
  private lastDay = -1n;
  private lastDate = '';
  private lastDateValue = new DuckDBDateValue(0);
  private rawChunk: NativeChunk | null = null;
  /** StagerOptions.rawFeed: the raw rows staged since the last restage, per output. */
  private readonly feed: RawFeed | null;
  private rawPending: PendingRaw[] = [];
  /** Tables rows were counted into since their staging tables were created (restage empties only these). */
  private readonly filled = new Set<TableName>();
  /** Each table's output the last row was counted into (count()). */
  private readonly lastOutput = new Map<TableName, OutputStat>();

  private constructor(
    readonly conn: DuckDBConnection,
    readonly prefix: string,
    private instance: string,
    private normalizers: NormalizerSet | null,
    readonly templates: boolean,
    readonly checksums: boolean,
    rawFeed: boolean,
  ) {
    this.feed = rawFeed && templates ? new RawFeed(conn, RAW_FEED_NAMES, [...RAW_CHUNK_TYPES, ...TEMPLATE_CHUNK_TYPES]) : null;
  }

  /** Normalizers for the records that follow (null: raw and gaps only). */
  setNormalizers(n: NormalizerSet | null): void {
    this.normalizers = n;
  }

  /** Creates `<prefix><table>` for every table (empty) and opens appenders on them. */
  static async create(conn: DuckDBConnection, prefix: string, instance: string, normalizers: NormalizerSet | null, opts: StagerOptions = {}): Promise<Stager> {
    const s = new Stager(conn, prefix, instance, normalizers, opts.templates === true, opts.checksums === true, opts.rawFeed === true);
    await s.createTables();
    for (const t of NORMALIZED_TABLES) {
      const cols = normalizedColumns(t);
      s.columns.set(t, { cols, types: [...cols.map((c) => chunkType(c.type)), DATE], cells: [], dates: [], chunk: null });
    }
    return s;
  }

  /** Creates the staging tables (`only`: just these, the others' tables kept) and opens an appender on every table. */
  private async createTables(only?: ReadonlySet<TableName>): Promise<void> {
    for (const t of TABLE_NAMES) {
      const name = this.tableName(t);
      if (!only || only.has(t)) {
        await this.conn.run(`DROP TABLE IF EXISTS "${name}"`);
        const extra = t === 'raw' && this.templates ? `, ${TEMPLATE_COLUMNS_DDL}` : '';
        await this.conn.run(createTableSql(t, name).replace(/\)$/, `, "date" DATE${extra})`));
      }
      this.appenders.set(t, await this.conn.createAppender(name));
    }
    this.filled.clear();
  }

  /**
   * Empties the staging tables (dropped and created again, which gives their memory back) while
   * keeping the tally of everything staged so far: sealing stages a segment a chunk at a time.
   * `keep` is a table of raw rows (the staging table's columns) put back into the new raw table.
   */
  async restage(keep?: string): Promise<void> {
    this.close();
    // Only the tables rows went into are emptied: a seal chunk of trades leaves the other eight
    // tables as they were, and dropping and creating them again cost 16 statements per chunk.
    const only = new Set(this.filled);
    if (keep) only.add('raw');
    await this.createTables(only);
    if (keep) {
      this.appenders.get('raw')!.closeSync();
      await this.conn.run(`INSERT INTO "${this.tableName('raw')}" SELECT * FROM "${keep}"`);
      this.appenders.set('raw', await this.conn.createAppender(this.tableName('raw')));
    }
    this.feed?.empty();
    for (const o of this.outputs.values()) {
      o.stagedRows = 0;
      o.stagedChecksum = 0n;
    }
  }

  tableName(t: TableName): string {
    return `${this.prefix}${t}`;
  }

  /** The table expression of an output's staged rows (raw rows through the feed when there is one). */
  stagedSource(o: OutputStat): string {
    if (o.table === 'raw' && this.feed) return this.feed.source(outputKey(o));
    return `"${this.tableName(o.table)}" WHERE exchange = ${sqlStr(o.exchange)} AND "date" = DATE ${sqlStr(o.date)}`;
  }

  /** The instance id written into `raw.instance` for the records that follow (a journal folder's name). */
  setInstance(instance: string): void {
    this.instance = instance;
  }

  private dateOf(ns: bigint): string {
    const day = ns / NS_PER_DAY;
    if (day !== this.lastDay) {
      this.lastDay = day;
      this.lastDate = new Date(Number(day) * 86_400_000).toISOString().slice(0, 10);
      this.lastDateValue = new DuckDBDateValue(Number(day));
    }
    return this.lastDate;
  }

  private count(table: TableName, exchange: string, date: string, rec: TapeRecord, n: number): OutputStat {
    // Consecutive records nearly always go to the same output of a table: no key built for them.
    let o = this.lastOutput.get(table);
    if (o === undefined || o.exchange !== exchange || o.date !== date) {
      const key = `${table}\t${exchange}\t${date}`;
      o = this.outputs.get(key);
      if (!o) {
        o = { table, exchange, date, rows: 0, stagedRows: 0, stagedChecksum: 0n, maxKey: null, ordered: true, conns: new Map(), minRecvNs: rec.recvNs, maxRecvNs: rec.recvNs };
        this.outputs.set(key, o);
      }
      this.lastOutput.set(table, o);
    }
    o.rows += n;
    o.stagedRows += n;
    this.filled.add(table);
    if (table === 'raw') {
      if (o.maxKey === null || compareRowKeys(rec, o.maxKey) > 0) o.maxKey = { recvNs: rec.recvNs, connId: rec.connId, seq: rec.seq };
      else o.ordered = false;
    }
    if (rec.recvNs < o.minRecvNs) o.minRecvNs = rec.recvNs;
    if (rec.recvNs > o.maxRecvNs) o.maxRecvNs = rec.recvNs;
    const r = o.conns.get(rec.connId);
    if (!r) o.conns.set(rec.connId, { min: rec.seq, max: rec.seq, rows: n });
    else {
      if (rec.seq < r.min) r.min = rec.seq;
      if (rec.seq > r.max) r.max = rec.seq;
      r.rows += n;
    }
    return o;
  }

  add(rec: TapeRecord): void {
    const date = this.dateOf(rec.recvNs);
    const dv = this.lastDateValue;
    const o = this.count('raw', rec.exchange, date, rec, 1);
    this.rawPending.push({ rec, out: o, date: dv, instance: this.instance, rank: o.rows - 1 });
    if (!this.templates && this.rawPending.length >= RAW_CHUNK_ROWS) this.writeRawRows();

    if (rec.direction === 'event' && rec.kind === 'gap') this.addGap(rec, date, dv);
    if (!this.normalizers) return;
    const rows = this.normalizers.normalize(rec);
    for (const row of rows) {
      const table = row?.table;
      const pending = this.columns.get(table as NormalizedTable);
      if (!pending) {
        this.issues.badRows++;
        continue;
      }
      const cols = pending.cols;
      let cells: Cell[];
      try {
        cells = new Array<Cell>(cols.length);
        for (let i = 0; i < cols.length; i++) cells[i] = chunkValue(cols[i].type, cols[i].get(rec, row));
      } catch {
        this.issues.badRows++;
        continue;
      }
      pending.cells.push(cells);
      pending.dates.push(dv);
      if (pending.cells.length >= RAW_CHUNK_ROWS) this.writeRows(table as NormalizedTable, pending);
      this.count(table, rec.exchange, date, rec, 1);
    }
  }

  private addGap(rec: TapeRecord, date: string, dv: DuckDBDateValue): void {
    let g: GapPayload;
    try {
      g = JSON.parse(Buffer.from(rec.payload.buffer, rec.payload.byteOffset, rec.payload.byteLength).toString('utf8')) as GapPayload;
      if (typeof g !== 'object' || g === null) throw new Error('not an object');
      BigInt(g.start_ns);
      BigInt(g.end_ns);
    } catch {
      this.issues.badGapPayloads++;
      return;
    }
    const a = this.appenders.get('gaps')!;
    a.appendVarchar(rec.exchange);
    a.appendVarchar(g.stream ?? '');
    a.appendBigInt(BigInt(g.start_ns));
    a.appendBigInt(BigInt(g.end_ns));
    a.appendVarchar(String(g.cause ?? ''));
    a.appendVarchar(rec.connId);
    a.appendBigInt(BigInt(rec.seq));
    const detail = g.detail ?? (g.expected !== undefined || g.got !== undefined ? `expected ${g.expected ?? '?'}, got ${g.got ?? '?'}` : null);
    if (detail === null) a.appendNull();
    else a.appendVarchar(detail);
    if (typeof g.lost_frames === 'number') a.appendBigInt(BigInt(Math.trunc(g.lost_frames)));
    else a.appendNull();
    a.appendDate(dv);
    a.endRow();
    this.count('gaps', rec.exchange, date, rec, 1);
  }

  /**
   * Appends the pending raw rows. With templates (sealing) they are first put in block order: by
   * output, then stream, then rank (a stable order, so sealing the same records twice stages the
   * same rows), so that the rows of an output in replay order come out of the staging table as a
   * rank block (RANK_BLOCK_ORDER) without a sort in DuckDB.
   */
  private writeRawRows(): void {
    const rows = this.rawPending;
    if (rows.length === 0) return;
    this.rawPending = [];
    if (this.templates) rows.sort(blockOrder);
    if (!this.feed) {
      for (let at = 0; at < rows.length; at += RAW_CHUNK_ROWS) this.writeRawChunk(rows, at, Math.min(rows.length, at + RAW_CHUNK_ROWS));
      return;
    }
    // Fed to the COPYs: a chunk holds one output's rows (the rows of an output are consecutive).
    for (let at = 0; at < rows.length; ) {
      const out = rows[at].out;
      let end = at + 1;
      while (end < rows.length && end - at < RAW_CHUNK_ROWS && rows[end].out === out) end++;
      this.writeRawChunk(rows, at, end);
      at = end;
    }
  }

  private writeRawChunk(rows: PendingRaw[], from: number, to: number): void {
    const n = to - from;
    if (TABLES.raw.length + 1 !== RAW_CHUNK_TYPES.length) throw new Error('raw staging chunk does not match TABLES.raw');
    // One chunk reused for the whole run: its native memory is not left to the GC.
    let c: NativeChunk;
    if (this.feed) c = this.feed.take();
    else c = this.rawChunk ??= new NativeChunk(this.templates ? [...RAW_CHUNK_TYPES, ...TEMPLATE_CHUNK_TYPES] : RAW_CHUNK_TYPES);
    const T = RAW_CHUNK_TYPES.length;
    // The checksum of consecutive rows of one output is summed, then added to that output's.
    const sum = new Md5LowerSum();
    let summed: OutputStat | null = null;
    for (let i = 0; i < n; i++) {
      const { rec, out, date, instance, rank } = rows[from + i];
      c.setText(0, i, rec.exchange);
      c.setText(1, i, rec.connId);
      c.setBigInt(2, i, rec.seq);
      c.setBigInt(3, i, rec.recvNs);
      c.setText(4, i, rec.direction);
      c.setText(5, i, rec.kind);
      c.setText(6, i, rec.stream);
      c.setText(7, i, rec.endpoint);
      const e = this.templates ? encodePayload(rec.payload, rec.kind === 'binary') : null;
      // A templated payload is not stored again (templatedRawColumns): it is not staged either.
      c.setBlob(8, i, e ? null : rec.payload);
      c.setBool(9, i, (rec.flags & FLAG_MALFORMED) !== 0);
      c.setBool(10, i, (rec.flags & FLAG_REDACTED) !== 0);
      c.setText(11, i, instance);
      c.setInt(12, i, rec.flags);
      c.setInt(13, i, date.days);
      if (this.checksums) {
        if (out !== summed) {
          if (summed) summed.stagedChecksum += sum.drain();
          summed = out;
        }
        addMd5Lower(rawChecksumText(rec, instance, this.templates, e), sum);
      }
      if (!this.templates) continue;
      c.setText(T, i, e ? e.tpl : null);
      c.setBlob(T + 1, i, e?.pre ?? null);
      c.setText(T + 2, i, e ? e.rest : null);
      for (let k = 0; k < TEMPLATE_SLOTS; k++) {
        const x = e?.slots[k];
        c.setBigInt(T + 3 + k, i, x === null || x === undefined ? null : x);
      }
      c.setBigInt(T + 3 + TEMPLATE_SLOTS, i, rank);
    }
    if (summed) summed.stagedChecksum += sum.drain();
    if (this.feed) {
      this.feed.add(outputKey(rows[from].out), c, n);
      return;
    }
    this.appenders.get('raw')!.appendDataChunk(c.finish(n));
    c.clear();
  }

  /** Appends a normalized table's pending rows as one data chunk (one native call, not one per value). */
  private writeRows(table: NormalizedTable, p: PendingRows): void {
    const n = p.cells.length;
    if (n === 0) return;
    p.chunk ??= new NativeChunk(p.types);
    const chunk = p.chunk;
    const cols = p.cols;
    const c = cols.length;
    for (let i = 0; i < n; i++) {
      const cells = p.cells[i];
      for (let k = 0; k < c; k++) {
        const v = cells[k];
        switch (cols[k].type) {
          case 'BIGINT':
            chunk.setBigInt(k, i, v as number | bigint | null);
            break;
          case 'INTEGER':
            chunk.setInt(k, i, v as number | null);
            break;
          case 'DOUBLE':
            chunk.setDouble(k, i, v as number | null);
            break;
          case 'BOOLEAN':
            chunk.setBool(k, i, v as boolean | null);
            break;
          default:
            chunk.setText(k, i, v as string | null);
        }
      }
      chunk.setInt(c, i, p.dates[i].days);
    }
    this.appenders.get(table)!.appendDataChunk(chunk.finish(n));
    chunk.clear();
    p.cells = [];
    p.dates = [];
  }

  private writePending(): void {
    this.writeRawRows();
    for (const [t, p] of this.columns) this.writeRows(t, p);
  }

  /** Makes everything appended visible to queries. */
  flush(): void {
    this.writePending();
    for (const a of this.appenders.values()) a.flushSync();
  }

  close(): void {
    this.writePending();
    for (const a of this.appenders.values()) a.closeSync();
    this.appenders.clear();
  }

  /** Lets go of the raw rows held for the COPYs (rawFeed): after the last COPY that reads them. */
  release(): void {
    this.feed?.close();
  }
}
