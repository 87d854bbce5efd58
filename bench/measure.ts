/**
 * The timing loop the per-exchange benchmarks share: call a pure function over and over for a fixed
 * wall-clock time and report calls per second. A helper module, not a benchmark: it exports no
 * `run()`, so bench/run.ts skips it.
 */
import type { BenchResult } from './types.js';

/** How long each measurement runs. */
export const MEASURE_MS = 1_500;
/** Calls between two clock reads when the caller does not say: small enough to stop near MEASURE_MS, large enough that reading the clock costs nothing. */
export const DEFAULT_BATCH = 500;

/** What a timed loop did: calls made, seconds taken, and the sum of what the calls returned (rows, bytes). */
export interface Measured {
  calls: number;
  secs: number;
  sum: number;
}

/**
 * Calls `fn(0)`, `fn(1)`, ... in batches of `batch` until `ms` have passed. `fn` may return a count
 * (rows produced, bytes written) that is summed, for a second figure in the note.
 */
export function measure(fn: (i: number) => number | void, batch = DEFAULT_BATCH, ms = MEASURE_MS): Measured {
  let i = 0;
  let sum = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let k = 0; k < batch; k++) sum += fn(i++) ?? 0;
    now = performance.now();
  }
  return { calls: i, secs: (now - start) / 1000, sum };
}

/** Calls of `fn` per second over MEASURE_MS, as a figure named `name` in `unit`. */
export function rate(name: string, unit: string, fn: (i: number) => number | void, opts: { note?: string; batch?: number } = {}): BenchResult {
  const m = measure(fn, opts.batch);
  return { name, value: Math.round(m.calls / m.secs), unit, note: opts.note };
}
