import { TicktapeError } from './errors.js';

/**
 * Parses a user-given time (CLI flag or query parameter) into ns since the epoch.
 * Accepts ISO 8601 (`2026-11-23T10:00:00Z`, `2026-11-23`), integer ms (13 digits), integer ns (19 digits)
 * and integer seconds (10 digits).
 */
export function parseTimeArg(value: string, what = 'time'): bigint {
  const v = value.trim();
  if (/^\d+$/.test(v)) {
    if (v.length >= 18) return BigInt(v);
    if (v.length >= 12) return BigInt(v) * 1_000_000n;
    return BigInt(v) * 1_000_000_000n;
  }
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) {
    throw new TicktapeError('TT_BAD_TIME', `Cannot read ${what} "${value}": use ISO 8601 like 2026-11-23T10:00:00Z, or epoch ms/ns.`, { value });
  }
  return BigInt(ms) * 1_000_000n;
}

/**
 * A time as a TypeScript caller gives one: a `Date`, an ISO 8601 string (or digits as above),
 * epoch milliseconds as a number, or epoch nanoseconds as a bigint.
 */
export type TimeInput = Date | string | number | bigint;

/** Any TimeInput as ns since the epoch; TT_BAD_TIME naming `what` otherwise. */
export function timeInputNs(value: TimeInput, what = 'time'): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'string') return parseTimeArg(value, what);
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms)) throw new TicktapeError('TT_BAD_TIME', `${what} is an invalid Date: pass a valid Date, an ISO 8601 string, epoch ms (number) or ns (bigint).`);
    return BigInt(ms) * 1_000_000n;
  }
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value) * 1_000_000n;
  throw new TicktapeError('TT_BAD_TIME', `Cannot read ${what} ${String(value)}: pass a Date, an ISO 8601 string, epoch ms as a non-negative integer or ns as a bigint.`, { value: String(value) });
}

/** The range [from, to) in ns; TT_BAD_TIME when it ends before it starts. */
export function timeRangeNs(from: TimeInput | undefined, to: TimeInput | undefined): { fromNs?: bigint; toNs?: bigint } {
  const fromNs = from === undefined ? undefined : timeInputNs(from, 'from');
  const toNs = to === undefined ? undefined : timeInputNs(to, 'to');
  if (fromNs !== undefined && toNs !== undefined && toNs < fromNs) {
    throw new TicktapeError('TT_BAD_TIME', `The range ends (to) before it starts (from): swap them, or leave one out.`, { from: String(fromNs), to: String(toNs) });
  }
  return { fromNs, toNs };
}
