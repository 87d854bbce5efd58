/**
 * The scaled-bigint helpers the Coinsuper server side sums depth and formats 30-decimal balances
 * with, from core/decimal: no float on the way.
 */
import { divUnits } from '../../core/decimal.js';

export { decimalsOf, fromUnits, pow10, toUnits } from '../../core/decimal.js';

/** a / b rounded half away from zero (b > 0). */
export function divRound(a: bigint, b: bigint): bigint {
  return divUnits(a, b, 'half-away-from-zero');
}
