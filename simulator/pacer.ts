/**
 * Drives the market's steps. At a fixed rate the logical clock follows the wall clock (steps are
 * due at `t0 + n / rate`, against a fixed anchor, so timer lateness does not accumulate); in `max`
 * mode the market steps in batches as fast as the connected clients read, pausing while any
 * socket has more than MAX_MODE_BUFFERED_BYTES waiting, and not at all while no client is connected.
 */
/** How often the fixed-rate pacer wakes up, ms. */
const PACER_TICK_MS = 10;
/** If the pacer falls this far behind (CPU starved), it skips ahead instead of bursting, ms. */
const MAX_PACER_LAG_MS = 1_000;
/** Steps per batch in max mode, between two looks at the sockets. */
const MAX_MODE_BATCH_STEPS = 32;
/** In max mode, stepping pauses while a client has more than this many bytes buffered. */
export const MAX_MODE_BUFFERED_BYTES = 512 << 10;

export type Rate = number | 'max';

/** Above this many steps per second a fixed rate is "max" in all but name (each step moves every symbol). */
export const MAX_SIM_RATE = 1_000_000;

interface Pacer {
  stop(): void;
  /** Steps the pacer skipped because it fell behind. */
  skipped(): number;
}

/** In max mode with no client connected, look again this often, ms (the market waits for a reader). */
const MAX_MODE_IDLE_POLL_MS = 20;

export function startPacer(opts: { rate: Rate; step: (n: number) => void; congested: () => boolean; idle?: () => boolean }): Pacer {
  let stopped = false;
  let skipped = 0;
  if (opts.rate === 'max') {
    let timer: NodeJS.Timeout | null = null;
    let immediate: NodeJS.Immediate | null = null;
    const loop = () => {
      timer = null;
      immediate = null;
      if (stopped) return;
      if (opts.idle?.()) {
        timer = setTimeout(loop, MAX_MODE_IDLE_POLL_MS);
        return;
      }
      if (opts.congested()) {
        timer = setTimeout(loop, 1);
        return;
      }
      opts.step(MAX_MODE_BATCH_STEPS);
      immediate = setImmediate(loop);
    };
    immediate = setImmediate(loop);
    return {
      stop() {
        stopped = true;
        if (timer) clearTimeout(timer);
        if (immediate) clearImmediate(immediate);
      },
      skipped: () => skipped,
    };
  }
  const rate = opts.rate;
  if (!(rate > 0)) return { stop() {}, skipped: () => 0 };
  let t0 = performance.now();
  let done = 0;
  const maxLagSteps = Math.max(1, Math.ceil((MAX_PACER_LAG_MS * rate) / 1000));
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - t0) * rate) / 1000);
    let todo = due - done;
    if (todo > maxLagSteps) {
      // Re-anchor: the logical clock keeps its pace and the market does not burst.
      skipped += todo - maxLagSteps;
      t0 += ((todo - maxLagSteps) * 1000) / rate;
      todo = maxLagSteps;
    }
    if (todo > 0) {
      opts.step(todo);
      done += todo;
    }
  }, PACER_TICK_MS);
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
    },
    skipped: () => skipped,
  };
}
