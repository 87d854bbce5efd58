/**
 * Reading journal segments: the inventory of segment files, a streaming record reader (bounded
 * memory: one read window, never the whole file) and the damage report `scanSegment`.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { TapeRecord } from '../../schemas/record.js';
import type { CorruptRegion, ScanReport, SegmentInfo } from './api.js';
import { decodeMeta, decodeRecord, decodeRecvNs, type RecordMeta } from './framing.js';
import { openScanner } from './segment-scanner.js';

export const SEGMENT_EXT = '.ttj';
export const OPEN_SEGMENT_EXT = '.ttj.open';
const SEGMENT_FILE_RE = /^(.+)\.ttj(\.open)?$/;

export function journalRoot(dataDir: string): string {
  return path.join(dataDir, 'journal');
}

export function instanceDir(dataDir: string, instance: string): string {
  return path.join(dataDir, 'journal', instance);
}

/** Segment name (file name without .ttj / .ttj.open) and instance (its folder) of a segment path. */
export function segmentIdentity(segmentPath: string): { instance: string; name: string; open: boolean } {
  const base = path.basename(segmentPath);
  const m = SEGMENT_FILE_RE.exec(base);
  return {
    instance: path.basename(path.dirname(segmentPath)),
    name: m ? m[1] : base,
    open: m ? m[2] !== undefined : false,
  };
}

/**
 * Every segment under `<dataDir>/journal/` (or only `instance`'s), sorted by segment name (its UTC
 * start time first, so write order) and then instance.
 */
export function listSegments(dataDir: string, instance?: string): SegmentInfo[] {
  const root = journalRoot(dataDir);
  if (!existsSync(root)) return [];
  const instances =
    instance !== undefined
      ? [instance]
      : readdirSync(root, { withFileTypes: true })
          .filter((d) => d.isDirectory())
          .map((d) => d.name);
  const out: SegmentInfo[] = [];
  for (const inst of instances) {
    const dir = path.join(root, inst);
    if (!existsSync(dir)) continue;
    for (const d of readdirSync(dir, { withFileTypes: true })) {
      if (!d.isFile()) continue;
      const m = SEGMENT_FILE_RE.exec(d.name);
      if (!m) continue;
      const p = path.join(dir, d.name);
      let bytes: number;
      try {
        bytes = statSync(p).size;
      } catch {
        continue; // closed or sealed while we listed
      }
      out.push({ instance: inst, name: m[1], path: p, open: m[2] !== undefined, bytes });
    }
  }
  out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.instance < b.instance ? -1 : a.instance > b.instance ? 1 : a.open ? 1 : -1));
  return out;
}

/**
 * The valid records of a segment in file order. Damaged regions are skipped (records after them are
 * still yielded); a torn tail ends the iteration. Reads the size fixed when iteration starts.
 */
export function* readSegment(segmentPath: string): Generator<TapeRecord> {
  const sc = openScanner(segmentPath);
  try {
    for (;;) {
      const step = sc.next();
      if (step === 'end') return;
      if (step === 'record') yield decodeRecord(sc.window.buf, sc.bufPos);
    }
  } finally {
    sc.close();
  }
}

/** A damaged region with the records on either side of it (recovery names its gap after them). */
export interface DamagedRegion extends CorruptRegion {
  before: RecordMeta | null;
  after: RecordMeta | null;
}

interface DetailedScan {
  report: ScanReport;
  regions: DamagedRegion[];
  /** Bytes of the valid file header (0 when damaged or missing). */
  headerBytes: number;
  /** File size the scan saw. */
  fileBytes: number;
}

/** scanSegment plus the neighbours of every damaged region (for recovery). */
export function scanSegmentDetailed(segmentPath: string): DetailedScan {
  const sc = openScanner(segmentPath);
  try {
    let records = 0;
    let validBytes = sc.recordsStart;
    let tornTailBytes = 0;
    let first: bigint | null = null;
    let last: bigint | null = null;
    let lastRecordOffset = -1;
    const regions: DamagedRegion[] = [];
    let awaitingAfter: DamagedRegion | null = null;
    for (;;) {
      const step = sc.next();
      if (step === 'end') break;
      if (step === 'record') {
        records++;
        validBytes += sc.length;
        const ns = decodeRecvNs(sc.window.buf, sc.bufPos);
        if (first === null || ns < first) first = ns;
        if (last === null || ns > last) last = ns;
        if (awaitingAfter) {
          awaitingAfter.after = decodeMeta(sc.window.buf, sc.bufPos);
          awaitingAfter = null;
        }
        lastRecordOffset = sc.offset;
      } else if (step === 'corrupt') {
        const region: DamagedRegion = { offset: sc.offset, length: sc.length, before: null, after: null };
        if (lastRecordOffset >= 0) {
          const len = sc.recordAt(lastRecordOffset);
          region.before = decodeMeta(sc.window.buf, sc.window.ensure(lastRecordOffset, len));
        }
        regions.push(region);
        awaitingAfter = region;
      } else {
        tornTailBytes = sc.length;
      }
    }
    const report: ScanReport = {
      path: segmentPath,
      records,
      validBytes,
      tornTailBytes,
      corrupt: regions.map((r) => ({ offset: r.offset, length: r.length })),
      firstRecvNs: first,
      lastRecvNs: last,
    };
    return { report, regions, headerBytes: sc.recordsStart, fileBytes: sc.size };
  } finally {
    sc.close();
  }
}

/**
 * What is valid and what is damaged in a segment, without changing it. firstRecvNs / lastRecvNs are
 * the smallest and largest recv_ns of its valid records (the first and last when written in order).
 */
export function scanSegment(segmentPath: string): ScanReport {
  return scanSegmentDetailed(segmentPath).report;
}
