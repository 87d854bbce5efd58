/**
 * The content checksum of raw rows (parquet-file.ts, checksumExpr), computed in JS from the records
 * as they are staged: the sum of the low 64 bits of each row's MD5 over its columns as DuckDB
 * writes them as text (`|` between, `~` for NULL, BLOBs as upper-case hex, booleans as true/false).
 * The seal's re-read of a written file computes the same sum in DuckDB, so the tally it is checked
 * against comes from the records themselves, before DuckDB has seen them. Pure.
 */
import { hash } from 'node:crypto';
import os from 'node:os';
import { FLAG_MALFORMED, FLAG_REDACTED, type TapeRecord } from '../../schemas/record.js';
import { type EncodedPayload, TEMPLATE_SLOTS } from '../template/index.js';

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex').toUpperCase();
}

/** The text checksumExpr hashes for one raw row (`templated`: a templated file's stored columns, with `e` its encoding or null). */
export function rawChecksumText(rec: TapeRecord, instance: string, templated: boolean, e: EncodedPayload | null): string {
  const payload = templated && e ? '~' : hex(rec.payload);
  let s = `${rec.exchange}|${rec.connId}|${rec.seq}|${rec.recvNs}|${rec.direction}|${rec.kind}|${rec.stream}|${rec.endpoint}|${payload}|${(rec.flags & FLAG_MALFORMED) !== 0}|${(rec.flags & FLAG_REDACTED) !== 0}|${instance}|${rec.flags}`;
  if (!templated) return s;
  if (!e) return `${s}|~|~|~${'|~'.repeat(TEMPLATE_SLOTS)}`;
  s += `|${e.tpl}|${e.pre ? hex(e.pre) : '~'}|${e.rest}`;
  for (let k = 0; k < TEMPLATE_SLOTS; k++) {
    const x = e.slots[k];
    s += x === null || x === undefined ? '|~' : `|${x}`;
  }
  return s;
}

/**
 * A sum of md5_number_lower() values kept as two sums of 32-bit halves (exact as numbers up to
 * 2^21 rows between drains), so that adding a row allocates nothing.
 */
export class Md5LowerSum {
  lo = 0;
  hi = 0;

  /** The sum so far as a bigint; the halves start again from 0. */
  drain(): bigint {
    const v = BigInt(this.lo) + (BigInt(this.hi) << 32n);
    this.lo = 0;
    this.hi = 0;
    return v;
  }
}

/** The JS MD5 below reads the buffer as 32-bit words in the platform's order: MD5's are little-endian. */
const LITTLE_ENDIAN = os.endianness() === 'LE';

/** The buffer addMd5Lower writes each text into, and its 32-bit words; the per-step constants are inlined there (RFC 1321: floor(|sin(i + 1)| × 2^32)). */
let md5Buf = Buffer.allocUnsafe(1024);
let md5Words = new Int32Array(md5Buf.buffer, md5Buf.byteOffset, md5Buf.length >>> 2);

/**
 * md5_number_lower() of a text, as two 32-bit halves added to `sum` (digest bytes 8–11 and 12–15,
 * little-endian): MD5 (RFC 1321) in JS over the text's UTF-8 bytes in a buffer kept between calls,
 * about half the time of a call into node:crypto per row, and no digest buffer or bigint per row.
 */
export function addMd5Lower(text: string, sum: Md5LowerSum): void {
  if (!LITTLE_ENDIAN) {
    const d = hash('md5', text, 'buffer');
    sum.lo += d.readUInt32LE(8);
    sum.hi += d.readUInt32LE(12);
    return;
  }
  // At most 3 bytes per UTF-16 unit, plus the padding (up to 72 bytes).
  if (md5Buf.length < text.length * 3 + 72) {
    md5Buf = Buffer.allocUnsafe(text.length * 3 + 1024);
    md5Words = new Int32Array(md5Buf.buffer, md5Buf.byteOffset, md5Buf.length >>> 2);
  }
  const buf = md5Buf;
  const n = buf.write(text, 0);
  const total = (((n + 8) >>> 6) + 1) << 6;
  buf[n] = 0x80;
  buf.fill(0, n + 1, total - 8);
  const bits = n * 8;
  buf.writeUInt32LE(bits >>> 0, total - 8);
  buf.writeUInt32LE(Math.floor(bits / 2 ** 32), total - 4);
  const w = md5Words;
  let a0 = 0x67452301;
  let b0 = 0xefcdab89 | 0;
  let c0 = 0x98badcfe | 0;
  let d0 = 0x10325476;
  for (let o = 0; o < total >>> 2; o += 16) {
    let a = a0;
    let b = b0;
    let c = c0;
    let d = d0;
    let x = 0;
    x = (a + ((b & c) | (~b & d)) + -680876936 + w[o + 0]) | 0;
    a = (b + ((x << 7) | (x >>> 25))) | 0;
    x = (d + ((a & b) | (~a & c)) + -389564586 + w[o + 1]) | 0;
    d = (a + ((x << 12) | (x >>> 20))) | 0;
    x = (c + ((d & a) | (~d & b)) + 606105819 + w[o + 2]) | 0;
    c = (d + ((x << 17) | (x >>> 15))) | 0;
    x = (b + ((c & d) | (~c & a)) + -1044525330 + w[o + 3]) | 0;
    b = (c + ((x << 22) | (x >>> 10))) | 0;
    x = (a + ((b & c) | (~b & d)) + -176418897 + w[o + 4]) | 0;
    a = (b + ((x << 7) | (x >>> 25))) | 0;
    x = (d + ((a & b) | (~a & c)) + 1200080426 + w[o + 5]) | 0;
    d = (a + ((x << 12) | (x >>> 20))) | 0;
    x = (c + ((d & a) | (~d & b)) + -1473231341 + w[o + 6]) | 0;
    c = (d + ((x << 17) | (x >>> 15))) | 0;
    x = (b + ((c & d) | (~c & a)) + -45705983 + w[o + 7]) | 0;
    b = (c + ((x << 22) | (x >>> 10))) | 0;
    x = (a + ((b & c) | (~b & d)) + 1770035416 + w[o + 8]) | 0;
    a = (b + ((x << 7) | (x >>> 25))) | 0;
    x = (d + ((a & b) | (~a & c)) + -1958414417 + w[o + 9]) | 0;
    d = (a + ((x << 12) | (x >>> 20))) | 0;
    x = (c + ((d & a) | (~d & b)) + -42063 + w[o + 10]) | 0;
    c = (d + ((x << 17) | (x >>> 15))) | 0;
    x = (b + ((c & d) | (~c & a)) + -1990404162 + w[o + 11]) | 0;
    b = (c + ((x << 22) | (x >>> 10))) | 0;
    x = (a + ((b & c) | (~b & d)) + 1804603682 + w[o + 12]) | 0;
    a = (b + ((x << 7) | (x >>> 25))) | 0;
    x = (d + ((a & b) | (~a & c)) + -40341101 + w[o + 13]) | 0;
    d = (a + ((x << 12) | (x >>> 20))) | 0;
    x = (c + ((d & a) | (~d & b)) + -1502002290 + w[o + 14]) | 0;
    c = (d + ((x << 17) | (x >>> 15))) | 0;
    x = (b + ((c & d) | (~c & a)) + 1236535329 + w[o + 15]) | 0;
    b = (c + ((x << 22) | (x >>> 10))) | 0;
    x = (a + ((d & b) | (~d & c)) + -165796510 + w[o + 1]) | 0;
    a = (b + ((x << 5) | (x >>> 27))) | 0;
    x = (d + ((c & a) | (~c & b)) + -1069501632 + w[o + 6]) | 0;
    d = (a + ((x << 9) | (x >>> 23))) | 0;
    x = (c + ((b & d) | (~b & a)) + 643717713 + w[o + 11]) | 0;
    c = (d + ((x << 14) | (x >>> 18))) | 0;
    x = (b + ((a & c) | (~a & d)) + -373897302 + w[o + 0]) | 0;
    b = (c + ((x << 20) | (x >>> 12))) | 0;
    x = (a + ((d & b) | (~d & c)) + -701558691 + w[o + 5]) | 0;
    a = (b + ((x << 5) | (x >>> 27))) | 0;
    x = (d + ((c & a) | (~c & b)) + 38016083 + w[o + 10]) | 0;
    d = (a + ((x << 9) | (x >>> 23))) | 0;
    x = (c + ((b & d) | (~b & a)) + -660478335 + w[o + 15]) | 0;
    c = (d + ((x << 14) | (x >>> 18))) | 0;
    x = (b + ((a & c) | (~a & d)) + -405537848 + w[o + 4]) | 0;
    b = (c + ((x << 20) | (x >>> 12))) | 0;
    x = (a + ((d & b) | (~d & c)) + 568446438 + w[o + 9]) | 0;
    a = (b + ((x << 5) | (x >>> 27))) | 0;
    x = (d + ((c & a) | (~c & b)) + -1019803690 + w[o + 14]) | 0;
    d = (a + ((x << 9) | (x >>> 23))) | 0;
    x = (c + ((b & d) | (~b & a)) + -187363961 + w[o + 3]) | 0;
    c = (d + ((x << 14) | (x >>> 18))) | 0;
    x = (b + ((a & c) | (~a & d)) + 1163531501 + w[o + 8]) | 0;
    b = (c + ((x << 20) | (x >>> 12))) | 0;
    x = (a + ((d & b) | (~d & c)) + -1444681467 + w[o + 13]) | 0;
    a = (b + ((x << 5) | (x >>> 27))) | 0;
    x = (d + ((c & a) | (~c & b)) + -51403784 + w[o + 2]) | 0;
    d = (a + ((x << 9) | (x >>> 23))) | 0;
    x = (c + ((b & d) | (~b & a)) + 1735328473 + w[o + 7]) | 0;
    c = (d + ((x << 14) | (x >>> 18))) | 0;
    x = (b + ((a & c) | (~a & d)) + -1926607734 + w[o + 12]) | 0;
    b = (c + ((x << 20) | (x >>> 12))) | 0;
    x = (a + (b ^ c ^ d) + -378558 + w[o + 5]) | 0;
    a = (b + ((x << 4) | (x >>> 28))) | 0;
    x = (d + (a ^ b ^ c) + -2022574463 + w[o + 8]) | 0;
    d = (a + ((x << 11) | (x >>> 21))) | 0;
    x = (c + (d ^ a ^ b) + 1839030562 + w[o + 11]) | 0;
    c = (d + ((x << 16) | (x >>> 16))) | 0;
    x = (b + (c ^ d ^ a) + -35309556 + w[o + 14]) | 0;
    b = (c + ((x << 23) | (x >>> 9))) | 0;
    x = (a + (b ^ c ^ d) + -1530992060 + w[o + 1]) | 0;
    a = (b + ((x << 4) | (x >>> 28))) | 0;
    x = (d + (a ^ b ^ c) + 1272893353 + w[o + 4]) | 0;
    d = (a + ((x << 11) | (x >>> 21))) | 0;
    x = (c + (d ^ a ^ b) + -155497632 + w[o + 7]) | 0;
    c = (d + ((x << 16) | (x >>> 16))) | 0;
    x = (b + (c ^ d ^ a) + -1094730640 + w[o + 10]) | 0;
    b = (c + ((x << 23) | (x >>> 9))) | 0;
    x = (a + (b ^ c ^ d) + 681279174 + w[o + 13]) | 0;
    a = (b + ((x << 4) | (x >>> 28))) | 0;
    x = (d + (a ^ b ^ c) + -358537222 + w[o + 0]) | 0;
    d = (a + ((x << 11) | (x >>> 21))) | 0;
    x = (c + (d ^ a ^ b) + -722521979 + w[o + 3]) | 0;
    c = (d + ((x << 16) | (x >>> 16))) | 0;
    x = (b + (c ^ d ^ a) + 76029189 + w[o + 6]) | 0;
    b = (c + ((x << 23) | (x >>> 9))) | 0;
    x = (a + (b ^ c ^ d) + -640364487 + w[o + 9]) | 0;
    a = (b + ((x << 4) | (x >>> 28))) | 0;
    x = (d + (a ^ b ^ c) + -421815835 + w[o + 12]) | 0;
    d = (a + ((x << 11) | (x >>> 21))) | 0;
    x = (c + (d ^ a ^ b) + 530742520 + w[o + 15]) | 0;
    c = (d + ((x << 16) | (x >>> 16))) | 0;
    x = (b + (c ^ d ^ a) + -995338651 + w[o + 2]) | 0;
    b = (c + ((x << 23) | (x >>> 9))) | 0;
    x = (a + (c ^ (b | ~d)) + -198630844 + w[o + 0]) | 0;
    a = (b + ((x << 6) | (x >>> 26))) | 0;
    x = (d + (b ^ (a | ~c)) + 1126891415 + w[o + 7]) | 0;
    d = (a + ((x << 10) | (x >>> 22))) | 0;
    x = (c + (a ^ (d | ~b)) + -1416354905 + w[o + 14]) | 0;
    c = (d + ((x << 15) | (x >>> 17))) | 0;
    x = (b + (d ^ (c | ~a)) + -57434055 + w[o + 5]) | 0;
    b = (c + ((x << 21) | (x >>> 11))) | 0;
    x = (a + (c ^ (b | ~d)) + 1700485571 + w[o + 12]) | 0;
    a = (b + ((x << 6) | (x >>> 26))) | 0;
    x = (d + (b ^ (a | ~c)) + -1894986606 + w[o + 3]) | 0;
    d = (a + ((x << 10) | (x >>> 22))) | 0;
    x = (c + (a ^ (d | ~b)) + -1051523 + w[o + 10]) | 0;
    c = (d + ((x << 15) | (x >>> 17))) | 0;
    x = (b + (d ^ (c | ~a)) + -2054922799 + w[o + 1]) | 0;
    b = (c + ((x << 21) | (x >>> 11))) | 0;
    x = (a + (c ^ (b | ~d)) + 1873313359 + w[o + 8]) | 0;
    a = (b + ((x << 6) | (x >>> 26))) | 0;
    x = (d + (b ^ (a | ~c)) + -30611744 + w[o + 15]) | 0;
    d = (a + ((x << 10) | (x >>> 22))) | 0;
    x = (c + (a ^ (d | ~b)) + -1560198380 + w[o + 6]) | 0;
    c = (d + ((x << 15) | (x >>> 17))) | 0;
    x = (b + (d ^ (c | ~a)) + 1309151649 + w[o + 13]) | 0;
    b = (c + ((x << 21) | (x >>> 11))) | 0;
    x = (a + (c ^ (b | ~d)) + -145523070 + w[o + 4]) | 0;
    a = (b + ((x << 6) | (x >>> 26))) | 0;
    x = (d + (b ^ (a | ~c)) + -1120210379 + w[o + 11]) | 0;
    d = (a + ((x << 10) | (x >>> 22))) | 0;
    x = (c + (a ^ (d | ~b)) + 718787259 + w[o + 2]) | 0;
    c = (d + ((x << 15) | (x >>> 17))) | 0;
    x = (b + (d ^ (c | ~a)) + -343485551 + w[o + 9]) | 0;
    b = (c + ((x << 21) | (x >>> 11))) | 0;
    a0 = (a0 + a) | 0;
    b0 = (b0 + b) | 0;
    c0 = (c0 + c) | 0;
    d0 = (d0 + d) | 0;
  }
  sum.lo += c0 >>> 0;
  sum.hi += d0 >>> 0;
}
