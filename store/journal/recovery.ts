/**
 * Segment recovery: make a segment hold only valid records again, keeping every valid record.
 *
 *  - Torn tail (bytes after the last valid record that do not form a record, up to end of file): what a
 *    crash leaves mid-write. Truncated in place: those bytes were never acknowledged by flush().
 *  - Corrupt region (damage followed by valid records): copied byte for byte to
 *    `quarantine/<segment>.<offset>.bad`, then the segment is rewritten (temp file, fsync, rename,
 *    directory fsync) as: the valid records before, one synthetic `gap` record (cause `corruption`),
 *    the valid records after. Valid records are copied as bytes, never re-encoded.
 *  - A damaged or torn file header is replaced by a fresh one built from the path.
 *
 * Idempotent: a recovered segment scans clean, so a second recovery changes nothing. A crash during
 * recovery leaves either the old file (recovery runs again, rewriting the same quarantine file) or
 * the new one.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readSync, renameSync, writeSync, ftruncateSync } from 'node:fs';
import path from 'node:path';
import { FLAG_SYNTHETIC, type GapPayload, type TapeRecord } from '../../schemas/record.js';
import type { RecoveryReport } from './api.js';
import { encodeRecord, encodeSegmentHeader } from './framing.js';
import { scanSegmentDetailed, segmentIdentity, type DamagedRegion } from './segment-reader.js';

/** Bytes per copy when rewriting a segment. */
const COPY_CHUNK_BYTES = 1024 * 1024;

export const QUARANTINE_DIR = 'quarantine';

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * The gap record standing in for a corrupt region. It takes the exchange and connection of the
 * record before the hole (else the one after) and spans recv_ns from the record before to the record
 * after. Its seq is the first number missing between the two neighbours when they belong to the same
 * connection and numbers are missing (so (conn_id, seq) stays unique and the gap sorts where the
 * loss was); otherwise 0, which no frame ever has (connections count from 1).
 */
function corruptionGapRecord(region: DamagedRegion, segmentName: string, quarantineRel: string): TapeRecord {
  const anchor = region.before ?? region.after;
  if (anchor === null) throw new RangeError('a corrupt region always has a valid record after it');
  const startNs = region.before?.recvNs ?? anchor.recvNs;
  const endNs = region.after?.recvNs ?? anchor.recvNs;
  const b = region.before;
  const a = region.after;
  const seq = b && a && b.connId === a.connId && a.seq - b.seq > 1 ? b.seq + 1 : 0;
  const gap: GapPayload = {
    stream: '',
    start_ns: startNs.toString(),
    end_ns: endNs.toString(),
    cause: 'corruption',
    detail: `${region.length} damaged bytes at offset ${region.offset} of journal segment ${segmentName}, copied to ${quarantineRel}`,
  };
  return {
    exchange: anchor.exchange,
    connId: anchor.connId,
    seq,
    recvNs: startNs,
    direction: 'event',
    kind: 'gap',
    stream: '',
    endpoint: '',
    payload: Buffer.from(JSON.stringify(gap), 'utf8'),
    flags: FLAG_SYNTHETIC,
  };
}

function copyRange(src: number, dst: number, from: number, to: number, buf: Buffer): void {
  let off = from;
  while (off < to) {
    const n = readSync(src, buf, 0, Math.min(buf.length, to - off), off);
    if (n === 0) throw new Error(`unexpected end of file while copying at ${off}`);
    writeAll(dst, buf, n);
    off += n;
  }
}

function writeAll(fd: number, buf: Uint8Array, len: number): void {
  let done = 0;
  while (done < len) {
    const n = writeSync(fd, buf, done, len - done);
    if (n <= 0) throw new Error('write made no progress');
    done += n;
  }
}

export function recoverSegment(segmentPath: string): RecoveryReport {
  const { report, regions, headerBytes, fileBytes } = scanSegmentDetailed(segmentPath);
  const result: RecoveryReport = { ...report, corrupt: report.corrupt.map((c) => ({ ...c })), truncated: false, quarantined: 0, gapRecordsWritten: 0 };
  const dir = path.dirname(segmentPath);
  const { instance, name } = segmentIdentity(segmentPath);

  if (regions.length === 0 && headerBytes > 0) {
    if (report.tornTailBytes > 0) {
      const fd = openSync(segmentPath, 'r+');
      try {
        ftruncateSync(fd, report.validBytes);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      result.truncated = true;
    }
    return result;
  }

  // Corrupt regions or a damaged header: quarantine, then rewrite through a temp file.
  const src = openSync(segmentPath, 'r');
  try {
    const buf = Buffer.allocUnsafe(COPY_CHUNK_BYTES);
    const gaps: Buffer[] = [];
    if (regions.length > 0) {
      const qdir = path.join(dir, QUARANTINE_DIR);
      mkdirSync(qdir, { recursive: true });
      for (let i = 0; i < regions.length; i++) {
        const r = regions[i];
        const qname = `${name}.${r.offset}.bad`;
        const qpath = path.join(qdir, qname);
        const q = openSync(qpath, 'w');
        try {
          copyRange(src, q, r.offset, r.offset + r.length, buf);
          fsyncSync(q);
        } finally {
          closeSync(q);
        }
        result.corrupt[i].quarantinePath = qpath;
        gaps.push(encodeRecord(corruptionGapRecord(r, name, `${QUARANTINE_DIR}/${qname}`)));
      }
      fsyncDir(qdir);
      result.quarantined = regions.length;
    }

    const tmp = `${segmentPath}.recover.tmp`;
    const out = openSync(tmp, 'w');
    try {
      if (headerBytes > 0) copyRange(src, out, 0, headerBytes, buf);
      else {
        const h = encodeSegmentHeader(instance, name);
        writeAll(out, h, h.length);
      }
      const validEnd = fileBytes - report.tornTailBytes;
      let cur = headerBytes;
      for (let i = 0; i < regions.length; i++) {
        const r = regions[i];
        copyRange(src, out, cur, r.offset, buf);
        writeAll(out, gaps[i], gaps[i].length);
        cur = r.offset + r.length;
      }
      copyRange(src, out, cur, validEnd, buf);
      fsyncSync(out);
    } finally {
      closeSync(out);
    }
    renameSync(tmp, segmentPath);
    fsyncDir(dir);
    result.gapRecordsWritten = gaps.length;
    result.truncated = report.tornTailBytes > 0;
  } finally {
    closeSync(src);
  }
  return result;
}
