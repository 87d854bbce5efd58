/**
 * One replay connection's cursor: it is the connection's SessionFeed. It collects subscriptions
 * (a short grace period after the first, so a client that subscribes in several messages gets all
 * of them from the start), primes snapshot-like streams with their latest message before the start,
 * then sends the recorded frames of exactly the subscribed streams, merged in recorded order and
 * paced by the session clock: each turn corks the socket, sends everything due, uncorks, then waits
 * for the next frame (a timer when it is far, polling once per event-loop turn when it is near, so
 * the event loop is never blocked). At `max` speed it sends as fast as the client reads: above a
 * soft buffer cap it waits for the socket to drain, so a slow client never makes the server buffer
 * without bound.
 *
 * Recorded gaps: where the recording lost its connection (a disconnect gap) the cursor closes the
 * client's connection with 1001 after the last frame before the loss; a session-sequence gap right
 * after a frame makes the session skip that many numbers (Coinstore's S) before the frame goes out.
 * A reconnect of the same session continues each stream after the last frame the session sent of
 * it (session-resume.ts), so every recorded frame reaches the bot once.
 */
import { FLAG_OVERLAP, type GapPayload, type TapeRecord } from '../schemas/record.js';
import type { SessionFeed } from '../exchanges/host.js';
import type { ExchangeId, FeedItem, ServerSession, SessionLink, StreamSpec } from '../exchanges/types.js';
import type { DisconnectSpan, StreamInfo } from './catalog.js';
import type { ReplayClock } from './clock.js';
import { EVICTED, type Timeline } from './timeline.js';
import { compareKeys, keyOf, type ExchangeResume, type RecordKey } from './session-resume.js';
import type { ReplayStats } from './stats.js';

/** Stream kinds whose latest message is a complete state (sent first when a replay starts mid-recording). */
const PRIMED_KINDS = new Set(['book', 'depth_chart', 'ticker', 'kline']);
/** Closer than this to the next due frame, poll once per event-loop turn instead of arming a timer (timers fire ≥ 1 ms late). */
const POLL_BELOW_NS = 1_500_000n;
/** How long a max-speed cursor waits before looking at a full socket buffer again. */
const DRAIN_POLL_MS = 1;
const NEVER = 1n << 62n;

/** What sendDue does with the next record (readiness()). */
type Readiness = 0 | 1 | 2 | 3;
const SEND = 0;
const WAIT = 1;
const BLOCKED = 2;
const STOPPED = 3;
/** recordAfter(): the next batch must be read before this frame can go. */
const LOAD_NEXT = Symbol('load next batch');

/** A data frame the replay sends (not a make-before-break overlap, which went out from the other connection). */
function replayable(rec: TapeRecord): boolean {
  return (rec.kind === 'text' || rec.kind === 'binary') && (rec.flags & FLAG_OVERLAP) === 0;
}

interface CursorDeps {
  exchange: ExchangeId;
  graceMs: number;
  continueOnGaps: boolean;
  loop: boolean;
  softBufferBytes: number;
  /** A paced client whose send buffer passes this is closed with 1008 (it does not keep up). */
  maxBufferedBytes: number;
  /** Streams in the recording of this exchange. */
  streams: ReadonlyMap<string, StreamInfo>;
  /** Recorded connection losses of this exchange, by start. */
  disconnects: readonly DisconnectSpan[];
  /** The clock of this connection (shared by connections with the same session id); called once. */
  clock(): ReplayClock;
  /** Records from `fromNs` on: the shared timeline of that start (`shared`) or one of this cursor alone. */
  timeline(fromNs: bigint, shared: boolean): Timeline;
  /** Where the session stands on this exchange (named sessions only), for this clock generation. */
  resume?(generation: number): ExchangeResume | null;
  /** Latest recorded message of each stream strictly before `beforeNs`, oldest first. */
  primers(streams: string[], beforeNs: bigint): Promise<TapeRecord[]>;
  stats: ReplayStats;
  onEnd?(): void;
  /** The recording could not be read: the connection is closed with 1011. */
  onReadError?(err: Error): void;
}

interface Sub {
  spec: StreamSpec;
  deliver: (item: FeedItem) => void;
  /** A late subscription waits for its primer; frames that come meanwhile are held (the newest). */
  waiting: boolean;
  held: TapeRecord | null;
  /** Frames at or before this point went out on an earlier connection of the session: not again. */
  after: RecordKey | null;
  /** The last frame sent of this stream. */
  last: TapeRecord | null;
}

type SubscribeResult = { ok: true } | { ok: false; reason: string; code: 'limit' | 'unknown' };

export class ReplayCursor implements SessionFeed {
  private readonly subs = new Map<string, Sub>();
  private link: SessionLink | null = null;
  private session: ServerSession | null = null;
  private state: 'idle' | 'grace' | 'running' | 'closed' = 'idle';
  private clock: ReplayClock | null = null;
  private timeline: Timeline | null = null;
  private batchNo = 0;
  /** Set by sendDue when the frame at the end of a batch needs a look at the next batch first. */
  private awaitNext = false;
  private noPeek = false;
  private batch: TapeRecord[] | null = null;
  private idx = 0;
  private pumping = false;
  private timer: NodeJS.Timeout | null = null;
  /** Where this cursor (re)started: recorded disconnects before it are history. */
  private fromNs = 0n;
  /** The last record taken from the timeline (any record, sent or not). */
  private lastRec: TapeRecord | null = null;
  private seekGeneration = 0;
  private unlisten: (() => void) | null = null;
  private closeAt: DisconnectSpan | null = null;
  /** The stream of each recorded connection's last frame (which subscription a sequence gap follows). */
  private readonly lastStreamOf = new Map<string, string>();
  /** The last entry set in lastStreamOf (most frames repeat it: no map write for them). */
  private lastConnId = '';
  private lastStream = '';
  private gapApplied: TapeRecord | null = null;
  /** Session-sequence gaps matter only to a session that numbers its messages (Coinstore's S). */
  private tracksSequence = false;
  private resume: ExchangeResume | null = null;
  /** Ends the current wait early (a seek, pause or resume of the clock). */
  private wake: (() => void) | null = null;
  /** Lateness of the frame readiness() just let go (null at max speed: not paced). */
  private lateNs: bigint | null = null;

  constructor(private readonly deps: CursorDeps) {}

  bind(link: SessionLink, session: ServerSession): void {
    this.link = link;
    this.session = session;
    this.tracksSequence = !this.deps.continueOnGaps && typeof session.onGap === 'function';
  }

  subscribe(spec: StreamSpec, deliver: (item: FeedItem) => void): SubscribeResult {
    if (this.state === 'closed') return { ok: false, reason: 'the replay of this connection has ended', code: 'unknown' };
    if (!this.deps.streams.has(spec.key)) {
      return { ok: false, reason: `stream ${spec.key} is not in the recording`, code: 'unknown' };
    }
    const existing = this.subs.get(spec.key);
    if (existing) {
      existing.deliver = deliver;
      return { ok: true };
    }
    const late = this.state === 'running' && PRIMED_KINDS.has(spec.kind);
    const sub: Sub = { spec, deliver, waiting: late, held: null, after: null, last: null };
    this.subs.set(spec.key, sub);
    if (this.state === 'idle') {
      this.state = 'grace';
      this.timer = setTimeout(() => void this.start().catch((err: unknown) => this.readFailed(err)), this.deps.graceMs);
    } else if (late) {
      // a later SUB joins at the current replay time, primed with the stream's latest state
      void this.primeLate(sub, this.lastRec ? this.lastRec.recvNs + 1n : this.fromNs);
    }
    this.planDisconnect();
    return { ok: true };
  }

  unsubscribe(key: string): void {
    this.subs.delete(key);
    this.planDisconnect();
  }

  close(): void {
    if (this.state === 'running' && this.lastRec && this.clock?.speed === 'max') this.clock.advanceTo(this.lastRec.recvNs + 1n);
    this.saveResume();
    this.state = 'closed';
    this.wake?.();
    if (this.timer) clearTimeout(this.timer);
    this.unlisten?.();
    this.timeline?.detach(this);
    this.timeline = null;
  }

  private async start(): Promise<void> {
    if (this.state !== 'grace') return;
    this.state = 'running';
    const clock = this.deps.clock();
    this.clock = clock;
    this.seekGeneration = clock.generation;
    this.unlisten = clock.onChange(() => {
      this.wake?.();
      this.pumpOn();
    });
    // At max speed "now" is only how far the session's fastest connection got: a connection the
    // session has not served yet on this exchange starts at the beginning of the range.
    const nowNs = !clock.started ? clock.startNs : clock.speed === 'max' ? clock.seekedToNs : clock.nowRecordedNs();
    this.resume = this.deps.resume?.(clock.generation) ?? null;
    const { fromNs, sent, afters } = this.resumePoints(nowNs);
    await this.prime(fromNs, sent);
    if (this.state !== 'running') return;
    for (const [sub, after] of afters) sub.after = after;
    this.open(fromNs, true);
    // the clock starts once the first frames are in memory, so the read does not make them late
    // (held as a pump turn: a seek meanwhile waits for it)
    this.pumping = true;
    const first = await this.timeline!.batch(this, 0).finally(() => (this.pumping = false));
    if (this.state !== 'running') return;
    if (first !== EVICTED && first !== null) {
      this.batch = first;
      this.batchNo = 1;
    }
    clock.start();
    this.pumpOn();
  }

  private pumpOn(): void {
    void this.pump().catch((err: unknown) => this.readFailed(err));
  }

  /** The recording could not be read (a bucket's file not fetched): the connection closes with 1011 and why. */
  private readFailed(err: unknown): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.deps.onReadError?.(err as Error);
    this.link?.close(1011, `the recording could not be read: ${String((err as Error)?.message ?? err)}`.slice(0, 120));
  }

  /**
   * Where each subscribed stream continues in a session that served this exchange before: after the
   * last frame it sent of the stream, else where its last connection stopped reading. The read starts
   * at the earliest of them; streams the session already sent are not primed again.
   */
  private resumePoints(nowNs: bigint): { fromNs: bigint; sent: Set<string>; afters: Map<Sub, RecordKey> } {
    const sent = new Set<string>();
    const afters = new Map<Sub, RecordKey>();
    let fromNs = nowNs;
    const r = this.resume;
    if (!r) return { fromNs, sent, afters };
    for (const [key, sub] of this.subs) {
      const last = r.sent.get(key);
      if (last) sent.add(key);
      const after = last ?? r.position;
      if (!after) continue;
      afters.set(sub, after);
      if (after.recvNs < fromNs) fromNs = after.recvNs;
    }
    return { fromNs, sent, afters };
  }

  /** Leaves where this connection got to for the session's next connection on this exchange. */
  private saveResume(): void {
    const r = this.resume;
    if (!r || (this.state !== 'running' && this.state !== 'closed')) return;
    for (const [key, sub] of this.subs) if (sub.last) r.sent.set(key, keyOf(sub.last));
    if (this.lastRec && (!r.position || compareKeys(this.lastRec, r.position) > 0)) r.position = keyOf(this.lastRec);
  }

  /**
   * Re-positions at recorded time `at` (seek, loop): primed. Back at the start of the range (a
   * `--loop` restart) it joins the shared timeline of the range, as at the first start: every
   * session of the range comes back there, and a read of its own each (a DuckDB session and its
   * read-ahead per session, all at once) made memory jump at each restart. A seek elsewhere reads
   * on its own.
   */
  private async reposition(at: bigint): Promise<void> {
    this.lastRec = null;
    this.resume = this.deps.resume?.(this.clock!.generation) ?? null;
    for (const sub of this.subs.values()) {
      sub.after = null;
      sub.last = null;
    }
    await this.prime(at);
    this.open(at, at === this.clock!.startNs);
  }

  private open(fromNs: bigint, shared: boolean): void {
    this.timeline?.detach(this);
    this.timeline = this.deps.timeline(fromNs, shared);
    this.timeline.attach(this);
    this.fromNs = fromNs;
    this.batchNo = 0;
    this.batch = null;
    this.idx = 0;
    this.planDisconnect();
  }

  /**
   * The first recorded disconnect ahead of this cursor that touches a subscribed stream: not behind
   * where it reads now, not before where that stream resumed, not one the session already closed for.
   */
  private planDisconnect(): void {
    this.closeAt = null;
    if (this.deps.continueOnGaps) return;
    const at = this.lastRec?.recvNs ?? this.fromNs;
    for (const d of this.deps.disconnects) {
      if (d.startNs < at || this.resume?.passed.has(d)) continue;
      if (d.stream === '') {
        this.closeAt = d;
        return;
      }
      const sub = this.subs.get(d.stream);
      if (sub && (sub.after === null || d.startNs >= sub.after.recvNs)) {
        this.closeAt = d;
        return;
      }
    }
  }

  private async prime(beforeNs: bigint, skip: ReadonlySet<string> = new Set()): Promise<void> {
    const wanted = [...this.subs.values()].filter((s) => PRIMED_KINDS.has(s.spec.kind) && !skip.has(s.spec.key) && this.recordedBefore(s.spec.key, beforeNs)).map((s) => s.spec.key);
    if (wanted.length === 0) return;
    const recs = await this.deps.primers(wanted, beforeNs);
    if (this.state === 'closed') return;
    this.link?.cork(() => {
      for (const r of recs) this.deliver(r, null);
    });
  }

  private async primeLate(sub: Sub, beforeNs: bigint): Promise<void> {
    const recs = this.recordedBefore(sub.spec.key, beforeNs) ? await this.deps.primers([sub.spec.key], beforeNs) : [];
    if (this.state === 'closed' || this.subs.get(sub.spec.key) !== sub) return;
    sub.waiting = false;
    const latest = sub.held ?? recs[recs.length - 1] ?? null;
    sub.held = null;
    if (latest) this.deliver(latest, null);
  }

  private recordedBefore(key: string, ns: bigint): boolean {
    const info = this.deps.streams.get(key);
    return info !== undefined && info.firstNs < ns;
  }

  private async pump(): Promise<void> {
    if (this.pumping || this.state !== 'running' || !this.timeline) return;
    this.pumping = true;
    try {
      const clock = this.clock!;
      while (this.state === 'running') {
        if (clock.paused) return;
        if (clock.generation !== this.seekGeneration) {
          this.seekGeneration = clock.generation;
          await this.reposition(clock.seekedToNs);
          continue;
        }
        if (!this.batch || this.idx >= this.batch.length) {
          const b = await this.timeline!.batch(this, this.batchNo);
          if (this.state !== 'running') return;
          if (b === EVICTED) {
            // lagged too far behind the other clients of this range: re-read on our own from where we are
            this.open(this.lastRec ? this.lastRec.recvNs : this.fromNs, false);
            continue;
          }
          if (b === null) {
            if (this.deps.loop) {
              clock.seekTo(clock.startNs); // the next turn sees the new generation and starts over
              continue;
            }
            this.finish();
            return;
          }
          this.take(b);
          continue;
        }
        const blocked = this.sendDue(clock);
        if (this.state !== 'running') return;
        if (this.awaitNext) {
          this.awaitNext = false;
          await this.timeline!.load(this.batchNo);
          if (this.state !== 'running') return;
          // the timeline lost this cursor's place meanwhile: send the frame without the look ahead
          if (this.timeline!.peek(this.batchNo) === undefined) this.noPeek = true;
          continue;
        }
        if (blocked) {
          this.deps.stats.backpressurePauses++;
          await sleepMs(DRAIN_POLL_MS);
        } else if (this.idx < this.batch.length) {
          await this.waitUntil(clock.dueMono(this.batch[this.idx].recvNs));
        } else {
          // let other connections and the socket's I/O run between batches
          await new Promise<void>((r) => setImmediate(r));
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  /** The next batch of the timeline is this cursor's now. */
  private take(b: TapeRecord[]): void {
    this.batchNo += 1;
    this.batch = b;
    this.noPeek = false;
    this.idx = 0;
    // after a re-read, skip what was already taken
    const last = this.lastRec;
    if (last) while (this.idx < b.length && compare(b[this.idx], last) <= 0) this.idx++;
  }

  /**
   * Sends every due frame in one corked write: of the current batch, and on into the batches after
   * it that are read already (the soft buffer cap bounds one write). Returns true when the client's
   * buffer is full.
   */
  private sendDue(clock: ReplayClock): boolean {
    const now = clock.speed === 'max' ? 0n : process.hrtime.bigint();
    let blocked = false;
    this.link!.cork(() => {
      let batch = this.batch!;
      while (this.state === 'running') {
        if (this.idx >= batch.length) {
          const next = this.timeline!.held(this, this.batchNo);
          if (next === undefined) break;
          this.take(next);
          batch = next;
          continue;
        }
        const rec = batch[this.idx];
        const ready = this.readiness(rec, clock, now);
        if (ready !== SEND) {
          blocked = ready === BLOCKED;
          break;
        }
        const next = this.recordAfter(rec);
        if (next === LOAD_NEXT) {
          this.awaitNext = true;
          break;
        }
        this.idx++;
        this.lastRec = rec;
        if (rec.direction === 'in') this.sendFrame(rec, next);
        else if (rec.kind === 'gap') this.lateSequenceGap(rec);
      }
    });
    if (clock.speed === 'max' && this.lastRec) clock.advanceTo(this.lastRec.recvNs);
    return blocked;
  }

  /**
   * Whether `rec` goes out now: SEND (its lateness in `lateNs`), WAIT (not due yet), BLOCKED (at
   * max speed the client's buffer is past the soft cap), or STOPPED (a recorded disconnect comes
   * first, or a paced client that does not read was closed).
   */
  private readiness(rec: TapeRecord, clock: ReplayClock, now: bigint): Readiness {
    if (rec.recvNs > (this.closeAt?.startNs ?? NEVER)) {
      this.recordedDisconnect();
      return STOPPED;
    }
    if (clock.speed === 'max') {
      this.lateNs = null;
      return this.link!.bufferedAmount() > this.deps.softBufferBytes ? BLOCKED : SEND;
    }
    const due = clock.dueMono(rec.recvNs);
    if (due > now) return WAIT;
    if (this.link!.bufferedAmount() > this.deps.maxBufferedBytes) {
      this.tooSlow();
      return STOPPED;
    }
    this.lateNs = now - due;
    return SEND;
  }

  /**
   * The record after an incoming frame, where it may be that frame's session-sequence gap: in this
   * batch, or the first of the next one — LOAD_NEXT when that batch is not read yet (the cursor
   * reads it first, so the skip goes out before the frame, as the exchange sent it).
   */
  private recordAfter(rec: TapeRecord): TapeRecord | undefined | typeof LOAD_NEXT {
    if (!this.tracksSequence || rec.direction !== 'in') return undefined;
    const batch = this.batch!;
    if (this.idx < batch.length - 1) return batch[this.idx + 1];
    if (this.noPeek) return undefined;
    const next = this.timeline!.peek(this.batchNo);
    if (next === undefined) return LOAD_NEXT;
    return next?.[0];
  }

  /**
   * An incoming frame: a session-sequence gap recorded right after it means the exchange skipped
   * numbers before it — skipped here first. Only where the frame goes out: a gap on a rotation's
   * overlapping connection, whose frames the replay sends once from the other connection, is no
   * skip of this session.
   */
  private sendFrame(rec: TapeRecord, next: TapeRecord | undefined): void {
    if (this.tracksSequence) {
      const stream = replayable(rec) ? rec.stream : '';
      if (rec.connId !== this.lastConnId || stream !== this.lastStream) {
        this.lastStreamOf.set(rec.connId, stream);
        this.lastConnId = rec.connId;
        this.lastStream = stream;
      }
      if (next && next.direction === 'event' && next.kind === 'gap' && next.connId === rec.connId) {
        this.sequenceGap(stream, next);
        this.gapApplied = next;
      }
    }
    this.deliver(rec, this.lateNs);
  }

  /** A gap record that came after another connection's frame: the skip goes out now, one frame late. */
  private lateSequenceGap(rec: TapeRecord): void {
    if (this.tracksSequence && rec !== this.gapApplied) this.sequenceGap(this.lastStreamOf.get(rec.connId) ?? '', rec);
  }

  /** Hands one recorded frame to the session when its stream is subscribed; `lateNs` when it was paced. */
  private deliver(rec: TapeRecord, lateNs: bigint | null): void {
    if (!replayable(rec)) return;
    const sub = this.subs.get(rec.stream);
    if (!sub) return;
    if (sub.after !== null) {
      if (compareKeys(rec, sub.after) <= 0) return; // sent on an earlier connection of the session
      sub.after = null;
    }
    if (sub.waiting) {
      sub.held = rec;
      return;
    }
    sub.deliver({ type: 'recorded', payload: rec.payload, binary: rec.kind === 'binary', recvNs: rec.recvNs });
    sub.last = rec;
    this.deps.stats.recordSend(rec.payload.byteLength, lateNs ?? 0n, lateNs !== null);
  }

  /** A gap record after a frame of `stream` on its connection: the session skips the numbers lost, if the client gets that stream. */
  private sequenceGap(stream: string, gapRec: TapeRecord): void {
    if (!this.subs.has(stream)) return;
    let gap: GapPayload;
    try {
      gap = JSON.parse(Buffer.from(gapRec.payload).toString('utf8')) as GapPayload;
    } catch {
      return;
    }
    // only the session-wide counter (stream ''): a stream's own numbering is in the recorded bytes already
    if (gap.cause !== 'sequence' || gap.stream !== '' || !gap.lost_frames) return;
    this.deps.stats.gapsReplayed++;
    this.session?.onGap?.(null, gap.lost_frames);
  }

  private recordedDisconnect(): void {
    const d = this.closeAt!;
    this.deps.stats.gapsReplayed++;
    // The session is past this loss, and past every loss it overlaps: one recorder connection lost
    // is one gap per stream it carried (each from that stream's last frame), and a crash is one per
    // stream of every connection. The bot gets one close for them; its reconnect continues each
    // stream after its last frame sent, so the frames other streams recorded meanwhile still come.
    if (this.resume) for (const x of this.deps.disconnects) if (x.startNs <= d.endNs && x.endNs >= d.startNs) this.resume.passed.add(x);
    // a reconnect of the same session continues after the loss, as the bot would have
    if (this.clock?.speed === 'max') this.clock.advanceTo(d.endNs);
    this.state = 'closed';
    this.closeWhenSettled(1001, 'recorded disconnect');
  }

  private tooSlow(): void {
    this.deps.stats.slowClientCloses++;
    this.state = 'closed';
    this.link?.close(1008, 'client too slow: send buffer limit exceeded');
  }

  private async waitUntil(due: bigint): Promise<void> {
    const wait = due - process.hrtime.bigint();
    if (wait > POLL_BELOW_NS) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Number(wait - POLL_BELOW_NS) / 1e6);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = null;
    }
    while (process.hrtime.bigint() < due && this.state === 'running' && !this.clock!.paused && this.clock!.generation === this.seekGeneration) {
      await new Promise<void>((r) => setImmediate(r));
    }
  }

  private finish(): void {
    this.state = 'closed';
    this.deps.onEnd?.();
    this.closeWhenSettled(1000, 'end of replay range');
  }

  /** Closes once the session has sent what it already decided on (a batch read from the recording, the frames behind it). */
  private closeWhenSettled(code: number, reason: string): void {
    const link = this.link;
    const settled = this.session?.settled?.();
    if (settled) void settled.then(() => link?.close(code, reason));
    else link?.close(code, reason);
  }
}

function compare(a: TapeRecord, b: TapeRecord): number {
  if (a.recvNs !== b.recvNs) return a.recvNs < b.recvNs ? -1 : 1;
  if (a.connId !== b.connId) return a.connId < b.connId ? -1 : 1;
  return a.seq - b.seq;
}

function sleepMs(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, ms)));
}
