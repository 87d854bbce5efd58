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
import type { DuckDBDataChunk } from '@duckdb/node-api';
import type { Direction, RecordKind } from '../../schemas/record.js';
import { compileTemplate, rebuildInto, SLOT_COLUMNS, valueBuilder, type CompiledTemplate, type SlotValues, type ValueBuilder } from '../template/index.js';
import type { RecordBatch } from './record-batch.js';

const HEADER_HASH = 'hash(exchange, conn_id, direction, kind, stream, endpoint)';
/** 2^52 − 1: the bits of a hash kept as a cache key (a Number, no BigInt per row). */
const KEY_MASK = '4503599627370495';
/**
 * Column order of the reader's record query. Every fixed-width field of a row is packed into one
 * LIST of BIGINT, `w` = [header hash (52 bits: the key of HEADER_SELECT's tuples), recv_ns, seq,
 * flags, template hash (52 bits, −1 for a payload stored as it is — hash(NULL) is not NULL; TEMPLATE_SELECT), rank (−1 where
 * there is none), then the integer slots of the payload template (store/template)]; then the
 * stored payload, the template's head bytes (`pre`) and its rest text.
 *
 * Why one list: every column of a result chunk of 2,048 rows costs DuckDB its own work and the
 * binding a copy into a JS buffer (tens of µs each, with the native calls around it), so handing
 * over two or three columns instead of 15–24 takes most of DuckDB's and the binding's work per
 * chunk away; the list's values are read in JS from one buffer of 64-bit words.
 */
export const RECORD_SELECT = recordSelect(new Set());

/** Columns of RECORD_SELECT that are left out of the query when a file holds no value in them. */
export const NULLABLE_RECORD_COLUMNS: readonly string[] = ['payload', 'pre', ...SLOT_COLUMNS];

/** Fixed fields at the head of each row's `w` list, before the slots. */
const W_HASH = 0;
const W_RECV = 1;
const W_SEQ = 2;
const W_FLAGS = 3;
const W_TPL = 4;
const W_RANK = 5;
const W_SLOT0 = 6;

/**
 * RECORD_SELECT without the columns in `absent` (NULLABLE_RECORD_COLUMNS a file holds no value in,
 * known from its Parquet statistics): a column of NULLs would still cost its scan and its copies
 * (a trade file uses 8 of the 16 slot columns, and no `pre` or `payload`).
 */
export function recordSelect(absent: ReadonlySet<string>): string {
  const slots = SLOT_COLUMNS.filter((c) => !absent.has(c));
  const w = [`(${HEADER_HASH} & ${KEY_MASK})::BIGINT`, 'recv_ns', 'seq', 'coalesce(flags, 0)::BIGINT', `CASE WHEN tpl IS NULL THEN -1 ELSE (hash(tpl) & ${KEY_MASK})::BIGINT END`, 'coalesce("rank", -1)', ...slots];
  const cols = [`list_value(${w.join(', ')}) AS w`];
  if (!absent.has('payload')) cols.push('payload');
  if (!absent.has('pre')) cols.push('pre');
  cols.push('rest');
  return cols.join(', ');
}
/**
 * The templates of a source (SELECT DISTINCT), as bytes: a VARCHAR comes to JS through a
 * TextDecoder that drops a leading byte order mark, which would take it out of the frame.
 */
export const TEMPLATE_SELECT = 'hash(tpl) AS th, encode(tpl) AS tpl';
/** A frame's text as Frame.text() decodes it (the parsed path's fallback: the same value as Frame.json()). */
const FRAME_TEXT = new TextDecoder();
/** Template bytes → text, a leading byte order mark kept (it is the frame's). */
const TEMPLATE_TEXT = new TextDecoder('utf-8', { ignoreBOM: true });
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

/** The six header strings of a record, shared by every row that has them. */
export interface RecordHeader {
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

/** Node's Buffer UTF-8 decoder, called on any Uint8Array (one native call, no view object). */
const utf8Slice = (Buffer.prototype as unknown as { utf8Slice(this: Uint8Array, start: number, end: number): string }).utf8Slice;
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(this: Uint8Array, start: number, end: number): string }).latin1Slice;

/** A buffer's text when every byte is ASCII (one decode for all the rows whose rest is in it), else null. */
function asciiText(b: Uint8Array): string | null {
  for (let k = 0; k < b.length; k++) if (b[k] >= 0x80) return null;
  return latin1Slice.call(b, 0, b.length);
}

const utf8 = new TextEncoder();

/** The bytes of one row of a BLOB or VARCHAR vector, through the API (the slow path). */
function itemBytes(vec: RawVector, i: number): Uint8Array {
  if (typeof vec.getItemBytes === 'function') return vec.getItemBytes(i) ?? EMPTY;
  const v = vec.getItem(i) as { bytes?: Uint8Array } | string | null;
  if (typeof v === 'string') return utf8.encode(v);
  return v?.bytes ?? EMPTY;
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

/** A template and the distinct slots its holes read. */
interface TemplateEntry {
  t: CompiledTemplate;
  slots: Int32Array;
  /** The template's value builder (decoders that parse), null when its frames are parsed from their text. */
  build: ValueBuilder | null;
}

/** The packed `w` list of a chunk, read from the binding's copies (three native calls, no vector objects). */
interface Packed {
  /** The list values as 32-bit words (two per value, little-endian). */
  words: Int32Array;
  /** The same values as 64-bit integers (recv_ns). */
  big: BigInt64Array;
  /** Validity bits of the values, or null when none is NULL. */
  valid: Int32Array | null;
  /** Where each row's list starts, in values. */
  starts: Uint32Array;
}

/** A copy of `b` starting at a multiple of 8 bytes, so that 64-bit views can be laid on it. */
function aligned(b: Uint8Array): Uint8Array {
  return b.byteOffset % 8 === 0 ? b : b.slice();
}

function packedOf(chunk: DuckDBDataChunk, n: number): Packed {
  const list = duckdb.data_chunk_get_vector((chunk as unknown as { chunk: duckdb.DataChunk }).chunk, 0);
  const entries = aligned(duckdb.vector_get_data(list, n * 16));
  const child = duckdb.list_vector_get_child(list);
  const size = duckdb.list_vector_get_size(list);
  const data = aligned(duckdb.vector_get_data(child, size * 8));
  const v = duckdb.vector_get_validity(child, Math.ceil(size / 64) * 8) as Uint8Array | null | undefined;
  const va = v ? aligned(v) : null;
  return {
    words: new Int32Array(data.buffer, data.byteOffset, size * 2),
    big: new BigInt64Array(data.buffer, data.byteOffset, size),
    valid: va ? new Int32Array(va.buffer, va.byteOffset, va.byteLength >> 2) : null,
    starts: new Uint32Array(entries.buffer, entries.byteOffset, n * 4),
  };
}

export class ChunkDecoder {
  private readonly headerIndex = new Map<number, number>();
  /** Every header learnt, by index (a batch's `header` column points into it). */
  private headerList: RecordHeader[] = [];
  private readonly templates = new Map<number, TemplateEntry>();
  /** Where slot s is in a row's `w` list, −1 when the query leaves it out. */
  private readonly slotAt = new Int32Array(SLOT_COLUMNS.length).fill(-1);
  private readonly payloadCol: number;
  private readonly preCol: number;
  private readonly restCol: number;
  /** Slot values of the row being rebuilt: a typed array, so no number is boxed per row. */
  private readonly vals = new Float64Array(SLOT_COLUMNS.length);
  /** Each batch also carries every row's JSON value (`messages`). */
  private readonly parse: boolean;
  /** The last rest buffer seen and its text when it is all ASCII (byte offsets are then string offsets), else null. */
  private restBuf: Uint8Array | null = null;
  private restAscii: string | null = null;
  /** The same for every rest buffer seen (rows of several buffers interleave in a ranked window). */
  private asciiOf = new WeakMap<Uint8Array, string | null>();
  /** Batches emitted with deferMessages, and where their rows came from. */
  private readonly deferred = new WeakMap<RecordBatch, { parts: readonly DecodedRows[]; srcPart: Int32Array; srcRow: Int32Array }>();

  /**
   * `absent`: the NULLABLE_RECORD_COLUMNS the query leaves out (recordSelect with the same set):
   * their vectors are not in the chunks at all.
   */
  constructor(absent: ReadonlySet<string> = new Set(), parse = false) {
    this.parse = parse;
    let k = W_SLOT0;
    SLOT_COLUMNS.forEach((c, s) => {
      if (!absent.has(c)) this.slotAt[s] = k++;
    });
    let col = 1;
    this.payloadCol = absent.has('payload') ? -1 : col++;
    this.preCol = absent.has('pre') ? -1 : col++;
    this.restCol = col;
  }

  /** Learns payload templates from a TEMPLATE_SELECT result. */
  addTemplates(rows: readonly unknown[][]): void {
    if (this.templates.size + rows.length > MAX_HEADER_CACHE_ENTRIES) this.templates.clear();
    for (const [h, blob] of rows as [bigint, { bytes: Uint8Array } | string | null][]) {
      if (blob === null) continue;
      const tpl = typeof blob === 'string' ? blob : TEMPLATE_TEXT.decode(blob.bytes);
      const t = compileTemplate(tpl);
      const slots = new Set<number>();
      for (let k = 0; k < t.kinds.length; k++) if (t.kinds[k] !== 0) slots.add(t.slots[k]);
      this.templates.set(keyOfHash(h), { t, slots: Int32Array.from(slots), build: this.parse ? valueBuilder(tpl) : null });
    }
  }

  /** Learns header tuples from a HEADER_SELECT result. */
  addHeaders(rows: readonly unknown[][]): void {
    if (this.headerList.length + rows.length > MAX_HEADER_CACHE_ENTRIES) {
      // A new list: batches already handed out keep pointing into the old one.
      this.headerIndex.clear();
      this.headerList = [];
    }
    for (const [h, exchange, connId, direction, kind, stream, endpoint] of rows as [bigint, string, string, Direction, RecordKind, string, string][]) {
      const key = keyOfHash(h);
      if (this.headerIndex.has(key)) continue;
      this.headerIndex.set(key, this.headerList.length);
      this.headerList.push({ exchange, connId, direction, kind, stream, endpoint });
    }
  }

  /**
   * The chunk's rows as a column batch, or null when a header or template is not known yet (fetch
   * it with addHeaders / addTemplates, then retry). `ranks`, when given, receives each row's rank
   * (−1 for none). Payloads, stored or rebuilt from their template, are laid one after the other in
   * one buffer.
   */
  decodeBatch(chunk: DuckDBDataChunk, ranks?: Int32Array): RecordBatch | null {
    const rows = this.decodeRows(chunk, ranks);
    return rows && this.emitRows([rows], null, rows.n);
  }

  /**
   * The first half of decodeBatch: a chunk's fixed fields, templates and string spans, copied out
   * of DuckDB, with no payload built yet (emitRows builds them, in any order). Null when a header
   * or template is not known yet.
   */
  decodeRows(chunk: DuckDBDataChunk, ranks?: Int32Array): DecodedRows | null {
    const n = chunk.rowCount;
    const p = packedOf(chunk, n);
    const { words, big, starts } = p;
    const headerIndex = this.headerIndex;
    const header = new Int32Array(n);
    const recvNs = new BigInt64Array(n);
    const seq = new Float64Array(n);
    const flags = new Int32Array(n);
    // Each row's template (undefined: the payload is stored as it is).
    const tpls = new Array<TemplateEntry | undefined>(n);
    let anyTemplated = false;
    let anyStored = false;
    let last: TemplateEntry | undefined;
    let lastKey = -1;
    let lastHeaderKey = -1;
    let lastHeader = 0;
    for (let i = 0; i < n; i++) {
      const b = starts[4 * i];
      const hk = (words[2 * (b + W_HASH)] >>> 0) + (words[2 * (b + W_HASH) + 1] & 0xfffff) * TWO_32;
      if (hk !== lastHeaderKey) {
        const h = headerIndex.get(hk);
        if (h === undefined) return null;
        lastHeaderKey = hk;
        lastHeader = h;
      }
      header[i] = lastHeader;
      recvNs[i] = big[b + W_RECV];
      // seq read as two 32-bit words: no BigInt allocated per row (seq < 2^53).
      seq[i] = (words[2 * (b + W_SEQ)] >>> 0) + words[2 * (b + W_SEQ) + 1] * TWO_32;
      flags[i] = words[2 * (b + W_FLAGS)];
      if (ranks) ranks[i] = words[2 * (b + W_RANK)];
      const t = b + W_TPL;
      if (words[2 * t + 1] < 0) {
        anyStored = true; // −1: stored as it is
        continue;
      }
      const key = (words[2 * t] >>> 0) + (words[2 * t + 1] & 0xfffff) * TWO_32;
      const e = key === lastKey ? last : this.templates.get(key);
      if (e === undefined) return null;
      last = e;
      lastKey = key;
      tpls[i] = e;
      anyTemplated = true;
    }
    const stored = anyStored && this.payloadCol >= 0 ? stringSpans(chunk.getColumnVector(this.payloadCol) as unknown as RawVector, n) : null;
    const pre = anyTemplated && this.preCol >= 0 ? stringSpans(chunk.getColumnVector(this.preCol) as unknown as RawVector, n) : noSpans(n);
    const rest = anyTemplated ? stringSpans(chunk.getColumnVector(this.restCol) as unknown as RawVector, n) : noSpans(n);
    // The bytes the chunk's payloads can take at most.
    let bound = 0;
    for (let i = 0; i < n; i++) {
      const e = tpls[i];
      if (e !== undefined) bound += e.t.maxBytes + rest.len[i] + pre.len[i];
      else if (stored !== null) bound += stored.len[i];
    }
    return { n, header, recvNs, seq, flags, tpls, stored, pre, rest, packed: p, bound };
  }

  /**
   * The rows of `parts` as one batch, payloads built straight into its buffer: in order when
   * `place` is null, else row k of the parts (one after the other) at position `place[k]`
   * (distinct positions below `positions`; positions no row takes are closed up).
   */
  emitRows(parts: readonly DecodedRows[], place: Int32Array | null, positions: number, deferMessages = false): RecordBatch {
    let fromPart: Int32Array | null = null;
    let fromRow: Int32Array | null = null;
    let n = 0;
    let bound = 0;
    for (const d of parts) {
      n += d.n;
      bound += d.bound;
    }
    if (place !== null) {
      fromPart = new Int32Array(positions).fill(-1);
      fromRow = new Int32Array(positions);
      let k = 0;
      for (let q = 0; q < parts.length; q++) {
        for (let i = 0; i < parts[q].n; i++, k++) {
          const at = place[k];
          fromPart[at] = q;
          fromRow[at] = i;
        }
      }
    } else positions = n;
    const header = new Int32Array(n);
    const recvNs = new BigInt64Array(n);
    const seq = new Float64Array(n);
    const flags = new Int32Array(n);
    const offsets = new Uint32Array(n + 1);
    const messages = this.parse && !deferMessages ? new Array<unknown>(n) : undefined;
    // Deferred (a ranked window of 100k+ rows): where each row came from, so that messagesOf builds
    // a handed-out slice's values when it goes out — values built for the whole window at once
    // outlive young-generation collections and are promoted.
    const srcPart = this.parse && deferMessages ? new Int32Array(n) : null;
    const srcRow = srcPart !== null ? new Int32Array(n) : null;
    let buf = new Uint8Array(bound);
    let o = 0;
    let r = 0;
    let q = 0;
    let i = -1;
    for (let at = 0; at < positions; at++) {
      if (fromPart !== null) {
        q = fromPart[at];
        if (q < 0) continue;
        i = fromRow![at];
      } else if (++i === parts[q].n) {
        q++;
        i = 0;
      }
      const d = parts[q];
      header[r] = d.header[i];
      recvNs[r] = d.recvNs[i];
      seq[r] = d.seq[i];
      flags[r] = d.flags[i];
      offsets[r] = o;
      let end = this.writePayload(d, i, buf, o);
      if (end < 0) {
        // Out of room (the bound should prevent it): a larger buffer with what is written so far.
        const grown = new Uint8Array(2 * buf.length + (positions - at) * REBUILD_BYTES_PER_FRAME);
        grown.set(buf.subarray(0, o));
        buf = grown;
        end = this.writePayload(d, i, buf, o);
        if (end < 0) throw new Error('reader: a templated payload misses a value');
      }
      if (messages !== undefined) messages[r] = this.message(d, i, buf, o, end);
      else if (srcPart !== null) {
        srcPart[r] = q;
        srcRow![r] = i;
      }
      o = end;
      r++;
    }
    offsets[r] = o;
    const batch: RecordBatch = { length: r, headers: this.headerList, header: header.subarray(0, r), recvNs: recvNs.subarray(0, r), seq: seq.subarray(0, r), flags: flags.subarray(0, r), payload: buf, offsets: offsets.subarray(0, r + 1) };
    if (messages !== undefined) {
      messages.length = r;
      batch.messages = messages;
    }
    if (srcPart !== null) this.deferred.set(batch, { parts, srcPart, srcRow: srcRow! });
    return batch;
  }

  /** Rows [from, to) of a batch emitted with deferMessages: their values (RecordBatch.messages). */
  messagesOf(batch: RecordBatch, from: number, to: number): unknown[] {
    const src = this.deferred.get(batch);
    if (src === undefined) throw new Error('reader: no deferred messages for this batch');
    const out = new Array<unknown>(to - from);
    const { offsets, payload } = batch;
    for (let r = from; r < to; r++) {
      const d = src.parts[src.srcPart[r]];
      const i = src.srcRow[r];
      const e = d.tpls[i];
      if (e !== undefined && e.build !== null) this.fillSlots(d, i, e);
      out[r - from] = this.message(d, i, payload, offsets[r], offsets[r + 1]);
    }
    return out;
  }

  /** Row i's slot values into `vals`. */
  private fillSlots(d: DecodedRows, i: number, e: TemplateEntry): void {
    const { words, valid, starts } = d.packed;
    const vals = this.vals;
    const slotAt = this.slotAt;
    const b = starts[4 * i];
    const used = e.slots;
    for (let k = 0; k < used.length; k++) {
      const s = used[k];
      const at = slotAt[s];
      const j = b + at;
      if (at < 0 || (valid !== null && ((valid[j >>> 5] >>> (j & 31)) & 1) === 0)) throw new Error('reader: a templated payload misses a value');
      vals[s] = (words[2 * j] >>> 0) + words[2 * j + 1] * TWO_32;
    }
  }

  /**
   * Row i's JSON value (RecordBatch.messages), right after writePayload wrote its bytes to
   * buf[o, end) and its slot values to `vals`: built from the template when it has a builder,
   * else parsed from the bytes (a templated binary frame: the text after its head bytes; a frame
   * stored as it is: unless binary), decoded as Frame.text() decodes (a leading byte order mark
   * dropped). Undefined when the frame is not JSON.
   */
  private message(d: DecodedRows, i: number, buf: Uint8Array, o: number, end: number): unknown {
    const e = d.tpls[i];
    try {
      if (e === undefined) {
        if (this.headerList[d.header[i]].kind === 'binary' || end === o) return undefined;
        return JSON.parse(FRAME_TEXT.decode(buf.subarray(o, end)));
      }
      const pre = d.pre;
      const head = pre.nul[i] ? 0 : pre.len[i];
      if (e.build === null) return JSON.parse(FRAME_TEXT.decode(buf.subarray(o + head, end)));
      const rest = d.rest;
      let s = '';
      if (!rest.nul[i] && rest.len[i] > 0) {
        const rb = rest.buf[i];
        if (rb !== this.restBuf) {
          let a = this.asciiOf.get(rb);
          if (a === undefined) {
            a = asciiText(rb);
            this.asciiOf.set(rb, a);
          }
          this.restBuf = rb;
          this.restAscii = a;
        }
        const r0 = rest.off[i];
        const ascii = this.restAscii;
        s = ascii !== null ? ascii.slice(r0, r0 + rest.len[i]) : utf8Slice.call(rb, r0, r0 + rest.len[i]);
      }
      return e.build(this.vals, s);
    } catch {
      return undefined;
    }
  }

  /** Writes row i's payload at `o`; the end, or −1 when `buf` has no room for it. */
  private writePayload(d: DecodedRows, i: number, buf: Uint8Array, o: number): number {
    const e = d.tpls[i];
    if (e === undefined) {
      const stored = d.stored;
      if (stored === null || stored.nul[i]) return o;
      const len = stored.len[i];
      if (o + len > buf.length) return -1;
      const src = stored.buf[i];
      const s0 = stored.off[i];
      if (len <= 32) for (let k = 0; k < len; k++) buf[o + k] = src[s0 + k];
      else buf.set(src.subarray(s0, s0 + len), o);
      return o + len;
    }
    const { words, valid, starts } = d.packed;
    const vals = this.vals;
    const slotAt = this.slotAt;
    const b = starts[4 * i];
    const used = e.slots;
    for (let k = 0; k < used.length; k++) {
      const s = used[k];
      const at = slotAt[s];
      const j = b + at;
      if (at < 0 || (valid !== null && ((valid[j >>> 5] >>> (j & 31)) & 1) === 0)) throw new Error('reader: a templated payload misses a value');
      vals[s] = (words[2 * j] >>> 0) + words[2 * j + 1] * TWO_32;
    }
    const { pre, rest } = d;
    const pb = pre.nul[i] || pre.len[i] === 0 ? null : pre.buf[i].subarray(pre.off[i], pre.off[i] + pre.len[i]);
    const rb = rest.nul[i] ? EMPTY : rest.buf[i];
    const r0 = rest.off[i];
    const len = rebuildInto(e.t, pb, rb, r0, r0 + rest.len[i], vals as unknown as SlotValues, buf, o);
    return len < 0 ? -1 : o + len;
  }
}

/** A chunk's rows decoded but for their payloads (ChunkDecoder.decodeRows). */
export interface DecodedRows {
  n: number;
  header: Int32Array;
  recvNs: BigInt64Array;
  seq: Float64Array;
  flags: Int32Array;
  tpls: (TemplateEntry | undefined)[];
  stored: Spans | null;
  pre: Spans;
  rest: Spans;
  packed: Packed;
  /** Bytes the rows' payloads take at most. */
  bound: number;
}
