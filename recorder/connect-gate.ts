/**
 * Spaces the (re)connects to one exchange at least `staggerMs` apart, so that a restart with
 * hundreds of streams, or an outage that drops every socket at once, does not trip the exchange's
 * connection-rate limits. A rate-limit reply pushes the whole exchange back.
 */
export class ConnectGate {
  private nextFreeMs = 0;

  constructor(
    private staggerMs: number,
    private readonly nowMs: () => number = Date.now,
  ) {}

  setStagger(ms: number): void {
    this.staggerMs = ms;
  }

  /** Reserves the next slot; returns how long to wait before connecting. */
  reserve(notBeforeMs = 0): number {
    const now = this.nowMs();
    const at = Math.max(now, this.nextFreeMs, notBeforeMs);
    this.nextFreeMs = at + this.staggerMs;
    return at - now;
  }

  /** No connect to this exchange before `untilMs` (rate-limited). */
  pauseUntil(untilMs: number): void {
    this.nextFreeMs = Math.max(this.nextFreeMs, untilMs);
  }
}
