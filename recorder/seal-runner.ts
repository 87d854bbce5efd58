/**
 * Sealing on a schedule without blocking ingest. Sealing reads journal segments, normalizes every
 * frame and writes zstd Parquet through DuckDB: seconds of CPU and hundreds of MB of memory per
 * hour of data. It runs in a child process (seal-child.ts), so the recorder's event loop keeps
 * receiving frames, its heap stays small, and a sealing failure cannot take ingest down. One run at
 * a time; a request during a run queues exactly one more run. The child stops by itself when this
 * process dies (parent-watch.ts); a run that finds the seal lock held (a sealer of a previous run
 * still stopping, or `ticktape seal`) is tried again shortly, a few times, instead of waiting for
 * the next scheduled run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../core/log.js';
import { listSegments } from '../store/journal/index.js';
import { PARENT_PID_ENV } from './parent-watch.js';

/** A run that found the seal lock held is tried again after this long… */
const SEAL_BUSY_RETRY_MS = 3_000;
/** …at most this many times in a row (then the next scheduled run tries). */
const SEAL_BUSY_RETRIES = 5;

interface SealSummary {
  segments: number;
  records: number;
  files: number;
  failures: Array<{ instance: string; segment: string; error: string }>;
  busy?: string[];
  compacted: number;
}

export interface SealRunnerStats {
  runs: number;
  failedRuns: number;
  lastRunAtMs: number | null;
  lastDurationMs: number | null;
  lastSummary: SealSummary | null;
  lastError: string | null;
  running: boolean;
}

const CHILD = fileURLToPath(new URL('./seal-child.js', import.meta.url));

export class SealRunner {
  private current: Promise<void> | null = null;
  private again = false;
  private child: ChildProcess | null = null;
  /** Set by abort(): this runner starts no more runs (a stop is under way). */
  private aborted = false;
  private busyRetries = 0;
  private busyTimer: NodeJS.Timeout | null = null;
  readonly stats: SealRunnerStats = { runs: 0, failedRuns: 0, lastRunAtMs: null, lastDurationMs: null, lastSummary: null, lastError: null, running: false };

  constructor(
    private readonly dataDir: string,
    private readonly instance: string,
    private readonly log: Logger,
    private readonly onDone?: (s: SealSummary | null) => void,
    /** zstd level of the day files a compacting run writes (undefined: each table's default, store/seal/compact.ts); read at each run, so a reload applies. */
    private readonly compactZstdLevel: () => number | undefined = () => undefined,
  ) {}

  /** Starts a run (or queues one after the current). Resolves when the run that covers this request ends. */
  request(compact = false): Promise<void> {
    if (this.current) {
      this.again = true;
      return this.current.then(() => this.current ?? undefined);
    }
    this.current = this.runLoop(compact).finally(() => {
      this.current = null;
    });
    return this.current;
  }

  private async runLoop(compact: boolean): Promise<void> {
    do {
      this.again = false;
      await this.runOnce(compact);
    } while (this.again);
  }

  /**
   * Stops the running seal, if any, and the runs queued behind it. Sealing is crash-safe at every
   * step: what the child had not finished stays in the journal and is sealed by the next run.
   */
  abort(): void {
    this.again = false;
    this.aborted = true;
    if (this.busyTimer) clearTimeout(this.busyTimer);
    this.busyTimer = null;
    this.child?.kill('SIGKILL');
  }

  private runOnce(compact: boolean): Promise<void> {
    // Starting a process (and DuckDB) costs about a second of CPU: not worth it for nothing.
    if (this.aborted || (!compact && !listSegments(this.dataDir, this.instance).some((s) => !s.open))) return Promise.resolve();
    const started = Date.now();
    this.stats.running = true;
    return new Promise<void>((resolve) => {
      const level = compact ? this.compactZstdLevel() : undefined;
      const args = [CHILD, this.dataDir, this.instance, ...(compact ? ['compact'] : []), ...(level !== undefined ? [String(level)] : [])];
      const child = spawn(process.execPath, args, {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, [PARENT_PID_ENV]: String(process.pid) },
      });
      this.child = child;
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
      child.stderr.on('data', (d: Buffer) => {
        if (err.length < 64 * 1024) err += d.toString('utf8');
      });
      child.on('close', (code) => {
        this.child = null;
        this.stats.running = false;
        this.stats.runs += 1;
        this.stats.lastRunAtMs = started;
        this.stats.lastDurationMs = Date.now() - started;
        let summary: SealSummary | null = null;
        try {
          summary = JSON.parse(out.trim().split('\n').pop() ?? '') as SealSummary;
        } catch {
          summary = null;
        }
        if (this.aborted) {
          this.log.info({ durationMs: Date.now() - started }, 'sealing stopped; what it had not finished stays in the journal');
        } else if (code === 0 && summary) {
          this.stats.lastSummary = summary;
          this.stats.lastError = summary.failures.length ? summary.failures.map((f) => `${f.segment}: ${f.error}`).join('; ') : summary.busy?.length ? `another sealer holds the lock of ${summary.busy.join(', ')}` : null;
          this.log.info({ ...summary, durationMs: this.stats.lastDurationMs }, 'sealed closed journal segments');
          this.retryIfBusy(summary, compact);
        } else {
          this.stats.failedRuns += 1;
          this.stats.lastError = `seal process exited ${code}: ${err.trim().slice(-2000)}`;
          this.log.error({ code, stderr: err.trim().slice(-2000) }, 'sealing failed; the journal segments are kept and retried at the next run');
        }
        if (!this.aborted) this.onDone?.(summary);
        resolve();
      });
    });
  }

  /** Another sealer held the lock: try again shortly (it is usually one that is stopping). */
  private retryIfBusy(summary: SealSummary, compact: boolean): void {
    if (!summary.busy?.length) {
      this.busyRetries = 0;
      return;
    }
    if (this.busyRetries >= SEAL_BUSY_RETRIES || this.busyTimer) return;
    this.busyRetries += 1;
    this.log.info({ busy: summary.busy, retryInMs: SEAL_BUSY_RETRY_MS, attempt: this.busyRetries }, 'another sealer holds the seal lock: trying again shortly');
    this.busyTimer = setTimeout(() => {
      this.busyTimer = null;
      if (!this.aborted) void this.request(compact);
    }, SEAL_BUSY_RETRY_MS);
    this.busyTimer.unref?.();
  }

  /** Waits for the running seal, if any. */
  async idle(): Promise<void> {
    while (this.current) await this.current;
  }
}
