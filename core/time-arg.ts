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
