/**
 * Journal framing: pure encode/decode of one record and of a segment's file header. No I/O here.
 *
 * Byte-level specification (all integers little-endian)
 * ======================================================
 *
 * Segment file = file header, then records back to back, nothing else.
 *
 * File header (SEGMENT_HEADER_FIXED_BYTES + instance + name bytes):
 *   offset size
 *   0      4    magic            'TTJ1' (0x54 0x54 0x4A 0x31)
 *   4      2    format version   JOURNAL_FORMAT_VERSION (schemas/version.ts)
 *   6      2    header length    total bytes of this header, crc included = where the first record starts
 *   8      1    instance length  n
 *   9      n    instance         UTF-8, the recorder instance id
 *   9+n    1    name length      m
 *   10+n   m    segment name     UTF-8, the file name without extension
 *   10+n+m 4    crc32            zlib crc32 of bytes [0, 10+n+m)
 *
 * Record (RECORD_HEADER_BYTES + body):
 *   offset size
 *   0      2    magic      RECORD_MAGIC (bytes 0xE5 0xD7: a UTF-8 lead byte followed by a non-continuation
 *                          byte, so the pair never occurs inside valid UTF-8 text; resync rarely false-starts)
 *   2      4    length     bytes of the body (everything after this 10-byte header), <= MAX_RECORD_BYTES
 *   6      4    crc32      zlib crc32 of the body (everything after the crc field)
 *   -- body --
 *   10     1    type       RECORD_TYPE_TAPE (1): one TapeRecord. Other values are reserved.
 *   11     1    flags      FLAG_* of schemas/record.ts
 *   12     8    recv_ns    i64, ns since the Unix epoch
 *   20     8    seq        u64 (values above 2^53 are rejected: TapeRecord.seq is a JS number)
 *   28     1    direction  1 in | 2 out | 3 event
 *   29     1    kind       see KIND_CODES
 *   30     1    exchange length e, then e bytes UTF-8
 *   ..     1    conn_id length c, then c bytes UTF-8
 *   ..     2    stream length s, then s bytes UTF-8
 *   ..     2    endpoint length p, then p bytes UTF-8
 *   ..     4    payload length n, then n bytes (the exact frame bytes, or an event's JSON)
 *   The body length must equal RECORD_BODY_FIXED_BYTES + e + c + s + p + n exactly.
 *
 * A record is valid only if: the magic matches, the length is within [RECORD_BODY_FIXED_BYTES,
 * MAX_RECORD_BYTES], the record fits inside the file, the CRC matches, and the body's own lengths,
 * type, direction and kind are consistent. Anything else is damage (see recovery.ts).
 */
import { crc32 } from 'node:zlib';
import type { Direction, RecordKind, TapeRecord } from '../../schemas/record.js';
import { JOURNAL_FORMAT_VERSION } from '../../schemas/version.js';

export const RECORD_MAGIC = 0xd7e5; // bytes E5 D7 on disk
export const RECORD_MAGIC_BYTES = Buffer.from([0xe5, 0xd7]);
export const RECORD_HEADER_BYTES = 10;
/** Fixed part of a body: type, flags, recv_ns, seq, direction, kind and the six length fields. */
export const RECORD_BODY_FIXED_BYTES = 1 + 1 + 8 + 8 + 1 + 1 + 1 + 1 + 2 + 2 + 4;
/** Largest body accepted. Bounds what a forged length can make a reader allocate. */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;
const RECORD_TYPE_TAPE = 1;

const SEGMENT_MAGIC = Buffer.from('TTJ1', 'latin1');
const SEGMENT_HEADER_FIXED_BYTES = 4 + 2 + 2 + 1 + 1 + 4;

export const MAX_EXCHANGE_BYTES = 0xff;
export const MAX_CONN_ID_BYTES = 0xff;
export const MAX_STREAM_BYTES = 0xffff;
export const MAX_ENDPOINT_BYTES = 0xffff;

const DIRECTION_CODES: Record<Direction, number> = { in: 1, out: 2, event: 3 };
const DIRECTIONS: (Direction | undefined)[] = [undefined, 'in', 'out', 'event'];

/** Stable on-disk codes of record kinds. Never renumber; add new kinds with new codes. */
export const KIND_CODES: Record<RecordKind, number> = {
  text: 1,
  binary: 2,
  ping: 3,
  pong: 4,
  connected: 16,
  disconnected: 17,
  gap: 18,
  clock: 19,
  subscribed: 20,
  refused: 21,
  alert: 22,
};
const KINDS: (RecordKind | undefined)[] = new Array(256).fill(undefined);
for (const [k, v] of Object.entries(KIND_CODES)) KINDS[v] = k as RecordKind;

const TWO_32 = 2 ** 32;
const MAX_SEQ_HI = 2 ** 21; // seq < 2^53

/** Encoded UTF-8 bytes of the short strings that repeat on every record (exchange, conn id, stream, endpoint). */
export class StringBytesCache {
  private readonly map = new Map<string, Buffer>();
  constructor(private readonly maxEntries = 4096) {}
  get(s: string): Buffer {
    let b = this.map.get(s);
    if (b === undefined) {
      if (this.map.size >= this.maxEntries) this.map.clear();
      b = Buffer.from(s, 'utf8');
      this.map.set(s, b);
    }
    return b;
  }
}

const defaultCache = new StringBytesCache();

/** Why a record cannot be encoded, or null when it can. */
function encodeProblem(rec: TapeRecord, cache: StringBytesCache = defaultCache): string | null {
  if (!Number.isSafeInteger(rec.seq) || rec.seq < 0) return `seq ${rec.seq} is not a non-negative safe integer`;
  if (DIRECTION_CODES[rec.direction] === undefined) return `unknown direction ${String(rec.direction)}`;
  if (KIND_CODES[rec.kind] === undefined) return `unknown kind ${String(rec.kind)}`;
  if (cache.get(rec.exchange).length > MAX_EXCHANGE_BYTES) return 'exchange id longer than 255 bytes';
  if (cache.get(rec.connId).length > MAX_CONN_ID_BYTES) return 'connection id longer than 255 bytes';
  if (cache.get(rec.stream).length > MAX_STREAM_BYTES) return 'stream longer than 65535 bytes';
  if (cache.get(rec.endpoint).length > MAX_ENDPOINT_BYTES) return 'endpoint longer than 65535 bytes';
  if (encodedSize(rec, cache) - RECORD_HEADER_BYTES > MAX_RECORD_BYTES) return `record larger than ${MAX_RECORD_BYTES} bytes`;
  return null;
}

/** Bytes `encodeRecordInto` will write for this record. */
function encodedSize(rec: TapeRecord, cache: StringBytesCache = defaultCache): number {
  return RECORD_HEADER_BYTES + RECORD_BODY_FIXED_BYTES + cache.get(rec.exchange).length + cache.get(rec.connId).length + cache.get(rec.stream).length + cache.get(rec.endpoint).length + rec.payload.length;
}

/**
 * Writes one record at `off` of `buf` (which must have room: see encodedSize) and returns the offset
 * after it. The caller checks encodeProblem first; this function trusts its input (hot path).
 */
function encodeRecordInto(buf: Buffer, off: number, rec: TapeRecord, cache: StringBytesCache = defaultCache): number {
  return encodeRecordParts(buf, off, rec, cache.get(rec.exchange), cache.get(rec.connId), cache.get(rec.stream), cache.get(rec.endpoint));
}

/** encodeRecordInto with the four strings already encoded (the writer looks them up once per record). */
export function encodeRecordParts(buf: Buffer, off: number, rec: TapeRecord, ex: Buffer, conn: Buffer, stream: Buffer, endpoint: Buffer): number {
  const payload = rec.payload;
  const bodyLen = RECORD_BODY_FIXED_BYTES + ex.length + conn.length + stream.length + endpoint.length + payload.length;
  const start = off;
  buf[off] = 0xe5;
  buf[off + 1] = 0xd7;
  buf.writeUInt32LE(bodyLen, off + 2);
  // crc at off+6 is filled in once the body is written
  let p = off + RECORD_HEADER_BYTES;
  buf[p++] = RECORD_TYPE_TAPE;
  buf[p++] = rec.flags & 0xff;
  buf.writeBigInt64LE(rec.recvNs, p);
  p += 8;
  const seq = rec.seq;
  buf.writeUInt32LE(seq % TWO_32, p);
  buf.writeUInt32LE(Math.floor(seq / TWO_32), p + 4);
  p += 8;
  buf[p++] = DIRECTION_CODES[rec.direction];
  buf[p++] = KIND_CODES[rec.kind];
  buf[p++] = ex.length;
  p += ex.copy(buf, p);
  buf[p++] = conn.length;
  p += conn.copy(buf, p);
  buf.writeUInt16LE(stream.length, p);
  p += 2;
  p += stream.copy(buf, p);
  buf.writeUInt16LE(endpoint.length, p);
  p += 2;
  p += endpoint.copy(buf, p);
  buf.writeUInt32LE(payload.length, p);
  p += 4;
  buf.set(payload, p);
  p += payload.length;
  buf.writeUInt32LE(crc32(buf.subarray(start + RECORD_HEADER_BYTES, p)), start + 6);
  return p;
}

/** One record as a fresh Buffer (tests, tools, recovery's gap records; the writer batches with encodeRecordInto). */
export function encodeRecord(rec: TapeRecord): Buffer {
  const problem = encodeProblem(rec);
  if (problem !== null) throw new RangeError(`cannot encode journal record: ${problem}`);
  const buf = Buffer.allocUnsafe(encodedSize(rec));
  encodeRecordInto(buf, 0, rec);
  return buf;
}

/**
 * Reads the 10-byte header at `off`: the body length if the magic matches and the length is in
 * bounds, else -1. Does not look at the body (so a forged length costs nothing here).
 */
export function peekBodyLength(buf: Uint8Array, off: number): number {
  if (buf[off] !== 0xe5 || buf[off + 1] !== 0xd7) return -1;
  const len = (buf[off + 2] | (buf[off + 3] << 8) | (buf[off + 4] << 16)) + buf[off + 5] * 0x1000000;
  if (len < RECORD_BODY_FIXED_BYTES || len > MAX_RECORD_BYTES) return -1;
  return len;
}

/**
 * Cheap plausibility of a body's first bytes (type, direction, kind), before paying for a CRC over a
 * possibly forged length. `buf` must hold at least the first 20 bytes of the body at `bodyOff`.
 */
export function plausibleBodyStart(buf: Uint8Array, bodyOff: number): boolean {
  return buf[bodyOff] === RECORD_TYPE_TAPE && DIRECTIONS[buf[bodyOff + 18]] !== undefined && KINDS[buf[bodyOff + 19]] !== undefined;
}

/** Whether the full record at `off` (header + body of `bodyLen` bytes, all inside `buf`) is valid. */
export function recordValid(buf: Buffer, off: number, bodyLen: number): boolean {
  const bodyOff = off + RECORD_HEADER_BYTES;
  if (!plausibleBodyStart(buf, bodyOff)) return false;
  if (buf.readUInt32LE(off + 6) !== crc32(buf.subarray(bodyOff, bodyOff + bodyLen))) return false;
  return bodyLayoutEnd(buf, bodyOff, bodyLen) === bodyOff + bodyLen;
}

/** Walks the length fields of a body; the offset where the payload ends, or -1 when they overrun. */
function bodyLayoutEnd(buf: Buffer, bodyOff: number, bodyLen: number): number {
  const end = bodyOff + bodyLen;
  if (buf.readUInt32LE(bodyOff + 14) >= MAX_SEQ_HI) return -1;
  let p = bodyOff + 20;
  const exLen = buf[p];
  p += 1 + exLen;
  if (p >= end) return -1;
  const connLen = buf[p];
  p += 1 + connLen;
  if (p + 2 > end) return -1;
  const streamLen = buf.readUInt16LE(p);
  p += 2 + streamLen;
  if (p + 2 > end) return -1;
  const endpointLen = buf.readUInt16LE(p);
  p += 2 + endpointLen;
  if (p + 4 > end) return -1;
  const payloadLen = buf.readUInt32LE(p);
  p += 4 + payloadLen;
  return p;
}

/** Longest string the decoder interns (exchange, conn ids, streams, endpoints repeat on every record). */
const INTERN_MAX_BYTES = 96;
const INTERN_SLOTS = 512;

/**
 * Decodes short UTF-8 strings through a small hash table of recent values, so the four strings that
 * repeat on every record are not decoded (and allocated) again and again when reading.
 */
class StringInterner {
  private readonly keys: (Uint8Array | undefined)[] = new Array(INTERN_SLOTS);
  private readonly vals: string[] = new Array(INTERN_SLOTS);

  get(buf: Buffer, start: number, end: number): string {
    const len = end - start;
    if (len === 0) return '';
    if (len > INTERN_MAX_BYTES) return buf.toString('utf8', start, end);
    let h = len;
    for (let i = start; i < end; i++) h = (Math.imul(h, 31) + buf[i]) | 0;
    const slot = (h ^ (h >>> 15)) & (INTERN_SLOTS - 1);
    const k = this.keys[slot];
    if (k !== undefined && k.length === len) {
      let same = true;
      for (let i = 0; i < len; i++) {
        if (k[i] !== buf[start + i]) {
          same = false;
          break;
        }
      }
      if (same) return this.vals[slot];
    }
    const v = buf.toString('utf8', start, end);
    this.keys[slot] = Uint8Array.prototype.slice.call(buf, start, end);
    this.vals[slot] = v;
    return v;
  }
}

const defaultInterner = new StringInterner();

/** The identifying fields of a record, without copying its payload. */
export interface RecordMeta {
  flags: number;
  recvNs: bigint;
  seq: number;
  direction: Direction;
  kind: RecordKind;
  exchange: string;
  connId: string;
  stream: string;
}

/** Metadata of a record already checked by recordValid. */
export function decodeMeta(buf: Buffer, off: number): RecordMeta {
  let p = off + RECORD_HEADER_BYTES;
  const flags = buf[p + 1];
  const recvNs = buf.readBigInt64LE(p + 2);
  const seq = buf.readUInt32LE(p + 10) + buf.readUInt32LE(p + 14) * TWO_32;
  const direction = DIRECTIONS[buf[p + 18]] as Direction;
  const kind = KINDS[buf[p + 19]] as RecordKind;
  p += 20;
  const exLen = buf[p++];
  const exchange = buf.toString('utf8', p, p + exLen);
  p += exLen;
  const connLen = buf[p++];
  const connId = buf.toString('utf8', p, p + connLen);
  p += connLen;
  const streamLen = buf.readUInt16LE(p);
  p += 2;
  const stream = buf.toString('utf8', p, p + streamLen);
  return { flags, recvNs, seq, direction, kind, exchange, connId, stream };
}

/** recv_ns of a record already checked by recordValid (cheap: no strings). */
export function decodeRecvNs(buf: Buffer, off: number): bigint {
  return buf.readBigInt64LE(off + RECORD_HEADER_BYTES + 2);
}

/** The full record already checked by recordValid. The payload is copied out of `buf`. */
export function decodeRecord(buf: Buffer, off: number, strings: StringInterner = defaultInterner): TapeRecord {
  let p = off + RECORD_HEADER_BYTES;
  const flags = buf[p + 1];
  const recvNs = buf.readBigInt64LE(p + 2);
  const seq = buf.readUInt32LE(p + 10) + buf.readUInt32LE(p + 14) * TWO_32;
  const direction = DIRECTIONS[buf[p + 18]] as Direction;
  const kind = KINDS[buf[p + 19]] as RecordKind;
  p += 20;
  const exLen = buf[p++];
  const exchange = strings.get(buf, p, p + exLen);
  p += exLen;
  const connLen = buf[p++];
  const connId = strings.get(buf, p, p + connLen);
  p += connLen;
  const streamLen = buf[p] | (buf[p + 1] << 8);
  p += 2;
  const stream = strings.get(buf, p, p + streamLen);
  p += streamLen;
  const endpointLen = buf[p] | (buf[p + 1] << 8);
  p += 2;
  const endpoint = strings.get(buf, p, p + endpointLen);
  p += endpointLen;
  const payloadLen = buf.readUInt32LE(p);
  p += 4;
  const payload = Buffer.allocUnsafe(payloadLen);
  buf.copy(payload, 0, p, p + payloadLen);
  return { exchange, connId, seq, recvNs, direction, kind, stream, endpoint, payload, flags };
}

/**
 * Decodes the single record that fills `buf` exactly (tests, tools). Throws RangeError when the bytes
 * are not one valid record.
 */
export function decodeRecordBytes(buf: Buffer): TapeRecord {
  const len = buf.length >= RECORD_HEADER_BYTES ? peekBodyLength(buf, 0) : -1;
  if (len < 0 || RECORD_HEADER_BYTES + len !== buf.length || !recordValid(buf, 0, len)) {
    throw new RangeError('bytes are not exactly one valid journal record');
  }
  return decodeRecord(buf, 0);
}

export interface SegmentHeader {
  version: number;
  instance: string;
  name: string;
  /** Header bytes = offset of the first record. */
  length: number;
}

export function encodeSegmentHeader(instance: string, name: string): Buffer {
  const inst = Buffer.from(instance, 'utf8');
  const nm = Buffer.from(name, 'utf8');
  if (inst.length > 0xff || nm.length > 0xff) throw new RangeError('instance or segment name longer than 255 bytes');
  const len = SEGMENT_HEADER_FIXED_BYTES + inst.length + nm.length;
  const buf = Buffer.alloc(len);
  SEGMENT_MAGIC.copy(buf, 0);
  buf.writeUInt16LE(JOURNAL_FORMAT_VERSION, 4);
  buf.writeUInt16LE(len, 6);
  let p = 8;
  buf[p++] = inst.length;
  p += inst.copy(buf, p);
  buf[p++] = nm.length;
  p += nm.copy(buf, p);
  buf.writeUInt32LE(crc32(buf.subarray(0, p)), p);
  return buf;
}

/**
 * Parses a segment header from the first bytes of a file (`buf` holds `available` bytes of it).
 * null when the header is damaged, torn, or of an unknown format version.
 */
export function decodeSegmentHeader(buf: Buffer, available: number): SegmentHeader | null {
  if (available < SEGMENT_HEADER_FIXED_BYTES) return null;
  if (buf.compare(SEGMENT_MAGIC, 0, 4, 0, 4) !== 0) return null;
  const version = buf.readUInt16LE(4);
  const length = buf.readUInt16LE(6);
  if (version !== JOURNAL_FORMAT_VERSION || length < SEGMENT_HEADER_FIXED_BYTES || length > available) return null;
  const instLen = buf[8];
  if (10 + instLen > available) return null;
  const nameLen = buf[9 + instLen];
  if (SEGMENT_HEADER_FIXED_BYTES + instLen + nameLen !== length) return null;
  if (buf.readUInt32LE(length - 4) !== crc32(buf.subarray(0, length - 4))) return null;
  const instance = buf.toString('utf8', 9, 9 + instLen);
  const name = buf.toString('utf8', 10 + instLen, 10 + instLen + nameLen);
  return { version, instance, name, length };
}
