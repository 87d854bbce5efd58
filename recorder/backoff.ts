/**
 * Reconnect delays: exponential backoff with jitter ("equal jitter": half fixed, half random), so
 * that many connections dropped by one outage do not come back in lockstep. Pure.
 */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  /** Growth per failed attempt. */
  factor?: number;
}

const BACKOFF_FACTOR = 2;

/** Delay before attempt `attempt` (0 = the first reconnect), `random` in [0, 1). */
export function backoffDelayMs(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const factor = policy.factor ?? BACKOFF_FACTOR;
  const ceiling = Math.min(policy.maxMs, policy.initialMs * factor ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
