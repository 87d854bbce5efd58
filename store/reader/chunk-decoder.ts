/**
 * DuckDB result chunks → TapeRecords, fast.
 *
 * Headers: the record query returns, instead of the record's six header strings (exchange,
 * conn_id, direction, kind, stream, endpoint), a 64-bit hash of them; a few hundred distinct tuples
 * cover a day and are fetched once with HEADER_SELECT. A narrow result (hash, recv_ns, seq,
 * payload, flags) is about 40% cheaper for DuckDB to sort and hand over than one with the strings.
 *
 * Payloads: copying each BLOB out of DuckDB costs one native call per row (about 1 µs: the bound
 * of the whole reader). In a materialized chunk DuckDB lays the non-inlined strings out one after
 * the other in its string heap, so the decoder finds runs of adjacent payloads (checking every
 * row's pointer) and copies each run with one call, then hands out views into it. Rows that are not
 * adjacent fall back to the per-row copy, so the result is the same bytes either way.
 */
import duckdb from '@duckdb/node-bindings';
import type { DuckDBDataChunk, DuckDBVector } from '@duckdb/node-api';
import type { Direction, RecordKind, TapeRecord } from '../../schemas/record.js';
import { compileTemplate, rebuildInto, SLOT_COLUMNS, type CompiledTemplate } from '../template/index.js';

const HEADER_HASH = 'hash(exchange, conn_id, direction, kind, stream, endpoint)';
/**
 * Column order of the reader's record query: the header hash, times, the stored payload, flags,
 * then the payload template columns (store/template: NULL for payloads stored as they are) — the
 * template by hash (fetched once with TEMPLATE_SELECT), head bytes, rest text, integer slots.
 */
export const RECORD_SELECT = recordSelect(new Set());

/** Columns of RECORD_SELECT that may be replaced by a NULL constant when a file holds no value in them. */
export const NULLABLE_RECORD_COLUMNS: readonly string[] = ['payload', 'pre', ...SLOT_COLUMNS];

/**
 * RECORD_SELECT with the columns in `absent` (NULLABLE_RECORD_COLUMNS a file holds no value in,
 * known from its Parquet statistics) as NULL constants: DuckDB hands a constant vector over for free,
 * where a column of NULLs still costs its scan and its copy into the result (a trade file uses 8 of
 * the 16 slot columns).
 */
export function recordSelect(absent: ReadonlySet<string>): string {
  const c = (name: string, type: string) => (absent.has(name) ? `NULL::${type} AS ${name}` : name);
  return `${HEADER_HASH} AS h, recv_ns, seq, ${c('payload', 'BLOB')}, coalesce(flags, 0) AS flags, CASE WHEN tpl IS NULL THEN NULL ELSE hash(tpl) END AS th, ${c('pre', 'BLOB')}, rest, ${SLOT_COLUMNS.map((s) => c(s, 'BIGINT')).join(', ')}, "rank"`;
}
/** The templates of a source (SELECT DISTINCT). */
export const TEMPLATE_SELECT = 'hash(tpl) AS th, tpl';
const SLOT_COL0 = 8;
/** Bytes reserved per templated frame when a chunk's rebuild buffer turns out short (it should not: it is sized from the templates). */
const REBUILD_BYTES_PER_FRAME = 512;
/** Column order of the header query (SELECT DISTINCT). */
export const HEADER_SELECT = `${HEADER_HASH} AS h, exchange, conn_id, direction, kind, stream, endpoint`;

/** Header tuples kept before the cache is reset (bounds memory on pathological data). */
const MAX_HEADER_CACHE_ENTRIES = 100_000;
/** Largest gap (alignment padding) between two payloads still copied in one run, bytes. */
const MAX_RUN_GAP_BYTES = 16;
/** DuckDB inlines strings up to this length in the 16-byte string_t itself. */
const INLINE_MAX_BYTES = 12;
const TWO_32 = 2 ** 32;

interface Header {
  exchange: string;
  connId: string;
  direction: Direction;
  kind: RecordKind;
  stream: string;
  endpoint: string;
}

interface RawVector {
  items?: BigInt64Array | BigUint64Array | Int32Array;
  dataView?: DataView;
  getItem(i: number): unknown;
  getItemBytes?(i: number): Uint8Array | null;
  validity?: { itemValid(i: number): boolean };
}

const EMPTY = new Uint8Array(0);

const utf8 = new TextEncoder();

/** The bytes of one row of a BLOB or VARCHAR vector, through the API (the slow path). */
function itemBytes(vec: RawVector, i: number): Uint8Array {
  if (typeof vec.getItemBytes === 'function') return vec.getItemBytes(i) ?? EMPTY;
  const v = vec.getItem(i) as { bytes?: Uint8Array } | string | null;
  if (typeof v === 'string') return utf8.encode(v);
  return v?.bytes ?? EMPTY;
}

/** Every value of a BLOB (or VARCHAR, as UTF-8 bytes) vector, copied out in runs of adjacent strings; NULL gives an empty array. */
function blobColumn(vec: RawVector, n: number): Uint8Array[] {
  const out = new Array<Uint8Array>(n);
  const dv = vec.dataView;
  // string_t entries read as 32-bit words (length, prefix, pointer low, pointer high): DuckDB's
  // vector data is aligned, and a typed array reads faster than a DataView.
  if (!dv || dv.byteOffset % 4 !== 0) {
    for (let i = 0; i < n; i++) out[i] = !vec.validity || vec.validity.itemValid(i) ? itemBytes(vec, i) : EMPTY;
    return out;
  }
  const w = new Uint32Array(dv.buffer, dv.byteOffset, n * 4);
  const validity = vec.validity as (RawVector['validity'] & { data?: unknown }) | undefined;
  // No validity mask: every row is valid (payload is never NULL in practice).
  const allValid = !validity || validity.data === null;
  let i = 0;
  while (i < n) {
    const len = w[4 * i];
    if (!allValid && !validity!.itemValid(i)) {
      out[i++] = EMPTY;
      continue;
    }
    if (len <= INLINE_MAX_BYTES) {
      const off = dv.byteOffset + i * 16 + 4;
      out[i++] = new Uint8Array(dv.buffer.slice(off, off + len));
      continue;
    }
    // A run: rows i..j-1 whose data follow each other in memory.
    const start = w[4 * i + 2] + w[4 * i + 3] * TWO_32;
    let end = start + len;
    let j = i + 1;
    while (j < n) {
      const l = w[4 * j];
      if (l <= INLINE_MAX_BYTES || (!allValid && !validity!.itemValid(j))) break;
      const p = w[4 * j + 2] + w[4 * j + 3] * TWO_32;
      if (p < end || p - end > MAX_RUN_GAP_BYTES) break;
      end = p + l;
      j++;
    }
    if (j === i + 1) {
      out[i] = itemBytes(vec, i);
      i++;
      continue;
    }
    const buf = duckdb.get_data_from_pointer(dv.buffer as ArrayBuffer, dv.byteOffset + i * 16 + 8, end - start);
    // Plain Uint8Array views: constructing one costs about half of a Buffer.subarray (a subclass).
    const ab = buf.buffer;
    const base = buf.byteOffset - start;
    for (let k = i; k < j; k++) out[k] = new Uint8Array(ab, base + w[4 * k + 2] + w[4 * k + 3] * TWO_32, w[4 * k]);
    i = j;
  }
  return out;
}

/** A string column's values as spans of shared buffers: no object per row. */
interface Spans {
  buf: Uint8Array[];
  off: Int32Array;
  len: Int32Array;
  /** Row is NULL. */
  nul: Uint8Array;
}

/** The values of a BLOB or VARCHAR vector as spans (runs of adjacent strings copied with one call each). */
function stringSpans(vec: RawVector, n: number): Spans {
  const buf = new Array<Uint8Array>(n);
  const off = new Int32Array(n);
  const len = new Int32Array(n);
  const nul = new Uint8Array(n);
  const dv = vec.dataView;
  const validity = vec.validity as (RawVector['validity'] & { data?: unknown }) | undefined;
  const allValid = !validity || validity.data === null;
  if (!dv || dv.byteOffset % 4 !== 0) {
    for (let i = 0; i < n; i++) {
      if (!allValid && !validity!.itemValid(i)) nul[i] = 1;
      else {
        buf[i] = itemBytes(vec, i);
        len[i] = buf[i].length;
      }
    }
    return { buf, off, len, nul };
  }
  const w = new Uint32Array(dv.buffer, dv.byteOffset, n * 4);
  // Inline strings (up to 12 bytes) are in the vector's own memory: spans of it.
  const inline = new Uint8Array(dv.buffer, dv.byteOffset, n * 16);
  let i = 0;
  while (i < n) {
    if (!allValid && !validity!.itemValid(i)) {
      nul[i++] = 1;
      continue;
    }
    const l = w[4 * i];
    if (l <= INLINE_MAX_BYTES) {
      buf[i] = inline;
      off[i] = 16 * i + 4;
      len[i++] = l;
      continue;
    }
    const start = w[4 * i + 2] + w[4 * i + 3] * TWO_32;
    let end = start + l;
    let j = i + 1;
    while (j < n) {
      const lj = w[4 * j];
      if (lj <= INLINE_MAX_BYTES || (!allValid && !validity!.itemValid(j))) break;
      const p = w[4 * j + 2] + w[4 * j + 3] * TWO_32;
      if (p < end || p - end > MAX_RUN_GAP_BYTES) break;
      end = p + lj;
      j++;
    }
    if (j === i + 1) {
      buf[i] = itemBytes(vec, i);
      len[i] = buf[i].length;
      i++;
      continue;
    }
    const run = duckdb.get_data_from_pointer(dv.buffer as ArrayBuffer, dv.byteOffset + i * 16 + 8, end - start);
    const u = new Uint8Array(run.buffer, run.byteOffset, run.byteLength);
    for (let k = i; k < j; k++) {
      buf[k] = u;
      off[k] = w[4 * k + 2] + w[4 * k + 3] * TWO_32 - start;
      len[k] = w[4 * k];
    }
    i = j;
  }
  return { buf, off, len, nul };
}

/** A column of NULLs as spans. */
function noSpans(n: number): Spans {
  return { buf: [], off: new Int32Array(n), len: new Int32Array(n), nul: new Uint8Array(n).fill(1) };
}

/** The cache key of a header hash: its low 52 bits, a Number (no BigInt per row). */
function keyOfHash(h: bigint): number {
  return Number(BigInt.asUintN(52, h));
}

export class ChunkDecoder {
  private readonly headers = new Map<number, Header>();
  private readonly templates = new Map<number, CompiledTemplate>();

  /**
   * `absent`: the NULLABLE_RECORD_COLUMNS the query selects as NULL constants (recordSelect): their
   * vectors are not taken from the chunks at all (each vector costs a copy of its data out of DuckDB).
   */
  constructor(private readonly absent: ReadonlySet<string> = new Set()) {}

  /** Learns payload templates from a TEMPLATE_SELECT result. */
  addTemplates(rows: readonly unknown[][]): void {
    if (this.templates.size + rows.length > MAX_HEADER_CACHE_ENTRIES) this.templates.clear();
    for (const [h, tpl] of rows as [bigint, string | null][]) if (tpl !== null) this.templates.set(keyOfHash(h), compileTemplate(tpl));
  }

  /** Learns header tuples from a HEADER_SELECT result. */
  addHeaders(rows: readonly unknown[][]): void {
    if (this.headers.size + rows.length > MAX_HEADER_CACHE_ENTRIES) this.headers.clear();
    for (const [h, exchange, connId, direction, kind, stream, endpoint] of rows as [bigint, string, string, Direction, RecordKind, string, string][]) {
      this.headers.set(keyOfHash(h), { exchange, connId, direction, kind, stream, endpoint });
    }
  }

  /** The chunk's records, or null when a header is not known yet (fetch it with addHeaders, then retry). */
  decode(chunk: DuckDBDataChunk): TapeRecord[] | null {
    const n = chunk.rowCount;
    const col = (i: number) => chunk.getColumnVector(i) as unknown as DuckDBVector & RawVector;
    const h = col(0);
    const recv = col(1);
    const seq = col(2);
    const payloads = this.absent.has('payload') ? new Array<Uint8Array>(n).fill(EMPTY) : blobColumn(col(3), n);
    const flags = col(4);
    const hItems = h.items as BigUint64Array | undefined;
    const hWords = hItems ? new Uint32Array(hItems.buffer, hItems.byteOffset, n * 2) : undefined;
    const recvItems = recv.items as BigInt64Array | undefined;
    const seqItems = seq.items as BigInt64Array | undefined;
    // seq read as two 32-bit words: no BigInt allocated per row (seq < 2^53).
    const seqWords = seqItems ? new Uint32Array(seqItems.buffer, seqItems.byteOffset, n * 2) : undefined;
    const flagItems = flags.items as Int32Array | undefined;
    const rebuilt = this.rebuild(chunk, n, payloads);
    if (rebuilt === null) return null;
    const out = new Array<TapeRecord>(n);
    const headers = this.headers;
    for (let i = 0; i < n; i++) {
      const key = hWords ? hWords[2 * i] + (hWords[2 * i + 1] & 0xfffff) * TWO_32 : keyOfHash(h.getItem(i) as bigint);
      const hd = headers.get(key);
      if (hd === undefined) return null;
      out[i] = {
        exchange: hd.exchange,
        connId: hd.connId,
        seq: seqWords ? seqWords[2 * i] + seqWords[2 * i + 1] * TWO_32 : Number(seq.getItem(i) as bigint),
        recvNs: recvItems ? recvItems[i] : (recv.getItem(i) as bigint),
        direction: hd.direction,
        kind: hd.kind,
        stream: hd.stream,
        endpoint: hd.endpoint,
        payload: payloads[i],
        flags: flagItems ? flagItems[i] : ((flags.getItem(i) as number | null) ?? 0),
      };
    }
    return out;
  }

  /**
   * Rebuilds the templated payloads of a chunk in place in `payloads`, all into one buffer (views
   * handed out); false when a template is not known yet (fetch it with addTemplates, then retry).
   */
  private rebuild(chunk: DuckDBDataChunk, n: number, payloads: Uint8Array[]): true | null {
    const th = chunk.getColumnVector(5) as unknown as RawVector;
    const thValid = th.validity as (RawVector['validity'] & { data?: unknown }) | undefined;
    const someNull = thValid !== undefined && thValid.data !== null;
    let any = !someNull;
    if (!any) for (let i = 0; i < n && !any; i++) any = thValid!.itemValid(i);
    if (!any) return true; // no templated row in this chunk
    const thItems = th.items as BigUint64Array | undefined;
    const thWords = thItems ? new Uint32Array(thItems.buffer, thItems.byteOffset, n * 2) : undefined;
    const pre = this.absent.has('pre') ? noSpans(n) : stringSpans(chunk.getColumnVector(6) as unknown as RawVector, n);
    const rest = stringSpans(chunk.getColumnVector(7) as unknown as RawVector, n);
    // Slot vectors are taken from the chunk when a template first uses them (each costs a native call).
    const slotWords: (Int32Array | null | undefined)[] = new Array(SLOT_COLUMNS.length).fill(undefined);
    const slotVecs: (RawVector | undefined)[] = new Array(SLOT_COLUMNS.length).fill(undefined);
    const slotVector = (s: number): Int32Array | null => {
      const v = chunk.getColumnVector(SLOT_COL0 + s) as unknown as RawVector;
      slotVecs[s] = v;
      const it = v.items as BigInt64Array | undefined;
      return (slotWords[s] = it ? new Int32Array(it.buffer, it.byteOffset, n * 2) : null);
    };
    const vals: (number | null)[] = new Array(SLOT_COLUMNS.length).fill(null);
    // Each row's template, and the bytes the chunk's frames can take at most: one buffer, sized once.
    const tpls = new Array<CompiledTemplate | undefined>(n);
    let bound = 0;
    let last: CompiledTemplate | undefined;
    let lastKey = -1;
    for (let i = 0; i < n; i++) {
      if (someNull && !thValid!.itemValid(i)) continue;
      const key = thWords ? thWords[2 * i] + (thWords[2 * i + 1] & 0xfffff) * TWO_32 : keyOfHash(th.getItem(i) as bigint);
      const t = key === lastKey ? last : this.templates.get(key);
      if (t === undefined) return null;
      last = t;
      lastKey = key;
      tpls[i] = t;
      bound += t.maxBytes + rest.len[i] + pre.len[i];
    }
    let buf = new Uint8Array(bound);
    let o = 0;
    for (let i = 0; i < n; i++) {
      const t = tpls[i];
      if (t === undefined) continue;
      for (let k = 0; k < t.kinds.length; k++) {
        if (t.kinds[k] === 0) continue;
        const s = t.slots[k];
        let w = slotWords[s];
        if (w === undefined) w = slotVector(s);
        vals[s] = w === null ? Number(slotVecs[s]!.getItem(i) as bigint) : (w[2 * i] >>> 0) + w[2 * i + 1] * TWO_32;
      }
      const p = pre.nul[i] || pre.len[i] === 0 ? null : pre.buf[i].subarray(pre.off[i], pre.off[i] + pre.len[i]);
      const rb = rest.nul[i] ? EMPTY : rest.buf[i];
      const r0 = rest.off[i];
      const r1 = r0 + rest.len[i];
      let len = rebuildInto(t, p, rb, r0, r1, vals, buf, o);
      if (len < 0) {
        // Out of room: continue in a new buffer (views into the old one stay valid).
        buf = new Uint8Array(Math.max((n - i) * REBUILD_BYTES_PER_FRAME, 2 * (t.literalBytes + rest.len[i] + (p?.length ?? 0) + 40 * t.kinds.length)));
        o = 0;
        len = rebuildInto(t, p, rb, r0, r1, vals, buf, o);
        if (len < 0) throw new Error('reader: a templated payload misses a value');
      }
      payloads[i] = new Uint8Array(buf.buffer, o, len);
      o += len;
    }
    return true;
  }
}
