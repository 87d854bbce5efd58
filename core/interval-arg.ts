/**
 * A bucket interval as a user writes it (`--interval '5 minutes'`, `1m`, `250ms`, `1 hour 30 minutes`),
 * read in plain TypeScript before any SQL runs: a typo is a usage error that lists the accepted
 * forms, not a DuckDB conversion error. The result is the text DuckDB reads (`300 seconds`) and its
 * length. Months and years are refused: they have no fixed length, and bars are fixed buckets.
 */
import { TicktapeError } from './errors.js';

const UNIT_MS: Array<[RegExp, number, string]> = [
  [/^(ms|msecs?|milliseconds?)$/, 1, 'milliseconds'],
  [/^(s|secs?|seconds?)$/, 1_000, 'seconds'],
  [/^(m|mins?|minutes?)$/, 60_000, 'minutes'],
  [/^(h|hrs?|hours?)$/, 3_600_000, 'hours'],
  [/^(d|days?)$/, 86_400_000, 'days'],
  [/^(w|weeks?)$/, 604_800_000, 'weeks'],
];

export const INTERVAL_FORMS = "'1 second', '10 seconds', '1 minute', '5 minutes', '1 hour', '1 day', '250ms', '1m', '4h'";

interface IntervalArg {
  /** For DuckDB: `CAST(sql AS INTERVAL)`, in milliseconds so any sum of parts is exact. */
  sql: string;
  ms: number;
}

export function parseIntervalArg(value: string, what = '--interval'): IntervalArg {
  const text = value.trim().toLowerCase();
  const parts = [...text.matchAll(/(\d+)\s*([a-z]+)\s*/g)];
  const consumed = parts.map((p) => p[0]).join('');
  let ms = 0;
  let ok = parts.length > 0 && consumed.length === text.length;
  for (const [, n, unit] of ok ? parts : []) {
    const u = UNIT_MS.find(([re]) => re.test(unit));
    if (!u) {
      ok = false;
      break;
    }
    ms += Number(n) * u[1];
  }
  if (!ok || !Number.isSafeInteger(ms) || ms <= 0) {
    const why = /mon|year|yr/.test(text) ? ' (months and years have no fixed length: use days or weeks)' : '';
    throw new TicktapeError('TT_CONFIG_INVALID', `${what} "${value}" is not an interval${why}: use a positive length like ${INTERVAL_FORMS}.`, { value });
  }
  return { sql: `${ms} milliseconds`, ms };
}
