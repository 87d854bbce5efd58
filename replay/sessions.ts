/**
 * Replay sessions: connections with the same `?session=` share one clock (one socket per exchange,
 * in sync). A session counts the connections replaying on its clock and, with paper trading, the
 * open connections holding its account. Once nothing uses it, an anonymous session ends at once and
 * a named one after `keepMs`, so a bot that reconnects (after a recorded disconnect) continues where
 * it was. The control API pauses, resumes and seeks them; paper trading's desk writes a session's
 * results when it ends (`onEnd`).
 */
import { ReplayClock } from './clock.js';
import { SessionResume } from './session-resume.js';
import type { Speed } from './options.js';

export interface ReplaySessionInfo {
  id: string;
  clock: ReplayClock;
  /** Connections whose replay runs on the session's clock (their cursor started). */
  connections: number;
  /** Paper trading: connections of the session that are open, replaying or not (a trading socket holds the session's account). */
  open: number;
  expiry: NodeJS.Timeout | null;
  /** Where the session's connections got to, per exchange: a reconnect continues there. */
  resume: SessionResume;
}

export class ReplaySessions {
  /** By id (the control API lists and drives them). */
  readonly byId = new Map<string, ReplaySessionInfo>();

  constructor(
    private readonly keepMs: number,
    private readonly onEnd: (id: string) => void = () => undefined,
  ) {}

  /** The session of `id`, created with its clock at `startNs` when it does not exist yet. */
  open(id: string, startNs: bigint, speed: Speed): ReplaySessionInfo {
    let s = this.byId.get(id);
    if (!s) {
      s = { id, clock: new ReplayClock(startNs, speed), connections: 0, open: 0, expiry: null, resume: new SessionResume() };
      this.byId.set(id, s);
    }
    return s;
  }

  /** A connection's replay starts on the session's clock. */
  join(id: string, startNs: bigint, speed: Speed): ReplaySessionInfo {
    const s = this.open(id, startNs, speed);
    this.keep(s);
    s.connections++;
    return s;
  }

  /** An open connection holds the session (paper trading: its account). */
  hold(s: ReplaySessionInfo): void {
    this.keep(s);
    s.open++;
  }

  /** A connection that joined is gone. */
  leave(s: ReplaySessionInfo, named: boolean): void {
    s.connections--;
    this.release(s, named);
  }

  /** A connection that held the session is gone. */
  unhold(s: ReplaySessionInfo, named: boolean): void {
    s.open--;
    this.release(s, named);
  }

  /**
   * A paper request trades on the session: its clock starts when no connection of it will (a bot
   * that only calls REST), and a session whose connections are gone lives another `keepMs`.
   */
  touch(id: string, startNs: bigint, speed: Speed): void {
    const s = this.open(id, startNs, speed);
    if (s.connections === 0 && s.open === 0 && !s.clock.started) s.clock.start();
    if (s.expiry) this.release(s, true);
  }

  /** Where a session's clock stands now, if it exists. */
  nowOf(id: string): bigint | undefined {
    return this.byId.get(id)?.clock.nowRecordedNs();
  }

  close(): void {
    for (const s of this.byId.values()) if (s.expiry) clearTimeout(s.expiry);
  }

  private keep(s: ReplaySessionInfo): void {
    if (s.expiry) clearTimeout(s.expiry);
    s.expiry = null;
  }

  /** A session nobody uses any more ends: at once when anonymous, after `keepMs` when named. */
  private release(s: ReplaySessionInfo, named: boolean): void {
    if (s.connections > 0 || s.open > 0) return;
    if (s.expiry) clearTimeout(s.expiry);
    s.expiry = null;
    if (!named) this.end(s.id);
    else s.expiry = setTimeout(() => this.byId.get(s.id) === s && s.connections === 0 && s.open === 0 && this.end(s.id), this.keepMs).unref();
  }

  private end(id: string): void {
    this.byId.delete(id);
    this.onEnd(id);
  }
}
