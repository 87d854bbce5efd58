/**
 * The decimal results the trading socket's responses carry (an order's total commission, a
 * balance's market value, a position's value), in Coinceres's written form: exact sums and
 * products from core/decimal with trailing fraction zeros dropped ("1.50" × "2" → "3").
 */
import { addDecimal as add, mulDecimal as mul, trimZeros } from '../../core/decimal.js';

export { absDecimal } from '../../core/decimal.js';

export function addDecimal(a: string, b: string): string {
  return trimZeros(add(a, b));
}

export function mulDecimal(a: string, b: string): string {
  return trimZeros(mul(a, b));
}

/** 10^-decimals as text: 2 → "0.01", 0 → "1". */
export function stepOf(decimals: number): string {
  return decimals <= 0 ? '1' : `0.${'0'.repeat(decimals - 1)}1`;
}
