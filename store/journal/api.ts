/**
 * The journal's public contract: what the recorder writes through and what the sealer and the
 * reader read back. Implemented by writer.ts / segment-reader.ts / recovery.ts in this folder.
 *
 * Layout under the data folder:
 *   journal/<instance>/LOCK                    pid of the live writer (one writer per instance)
 *   journal/<instance>/<segment>.ttj.open      the active segment (being appended)
 *   journal/<instance>/<segment>.ttj           closed segments, ready to seal
 *   journal/<instance>/quarantine/...          corrupt regions copied out by recovery
 * <segment> = <UTC yyyymmddThhmmssZ>-<process start, base36>-<n, 6 digits>: sorts in write order.
 * A segment never spans two UTC hours (so never two dates): rotation on the hour, by size, at start.
 */
import type { TapeRecord } from '../../schemas/record.js';

export interface JournalWriterOptions {
  /** The data folder (journal/ lives inside). */
  dataDir: string;
  /** Recorder instance id: [a-z0-9-]{1,40}. */
  instance: string;
  /** fdatasync cadence: the power-loss bound. Default 200. */
  fsyncIntervalMs?: number;
  /** Rotate when a segment reaches this size. Default 256 MiB. */
  segmentMaxBytes?: number;
  /** Rotate after this age (and always at the UTC hour boundary). Default 3_600_000. */
  segmentMaxAgeMs?: number;
  /** File-system seam for tests (short writes, ENOSPC). Defaults to node:fs. */
  fs?: JournalFs;
  /** Clock (ns since the Unix epoch) used for segment names and age/hour rotation. Defaults to core/clock nowNs; tests fake it. */
  nowNs?: () => bigint;
  /** Called for errors that do not stop the writer (ENOSPC, EIO). */
  onError?(err: Error): void;
  /**
   * Called when a write succeeds after failed ones, with what the failures cost: one entry per
   * (exchange, conn_id, stream), each written as a `journal_loss` gap record in that same write.
   */
  onResumed?(losses: JournalLoss[]): void;
  /** Called after a segment is closed (renamed to .ttj): the sealer may take it. */
  onSegmentClosed?(path: string): void;
}

/** Records a failed write cost one (exchange, conn_id, stream), as its journal_loss gap states them. */
export interface JournalLoss {
  exchange: string;
  connId: string;
  stream: string;
  frames: number;
  startNs: bigint;
  endNs: bigint;
}

/** The subset of node:fs the writer uses, so tests can inject failures. */
export interface JournalFs {
  openSync(path: string, flags: string, mode?: number): number;
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number | null): number;
  fdatasync(fd: number, cb: (err: NodeJS.ErrnoException | null) => void): void;
  fsyncSync(fd: number): void;
  ftruncateSync(fd: number, len: number): void;
  closeSync(fd: number): void;
  renameSync(from: string, to: string): void;
}

export interface JournalStats {
  appended: number; // records handed to append()
  written: number; // records written to the OS
  bytesWritten: number;
  lostRecords: number; // records dropped (disk full / I/O error), each covered by a gap record
  syncs: number;
  lastSyncNs: bigint | null;
  segment: string | null; // current segment path
  diskFull: boolean;
}

export interface JournalWriterHandle {
  /** Queues a record; written with the rest of this event-loop turn's records in one write. */
  append(rec: TapeRecord): void;
  /** Writes the queue now (synchronously). After it returns, the records survive a SIGKILL. */
  flush(): void;
  /** flush() then fdatasync: after it resolves, the records survive a power loss. */
  sync(): Promise<void>;
  /** Closes the current segment (it becomes sealable) and opens a new one. */
  rotate(): void;
  stats(): JournalStats;
  /** Flushes, syncs, closes the segment (renamed .ttj) and releases the LOCK. */
  close(): Promise<void>;
}

export interface SegmentInfo {
  instance: string;
  name: string; // segment name without extension
  path: string;
  open: boolean; // .ttj.open: being written (or left by a dead writer until recovery)
  bytes: number;
}

export interface CorruptRegion {
  offset: number;
  length: number;
  quarantinePath?: string;
}

export interface ScanReport {
  path: string;
  records: number;
  validBytes: number; // bytes covered by valid records (and the header)
  tornTailBytes: number; // bytes after the last valid record that do not form a record (truncate)
  corrupt: CorruptRegion[]; // damaged regions followed by valid records (quarantine)
  firstRecvNs: bigint | null;
  lastRecvNs: bigint | null;
}

export interface RecoveryReport extends ScanReport {
  truncated: boolean;
  quarantined: number;
  gapRecordsWritten: number;
}
