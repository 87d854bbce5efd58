/**
 * The /health document: per stream the age of its last data frame, frames/s, reconnects, open gap
 * and alerts; the journal's counters; disk space with a low-disk warning; the sealer's last run.
 * `status` is 'ok', 'degraded' (open gaps, refused or silent streams, low disk, sealing failures)
 * or 'failing' (the journal cannot write); /health answers 503 only for 'failing'.
 */
import type { JournalStats } from '../store/journal/api.js';
import type { Alert } from './alerts.js';
import type { DiskSpace } from './disk.js';
import type { SealRunnerStats } from './seal-runner.js';
import type { StreamState } from './stream-state.js';

export interface HealthInput {
  instance: string;
  startedMs: number;
  nowNs: bigint;
  streams: Array<{ state: StreamState; reconnects: number; connected: boolean; connId: string | null }>;
  alerts: Alert[];
  alertsTotal: number;
  journal: JournalStats | null;
  disk: DiskSpace | null;
  lowDiskBytes: number;
  seal: SealRunnerStats | null;
}

export type HealthStatus = 'ok' | 'degraded' | 'failing';

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
    refused: s.refused,
    silent: s.silent,
  }));
  const lowDisk = h.disk !== null && h.disk.freeBytes < h.lowDiskBytes;
  const journalFailing = h.journal?.diskFull ?? false;
  const degraded =
    lowDisk ||
    streams.some((s) => s.open_gap || s.refused || s.silent) ||
    (h.seal?.lastError ?? null) !== null;
  const status: HealthStatus = journalFailing ? 'failing' : degraded ? 'degraded' : 'ok';
  return {
    status,
    instance: h.instance,
    uptime_s: Math.round((Date.now() - h.startedMs) / 1000),
    streams,
    open_gaps: streams.filter((s) => s.open_gap).length,
    alerts: h.alerts.map((a) => ({ at: new Date(a.atMs).toISOString(), exchange: a.exchange, stream: a.stream, message: a.message, conn_id: a.connId })),
    alerts_total: h.alertsTotal,
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
  };
}

export type HealthDoc = ReturnType<typeof buildHealth>;
