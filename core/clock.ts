/**
 * Clock helpers. Receive times are integer nanoseconds since the Unix epoch (bigint), taken from a
 * wall-clock anchor plus the monotonic clock so that they never go backwards within a process.
 */
const anchorWallNs = BigInt(Date.now()) * 1_000_000n;
const anchorMono = process.hrtime.bigint();

/** Wall-clock time in ns, monotonic within this process (anchored once at start-up). */
export function nowNs(): bigint {
  return anchorWallNs + (process.hrtime.bigint() - anchorMono);
}

/** Monotonic clock in ns (arbitrary origin). */
export function monoNs(): bigint {
  return process.hrtime.bigint();
}

/** The raw wall clock, not anchored: used to measure drift between wall and monotonic time. */
export function wallNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}
