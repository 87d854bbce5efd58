/**
 * Walks a segment file step by step: each step is a valid record, a corrupt region (damage followed
 * by valid records) or a torn tail (damage that runs to the end of the file). Shared by the reader,
 * the scan report and recovery so they can never disagree about what is valid.
 *
 * Resynchronization after damage: the next offset where the magic appears and a chain of three valid
 * records parses, or a shorter chain (one or two records) that ends exactly at end of file. A single
 * valid-looking record inside garbage (a payload that happens to contain a framed record) is not
 * enough to resume, so a damaged region is not split at random.
 */
import { FileWindow } from './file-window.js';
import { RECORD_HEADER_BYTES, RECORD_MAGIC_BYTES, decodeSegmentHeader, peekBodyLength, plausibleBodyStart, recordValid, type SegmentHeader } from './framing.js';

/** Valid records in a row needed to resume after damage. */
const RESYNC_CHAIN_RECORDS = 3;
/** Longest possible segment header (fixed part + two 255-byte strings). */
const MAX_SEGMENT_HEADER_BYTES = 14 + 255 + 255;
/** How far the magic search looks per window refill. */
const SEARCH_SPAN_BYTES = 1024 * 1024;

type ScanStep = 'record' | 'corrupt' | 'tail' | 'end';

class SegmentScanner {
  readonly window: FileWindow;
  /** The parsed file header, or null when it is damaged or torn (the records are still salvaged). */
  readonly header: SegmentHeader | null;
  /** Where records start: the header's length, or 0 without a valid header. */
  readonly recordsStart: number;
  /** Of the last step: its file offset and byte length. */
  offset = 0;
  length = 0;
  /** Of the last 'record' step: where it starts in window.buf (valid until the next step). */
  bufPos = 0;
  private pos: number;

  constructor(window: FileWindow) {
    this.window = window;
    let header: SegmentHeader | null = null;
    if (window.size > 0) {
      const n = Math.min(window.size, MAX_SEGMENT_HEADER_BYTES);
      const p = window.ensure(0, n);
      header = decodeSegmentHeader(window.buf.subarray(p, p + n), n);
    }
    this.header = header;
    this.recordsStart = header?.length ?? 0;
    this.pos = this.recordsStart;
  }

  get size(): number {
    return this.window.size;
  }

  next(): ScanStep {
    const size = this.window.size;
    if (this.pos >= size) return 'end';
    const at = this.pos;
    const len = this.recordAt(at);
    if (len > 0) {
      this.offset = at;
      this.length = len;
      this.pos = at + len;
      this.bufPos = this.window.ensure(at, len);
      return 'record';
    }
    const q = this.findResync(at + 1);
    this.offset = at;
    if (q < 0) {
      this.length = size - at;
      this.pos = size;
      return 'tail';
    }
    this.length = q - at;
    this.pos = q;
    return 'corrupt';
  }

  /** Total bytes of the valid record at `off`, or -1. Checks bounds before reading the body. */
  recordAt(off: number): number {
    const w = this.window;
    if (off + RECORD_HEADER_BYTES > w.size) return -1;
    let p = w.ensure(off, RECORD_HEADER_BYTES);
    const bodyLen = peekBodyLength(w.buf, p);
    if (bodyLen < 0) return -1;
    const total = RECORD_HEADER_BYTES + bodyLen;
    if (off + total > w.size) return -1;
    // Type / direction / kind first: a forged length costs a CRC over up to MAX_RECORD_BYTES only if
    // those bytes are plausible too.
    p = w.ensure(off, RECORD_HEADER_BYTES + 20);
    if (!plausibleBodyStart(w.buf, p + RECORD_HEADER_BYTES)) return -1;
    p = w.ensure(off, total);
    return recordValid(w.buf, p, bodyLen) ? total : -1;
  }

  private chainAt(q: number): boolean {
    let p = q;
    for (let i = 0; i < RESYNC_CHAIN_RECORDS; i++) {
      const len = this.recordAt(p);
      if (len < 0) return false;
      p += len;
      if (p === this.window.size) return true;
    }
    return true;
  }

  /** Smallest offset >= from where a resync chain starts, or -1. */
  private findResync(from: number): number {
    const w = this.window;
    let q = from;
    while (q + RECORD_HEADER_BYTES <= w.size) {
      const { pos, avail } = w.ensureUpTo(q, SEARCH_SPAN_BYTES);
      const idx = w.buf.subarray(pos, pos + avail).indexOf(RECORD_MAGIC_BYTES);
      if (idx < 0) {
        // keep the last byte: the magic may straddle two windows
        q += Math.max(1, avail - 1);
        continue;
      }
      const cand = q + idx;
      if (this.chainAt(cand)) return cand;
      q = cand + 1;
    }
    return -1;
  }

  close(): void {
    this.window.close();
  }
}

export function openScanner(path: string): SegmentScanner {
  return new SegmentScanner(FileWindow.open(path));
}
