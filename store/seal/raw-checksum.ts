/**
 * The content checksum of raw rows (parquet-file.ts, checksumExpr), computed in JS from the records
 * as they are staged: the sum of the low 64 bits of each row's MD5 over its columns as DuckDB
 * writes them as text (`|` between, `~` for NULL, BLOBs as upper-case hex, booleans as true/false).
 * The seal's re-read of a written file computes the same sum in DuckDB, so the tally it is checked
 * against comes from the records themselves, before DuckDB has seen them. Pure.
 */
import { hash } from 'node:crypto';
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

/** md5_number_lower() of a text: the MD5's last 8 bytes as a little-endian unsigned integer. */
export function md5Lower(text: string): bigint {
  return hash('md5', text, 'buffer').readBigUInt64LE(8);
}
