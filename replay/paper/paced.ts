/**
 * Waiting for replay time: a paper account acts when its session's clock reaches a recorded time
 * (an order after its order-in delay, a push after its fill-out delay). At paced speeds that is a
 * wall-clock wait (the clock's own anchor: no drift); at `max` there is nothing to wait for; a
 * paused clock, or one that has not started (no subscription yet), is polled.
 */
import type { ReplayClock } from '../clock.js';

/** How often a paused or not yet started clock is looked at again. */
export const STOPPED_CLOCK_POLL_MS = 20;

export type ClockSource = () => ReplayClock | null;

/** Recorded time the session stands at (its start before its clock exists). */
export function recordedNow(clock: ClockSource, startNs: bigint): bigint {
  return clock()?.nowRecordedNs() ?? startNs;
}

/** Milliseconds until recorded time `t` is due: 0 when it is (or at max), null when the clock stands still. */
export function msUntil(clock: ClockSource, startNs: bigint, t: bigint): number | null {
  const c = clock();
  if (c?.speed === 'max') return 0;
  if (recordedNow(clock, startNs) >= t) return 0;
  if (!c || !c.started || c.paused) return null;
  const due = c.dueMono(t);
  return Math.max(0, Number(due - process.hrtime.bigint()) / 1e6);
}

/** Resolves once the session's clock has reached `t` (at once at max speed), or when `cancelled()` says so. */
export async function untilRecorded(clock: ClockSource, startNs: bigint, t: bigint, cancelled: () => boolean): Promise<void> {
  for (;;) {
    if (cancelled()) return;
    const wait = msUntil(clock, startNs, t);
    if (wait === 0) return;
    await new Promise((r) => setTimeout(r, wait === null ? STOPPED_CLOCK_POLL_MS : Math.max(1, wait)));
  }
}

/**
 * Deliveries due at recorded times, run in due order (first added first at one time): the
 * account's answers and pushes after the fill-out delay.
 */
export class Outbox {
  private readonly queue: Array<{ dueNs: bigint; n: number; run: () => void }> = [];
  private n = 0;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly clock: ClockSource,
    private readonly startNs: bigint,
  ) {}

  add(dueNs: bigint, run: () => void): void {
    if (this.closed) return;
    const item = { dueNs, n: this.n++, run };
    let i = this.queue.length;
    while (i > 0 && this.queue[i - 1].dueNs > dueNs) i--;
    this.queue.splice(i, 0, item);
    this.schedule(true);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.queue.length = 0;
  }

  private schedule(soon: boolean): void {
    if (this.closed || this.queue.length === 0) return;
    if (this.timer) {
      if (!soon) return;
      clearTimeout(this.timer);
    }
    const wait = msUntil(this.clock, this.startNs, this.queue[0].dueNs);
    this.timer = setTimeout(() => this.flush(), wait === null ? STOPPED_CLOCK_POLL_MS : wait);
  }

  private flush(): void {
    this.timer = null;
    while (!this.closed && this.queue.length > 0 && msUntil(this.clock, this.startNs, this.queue[0].dueNs) === 0) {
      this.queue.shift()!.run();
    }
    this.schedule(false);
  }
}
