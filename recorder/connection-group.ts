/**
 * One planned connection (a group of streams the exchange lets us carry on one socket), kept up for
 * months: reconnects with exponential backoff and jitter through the exchange's ConnectGate,
 * a stale-stream detector, alerts for refused or silent subscriptions, rate-limit pauses,
 * and make-before-break rotation (before the exchange's lifetime cap, after a stale stream, or on
 * demand) stitched as handoff.ts describes. Every hole it cannot avoid becomes a `gap` record:
 * a stream's gap opens when its connection goes (at its last data frame) and is closed and written
 * by the first data frame that arrives for it again. A connection that cannot be made, or closes
 * right after opening, marks the group's streams `down` with its cause (connect-failure.ts) and
 * raises an alert whenever that cause changes; the first data frame, or a connection that stays
 * open CLOSED_ON_OPEN_WITHIN_MS, clears it.
 */
import { nowNs } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { Credentials, ExchangeModule, FrameInfo, StreamSpec } from '../exchanges/types.js';
import { FLAG_OVERLAP, type GapCause } from '../schemas/record.js';
import { backoffDelayMs, type BackoffPolicy } from './backoff.js';
import type { ConnIdFactory } from './conn-id.js';
import { CLOSED_ON_OPEN_WITHIN_MS, type ConnectFailure } from './connect-failure.js';
import type { ConnectGate } from './connect-gate.js';
import { Connection, type CloseInitiator, type ConnectionHooks, type RecordSink } from './connection.js';
import { judgeFrame, pastHandoff } from './handoff.js';
import { SequenceTracker } from './sequence-tracker.js';
import type { StreamDown, StreamState } from './stream-state.js';

/** Streams that push on events rather than continuously: their handoff point may be the subscription ack. */
const EVENT_STREAM_KINDS: ReadonlySet<string> = new Set(['account', 'order', 'fill', 'position']);
/** How often each group checks its streams for staleness and silent subscriptions. */
const STALE_CHECK_INTERVAL_MS = 500;
/** A rate-limit reply without a Retry-After pauses the exchange's connects this long. */
const RATE_LIMIT_PAUSE_MS = 60_000;
/** When a lifetime rotation finds another rotation running, it tries again after this long. */
const LIFETIME_RETRY_MS = 1_000;
/** Rotate this long before the exchange's own lifetime cap (at most 10% of the lifetime). */
const ROTATE_MARGIN_MS = 10 * 60_000;

interface GroupSettings {
  backoff: BackoffPolicy;
  handoffTimeoutMs: number;
  /** Rotate every connection after this long (null: only before the exchange's cap). */
  rotateAfterMs: number | null;
}

interface GroupContext {
  module: ExchangeModule;
  endpoint: string;
  endpointUrl: string;
  credentials: Credentials | null;
  connIds: ConnIdFactory;
  sink: RecordSink;
  log: Logger;
  gate: ConnectGate;
  settings: GroupSettings;
  /** The shared state of a stream (outlives groups, so a reload does not reset it). */
  stream(spec: StreamSpec): StreamState;
  /** Something the operator must see: logged, counted, listed in /health, written as an `alert` event. */
  alert(exchange: string, stream: string, message: string, conn: Connection | null, cause?: string): void;
  onConnectionOpen?(conn: Connection): void;
  random?: () => number;
}

interface Rotation {
  next: Connection;
  reason: string;
  /** Streams the new connection has delivered (or acknowledged, for event streams). */
  delivered: Set<string>;
  /** Stream → handoff point for frames without sequence or timestamp (handoff.ts rule 3). */
  points: Map<string, bigint>;
  timer: NodeJS.Timeout | null;
}

/** The stream's exchange sequence values in a frame (a batch of trades carries several): lowest and highest. */
function streamSeqRange(info: FrameInfo, stream: string): { min: number; max: number } | null {
  if (!info.sequences) return null;
  let r: { min: number; max: number } | null = null;
  for (const s of info.sequences) {
    if (s.scope !== stream) continue;
    if (!r) r = { min: s.value, max: s.value };
    else {
      if (s.value < r.min) r.min = s.value;
      if (s.value > r.max) r.max = s.value;
    }
  }
  return r;
}

export class ConnectionGroup {
  readonly exchange: string;
  streams: StreamSpec[];
  primary: Connection | null = null;
  rotation: Rotation | null = null;
  reconnects = 0;
  rotations = 0;
  private attempt = 0;
  private stopped = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private lifeTimer: NodeJS.Timeout | null = null;
  private staleTimer: NodeJS.Timeout | null = null;
  private readonly streamSeqs = new SequenceTracker();
  /** Connections closing after a rotation, with the handoff points their late frames are judged by. */
  private readonly retiring = new Map<Connection, ReadonlyMap<string, bigint>>();
  private readonly all = new Set<Connection>();
  private rateLimitedUntilMs = 0;
  /** The reason of a break-before-make rotation whose old connection is closing (exclusiveIdentity). */
  private handover: string | null = null;
  private readonly hooks: ConnectionHooks;
  private readonly states = new Map<string, StreamState>();
  /** Set while connections fail (never open, or close at once): shared by every stream of the group. */
  private failure: StreamDown | null = null;
  private stableTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly ctx: GroupContext,
    streams: StreamSpec[],
  ) {
    this.exchange = ctx.module.id;
    this.streams = [...streams];
    this.indexStates();
    this.hooks = {
      frameFlags: (c, info, recvNs) => this.frameFlags(c, info, recvNs),
      afterFrame: (c, info, recvNs, flags, bytes) => this.afterFrame(c, info, recvNs, flags, bytes),
      onOpen: (c) => this.onOpen(c),
      onAck: (c, stream, ok, reason) => this.onAck(c, stream, ok, reason),
      onAuth: (c, ok, reason) => {
        if (!ok) this.ctx.alert(this.exchange, '', `authentication refused: ${reason ?? 'no reason given'}; check the credentials`, c);
      },
      onRateLimited: (c, retryAfterMs) => this.onRateLimited(c, retryAfterMs),
      onBatchRefused: (c, streams, reason) => {
        this.ctx.log.warn({ exchange: this.exchange, connId: c.connId, streams, reason }, 'several subscriptions refused at once: subscribing them one by one');
        for (const key of streams) {
          const spec = this.streams.find((s) => s.key === key);
          if (spec) c.subscribe([spec]);
        }
      },
      onClose: (c, code, reason, initiator) => this.onClose(c, code, reason, initiator),
    };
  }

  /** Stable identity of the group: exchange, endpoint and its stream keys. */
  get key(): string {
    return `${this.exchange}|${this.ctx.endpoint}|${this.streams
      .map((s) => s.key)
      .sort()
      .join(',')}`;
  }

  get endpoint(): string {
    return this.ctx.endpoint;
  }

  connections(): Connection[] {
    return [...this.all];
  }

  start(): void {
    this.scheduleConnect(0);
    this.staleTimer = setInterval(() => this.checkStale(), STALE_CHECK_INTERVAL_MS);
    this.staleTimer.unref?.();
  }

  // ---------------------------------------------------------------------------------------------
  // Connecting

  private newConnection(): Connection {
    const conn = new Connection({
      module: this.ctx.module,
      endpoint: this.ctx.endpoint,
      endpointUrl: this.ctx.endpointUrl,
      streams: this.streams,
      credentials: this.ctx.credentials,
      connId: this.ctx.connIds.next(),
      sink: this.ctx.sink,
      hooks: this.hooks,
      log: this.ctx.log,
    });
    this.all.add(conn);
    return conn;
  }

  private scheduleConnect(extraDelayMs: number): void {
    if (this.stopped || this.reconnectTimer) return;
    const wait = this.ctx.gate.reserve(Date.now() + extraDelayMs);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.stopped || this.primary) return;
      this.primary = this.newConnection();
      this.primary.start();
    }, wait);
  }

  private scheduleReconnect(): void {
    const delay = Math.max(backoffDelayMs(this.ctx.settings.backoff, this.attempt, this.ctx.random), this.rateLimitedUntilMs - Date.now());
    this.attempt += 1;
    this.reconnects += 1;
    this.ctx.log.info({ exchange: this.exchange, endpoint: this.ctx.endpoint, delayMs: delay, attempt: this.attempt }, 'reconnecting');
    this.scheduleConnect(delay);
  }

  private onOpen(conn: Connection): void {
    this.ctx.log.info({ exchange: this.exchange, connId: conn.connId, streams: this.streams.length, rotation: this.rotation?.next === conn }, 'connected');
    this.ctx.onConnectionOpen?.(conn);
    if (conn === this.primary) {
      this.armLifetime(conn);
      if (this.failure) {
        if (this.stableTimer) clearTimeout(this.stableTimer);
        this.stableTimer = setTimeout(() => {
          this.stableTimer = null;
          if (this.primary === conn && conn.state === 'open') this.clearFailure(conn, `connection open for ${CLOSED_ON_OPEN_WITHIN_MS} ms`);
        }, CLOSED_ON_OPEN_WITHIN_MS);
        this.stableTimer.unref?.();
      }
    }
    if (this.rotation?.next === conn) {
      const r = this.rotation;
      r.timer = setTimeout(() => this.completeRotation('handoff timeout'), this.ctx.settings.handoffTimeoutMs);
      r.timer.unref?.();
    }
  }

  private armLifetime(conn: Connection): void {
    if (this.lifeTimer) clearTimeout(this.lifeTimer);
    this.lifeTimer = null;
    const cap = this.ctx.module.client.maxConnectionLifeMs;
    const after = this.ctx.settings.rotateAfterMs ?? (cap ? cap - Math.min(ROTATE_MARGIN_MS, Math.round(cap / 10)) : null);
    if (!after) return;
    // Counted from the connection's open, not from when it became primary (after a handoff).
    const ageMs = conn.openedNs === null ? 0 : Number((nowNs() - conn.openedNs) / 1_000_000n);
    this.lifeTimer = setTimeout(
      () => {
        if (this.primary === conn && !this.rotate('lifetime')) {
          // Another rotation is under way: try again shortly rather than let the cap close us.
          setTimeout(() => this.primary === conn && this.rotate('lifetime'), LIFETIME_RETRY_MS).unref?.();
        }
      },
      Math.max(0, after - ageMs),
    );
    this.lifeTimer.unref?.();
  }

  // ---------------------------------------------------------------------------------------------
  // Frames

  private frameFlags(conn: Connection, info: FrameInfo, recvNs: bigint): number {
    const st = this.findStream(info.stream);
    if (!st) return 0;
    const range = streamSeqRange(info, info.stream);
    const r = this.rotation;
    if (r && conn === r.next) {
      r.delivered.add(info.stream);
      if (!r.points.has(info.stream)) r.points.set(info.stream, recvNs);
    }
    const verdict = judgeFrame(st.cursor, conn.connId, { seqMin: range?.min ?? null, seqMax: range?.max ?? null, tsMs: info.exchangeTsMs ?? null, recvNs });
    if (verdict !== null) return verdict ? FLAG_OVERLAP : 0;
    // No key in the frame: only the handoff point of a rotation can tell.
    const late = this.retiring.get(conn);
    if (late) return pastHandoff(late.get(info.stream), recvNs) ? FLAG_OVERLAP : 0;
    if (r && conn === this.primary) return pastHandoff(r.points.get(info.stream), recvNs) ? FLAG_OVERLAP : 0;
    return 0;
  }

  private afterFrame(conn: Connection, info: FrameInfo, recvNs: bigint, flags: number, bytes: number): void {
    if (info.malformed) {
      const st = this.findStream(info.stream);
      if (st) st.malformed += 1;
      return;
    }
    if (info.control || !info.stream) return;
    const st = this.findStream(info.stream);
    if (!st) return; // a stream we no longer (or never) asked for: recorded raw, nothing to track
    if (conn === this.primary && this.attempt > 0 && !this.rotation) this.attempt = 0;
    if (this.failure && conn === this.primary) this.clearFailure(conn, 'data received');
    if (flags & FLAG_OVERLAP) return;
    st.frames += 1;
    st.bytes += bytes;
    st.lastDataNs = recvNs;
    st.lastConnId = conn.connId;
    if (st.silent) st.silent = false;
    const range = streamSeqRange(info, info.stream);
    // Late frames of a retired connection are new data, but they do not close a gap: one opened at
    // the handoff lasts until the new connection delivers the stream.
    if (st.openGap && !this.retiring.has(conn)) {
      const g = st.openGap;
      st.openGap = null;
      st.gaps += 1;
      const known = range !== null && g.lastSeq !== null;
      conn.gap(
        {
          stream: st.key,
          start_ns: String(g.startNs),
          end_ns: String(recvNs),
          cause: g.cause,
          detail: g.detail,
          ...(known ? { expected: String(g.lastSeq! + 1), got: String(range.min), lost_frames: Math.max(0, range.min - g.lastSeq! - 1) } : {}),
        },
        recvNs,
      );
      if (range) this.streamSeqs.seed(st.key, range.max, recvNs);
    }
    if (range) {
      const gap = this.streamSeqs.observe(st.key, range.min, recvNs);
      this.streamSeqs.seed(st.key, range.max, recvNs);
      if (gap) {
        st.gaps += 1;
        conn.gap(
          {
            stream: st.key,
            start_ns: String(gap.startNs),
            end_ns: String(gap.endNs),
            cause: 'sequence',
            detail: 'stream sequence skipped',
            expected: String(gap.expected),
            got: String(gap.got),
            lost_frames: gap.lost,
          },
          recvNs,
        );
      }
      st.lastSeq = Math.max(st.lastSeq ?? range.max, range.max);
    }
    const r = this.rotation;
    if (r && conn === r.next && this.handoffComplete(r)) this.completeRotation('handoff');
  }

  /** O(1) on the hot path: a connection may carry hundreds of streams. */
  private findStream(key: string): StreamState | null {
    return this.states.get(key) ?? null;
  }

  private indexStates(): void {
    this.states.clear();
    for (const spec of this.streams) {
      const st = this.ctx.stream(spec);
      this.states.set(spec.key, st);
      if (this.failure) st.down = this.failure;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Acks, rate limits, staleness

  private onAck(conn: Connection, stream: string, ok: boolean, reason: string | undefined): void {
    const st = this.findStream(stream);
    if (ok) {
      if (st) st.refused = null;
      const r = this.rotation;
      if (r && conn === r.next && st && EVENT_STREAM_KINDS.has(st.spec.kind) && !r.delivered.has(stream)) {
        // An event stream (orders, balances) may stay quiet for hours: once the new connection's
        // subscription is acknowledged it receives every later event, so the ack is the handoff point.
        r.delivered.add(stream);
        if (!r.points.has(stream)) r.points.set(stream, nowNs());
        if (this.handoffComplete(r)) this.completeRotation('handoff');
      }
      return;
    }
    if (st) {
      st.refused = reason ?? 'refused';
      st.gaps += 1;
    }
    const t = String(nowNs());
    conn.gap({ stream, start_ns: t, end_ns: t, cause: 'refused', detail: reason ?? 'subscription refused' });
    this.ctx.alert(this.exchange, stream, `subscription refused: ${reason ?? 'no reason given'}`, conn);
  }

  private onRateLimited(conn: Connection, retryAfterMs: number | null): void {
    const pause = retryAfterMs ?? RATE_LIMIT_PAUSE_MS;
    this.rateLimitedUntilMs = Date.now() + pause;
    this.ctx.gate.pauseUntil(this.rateLimitedUntilMs);
    this.ctx.alert(this.exchange, '', `rate limited by the exchange: pausing connects for ${Math.round(pause / 1000)} s`, conn);
  }

  private checkStale(): void {
    const conn = this.primary;
    if (!conn || conn.state !== 'open' || this.stopped) return;
    const now = nowNs();
    const stale: StreamState[] = [];
    for (const spec of this.streams) {
      const st = this.ctx.stream(spec);
      if (st.refused) continue;
      const limitNs = BigInt(st.staleMs) * 1_000_000n;
      const last = conn.lastDataNs.get(spec.key);
      if (last !== undefined) {
        if (now - last > limitNs) stale.push(st);
      } else {
        const since = conn.subscribedNs.get(spec.key);
        if (since !== undefined && now - since > limitNs && !st.silent) {
          // Acknowledged (or at least asked for) but silent since: an alert, not a reconnect loop.
          st.silent = true;
          this.ctx.alert(this.exchange, spec.key, `subscription is silent: no data for ${st.staleMs} ms since it was made`, conn);
        }
      }
    }
    if (!stale.length || this.rotation) return;
    for (const st of stale) {
      st.openGapAt({ startNs: st.lastDataNs ?? now, cause: 'stale', detail: `no data for more than ${st.staleMs} ms; reconnected`, lastSeq: st.lastSeq });
      // Stop this connection from counting as the stream's source: a later frame on it still closes the gap.
      conn.lastDataNs.delete(st.key);
    }
    this.ctx.alert(this.exchange, stale.map((s) => s.key).join(','), `stale stream(s): reconnecting`, conn);
    this.rotate('stale');
  }

  // ---------------------------------------------------------------------------------------------
  // Make-before-break rotation

  /** Opens a replacement connection; the current one closes when the new one delivers. */
  rotate(reason: string): boolean {
    if (this.stopped || this.rotation || this.handover !== null || !this.primary || this.primary.state !== 'open') return false;
    if (this.ctx.module.client.exclusiveIdentity) return this.rotateBreakBeforeMake(reason);
    this.rotations += 1;
    const next = this.newConnection();
    this.rotation = { next, reason, delivered: new Set(), points: new Map(), timer: null };
    this.ctx.log.info({ exchange: this.exchange, old: this.primary.connId, next: next.connId, reason }, 'rotating connection (make-before-break)');
    const wait = this.ctx.gate.reserve();
    setTimeout(() => {
      // Still wanted: as the replacement, or as the primary if the old connection died meanwhile.
      if ((this.rotation?.next === next || this.primary === next) && !this.stopped) next.start();
    }, wait).unref?.();
    return true;
  }

  /**
   * A rotation where the exchange lets one connection hold the group's identity (an MQTT client id):
   * a second connection would take the first one over, so the old one closes first and the new one
   * opens as soon as it is gone — no backoff, not counted as a lost connection. What is pushed in
   * between is a `disconnect` gap, opened here from each stream's last frame.
   */
  private rotateBreakBeforeMake(reason: string): boolean {
    const old = this.primary!;
    this.rotations += 1;
    this.handover = reason;
    if (this.lifeTimer) clearTimeout(this.lifeTimer);
    this.ctx.log.info({ exchange: this.exchange, old: old.connId, reason }, 'rotating connection (break-before-make: the exchange allows one connection per client id)');
    this.openGaps(old, 'disconnect', `rotation (${reason}): the exchange lets one connection hold the client id, so the old connection closed before the new one opened`);
    void old.close(1000, `rotated (${reason})`);
    return true;
  }

  /** Streams that delivered on the old connection must have delivered on the new one. */
  private handoffComplete(r: Rotation): boolean {
    const old = this.primary;
    if (!old) return true;
    for (const spec of this.streams) {
      if (old.lastDataNs.has(spec.key) && !r.delivered.has(spec.key)) return false;
    }
    return true;
  }

  private completeRotation(why: string): void {
    const r = this.rotation;
    if (!r) return;
    if (r.next.state !== 'open') return;
    if (r.timer) clearTimeout(r.timer);
    this.rotation = null;
    const old = this.primary;
    if (old) {
      for (const spec of this.streams) {
        if (old.lastDataNs.has(spec.key) && !r.delivered.has(spec.key)) {
          const st = this.ctx.stream(spec);
          st.openGapAt({ startNs: st.lastDataNs ?? nowNs(), cause: 'disconnect', detail: 'rotation: the new connection had not delivered this stream yet', lastSeq: st.lastSeq });
        }
      }
      this.retiring.set(old, r.points);
      void old.close(1000, `rotated (${r.reason})`);
    }
    this.primary = r.next;
    this.armLifetime(r.next);
    this.ctx.log.info({ exchange: this.exchange, connId: r.next.connId, why }, 'rotation complete');
  }

  // ---------------------------------------------------------------------------------------------
  // Closing

  private onClose(conn: Connection, code: number, reason: string, initiator: CloseInitiator): void {
    this.all.delete(conn);
    if (this.retiring.delete(conn)) return;
    const r = this.rotation;
    if (r && conn === r.next) {
      // The replacement failed: keep the old connection, try again later.
      if (r.timer) clearTimeout(r.timer);
      this.rotation = null;
      this.ctx.log.warn({ exchange: this.exchange, connId: conn.connId, code, reason }, 'replacement connection failed');
      if (!this.stopped) setTimeout(() => this.rotate(r.reason), backoffDelayMs(this.ctx.settings.backoff, 1, this.ctx.random)).unref?.();
      return;
    }
    if (conn !== this.primary) return;
    if (this.stopped) return;
    if (this.handover !== null) {
      // the old connection of a break-before-make rotation is gone: its replacement opens now
      this.ctx.log.info({ exchange: this.exchange, connId: conn.connId, reason: this.handover }, 'rotation: old connection closed, opening the new one');
      this.handover = null;
      this.primary = null;
      this.scheduleConnect(0);
      return;
    }
    if (this.lifeTimer) clearTimeout(this.lifeTimer);
    this.ctx.log.warn({ exchange: this.exchange, connId: conn.connId, code, reason, initiator }, 'connection lost');
    const detail = `connection closed: ${code}${reason ? ` ${reason}` : ''}`;
    if (r) {
      // The old connection died during a rotation: the replacement takes over at once; streams it
      // already delivered lose nothing, the others have a gap until it delivers them.
      if (r.timer) clearTimeout(r.timer);
      this.rotation = null;
      this.openGaps(conn, 'disconnect', detail, r.delivered);
      this.primary = r.next;
      if (r.next.state === 'open') this.armLifetime(r.next);
      return;
    }
    this.primary = null;
    this.openGaps(conn, 'disconnect', detail);
    if (conn.failure) this.noteFailure(conn, conn.failure);
    this.scheduleReconnect();
  }

  /** A connection that never opened or closed at once: the streams are down, with an alert when the cause is new. */
  private noteFailure(conn: Connection, f: ConnectFailure): void {
    const prev = this.failure;
    if (this.stableTimer) clearTimeout(this.stableTimer);
    this.stableTimer = null;
    this.failure = { cause: f.cause, detail: f.detail, sinceMs: prev?.sinceMs ?? Date.now(), attempts: (prev?.attempts ?? 0) + 1 };
    for (const st of this.states.values()) st.down = this.failure;
    if (prev?.cause === f.cause) return;
    const n = this.streams.length;
    this.ctx.alert(this.exchange, '', `${n} stream(s) receive nothing: ${f.cause} (${f.detail}); reconnecting with backoff`, conn, f.cause);
  }

  private clearFailure(conn: Connection, why: string): void {
    const f = this.failure;
    if (!f) return;
    this.failure = null;
    if (this.stableTimer) clearTimeout(this.stableTimer);
    this.stableTimer = null;
    for (const st of this.states.values()) if (st.down === f) st.down = null;
    this.ctx.log.info({ exchange: this.exchange, endpoint: this.ctx.endpoint, connId: conn.connId, cause: f.cause, attempts: f.attempts, why }, 'connection established again');
  }

  /** Opens a gap for each stream the connection carried (from its last data frame). */
  private openGaps(conn: Connection, cause: GapCause, detail: string, except: ReadonlySet<string> = new Set()): void {
    const now = nowNs();
    for (const spec of this.streams) {
      if (except.has(spec.key)) continue;
      const st = this.ctx.stream(spec);
      const start = st.lastDataNs ?? conn.subscribedNs.get(spec.key) ?? null;
      if (start === null) continue; // never subscribed: nothing could have been missed
      st.openGapAt({ startNs: start > now ? now : start, cause, detail, lastSeq: st.lastSeq });
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Live changes and shutdown

  /** Adds and removes streams on the live connection(s) without dropping the others. */
  update(streams: StreamSpec[]): void {
    const before = new Map(this.streams.map((s) => [s.key, s]));
    const after = new Map(streams.map((s) => [s.key, s]));
    const added = streams.filter((s) => !before.has(s.key));
    const removed = this.streams.filter((s) => !after.has(s.key));
    this.streams = [...streams];
    this.indexStates();
    for (const c of [this.primary, this.rotation?.next]) {
      if (!c || c.state !== 'open') continue;
      c.unsubscribe(removed);
      c.subscribe(added);
    }
  }

  async stop(reason = 'shutdown'): Promise<void> {
    this.stopped = true;
    for (const t of [this.reconnectTimer, this.lifeTimer, this.stableTimer]) if (t) clearTimeout(t);
    if (this.staleTimer) clearInterval(this.staleTimer);
    if (this.rotation?.timer) clearTimeout(this.rotation.timer);
    this.reconnectTimer = this.lifeTimer = this.staleTimer = null;
    await Promise.all([...this.all].map((c) => c.close(1000, reason)));
  }
}
