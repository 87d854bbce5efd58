/**
 * The /health document: per stream the age of its last data frame, frames/s, reconnects, open gap
 * and alerts; the journal's counters; disk space with a low-disk warning; the sealer's last run.
 * `status` is 'ok', 'degraded' (open gaps, refused, silent or down streams, low disk, sealing
 * failures) or 'failing' (the journal cannot write, or an exchange has no live stream);
 * /health answers 503 only for 'failing'.
 *
 * A stream is live when its connection is open and it is neither down (its connection fails:
 * refused 401, dns, unreachable, closed on open), refused, silent, nor in an open gap. Before the
 * first connect has an outcome a stream is not live but not known dead either, so an exchange
 * counts as down only when none of its streams is live and at least one has a known cause (down,
 * refused or silent): a start, or the moment between a drop and the reconnect, is not a failure.
 */
import type { JournalStats } from '../store/journal/index.js';
import type { Alert } from './alerts.js';
import type { DiskSpace } from './disk.js';
import type { SealRunnerStats } from './seal-runner.js';
import type { StreamState } from './stream-state.js';
import type { UploadRunnerStats } from './upload-runner.js';

interface HealthInput {
  instance: string;
  startedMs: number;
  nowNs: bigint;
  streams: Array<{ state: StreamState; reconnects: number; connected: boolean; connId: string | null }>;
  alerts: Alert[];
  alertsTotal: number;
  alertCounts?: Array<{ exchange: string; cause: string; count: number }>;
  journal: JournalStats | null;
  disk: DiskSpace | null;
  lowDiskBytes: number;
  seal: SealRunnerStats | null;
  /** Shipping to object storage (`store`), null without one. */
  upload?: UploadRunnerStats | null;
}

type HealthStatus = 'ok' | 'degraded' | 'failing';

export function buildHealth(h: HealthInput) {
  const streams = h.streams.map(({ state: s, reconnects, connected, connId }) => ({
    exchange: s.exchange,
    stream: s.key,
    connected,
    conn_id: connId,
    frames: s.frames,
    frames_per_s: Math.round(s.rate * 10) / 10,
    last_frame_age_ms: s.lastDataNs === null ? null : Number((h.nowNs - s.lastDataNs) / 1_000_000n),
    stale_after_ms: s.staleMs,
    reconnects,
    gaps: s.gaps,
    malformed: s.malformed,
    open_gap: s.openGap ? { since_ns: String(s.openGap.startNs), cause: s.openGap.cause, detail: s.openGap.detail } : null,
    journal_lost_frames: s.journalLostFrames,
    refused: s.refused,
    silent: s.silent,
    down: s.down ? { cause: s.down.cause, detail: s.down.detail, since: new Date(s.down.sinceMs).toISOString(), attempts: s.down.attempts } : null,
    live: connected && !s.down && !s.refused && !s.silent && !s.openGap,
  }));
  const byExchange = new Map<string, typeof streams>();
  for (const s of streams) byExchange.set(s.exchange, [...(byExchange.get(s.exchange) ?? []), s]);
  const exchanges = [...byExchange].map(([exchange, list]) => {
    const live = list.filter((s) => s.live).length;
    const known = list.some((s) => s.down || s.refused || s.silent);
    return { exchange, streams: list.length, live, down: live === 0 && known };
  });
  const lowDisk = h.disk !== null && h.disk.freeBytes < h.lowDiskBytes;
  const journalFailing = h.journal?.diskFull ?? false;
  const degraded = lowDisk || streams.some((s) => s.open_gap || s.refused || s.silent || s.down) || (h.seal?.lastError ?? null) !== null || (h.upload?.lastError ?? null) !== null;
  const exchangesDown = exchanges.filter((e) => e.down).map((e) => e.exchange);
  const status: HealthStatus = journalFailing || exchangesDown.length ? 'failing' : degraded ? 'degraded' : 'ok';
  return {
    status,
    instance: h.instance,
    uptime_s: Math.round((Date.now() - h.startedMs) / 1000),
    streams,
    exchanges,
    /** Exchanges with no live stream: the recorder is failing them. */
    exchanges_down: exchangesDown,
    open_gaps: streams.filter((s) => s.open_gap).length,
    alerts: h.alerts.map((a) => ({ at: new Date(a.atMs).toISOString(), exchange: a.exchange, stream: a.stream, message: a.message, conn_id: a.connId, cause: a.cause ?? null })),
    alerts_total: h.alertsTotal,
    alert_counts: h.alertCounts ?? [],
    journal: h.journal
      ? {
          appended: h.journal.appended,
          written: h.journal.written,
          bytes_written: h.journal.bytesWritten,
          lost_records: h.journal.lostRecords,
          syncs: h.journal.syncs,
          last_sync_ns: h.journal.lastSyncNs === null ? null : String(h.journal.lastSyncNs),
          segment: h.journal.segment,
          disk_full: h.journal.diskFull,
        }
      : null,
    disk: h.disk ? { free_bytes: h.disk.freeBytes, total_bytes: h.disk.totalBytes, low: lowDisk, warning: lowDisk ? `less than ${(h.lowDiskBytes / 1024 ** 3).toFixed(1)} GB free: free space or lower retention` : null } : null,
    seal: h.seal
      ? {
          runs: h.seal.runs,
          failed_runs: h.seal.failedRuns,
          running: h.seal.running,
          last_run: h.seal.lastRunAtMs === null ? null : new Date(h.seal.lastRunAtMs).toISOString(),
          last_duration_ms: h.seal.lastDurationMs,
          last_error: h.seal.lastError,
        }
      : null,
    upload: h.upload
      ? {
          url: h.upload.url,
          endpoint: h.upload.endpoint,
          running: h.upload.running,
          backlog_files: h.upload.backlogFiles,
          backlog_bytes: h.upload.backlogBytes,
          lag_s: h.upload.lagS,
          bytes_per_s: h.upload.lastBytesPerS,
          uploaded_files: h.upload.uploadedFiles,
          uploaded_bytes: h.upload.uploadedBytes,
          failures: h.upload.failures,
          failed_passes: h.upload.failedPasses,
          deleted_local_files: h.upload.deletedLocalFiles,
          last_success: h.upload.lastSuccessMs === null ? null : new Date(h.upload.lastSuccessMs).toISOString(),
          last_error: h.upload.lastError,
        }
      : null,
  };
}

export type HealthDoc = ReturnType<typeof buildHealth>;
