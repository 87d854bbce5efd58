/**
 * The recorder daemon: opens the journal (which recovers what a crash left), starts one
 * ConnectionGroup per planned connection, and runs the periodic work around them — clock events,
 * the last-seen state that turns downtime into gap rows, sealing in a child process, retention,
 * /health and /metrics, the live status lines. `reload()` applies a new config without dropping the
 * streams it keeps; `stop()` closes sockets, journal and seals everything.
 */
import fs from 'node:fs';
import { nowNs } from '../core/clock.js';
import { TicktapeError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { exchangeModule } from '../exchanges/registry.js';
import type { ExchangeId, StreamSpec } from '../exchanges/types.js';
import { listSegments, openJournalWriter } from '../store/journal/index.js';
import type { JournalLoss, JournalWriterHandle } from '../store/journal/index.js';
import type { TapeRecord } from '../schemas/record.js';
import { AlertLog } from './alerts.js';
import { clockPayload, queryNtpStatus, type NtpStatus } from './clock-probe.js';
import { CRASH_SCAN_MARGIN_NS, frameKeyOf, scanCrashPoints, type CrashScan } from './crash-points.js';
import { demoPlans, type ExchangePlan, type RecorderConfig } from './config.js';
import { ConnIdFactory } from './conn-id.js';
import { ConnectGate } from './connect-gate.js';
import type { Connection, RecordSink } from './connection.js';
import { ConnectionGroup } from './connection-group.js';
import { diskSpace } from './disk.js';
import { endpointUrl, matchGroups, planGroups, type PlannedGroup } from './group-plan.js';
import { buildHealth, type HealthDoc } from './health.js';
import { startHttp, type RecorderHttp } from './http-server.js';
import { resolveInstanceId } from './instance-id.js';
import { LAST_SEEN_INTERVAL_MS, lastSeenKey, lastSeenPath, readLastSeen, writeLastSeen, type LastSeen } from './last-seen.js';
import { createMetrics, type Metrics } from './metrics.js';
import { applyRetention } from './retention.js';
import { SealRunner } from './seal-runner.js';
import { UploadRunner } from './upload-runner.js';
import { startInProcessSimulator, type InProcessSimulator } from './simulator-source.js';
import { StatusLine } from './status-line.js';
import { StreamState, staleThresholdMs } from './stream-state.js';

/** Per-stream frames/s is sampled this often. */
const RATE_SAMPLE_INTERVAL_MS = 1_000;
/** Records appended before the recorder forces a journal write within the same event-loop turn. */
const MAX_UNFLUSHED_RECORDS = 1024;
/** Sealing at shutdown is tried this many times before the journal is left for the next start. */
const SHUTDOWN_SEAL_ATTEMPTS = 2;
const SHUTDOWN_SEAL_RETRY_DELAY_MS = 500;
/** NTP status is asked of the OS at most this often. */
const NTP_REFRESH_MS = 10 * 60_000;
const GB = 1024 ** 3;

interface RecorderOptions {
  config: RecorderConfig;
  log: Logger;
  /** Where to draw the live status lines (a TTY), or null. */
  statusStream?: NodeJS.WriteStream | null;
  /** Wraps the journal sink (benchmarks measure arrival → journal delay through it). */
  wrapSink?: (sink: RecordSink, journal: JournalWriterHandle) => RecordSink;
}

interface GroupEntry {
  group: ConnectionGroup;
  plan: ExchangePlan;
}

/** Start time of a journal segment from its file name (`<yyyymmddThhmmssZ>-...`), or null. */
export function segmentStartMs(segmentPath: string | null): number | null {
  const m = segmentPath ? /(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z-[^/]*$/.exec(segmentPath) : null;
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : null;
}

export class Recorder {
  readonly instance: string;
  readonly startedMs = Date.now();
  http: RecorderHttp | null = null;
  simulator: InProcessSimulator | null = null;
  private config: RecorderConfig;
  private readonly log: Logger;
  private readonly journal: JournalWriterHandle;
  private readonly sink: RecordSink;
  private readonly connIds: ConnIdFactory;
  private readonly groups = new Set<GroupEntry>();
  private readonly streams = new Map<string, StreamState>();
  private readonly gates = new Map<string, ConnectGate>();
  private readonly alerts = new AlertLog();
  private readonly sealer: SealRunner;
  /** Ships sealed partitions to `store` (null without one). */
  private uploader: UploadRunner | null = null;
  private readonly metrics: Metrics;
  private readonly lastSeenFile: string;
  private readonly previous: LastSeen | null;
  private crash: CrashScan | null = null;
  private ntp: NtpStatus = { synced: null };
  private ntpAtMs = 0;
  private timers: NodeJS.Timeout[] = [];
  private statusLine: StatusLine | null = null;
  private stopping: Promise<void> | null = null;
  /** The runner of the final seal of a stop, while it runs. */
  private shutdownSealer: SealRunner | null = null;
  private lastSealDay = new Date().toISOString().slice(0, 10);

  private constructor(opts: RecorderOptions, instance: string, journal: JournalWriterHandle) {
    this.config = opts.config;
    this.log = opts.log;
    this.instance = instance;
    this.journal = journal;
    // The journal writes once per event-loop turn; under a burst one turn can read thousands of
    // frames from a socket, so the recorder also flushes every MAX_UNFLUSHED_RECORDS records to bound
    // how long a received frame waits before it would survive a crash.
    let unflushed = 0;
    const base: RecordSink = {
      append: (rec: TapeRecord) => {
        journal.append(rec);
        if (++unflushed >= MAX_UNFLUSHED_RECORDS) {
          unflushed = 0;
          journal.flush();
        }
      },
    };
    this.sink = opts.wrapSink ? opts.wrapSink(base, journal) : base;
    this.connIds = new ConnIdFactory(instance, this.startedMs);
    this.sealer = new SealRunner(
      opts.config.dataDir,
      instance,
      opts.log,
      () => this.afterSeal(),
      () => this.config.compactZstdLevel,
    );
    this.metrics = createMetrics(() => this.health());
    this.lastSeenFile = lastSeenPath(opts.config.dataDir, instance);
    this.previous = readLastSeen(this.lastSeenFile);
    if (opts.statusStream) this.statusLine = new StatusLine(opts.statusStream, () => this.health());
  }

  static async start(opts: RecorderOptions): Promise<Recorder> {
    const cfg = opts.config;
    try {
      fs.mkdirSync(cfg.dataDir, { recursive: true });
      fs.accessSync(cfg.dataDir, fs.constants.W_OK);
    } catch (err) {
      throw new TicktapeError('TT_DATA_DIR', `Data folder ${cfg.dataDir} is not writable: ${(err as Error).message}. Create it or pick another with --data.`, { dataDir: cfg.dataDir });
    }
    const instance = resolveInstanceId(cfg.dataDir, cfg.instance);
    let rec: Recorder | null = null;
    const journal = openJournalWriter({
      dataDir: cfg.dataDir,
      instance,
      fsyncIntervalMs: cfg.fsyncIntervalMs,
      // Segments must close at least as often as we seal, or there is nothing to seal.
      segmentMaxAgeMs: Math.min(3_600_000, cfg.sealIntervalMs),
      onError: (err) => opts.log.error({ err: err.message }, 'journal write failed; the loss is recorded as a gap when writes succeed again'),
      onResumed: (losses) => rec?.journalResumed(losses),
      onSegmentClosed: (p) => {
        opts.log.debug({ segment: p }, 'journal segment closed');
        rec?.requestSeal();
      },
    });
    rec = new Recorder(opts, instance, journal);
    try {
      await rec.begin();
    } catch (err) {
      await rec.stop({ seal: false }).catch(() => undefined);
      throw err;
    }
    return rec;
  }

  private async begin(): Promise<void> {
    const cfg = this.config;
    this.log.info({ instance: this.instance, dataDir: cfg.dataDir, previousRun: this.previous ? (this.previous.clean ? 'clean stop' : 'unclean stop') : 'none' }, 'recorder starting');
    let plans = cfg.exchanges;
    if (cfg.simulate) {
      this.simulator = await startInProcessSimulator(cfg.simulate);
      const base = `ws://127.0.0.1:${this.simulator.port}`;
      this.log.info({ url: base }, 'simulator started in-process');
      plans = plans.length ? plans.map((p) => ({ ...p, baseUrl: p.baseUrl ?? base })) : demoPlans(this.simulator.instruments, base);
    }
    this.config = { ...cfg, exchanges: plans };
    // HTTP first: a taken address fails the start before any socket is opened.
    if (cfg.http) {
      this.http = await startHttp(cfg.http.host, cfg.http.port, {
        health: () => this.health(),
        metrics: this.metrics,
        rotate: (ex) => this.rotate(ex),
        controlToken: () => this.config.controlToken,
        refused: (path, message, origin) => this.log.warn({ path, origin, reason: message }, 'control request refused'),
      });
      this.log.info({ http: `http://${this.http.address.host}:${this.http.address.port}`, port: this.http.address.port }, 'http listening (/health, /metrics)');
    }
    void this.refreshNtp();
    for (const plan of plans) for (const g of planGroups(plan, exchangeModule(plan.id))) this.startGroup(plan, g);
    // saved at once, not only after the first interval: a crash within it must still leave the
    // streams of this run (and the previous run's last frames) for the next start to open gaps from
    this.saveLastSeen(false);
    this.every(LAST_SEEN_INTERVAL_MS, () => this.saveLastSeen(false));
    this.every(RATE_SAMPLE_INTERVAL_MS, () => {
      const t = Date.now();
      for (const s of this.streams.values()) s.sampleRate(t);
    });
    this.every(cfg.clockIntervalMs, () => this.writeClockEvents());
    this.every(cfg.sealIntervalMs, () => this.scheduledSeal());
    if (cfg.store) this.startUploader(cfg.store);
    // Whatever a previous run left closed (or recovery closed) is sealed now, in the background.
    this.requestSeal();
    this.statusLine?.start();
    this.log.info({ connections: this.groups.size, streams: this.streams.size }, 'recording');
  }

  private every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms);
    t.unref?.();
    this.timers.push(t);
  }

  private gate(exchange: string): ConnectGate {
    let g = this.gates.get(exchange);
    if (!g) {
      g = new ConnectGate(this.config.staggerMs);
      this.gates.set(exchange, g);
    }
    return g;
  }

  /** The state of a stream, created on first use; a stream the last run recorded opens with a restart gap. */
  private streamState(plan: ExchangePlan, spec: StreamSpec): StreamState {
    const key = lastSeenKey(plan.id, spec.key);
    const threshold = staleThresholdMs(spec, this.config.staleFactor, this.config.staleMinMs, plan.staleMs[spec.key]);
    let st = this.streams.get(key);
    if (st) {
      st.spec = spec;
      st.staleMs = threshold;
      return st;
    }
    st = new StreamState(spec, plan.id, threshold);
    const restart = this.restartPoint(plan, spec, key);
    if (restart) {
      if (restart.seq !== null) {
        st.lastSeq = restart.seq;
        // What the last run recorded is not accepted twice if the exchange replays it.
        st.cursor.seq = restart.seq;
      }
      if (restart.tsMs !== null) {
        st.cursor.tsMs = restart.tsMs;
        st.cursor.connId = 'previous-run';
      }
      st.openGap = { startNs: restart.startNs, cause: 'disconnect', detail: restart.detail, lastSeq: restart.seq };
    }
    this.streams.set(key, st);
    return st;
  }

  /**
   * Where a stream the previous run recorded resumes: its restart gap starts at the last point the
   * recording is known complete. After a clean stop that is the state file's last frame. After a
   * crash it is the last record, in the journal, of the connection that carried the stream
   * (crash-points.ts), so no recorded frame lies inside the gap and `lost_frames` counts only what
   * the journal lacks. A stream subscribed but without data before the crash starts at the last
   * state save (or at its first frame in the journal after it). Null for a stream new to this run.
   */
  private restartPoint(plan: ExchangePlan, spec: StreamSpec, key: string): { startNs: bigint; seq: number | null; tsMs: number | null; detail: string } | null {
    const prevRun = this.previous;
    if (!prevRun) return null;
    const prev = prevRun.streams[key];
    if (prevRun.clean) {
      return prev ? { startNs: BigInt(prev.last_ns), seq: prev.last_seq, tsMs: typeof prev.last_ts_ms === 'number' ? prev.last_ts_ms : null, detail: 'recorder was not running' } : null;
    }
    if (!prev && !prevRun.subscribed?.includes(key)) return null;
    const scan = this.crashScan();
    const seen = scan.lastData.get(key);
    const detail = 'recorder stopped unexpectedly (crash or kill); the gap starts at the last record of its connection in the journal';
    if (seen && (!prev || seen.recvNs >= BigInt(prev.last_ns))) {
      const conn = (scan.lastKept.get(key) ?? seen).connId;
      const connEnd = scan.connLastNs.get(conn) ?? seen.recvNs;
      const k = frameKeyOf(exchangeModule(plan.id), spec, seen, plan.credentials);
      return {
        startNs: connEnd > seen.recvNs ? connEnd : seen.recvNs,
        seq: k.seq ?? prev?.last_seq ?? null,
        tsMs: k.tsMs ?? (typeof prev?.last_ts_ms === 'number' ? prev.last_ts_ms : null),
        detail,
      };
    }
    if (prev) {
      const lastNs = BigInt(prev.last_ns);
      const connEnd = prev.last_conn ? scan.connLastNs.get(prev.last_conn) : undefined;
      return { startNs: connEnd !== undefined && connEnd > lastNs ? connEnd : lastNs, seq: prev.last_seq, tsMs: typeof prev.last_ts_ms === 'number' ? prev.last_ts_ms : null, detail };
    }
    return { startNs: BigInt(prevRun.written_ns), seq: null, tsMs: null, detail: 'recorder stopped unexpectedly (crash or kill); no data of this stream before its last state save or in the journal after it' };
  }

  /** The crashed run's journal tail, read once (the first stream that needs it). */
  private crashScan(): CrashScan {
    if (!this.crash) {
      const since = BigInt(this.previous!.written_ns) - BigInt(LAST_SEEN_INTERVAL_MS) * 1_000_000n - CRASH_SCAN_MARGIN_NS;
      const started = Date.now();
      this.crash = scanCrashPoints(this.config.dataDir, this.instance, since);
      this.log.info({ segments: this.crash.segments, streams: this.crash.lastData.size, connections: this.crash.connLastNs.size, durationMs: Date.now() - started }, 'read the end of the crashed run from the journal');
    }
    return this.crash;
  }

  private startGroup(plan: ExchangePlan, planned: PlannedGroup): GroupEntry {
    const mod = exchangeModule(plan.id);
    const entry: GroupEntry = { plan, group: null as unknown as ConnectionGroup };
    for (const s of planned.streams) this.streamState(plan, s);
    entry.group = new ConnectionGroup(
      {
        module: mod,
        endpoint: planned.endpoint,
        endpointUrl: endpointUrl(plan, mod, planned.endpoint),
        credentials: plan.credentials,
        connIds: this.connIds,
        sink: this.sink,
        log: this.log,
        gate: this.gate(plan.id),
        settings: { backoff: this.config.backoff, handoffTimeoutMs: this.config.handoffTimeoutMs, rotateAfterMs: plan.rotateAfterMs },
        stream: (spec) => this.streamState(entry.plan, spec),
        alert: (exchange, stream, message, conn, cause) => this.alert(exchange, stream, message, conn, cause),
        onConnectionOpen: (conn) => conn.event('clock', '', clockPayload(this.ntp)),
      },
      planned.streams,
    );
    this.groups.add(entry);
    entry.group.start();
    return entry;
  }

  private alert(exchange: string, stream: string, message: string, conn: Connection | null, cause?: string): void {
    this.alerts.add({ atMs: Date.now(), exchange, stream, message, connId: conn?.connId ?? null, ...(cause ? { cause } : {}) });
    this.log.warn({ exchange, stream, connId: conn?.connId, alert: message, ...(cause ? { cause } : {}) }, 'alert');
    conn?.event('alert', stream, { message, stream, ...(cause ? { cause } : {}) });
  }

  // ---------------------------------------------------------------------------------------------
  // Periodic work

  private async refreshNtp(): Promise<void> {
    this.ntpAtMs = Date.now();
    this.ntp = await queryNtpStatus();
  }

  private writeClockEvents(): void {
    if (Date.now() - this.ntpAtMs > NTP_REFRESH_MS) void this.refreshNtp();
    const payload = clockPayload(this.ntp);
    for (const { group } of this.groups) for (const c of group.connections()) if (c.state === 'open') c.event('clock', '', payload);
  }

  private saveLastSeen(clean: boolean): void {
    const doc: LastSeen = { version: 1, clean, written_ns: String(nowNs()), streams: { ...(this.previous?.streams ?? {}) }, subscribed: [...this.streams.keys()] };
    for (const [key, st] of this.streams) {
      if (st.lastDataNs !== null) doc.streams[key] = { last_ns: String(st.lastDataNs), last_seq: st.lastSeq, last_ts_ms: st.cursor.tsMs, last_conn: st.lastConnId };
    }
    try {
      writeLastSeen(this.lastSeenFile, doc);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'cannot write the last-seen state');
    }
  }

  /** Writes succeed again after a full disk or an I/O error: say so, and count the gaps per stream. */
  private journalResumed(losses: JournalLoss[]): void {
    let frames = 0;
    for (const l of losses) {
      frames += l.frames;
      if (!l.stream) continue;
      const st = this.streams.get(lastSeenKey(l.exchange, l.stream));
      if (!st) continue;
      st.gaps += 1;
      st.journalLostFrames += l.frames;
    }
    this.log.warn(
      { lostRecords: frames, gaps: losses.length, streams: new Set(losses.filter((l) => l.stream).map((l) => lastSeenKey(l.exchange, l.stream))).size, lostRecordsTotal: this.journal.stats().lostRecords },
      'journal writes resumed; what could not be written is recorded as journal_loss gaps',
    );
  }

  requestSeal(): void {
    if (this.stopping) return;
    void this.sealer.request();
  }

  private scheduledSeal(): void {
    // The journal closes segments by size and at the hour as records arrive; when traffic is thin a
    // segment can stay open for long. Close it here once it is at least one seal interval old.
    const started = segmentStartMs(this.journal.stats().segment);
    if (started !== null && Date.now() - started >= this.config.sealIntervalMs) this.journal.rotate();
    const today = new Date().toISOString().slice(0, 10);
    const newDay = today !== this.lastSealDay;
    this.lastSealDay = today;
    void this.sealer.request(newDay);
  }

  private startUploader(store: NonNullable<RecorderConfig['store']>): void {
    let lastAlertMs = 0;
    this.uploader = new UploadRunner(
      this.config.dataDir,
      store,
      this.log,
      (message) => {
        // One alert per 10 minutes while the condition lasts: visible, not a flood.
        if (Date.now() - lastAlertMs < 600_000) return;
        lastAlertMs = Date.now();
        this.log.error({ url: store.url }, message);
        this.alerts.add({ atMs: Date.now(), exchange: '', stream: '', message, connId: null, cause: 'upload backlog' });
      },
      () => diskSpace(this.config.dataDir)?.freeBytes ?? null,
      this.config.lowDiskGb * GB,
    );
    this.uploader.request();
  }

  private afterSeal(): void {
    this.uploader?.request();
    const { days, maxGb } = this.config.retention;
    if (days === null && maxGb === null) return;
    try {
      const r = applyRetention(this.config.dataDir, this.config.retention);
      if (r.deletedFiles) this.log.info({ ...r }, 'retention: deleted sealed partitions');
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'retention failed');
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Observability

  health(): HealthDoc {
    const streams: Parameters<typeof buildHealth>[0]['streams'] = [];
    const seen = new Set<string>();
    for (const { group } of this.groups) {
      const conn = group.primary;
      for (const spec of group.streams) {
        const key = lastSeenKey(group.exchange, spec.key);
        const st = this.streams.get(key);
        if (!st || seen.has(key)) continue;
        seen.add(key);
        streams.push({ state: st, reconnects: group.reconnects, connected: conn?.state === 'open', connId: conn?.connId ?? null });
      }
    }
    return buildHealth({
      instance: this.instance,
      startedMs: this.startedMs,
      nowNs: nowNs(),
      streams,
      alerts: this.alerts.recent(),
      alertsTotal: this.alerts.total,
      alertCounts: this.alerts.counts(),
      journal: this.journal.stats(),
      disk: diskSpace(this.config.dataDir),
      lowDiskBytes: this.config.lowDiskGb * GB,
      seal: this.sealer.stats,
      upload: this.uploader?.stats ?? null,
    });
  }

  /** Starts a make-before-break rotation of every connection (of one exchange). Returns how many. */
  rotate(exchange: string | null): number {
    let n = 0;
    for (const { group } of this.groups) if ((!exchange || group.exchange === exchange) && group.rotate('requested')) n += 1;
    return n;
  }

  // ---------------------------------------------------------------------------------------------
  // Reload and stop

  /** Applies a new configuration: streams kept stay up, added ones are subscribed, removed ones dropped. */
  reload(next: RecorderConfig): { added: number; removed: number; kept: number } {
    // These shape objects built at start (journal, timers, HTTP server, existing connections).
    const ignored = (['dataDir', 'instance', 'http', 'fsyncIntervalMs', 'sealIntervalMs', 'clockIntervalMs', 'backoff', 'handoffTimeoutMs'] as const).filter(
      (k) => JSON.stringify(next[k]) !== JSON.stringify(this.config[k]) && !(k === 'instance' && next.instance === null),
    );
    if (ignored.length) this.log.warn({ fields: ignored }, 'reload: these settings apply only after a restart');
    let plans = next.exchanges;
    if (this.simulator) {
      const base = `ws://127.0.0.1:${this.simulator.port}`;
      plans = plans.length ? plans.map((p) => ({ ...p, baseUrl: p.baseUrl ?? base })) : demoPlans(this.simulator.instruments, base);
    }
    this.config = { ...next, dataDir: this.config.dataDir, instance: this.config.instance, http: this.config.http, exchanges: plans };
    for (const g of this.gates.values()) g.setStagger(next.staggerMs);
    if (next.store && this.uploader) this.uploader.update(next.store);
    else if (next.store) this.startUploader(next.store);
    else if (this.uploader) {
      this.uploader.stop();
      this.uploader = null;
    }
    const before = new Set(this.streams.keys());
    const planned: Array<{ plan: ExchangePlan; g: PlannedGroup }> = [];
    for (const plan of plans) for (const g of planGroups(plan, exchangeModule(plan.id))) planned.push({ plan, g });
    const existing = [...this.groups].map((e) => ({ exchange: e.group.exchange, endpoint: e.group.endpoint, keys: new Set(e.group.streams.map((s) => s.key)), entry: e }));
    const m = matchGroups(
      existing,
      planned.map((p) => p.g),
    );
    const planOf = (g: PlannedGroup) => planned.find((p) => p.g === g)!.plan;
    for (const { existing: e, next: g } of m.keep) {
      e.entry.plan = planOf(g);
      for (const s of g.streams) this.streamState(e.entry.plan, s);
      e.entry.group.update(g.streams);
    }
    for (const g of m.create) this.startGroup(planOf(g), g);
    for (const e of m.remove) {
      this.groups.delete(e.entry);
      void e.entry.group.stop('stream removed by reload');
    }
    const wanted = new Set(planned.flatMap((p) => p.g.streams.map((s) => lastSeenKey(p.plan.id, s.key))));
    let removed = 0;
    for (const key of before) {
      if (!wanted.has(key)) {
        this.streams.delete(key);
        removed += 1;
      }
    }
    const added = [...wanted].filter((k) => !before.has(k)).length;
    const result = { added, removed, kept: wanted.size - added };
    this.log.info(result, 'configuration reloaded');
    return result;
  }

  /** Stops sockets, flushes and closes the journal, seals everything (unless told not to). */
  stop(opts: { seal?: boolean } = {}): Promise<void> {
    this.stopping ??= this.doStop(opts.seal ?? this.config.sealAtShutdown);
    return this.stopping;
  }

  private async doStop(seal: boolean): Promise<void> {
    this.log.info('stopping: closing connections');
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.uploader?.stop();
    this.statusLine?.stop();
    await Promise.all([...this.groups].map((e) => e.group.stop()));
    this.saveLastSeen(true);
    await this.journal.close();
    // Sealing gets a budget: a stop must end in seconds whatever the backlog. The journal is as safe
    // as Parquet; what is not sealed in time is sealed at the next start (or by `ticktape seal`).
    const budgetMs = this.config.sealShutdownBudgetMs;
    const deadline = Date.now() + budgetMs;
    const inTime = async (runner: SealRunner, work: Promise<void>): Promise<boolean> => {
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<false>((r) => (timer = setTimeout(() => r(false), Math.max(0, deadline - Date.now()))));
      const ok = await Promise.race([work.then(() => true as const), expired]);
      clearTimeout(timer);
      if (!ok) {
        runner.abort();
        await runner.idle();
        const left = listSegments(this.config.dataDir, this.instance).length;
        this.log.warn({ budgetMs, segmentsLeft: left }, 'sealing did not finish within seal.shutdownBudgetMs; the rest stays in the journal and is sealed at the next start (or by `ticktape seal`)');
      }
      return ok;
    };
    let sealing = await inTime(this.sealer, this.sealer.idle());
    // no more background runs (a retry of a busy run would race the final seal for the lock)
    this.sealer.abort();
    if (seal && sealing) {
      this.log.info('sealing the journal');
      const runner = new SealRunner(this.config.dataDir, this.instance, this.log);
      this.shutdownSealer = runner;
      for (let attempt = 1; attempt <= SHUTDOWN_SEAL_ATTEMPTS && sealing; attempt++) {
        sealing = await inTime(runner, runner.request());
        if (!sealing || !runner.stats.lastError) break;
        this.log.warn({ attempt, error: runner.stats.lastError }, 'sealing at shutdown failed; the journal is kept (and sealed at the next start)');
        await new Promise((r) => setTimeout(r, SHUTDOWN_SEAL_RETRY_DELAY_MS));
      }
    }
    await this.http?.close();
    await this.simulator?.close();
    this.log.info('stopped');
  }

  /**
   * Kills any seal child now (synchronously), for a process about to exit without a full stop (a
   * second signal, a stop that took too long). Sealing is crash-safe: what it had not finished stays
   * in the journal. The child would notice its parent's exit by itself (parent-watch.ts); this does
   * it at once.
   */
  abortSealing(): void {
    this.sealer.abort();
    this.shutdownSealer?.abort();
  }

  /** The exchanges and streams being recorded (for logs and tests). */
  describe(): Array<{ exchange: ExchangeId; channels: string[] }> {
    return this.config.exchanges.map((p) => ({ exchange: p.id, channels: p.channels }));
  }

  /** The URL of every endpoint recorded from, per exchange. */
  endpointUrls(): Array<{ exchange: ExchangeId; endpoint: string; url: string }> {
    return this.config.exchanges.flatMap((p) => {
      const mod = exchangeModule(p.id);
      const endpoints = [...new Set(planGroups(p, mod).map((g) => g.endpoint))];
      return endpoints.map((endpoint) => ({ exchange: p.id, endpoint, url: endpointUrl(p, mod, endpoint) }));
    });
  }

  /** The data folder written into. */
  get dataDir(): string {
    return this.config.dataDir;
  }
}
