/**
 * /metrics in Prometheus text format (prom-client, a private registry). Hot-path counters live as
 * plain numbers on the recorder's objects; every metric is computed from them at scrape time
 * (`collect`), so recording a frame never touches a label map.
 */
import client from 'prom-client';
import type { HealthDoc } from './health.js';

export interface Metrics {
  registry: client.Registry;
  contentType: string;
  /** Prometheus text of one consistent snapshot. */
  render(): Promise<string>;
}

export function createMetrics(snapshot: () => HealthDoc): Metrics {
  const registry = new client.Registry();
  const streamLabels = ['exchange', 'stream'] as const;
  let doc: HealthDoc | null = null;
  // One snapshot per scrape (render), shared by every collector.
  const get = (): HealthDoc => (doc ??= snapshot());

  new client.Counter({
    name: 'ticktape_frames_total',
    help: 'Data frames received per stream (rotation overlap not counted)',
    labelNames: streamLabels,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of get().streams) this.inc({ exchange: s.exchange, stream: s.stream }, s.frames);
    },
  });
  new client.Gauge({
    name: 'ticktape_stream_last_frame_age_seconds',
    help: 'Seconds since the last data frame of the stream (absent before the first)',
    labelNames: streamLabels,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of get().streams) if (s.last_frame_age_ms !== null) this.set({ exchange: s.exchange, stream: s.stream }, s.last_frame_age_ms / 1000);
    },
  });
  new client.Gauge({
    name: 'ticktape_stream_frames_per_second',
    help: 'Data frames per second of the stream over the last second',
    labelNames: streamLabels,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of get().streams) this.set({ exchange: s.exchange, stream: s.stream }, s.frames_per_s);
    },
  });
  new client.Gauge({
    name: 'ticktape_stream_connected',
    help: '1 when the stream has an open connection',
    labelNames: streamLabels,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of get().streams) this.set({ exchange: s.exchange, stream: s.stream }, s.connected ? 1 : 0);
    },
  });
  new client.Gauge({
    name: 'ticktape_stream_open_gap',
    help: '1 while the stream has an open gap (not being received)',
    labelNames: streamLabels,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of get().streams) this.set({ exchange: s.exchange, stream: s.stream }, s.open_gap ? 1 : 0);
    },
  });
  new client.Gauge({
    name: 'ticktape_stream_live',
    help: '1 when the stream is live: connected, delivering or subscribed, not down, refused, silent or in a gap',
    labelNames: streamLabels,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of get().streams) this.set({ exchange: s.exchange, stream: s.stream }, s.live ? 1 : 0);
    },
  });
  new client.Gauge({
    name: 'ticktape_stream_down',
    help: "1 while the stream's connection fails, labelled with the cause (refused 401, dns, unreachable, closed on open, ...)",
    labelNames: [...streamLabels, 'cause'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of get().streams) if (s.down) this.set({ exchange: s.exchange, stream: s.stream, cause: s.down.cause }, 1);
    },
  });
  new client.Gauge({
    name: 'ticktape_exchange_live_streams',
    help: 'Live streams per exchange (0 with a known cause: the exchange is down and the recorder failing)',
    labelNames: ['exchange'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const e of get().exchanges) this.set({ exchange: e.exchange }, e.live);
    },
  });
  new client.Counter({
    name: 'ticktape_journal_lost_frames_total',
    help: 'Frames of the stream the journal could not write (disk full, I/O error), each loss a journal_loss gap',
    labelNames: streamLabels,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of get().streams) this.inc({ exchange: s.exchange, stream: s.stream }, s.journal_lost_frames);
    },
  });
  new client.Counter({
    name: 'ticktape_gaps_total',
    help: 'Gap records written per stream',
    labelNames: streamLabels,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of get().streams) this.inc({ exchange: s.exchange, stream: s.stream }, s.gaps);
    },
  });
  new client.Counter({
    name: 'ticktape_reconnects_total',
    help: 'Reconnects of the connection carrying the stream',
    labelNames: streamLabels,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of get().streams) this.inc({ exchange: s.exchange, stream: s.stream }, s.reconnects);
    },
  });
  new client.Counter({
    name: 'ticktape_malformed_frames_total',
    help: 'Frames the exchange reader could not parse (kept raw, flagged)',
    labelNames: streamLabels,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of get().streams) this.inc({ exchange: s.exchange, stream: s.stream }, s.malformed);
    },
  });
  new client.Counter({
    name: 'ticktape_alerts_total',
    help: 'Alerts raised (refused or silent subscriptions, rate limits, stale streams)',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(get().alerts_total);
    },
  });
  new client.Counter({
    name: 'ticktape_alerts_by_cause_total',
    help: "Alerts raised per exchange and cause ('' for alerts without one: refused or silent subscriptions, stale streams, rate limits)",
    labelNames: ['exchange', 'cause'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const a of get().alert_counts) this.inc({ exchange: a.exchange, cause: a.cause }, a.count);
    },
  });
  const journal: Array<[string, string, (j: NonNullable<HealthDoc['journal']>) => number]> = [
    ['ticktape_journal_records_appended_total', 'Records handed to the journal', (j) => j.appended],
    ['ticktape_journal_records_written_total', 'Records written to the OS', (j) => j.written],
    ['ticktape_journal_bytes_written_total', 'Bytes written to journal segments', (j) => j.bytes_written],
    ['ticktape_journal_records_lost_total', 'Records the journal could not keep (each covered by a gap)', (j) => j.lost_records],
    ['ticktape_journal_syncs_total', 'fdatasync calls', (j) => j.syncs],
  ];
  for (const [name, help, pick] of journal) {
    new client.Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        const j = get().journal;
        if (j) this.inc(pick(j));
      },
    });
  }
  new client.Gauge({
    name: 'ticktape_disk_free_bytes',
    help: 'Free bytes on the file system of the data folder',
    registers: [registry],
    collect() {
      const d = get().disk;
      if (d) this.set(d.free_bytes);
    },
  });
  new client.Gauge({
    name: 'ticktape_up',
    help: '1 ok, 0.5 degraded, 0 failing',
    registers: [registry],
    collect() {
      const s = get().status;
      this.set(s === 'ok' ? 1 : s === 'degraded' ? 0.5 : 0);
    },
  });
  new client.Gauge({
    name: 'ticktape_seal_runs',
    help: 'Sealing runs since start',
    registers: [registry],
    collect() {
      this.set(get().seal?.runs ?? 0);
    },
  });
  const upload: Array<[string, string, (u: NonNullable<ReturnType<typeof get>['upload']>) => number]> = [
    ['ticktape_upload_backlog_files', 'Sealed files waiting to be shipped to object storage', (u) => u.backlog_files],
    ['ticktape_upload_backlog_bytes', 'Bytes of sealed files waiting to be shipped', (u) => u.backlog_bytes],
    ['ticktape_upload_lag_seconds', 'Age of the oldest sealed file not yet shipped', (u) => u.lag_s],
    ['ticktape_upload_bytes_per_second', 'Throughput of the last upload pass that shipped bytes', (u) => u.bytes_per_s ?? 0],
    ['ticktape_upload_uploaded_bytes', 'Bytes shipped since start', (u) => u.uploaded_bytes],
    ['ticktape_upload_failures', 'Files that failed to ship since start (each attempt)', (u) => u.failures],
  ];
  for (const [name, help, value] of upload) {
    new client.Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        const u = get().upload;
        if (u) this.set(value(u));
      },
    });
  }
  return {
    registry,
    contentType: registry.contentType,
    async render() {
      doc = snapshot();
      try {
        return await registry.metrics();
      } finally {
        doc = null;
      }
    },
  };
}
