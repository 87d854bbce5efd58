/**
 * The recorder's shipping loop: after each seal (and every UPLOAD_INTERVAL_MS) it ships the sealed
 * partitions to the configured store (store/remote/uploader.ts) and deletes local copies that were
 * verified and committed at least `store.keepLocalDays` ago. It runs in the recorder process — the
 * work is network I/O and streamed hashing, none of it blocks the event loop — and never stops
 * recording: a store that cannot be reached is retried with backoff while the backlog waits on disk.
 *
 * Before the backlog fills the disk, an alert is raised: when files wait to be shipped and free
 * space falls below BACKLOG_ALERT_FACTOR × the low-disk threshold — well before the journal could
 * lose a write.
 */
import fs from 'node:fs';
import type { Logger } from '../core/log.js';
import { openRemoteStore, type RemoteStore } from '../store/remote/s3-client.js';
import { describeStore, type RemoteStoreConfig } from '../store/remote/store-config.js';
import { pruneShipped, uploadBacklog, uploadStore } from '../store/remote/uploader.js';
import { listPartitionFiles } from '../store/partitions.js';

/** A pass runs at least this often even without a seal (a failed pass is retried sooner, with backoff). */
const UPLOAD_INTERVAL_MS = 60_000;
const UPLOAD_RETRY_MIN_MS = 2_000;
const UPLOAD_RETRY_MAX_MS = 300_000;
/** The backlog alert fires below this many times the low-disk threshold of free space. */
const BACKLOG_ALERT_FACTOR = 2;

export interface UploadRunnerStats {
  url: string;
  endpoint: string | null;
  running: boolean;
  passes: number;
  failedPasses: number;
  /** Files that failed to ship (each attempt counts). */
  failures: number;
  uploadedFiles: number;
  uploadedBytes: number;
  /** Throughput of the last pass that shipped bytes. */
  lastBytesPerS: number | null;
  backlogFiles: number;
  backlogBytes: number;
  /** Age of the oldest sealed file not yet shipped, seconds (0 with no backlog). */
  lagS: number;
  deletedLocalFiles: number;
  lastSuccessMs: number | null;
  lastError: string | null;
}

export class UploadRunner {
  readonly stats: UploadRunnerStats;
  private store: RemoteStore;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private retryMs = UPLOAD_RETRY_MIN_MS;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly interval: NodeJS.Timeout;

  constructor(
    private readonly dataDir: string,
    private cfg: RemoteStoreConfig,
    private readonly log: Logger,
    private readonly onAlert: (message: string) => void = () => {},
    private readonly freeBytes: () => number | null = () => null,
    private readonly lowDiskBytes = 0,
  ) {
    this.store = openRemoteStore(cfg);
    this.stats = { ...this.blankStats(), url: cfg.url, endpoint: cfg.endpoint ?? null };
    this.interval = setInterval(() => this.request(), UPLOAD_INTERVAL_MS);
    this.interval.unref?.();
    this.refreshBacklog();
    log.info(describeStore(cfg), 'shipping sealed partitions to object storage');
  }

  private blankStats(): UploadRunnerStats {
    return {
      url: '',
      endpoint: null,
      running: false,
      passes: 0,
      failedPasses: 0,
      failures: 0,
      uploadedFiles: 0,
      uploadedBytes: 0,
      lastBytesPerS: null,
      backlogFiles: 0,
      backlogBytes: 0,
      lagS: 0,
      deletedLocalFiles: 0,
      lastSuccessMs: null,
      lastError: null,
    };
  }

  /** A new store configuration (reload): the next pass uses it. */
  update(cfg: RemoteStoreConfig): void {
    if (JSON.stringify(cfg) === JSON.stringify(this.cfg)) return;
    this.store.close();
    this.cfg = cfg;
    this.store = openRemoteStore(cfg);
    this.stats.url = cfg.url;
    this.stats.endpoint = cfg.endpoint ?? null;
  }

  /** Runs a pass now (or right after the one in progress). */
  request(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pass().finally(() => {
      this.running = null;
      if (this.again && !this.stopped) {
        this.again = false;
        this.request();
      }
    });
  }

  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private refreshBacklog(): void {
    try {
      const b = uploadBacklog(this.dataDir, this.cfg.url);
      this.stats.backlogFiles = b.files;
      this.stats.backlogBytes = b.bytes;
      let oldest = Infinity;
      if (b.files) {
        for (const f of listPartitionFiles(this.dataDir)) {
          try {
            oldest = Math.min(oldest, fs.statSync(f.path).mtimeMs);
          } catch {
            /* deleted meanwhile */
          }
        }
      }
      this.stats.lagS = b.files && Number.isFinite(oldest) ? Math.max(0, Math.round((Date.now() - oldest) / 1000)) : 0;
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'upload backlog could not be measured');
    }
    const free = this.freeBytes();
    if (this.stats.backlogFiles > 0 && free !== null && free < BACKLOG_ALERT_FACTOR * this.lowDiskBytes) {
      this.onAlert(`upload backlog of ${this.stats.backlogFiles} file(s) (${(this.stats.backlogBytes / 1e6).toFixed(0)} MB) is filling the disk: ${(free / 1024 ** 3).toFixed(1)} GB free; ${this.stats.lastError ?? 'the store is behind'}`);
    }
  }

  private async pass(): Promise<void> {
    this.stats.running = true;
    this.stats.passes++;
    try {
      const r = await uploadStore(this.dataDir, this.store, { log: this.log });
      this.stats.uploadedFiles += r.uploaded + r.adopted;
      this.stats.uploadedBytes += r.bytes;
      if (r.bytes > 0) this.stats.lastBytesPerS = Math.round(r.bytes / Math.max(r.elapsedMs / 1000, 0.001));
      this.stats.failures += r.failures.length;
      const pruned = pruneShipped(this.dataDir, this.cfg.url, this.cfg.keepLocalDays);
      this.stats.deletedLocalFiles += pruned.deleted;
      if (pruned.deleted) this.log.info({ files: pruned.deleted, bytes: pruned.bytes }, 'deleted local copies of shipped partitions (older than store.keepLocalDays)');
      if (r.failures.length) throw new Error(`${r.failures.length} file(s) failed: ${r.failures[0].message}`);
      this.stats.lastError = null;
      this.stats.lastSuccessMs = Date.now();
      this.retryMs = UPLOAD_RETRY_MIN_MS;
    } catch (err) {
      this.stats.failedPasses++;
      this.stats.lastError = (err as Error).message;
      this.log.warn({ url: this.cfg.url, err: (err as Error).message, retryInMs: this.retryMs }, 'upload failed; the files wait on disk and are retried');
      this.scheduleRetry();
    } finally {
      this.stats.running = false;
      this.refreshBacklog();
    }
  }

  private scheduleRetry(): void {
    if (this.stopped || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.request();
    }, this.retryMs);
    this.retryTimer.unref?.();
    this.retryMs = Math.min(UPLOAD_RETRY_MAX_MS, this.retryMs * 2);
  }

  /** Stops scheduling; a pass in progress is left to finish or be cut by the exit (uploads are crash-safe). */
  stop(): void {
    this.stopped = true;
    clearInterval(this.interval);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.store.close();
  }
}
