/**
 * The decimal operations the Nexus formatter needs, on core/decimal: sums, differences and signs
 * keep the operands' scale ("1.50" stays "1.50"), products drop trailing fraction zeros
 * (48577 × 0.01 = "485.77", not "485.7700"), and the two Nexus-only helpers below split a level's
 * volume between counterparties and move a price by ticks, digit for digit.
 */
import { fromUnits, mulDecimal as mul, parseDecimal, trimZeros } from '../../core/decimal.js';

export {
  absDecimal,
  addDecimal,
  compareDecimal,
  isZeroDecimal as isZero,
  negDecimal,
  subDecimal,
} from '../../core/decimal.js';

/** Splits a non-negative decimal into two parts (about `num/den` and the rest) with the same scale. */
export function splitDecimal(s: string, num: bigint, den: bigint): [string, string] {
  const v = parseDecimal(s);
  const first = (v.units * num) / den;
  return [fromUnits(first, v.scale), fromUnits(v.units - first, v.scale)];
}

/** `s` moved by `ticks` units of its last decimal place. */
export function addTicks(s: string, ticks: number): string {
  const v = parseDecimal(s);
  return fromUnits(v.units + BigInt(ticks), v.scale);
}

/** Exact product, trailing fractional zeros removed (48577 × 0.01 = "485.77", not "485.7700"). */
export function mulDecimal(a: string, b: string): string {
  return trimZeros(mul(a, b));
}
