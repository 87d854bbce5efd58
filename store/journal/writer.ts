/**
 * The journal writer: the recorder's write path.
 *
 * append() encodes the record at once into one growing batch buffer; the batch is written at the end
 * of the event-loop turn (setImmediate) with ONE synchronous positioned write, so a record is in the
 * OS page cache (and survives a SIGKILL) one turn after it was appended, and flush() makes that
 * immediate. No streams: their hidden buffering and late errors are the wrong tool for a journal.
 * fdatasync runs on a timer off the event loop (fs.fdatasync in the thread pool): the power-loss bound.
 *
 * Failure policy: a failed write (ENOSPC, EIO, anything) never throws out of append/flush. The batch is
 * cut back to the last good offset (ftruncate; writes are positioned, so the next write overwrites any
 * partial bytes even if the truncate fails), its records are counted as lost per (exchange, conn_id,
 * stream), and the writer keeps going. The first write that succeeds afterwards starts with one
 * synthetic `gap` record (cause `journal_loss`) per (exchange, conn_id, stream) that lost records.
 *
 * Segments: `journal/<instance>/<name>.ttj.open` while written, renamed `.ttj` once closed (flushed,
 * fsynced, directory fsynced). Rotated by size, by age and at every UTC hour boundary, by the records'
 * recv_ns, so a segment never holds records of two hours (records arriving in order). Empty segments
 * are deleted instead of closed.
 */
import nodeFs from 'node:fs';
import path from 'node:path';
import { nowNs as systemNowNs } from '../../core/clock.js';
import { TicktapeError } from '../../core/errors.js';
import { FLAG_SYNTHETIC, type GapPayload, type TapeRecord } from '../../schemas/record.js';
import type { JournalFs, JournalStats, JournalWriterHandle, JournalWriterOptions } from './api.js';
import {
  KIND_CODES,
  MAX_CONN_ID_BYTES,
  MAX_ENDPOINT_BYTES,
  MAX_EXCHANGE_BYTES,
  MAX_RECORD_BYTES,
  MAX_STREAM_BYTES,
  RECORD_BODY_FIXED_BYTES,
  RECORD_HEADER_BYTES,
  StringBytesCache,
  decodeMeta,
  encodeRecordParts,
  encodeSegmentHeader,
  peekBodyLength,
} from './framing.js';
import { recoverSegment } from './recovery.js';
import { OPEN_SEGMENT_EXT, SEGMENT_EXT, instanceDir } from './segment-reader.js';

export const JOURNAL_DEFAULTS = {
  fsyncIntervalMs: 200,
  segmentMaxBytes: 256 * 1024 * 1024,
  segmentMaxAgeMs: 3_600_000,
} as const;

export const LOCK_FILE = 'LOCK';
const INSTANCE_RE = /^[a-z0-9-]{1,40}$/;
/** First size of the batch buffer; it doubles as needed. */
const INITIAL_BATCH_BYTES = 1024 * 1024;
/** A batch buffer grown past this by a burst is given back after the burst. */
const MAX_RETAINED_BATCH_BYTES = 16 * 1024 * 1024;
const HOUR_NS = 3_600_000_000_000n;
/** Longest stream name kept in a journal_loss gap record. */
const MAX_GAP_STREAM_CHARS = 1024;

/** Segment names carry the process start so two runs in the same second never collide. */
const PROCESS_START_B36 = Math.floor(performance.timeOrigin).toString(36);
let segmentCounter = 0;

const DIRECTION_OK = { in: true, out: true, event: true } as const;

/** `<UTC yyyymmddThhmmssZ>-<process start, base36>-<n, 6 digits>` (see api.ts). */
function segmentNameAt(ns: bigint): string {
  const iso = new Date(Number(ns / 1_000_000n)).toISOString();
  const ts = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  segmentCounter++;
  return `${ts}-${PROCESS_START_B36}-${String(segmentCounter).padStart(6, '0')}`;
}

const defaultFs: JournalFs = {
  openSync: (p, flags, mode) => nodeFs.openSync(p, flags, mode),
  writeSync: (fd, buffer, offset, length, position) => nodeFs.writeSync(fd, buffer, offset, length, position),
  fdatasync: (fd, cb) => nodeFs.fdatasync(fd, cb),
  fsyncSync: (fd) => nodeFs.fsyncSync(fd),
  ftruncateSync: (fd, len) => nodeFs.ftruncateSync(fd, len),
  closeSync: (fd) => nodeFs.closeSync(fd),
  renameSync: (a, b) => nodeFs.renameSync(a, b),
};

interface LossTally {
  exchange: string;
  connId: string;
  stream: string;
  count: number;
  firstSeq: number;
  firstNs: bigint;
  lastNs: bigint;
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readLockPid(lockPath: string): number {
  try {
    return Number.parseInt(nodeFs.readFileSync(lockPath, 'utf8').trim(), 10);
  } catch {
    return Number.NaN;
  }
}

function lockedError(lockPath: string, pid: number): TicktapeError {
  return new TicktapeError('TT_JOURNAL_LOCKED', `the journal ${path.dirname(lockPath)} is in use by process ${pid}; stop that recorder, or give this one another instance id. If no such process runs, delete ${lockPath}.`, { lockPath, pid });
}

/** Takes `LOCK` (our pid). A lock left by a dead process is taken over; a live owner is refused. */
function acquireLock(lockPath: string): void {
  const pidText = `${process.pid}\n`;
  try {
    nodeFs.writeFileSync(lockPath, pidText, { flag: 'wx' });
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new TicktapeError('TT_DATA_DIR', `cannot create ${lockPath}: ${(err as Error).message}; check that the data folder is writable`, { lockPath }, { cause: err });
    }
  }
  const owner = readLockPid(lockPath);
  if (isAlive(owner)) throw lockedError(lockPath, owner);
  // Stale: replace it atomically, then read back in case another starter raced us.
  const tmp = `${lockPath}.${process.pid}`;
  nodeFs.writeFileSync(tmp, pidText);
  nodeFs.renameSync(tmp, lockPath);
  const now = readLockPid(lockPath);
  if (now !== process.pid) throw lockedError(lockPath, now);
}

function releaseLock(lockPath: string): void {
  if (readLockPid(lockPath) === process.pid) {
    try {
      nodeFs.unlinkSync(lockPath);
    } catch {
      // already gone
    }
  }
}

function errnoOf(err: unknown): string {
  return (err as NodeJS.ErrnoException)?.code ?? 'EIO';
}

/** A synthetic `gap` record (cause journal_loss) standing for the records a tally counts. */
function encodeGap(t: LossTally, detail: string): Buffer {
  const clip = (s: string, max: number): string => (Buffer.byteLength(s) > max ? s.slice(0, Math.floor(max / 4)) : s);
  const stream = clip(t.stream, MAX_GAP_STREAM_CHARS);
  const gap: GapPayload = {
    stream,
    start_ns: t.firstNs.toString(),
    end_ns: t.lastNs.toString(),
    cause: 'journal_loss',
    lost_frames: t.count,
    detail,
  };
  const ex = Buffer.from(clip(t.exchange, MAX_EXCHANGE_BYTES));
  const conn = Buffer.from(clip(t.connId, MAX_CONN_ID_BYTES));
  const st = Buffer.from(stream);
  const payload = Buffer.from(JSON.stringify(gap), 'utf8');
  const rec: TapeRecord = {
    exchange: '',
    connId: '',
    seq: t.firstSeq,
    recvNs: t.firstNs,
    direction: 'event',
    kind: 'gap',
    stream,
    endpoint: '',
    payload,
    flags: FLAG_SYNTHETIC,
  };
  const buf = Buffer.allocUnsafe(RECORD_HEADER_BYTES + RECORD_BODY_FIXED_BYTES + ex.length + conn.length + st.length + payload.length);
  encodeRecordParts(buf, 0, rec, ex, conn, st, Buffer.alloc(0));
  return buf;
}

class JournalWriter implements JournalWriterHandle {
  private readonly fs: JournalFs;
  private readonly dir: string;
  private readonly lockPath: string;
  private readonly clock: () => bigint;
  private readonly fsyncIntervalMs: number;
  private readonly segmentMaxBytes: number;
  private readonly segmentMaxAgeNs: bigint;
  private readonly cache = new StringBytesCache();

  // current segment
  private fd: number | null = null;
  private segPath: string | null = null;
  private segGen = 0;
  private offset = 0; // end of the last good write
  private headerBytes = 0;
  private segRecords = 0;
  private hourEndNs = 0n; // records with recv_ns at or past this go to a new segment
  private deadlineNs = 0n; // clock time at which the segment is rotated (hour or age)

  // batch
  private batch = Buffer.allocUnsafe(INITIAL_BATCH_BYTES);
  private batchLen = 0;
  private batchCount = 0; // records in the batch, inline gap records included
  private batchInlineGaps = 0; // gap records standing for unframeable records (already counted as lost)
  private scheduled = false;

  // loss and durability
  private readonly losses = new Map<string, LossTally>();
  private failing = false;
  private syncing = false;
  private syncedBytes = 0;
  private totalBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  private readonly st: JournalStats = {
    appended: 0,
    written: 0,
    bytesWritten: 0,
    lostRecords: 0,
    syncs: 0,
    lastSyncNs: null,
    segment: null,
    diskFull: false,
  };

  constructor(private readonly opts: JournalWriterOptions) {
    if (!INSTANCE_RE.test(opts.instance)) {
      throw new TicktapeError('TT_CONFIG_INVALID', `instance id "${opts.instance}" must match [a-z0-9-]{1,40}`, { instance: opts.instance });
    }
    this.fs = opts.fs ?? defaultFs;
    this.clock = opts.nowNs ?? systemNowNs;
    this.fsyncIntervalMs = opts.fsyncIntervalMs ?? JOURNAL_DEFAULTS.fsyncIntervalMs;
    this.segmentMaxBytes = opts.segmentMaxBytes ?? JOURNAL_DEFAULTS.segmentMaxBytes;
    this.segmentMaxAgeNs = BigInt(opts.segmentMaxAgeMs ?? JOURNAL_DEFAULTS.segmentMaxAgeMs) * 1_000_000n;
    this.dir = instanceDir(opts.dataDir, opts.instance);
    this.lockPath = path.join(this.dir, LOCK_FILE);
    this.onTurn = this.onTurn.bind(this);

    try {
      nodeFs.mkdirSync(this.dir, { recursive: true });
    } catch (err) {
      throw new TicktapeError('TT_DATA_DIR', `cannot create ${this.dir}: ${(err as Error).message}; check --data`, { dir: this.dir }, { cause: err });
    }
    acquireLock(this.lockPath);
    try {
      this.recoverLeftovers();
      this.openSegment(this.clock());
    } catch (err) {
      releaseLock(this.lockPath);
      if (err instanceof TicktapeError) throw err;
      throw new TicktapeError('TT_JOURNAL_IO', `cannot start the journal in ${this.dir} (${errnoOf(err)}: ${(err as Error).message}); check the disk and permissions, then run \`ticktape verify\``, { dir: this.dir }, { cause: err });
    }
    this.timer = setInterval(() => this.tick(), this.fsyncIntervalMs);
    this.timer.unref();
  }

  // ---- public API ----

  append(rec: TapeRecord): void {
    if (this.closed) throw new TicktapeError('TT_INTERNAL', 'append() after close() of the journal writer', { instance: this.opts.instance });
    this.st.appended++;
    if (rec.recvNs >= this.hourEndNs && this.fd !== null) {
      // The hour (and so the date partition) changes: this record starts a new segment.
      this.flushNow(); // may already rotate (the clock passed the hour too)
      if (rec.recvNs >= this.hourEndNs) this.rotateNow(rec.recvNs);
    }
    const c = this.cache;
    const ex = c.get(rec.exchange);
    const conn = c.get(rec.connId);
    const stream = c.get(rec.stream);
    const endpoint = c.get(rec.endpoint);
    const bodyLen = RECORD_BODY_FIXED_BYTES + ex.length + conn.length + stream.length + endpoint.length + rec.payload.length;
    if (
      ex.length > MAX_EXCHANGE_BYTES ||
      conn.length > MAX_CONN_ID_BYTES ||
      stream.length > MAX_STREAM_BYTES ||
      endpoint.length > MAX_ENDPOINT_BYTES ||
      bodyLen > MAX_RECORD_BYTES ||
      !Number.isSafeInteger(rec.seq) ||
      rec.seq < 0 ||
      KIND_CODES[rec.kind] === undefined ||
      DIRECTION_OK[rec.direction] !== true
    ) {
      // Not a disk problem: the gap goes in right where the record would have been.
      this.st.lostRecords++;
      this.appendGapInline(rec);
      this.report(new TicktapeError('TT_JOURNAL_IO', `a record of ${rec.exchange}/${rec.connId} cannot be journaled (a field is too long or invalid); it is recorded as a gap`, { connId: rec.connId, seq: rec.seq }));
      this.schedule();
      return;
    }
    const need = RECORD_HEADER_BYTES + bodyLen;
    if (this.batchLen + need > this.batch.length) this.growBatch(this.batchLen + need);
    this.batchLen = encodeRecordParts(this.batch, this.batchLen, rec, ex, conn, stream, endpoint);
    this.batchCount++;
    this.schedule();
  }

  flush(): void {
    if (this.closed) return;
    this.flushNow();
  }

  sync(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.flushNow();
    const fd = this.fd;
    if (fd === null) return Promise.resolve();
    const gen = this.segGen;
    const upTo = this.totalBytes;
    return new Promise((resolve, reject) => {
      this.fs.fdatasync(fd, (err) => {
        if (err && gen === this.segGen) {
          reject(new TicktapeError('TT_JOURNAL_IO', `fdatasync of ${this.segPath} failed: ${err.message}; the last records may not survive a power loss`, { code: err.code }, { cause: err }));
          return;
        }
        // A rotation in between closed the segment with its own fsync: done either way.
        this.markSynced(upTo);
        resolve();
      });
    });
  }

  rotate(): void {
    if (this.closed) return;
    this.flushNow();
    this.rotateNow(this.clock());
  }

  stats(): JournalStats {
    return { ...this.st };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flushNow();
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.closeSegment();
    this.st.segment = null;
    releaseLock(this.lockPath);
  }

  // ---- batching and writing ----

  private schedule(): void {
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.onTurn);
    }
  }

  private onTurn(): void {
    this.scheduled = false;
    if (!this.closed) this.flushNow();
  }

  private growBatch(min: number): void {
    let size = this.batch.length * 2;
    while (size < min) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.batch.copy(next, 0, 0, this.batchLen);
    this.batch = next;
  }

  /** Writes the batch (after any pending gap records) now. Never throws for I/O errors. */
  private flushNow(): void {
    if (this.batchLen > 0 || this.losses.size > 0) {
      if (this.fd !== null && this.batchLen > 0 && this.offset > this.headerBytes && this.offset + this.batchLen > this.segmentMaxBytes) {
        this.rotateNow(this.clock());
      }
      if (this.fd === null) this.tryReopen();
      this.writeBatch();
    }
    if (this.fd !== null && this.clock() >= this.deadlineNs) this.rotateNow(this.clock());
  }

  private writeBatch(): void {
    const count = this.batchCount;
    let buf = this.batch;
    let len = this.batchLen;
    let gapCount = 0;
    if (this.losses.size > 0) {
      const gaps = this.encodeLossGaps();
      gapCount = this.losses.size;
      buf = Buffer.concat([gaps, this.batch.subarray(0, this.batchLen)]);
      len = buf.length;
    }
    try {
      if (this.fd === null) throw Object.assign(new Error('no journal segment is open'), { code: 'EIO' });
      this.writeAll(this.fd, buf, len);
      this.offset += len;
      this.totalBytes += len;
      this.segRecords += count + gapCount;
      this.st.written += count - this.batchInlineGaps;
      this.st.bytesWritten += len;
      if (gapCount > 0 && this.opts.onResumed) {
        const losses = [...this.losses.values()].map((t) => ({ exchange: t.exchange, connId: t.connId, stream: t.stream, frames: t.count, startNs: t.firstNs, endNs: t.lastNs }));
        this.losses.clear();
        try {
          this.opts.onResumed(losses);
        } catch {
          // an observer's bug must not break the write path
        }
      }
      this.losses.clear();
      this.st.diskFull = false;
      this.failing = false;
    } catch (err) {
      this.onWriteFailure(err);
    }
    this.batchLen = 0;
    this.batchCount = 0;
    this.batchInlineGaps = 0;
    if (this.batch.length > MAX_RETAINED_BATCH_BYTES) this.batch = Buffer.allocUnsafe(INITIAL_BATCH_BYTES);
  }

  private writeAll(fd: number, buf: Buffer, len: number): void {
    let done = 0;
    while (done < len) {
      const n = this.fs.writeSync(fd, buf, done, len - done, this.offset + done);
      if (!(n > 0)) throw Object.assign(new Error(`write of ${len - done} bytes made no progress`), { code: 'EIO' });
      done += n;
    }
  }

  private onWriteFailure(err: unknown): void {
    const code = errnoOf(err);
    if (this.fd !== null) {
      try {
        this.fs.ftruncateSync(this.fd, this.offset);
      } catch {
        // positioned writes overwrite the partial bytes anyway; recovery cuts them if we die first
      }
    }
    // Every record of the failed batch is lost (gap records in front of it are rebuilt next time).
    // An inline gap is tallied like the record it stands for (same key, seq and time), counted once.
    let p = 0;
    while (p < this.batchLen) {
      const bodyLen = peekBodyLength(this.batch, p);
      const m = decodeMeta(this.batch, p);
      this.tallyLoss(m.exchange, m.connId, m.stream, m.seq, m.recvNs);
      p += RECORD_HEADER_BYTES + bodyLen;
    }
    this.st.lostRecords += this.batchCount - this.batchInlineGaps;
    this.st.diskFull = code === 'ENOSPC' || code === 'EDQUOT';
    if (!this.failing) {
      this.failing = true;
      const diskFull = this.st.diskFull;
      this.report(
        new TicktapeError(
          diskFull ? 'TT_DISK_FULL' : 'TT_JOURNAL_IO',
          `journal write to ${this.segPath ?? this.dir} failed (${code}): records are being lost and will be recorded as a gap once writes succeed; ${diskFull ? 'free disk space under ' + this.dir : 'check the disk'}`,
          { code, segment: this.segPath },
          { cause: err },
        ),
      );
    }
  }

  private tallyLoss(exchange: string, connId: string, stream: string, seq: number, recvNs: bigint): void {
    const key = `${exchange}\u0000${connId}\u0000${stream}`;
    const t = this.losses.get(key);
    if (t === undefined) {
      this.losses.set(key, { exchange, connId, stream, count: 1, firstSeq: seq, firstNs: recvNs, lastNs: recvNs });
      return;
    }
    t.count++;
    if (seq < t.firstSeq) t.firstSeq = seq;
    if (recvNs < t.firstNs) t.firstNs = recvNs;
    if (recvNs > t.lastNs) t.lastNs = recvNs;
  }

  /**
   * One gap record per (exchange, conn_id, stream) that lost records. Its seq is the seq of the first
   * record it stands for: that number is missing from the journal anyway, so (conn_id, seq) stays
   * unique and the gap sorts exactly where the loss began.
   */
  private encodeLossGaps(): Buffer {
    const parts: Buffer[] = [];
    for (const t of this.losses.values()) {
      parts.push(encodeGap(t, `the journal could not write ${t.count} record(s) (disk full or I/O error)`));
    }
    return Buffer.concat(parts);
  }

  private appendGapInline(rec: TapeRecord): void {
    const seq = Number.isSafeInteger(rec.seq) && rec.seq >= 0 ? rec.seq : 0;
    const g = encodeGap({ exchange: String(rec.exchange), connId: String(rec.connId), stream: String(rec.stream), count: 1, firstSeq: seq, firstNs: rec.recvNs, lastNs: rec.recvNs }, 'the record could not be framed (a field too long or invalid)');
    if (this.batchLen + g.length > this.batch.length) this.growBatch(this.batchLen + g.length);
    this.batchLen += g.copy(this.batch, this.batchLen);
    this.batchCount++;
    this.batchInlineGaps++;
  }

  // ---- durability timer ----

  private tick(): void {
    if (this.closed) return;
    if (this.losses.size > 0 || (this.fd !== null && this.clock() >= this.deadlineNs)) this.flushNow();
    if (this.fd !== null && !this.syncing && this.totalBytes > this.syncedBytes) {
      const fd = this.fd;
      const gen = this.segGen;
      const upTo = this.totalBytes;
      this.syncing = true;
      // Off the event loop. If the segment is rotated meanwhile, its close did a synchronous fsync
      // and this result is moot (gen differs).
      this.fs.fdatasync(fd, (err) => {
        this.syncing = false;
        if (gen !== this.segGen) return;
        if (err) {
          this.report(new TicktapeError('TT_JOURNAL_IO', `fdatasync of ${this.segPath} failed: ${err.message}; recent records may not survive a power loss`, { code: err.code }, { cause: err }));
          return;
        }
        this.markSynced(upTo);
      });
    }
  }

  private markSynced(upTo: number): void {
    if (upTo > this.syncedBytes) this.syncedBytes = upTo;
    this.st.syncs++;
    this.st.lastSyncNs = this.clock();
  }

  // ---- segments ----

  private rotateNow(hintNs: bigint): void {
    this.closeSegment();
    this.openSegmentSafely(hintNs);
  }

  private tryReopen(): void {
    this.openSegmentSafely(this.clock());
  }

  private openSegmentSafely(hintNs: bigint): void {
    try {
      this.openSegment(hintNs);
    } catch (err) {
      this.fd = null;
      this.segPath = null;
      this.st.segment = null;
      if (!this.failing) {
        this.failing = true;
        const code = errnoOf(err);
        this.st.diskFull = code === 'ENOSPC' || code === 'EDQUOT';
        this.report(new TicktapeError(this.st.diskFull ? 'TT_DISK_FULL' : 'TT_JOURNAL_IO', `cannot open a new journal segment in ${this.dir} (${code}); records are lost until it can, then recorded as a gap`, { code }, { cause: err }));
      }
    }
  }

  /** Opens a fresh segment whose hour is that of max(clock, hint): the hint is a record's recv_ns. */
  private openSegment(hintNs: bigint): void {
    const now = this.clock();
    const at = hintNs > now ? hintNs : now;
    let name = segmentNameAt(at);
    let file = path.join(this.dir, name + OPEN_SEGMENT_EXT);
    let fd: number;
    for (let attempt = 0; ; attempt++) {
      try {
        fd = this.fs.openSync(file, 'wx', 0o644);
        break;
      } catch (err) {
        if (errnoOf(err) !== 'EEXIST' || attempt > 5) throw err;
        name = segmentNameAt(at);
        file = path.join(this.dir, name + OPEN_SEGMENT_EXT);
      }
    }
    const header = encodeSegmentHeader(this.opts.instance, name);
    try {
      this.offset = 0;
      this.writeAll(fd, header, header.length);
    } catch (err) {
      try {
        this.fs.closeSync(fd);
        nodeFs.unlinkSync(file);
      } catch {
        // an empty or torn segment is cleaned up by the next start's recovery
      }
      throw err;
    }
    this.fd = fd;
    this.segPath = file;
    this.segGen++;
    this.offset = header.length;
    this.headerBytes = header.length;
    this.totalBytes += header.length;
    this.segRecords = 0;
    this.hourEndNs = (at / HOUR_NS + 1n) * HOUR_NS;
    const ageEnd = now + this.segmentMaxAgeNs;
    this.deadlineNs = ageEnd < this.hourEndNs ? ageEnd : this.hourEndNs;
    this.st.segment = file;
    this.fsyncDirQuietly();
  }

  /** Flushed already by the caller: fsync, close, rename .ttj.open → .ttj, fsync the folder. */
  private closeSegment(): void {
    const fd = this.fd;
    const openPath = this.segPath;
    if (fd === null || openPath === null) return;
    this.fd = null;
    this.segPath = null;
    this.segGen++;
    try {
      this.fs.fsyncSync(fd);
      this.markSynced(this.totalBytes);
    } catch (err) {
      this.report(new TicktapeError('TT_JOURNAL_IO', `fsync of ${openPath} failed: ${(err as Error).message}`, { segment: openPath }, { cause: err }));
    }
    try {
      this.fs.closeSync(fd);
    } catch {
      // the data is written; nothing more to do with this descriptor
    }
    if (this.segRecords === 0) {
      try {
        nodeFs.unlinkSync(openPath);
      } catch {
        // recovery removes it next start
      }
      return;
    }
    const closedPath = openPath.slice(0, -OPEN_SEGMENT_EXT.length) + SEGMENT_EXT;
    try {
      this.fs.renameSync(openPath, closedPath);
    } catch (err) {
      this.report(new TicktapeError('TT_JOURNAL_IO', `cannot close segment ${openPath} (${errnoOf(err)}); it is recovered and closed at the next start`, { segment: openPath }, { cause: err }));
      return;
    }
    this.fsyncDirQuietly();
    this.segmentClosed(closedPath);
  }

  /** Closes the `.ttj.open` segments a dead writer of this instance left (we hold the LOCK). */
  private recoverLeftovers(): void {
    for (const f of nodeFs.readdirSync(this.dir)) {
      const p = path.join(this.dir, f);
      if (f.endsWith('.recover.tmp')) {
        nodeFs.rmSync(p, { force: true });
        continue;
      }
      if (!f.endsWith(OPEN_SEGMENT_EXT)) continue;
      const r = recoverSegment(p);
      if (r.records + r.gapRecordsWritten === 0) {
        nodeFs.rmSync(p, { force: true });
        continue;
      }
      const closedPath = p.slice(0, -OPEN_SEGMENT_EXT.length) + SEGMENT_EXT;
      nodeFs.renameSync(p, closedPath);
      this.fsyncDirQuietly();
      this.segmentClosed(closedPath);
    }
  }

  private fsyncDirQuietly(): void {
    try {
      const dfd = this.fs.openSync(this.dir, 'r');
      try {
        this.fs.fsyncSync(dfd);
      } finally {
        this.fs.closeSync(dfd);
      }
    } catch (err) {
      this.report(new TicktapeError('TT_JOURNAL_IO', `fsync of folder ${this.dir} failed: ${(err as Error).message}`, { dir: this.dir }, { cause: err }));
    }
  }

  private segmentClosed(p: string): void {
    try {
      this.opts.onSegmentClosed?.(p);
    } catch (err) {
      this.report(err as Error);
    }
  }

  private report(err: Error): void {
    try {
      this.opts.onError?.(err);
    } catch {
      // a failing error handler must not stop the journal
    }
  }
}

/** Opens the journal of `opts.instance` (taking its LOCK, recovering what a dead writer left). */
export function openJournalWriter(opts: JournalWriterOptions): JournalWriterHandle {
  return new JournalWriter(opts);
}
