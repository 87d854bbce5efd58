/**
 * Fixed-point numbers. The market keeps prices as integer ticks and amounts as integer lots (and
 * the account as bigint at ACCOUNT_SCALE), so sums are exact and the strings the exchanges send
 * carry exactly the instrument's decimals, never binary-float noise. Formatting comes from
 * core/decimal; parsing stays here because order input is held to a stricter shape.
 */
import { fromUnits, pow10, trimZeros } from '../core/decimal.js';

export { pow10 };

/** `12345n, 2` → `"123.45"`; negative values keep their sign. */
export const formatFixed: (value: bigint | number, decimals: number) => string = fromUnits;

/** Like formatFixed, then trailing zeros removed but at least `minDecimals` kept. */
export function formatTrimmed(value: bigint, decimals: number, minDecimals = 0): string {
  return trimZeros(fromUnits(value, decimals), minDecimals);
}

/**
 * Parses a decimal string into an integer at `decimals` scale; null when it has more (non-zero)
 * decimals or is not a number. Order input must have digits on both sides of any `.` ("5." and
 * ".5" are refused), stricter than core/decimal's grammar, and too many decimals is a rejection
 * here rather than a truncation.
 */
export function parseFixed(text: string, decimals: number): bigint | null {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!m) return null;
  const frac = (m[3] ?? '').replace(/0+$/, '');
  if (frac.length > decimals) return null;
  const v = BigInt(m[2] + frac.padEnd(decimals, '0'));
  return m[1] ? -v : v;
}
