/**
 * Exact decimal arithmetic on Coinstore's decimal strings, for the few derived fields its messages
 * carry (order amount = price × quantity, remaining = quantity − executed) and the fill price a
 * normalizer derives (match amount ÷ match quantity). Built on core/decimal; Coinstore's written
 * form drops trailing fraction zeros ("2.50" × "2" → "5").
 */
import { divDecimal, mulDecimal, signDecimal, subDecimal, trimZeros } from '../../core/decimal.js';

export { isDecimal } from '../../core/decimal.js';

/** Fraction digits kept by `decDiv` when the quotient does not terminate earlier. */
const DIV_FRACTION_DIGITS = 18;

export function decMul(a: string, b: string): string {
  return trimZeros(mulDecimal(a, b));
}

export function decSub(a: string, b: string): string {
  return trimZeros(subDecimal(a, b));
}

/** a ÷ b, truncated to DIV_FRACTION_DIGITS fraction digits; null when b is zero. */
export function decDiv(a: string, b: string): string | null {
  if (signDecimal(b) === 0) {
    signDecimal(a); // a malformed dividend still throws, as before
    return null;
  }
  return trimZeros(divDecimal(a, b, DIV_FRACTION_DIGITS, 'truncate'));
}

/** Compares a decimal string with zero: -1, 0 or 1. */
export function decSign(a: string): -1 | 0 | 1 {
  return signDecimal(a);
}
