/**
 * Exact decimal arithmetic on the decimal strings exchanges send (prices, quantities, 30-decimal
 * balances). A value is a bigint count of 10^-scale units, so sums, differences and products keep
 * every digit and never pass through a binary float.
 *
 * Grammar accepted everywhere (`isDecimal`, `parseDecimal`, `toUnits`): optional surrounding
 * whitespace, an optional leading `-`, digits with an optional `.` and fraction, at least one digit
 * in all (`5`, `-0.10`, `.5`, `5.`). No `+`, exponent, thousands separator, NaN or Infinity.
 *
 * Results keep their natural scale (the larger of the operands' for add/sub, the sum for mul), so
 * `formatDecimal(parseDecimal(s))` gives back `s` for any canonical `s` (`"1.50"` stays `"1.50"`);
 * callers that want `"1.5"` say so with `trimZeros`. A zero is never signed: `"-0.00"` formats
 * as `"0.00"`.
 */

interface Scaled {
  /** value × 10^scale */
  readonly units: bigint;
  /** number of fraction digits, ≥ 0 */
  readonly scale: number;
}

const DECIMAL_RE = /^(-?)(\d*)(?:\.(\d*))?$/;
/** The common shape of exchange text (`12.5`, `-3`): the fast path of `toUnits`. */
const PLAIN_RE = /^-?\d+(?:\.\d*)?$/;

function notADecimal(text: unknown): RangeError {
  return new RangeError(`not a decimal: ${JSON.stringify(text)} (expected digits with an optional "-" and ".", e.g. "-12.50")`);
}

export function isDecimal(text: unknown): text is string {
  if (typeof text !== 'string') return false;
  const m = DECIMAL_RE.exec(text.trim());
  return m !== null && (m[2] !== '' || (m[3] ?? '') !== '');
}

/** Throws RangeError when `text` is not a decimal (see the grammar above). */
export function parseDecimal(text: string): Scaled {
  const m = DECIMAL_RE.exec(text.trim());
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw notADecimal(text);
  const frac = m[3] ?? '';
  const units = BigInt(`${m[2] || '0'}${frac}`);
  return { units: m[1] === '-' ? -units : units, scale: frac.length };
}

/** Exactly `v.scale` fraction digits; `-` only on a non-zero value. */
export function formatDecimal(v: Scaled): string {
  return fromUnits(v.units, v.scale);
}

const POW10: bigint[] = [];
export function pow10(n: number): bigint {
  return (POW10[n] ??= 10n ** BigInt(n));
}

/**
 * Integer units of 10^-scale as decimal text with exactly `scale` fraction digits
 * (`12345n, 2` → `"123.45"`). Accepts a safe-integer number too: it prints without a BigInt, which
 * matters on paths that format every trade and book level.
 */
export function fromUnits(units: bigint | number, scale: number): string {
  const neg = units < 0;
  let s = typeof units === 'number' && Number.isSafeInteger(units) ? Math.abs(units).toString() : (neg ? -BigInt(units) : BigInt(units)).toString();
  if (scale > 0) {
    s = s.padStart(scale + 1, '0');
    s = `${s.slice(0, s.length - scale)}.${s.slice(s.length - scale)}`;
  }
  return neg ? `-${s}` : s;
}

const ZEROS = '0'.repeat(64);
function zeros(n: number): string {
  return n <= 64 ? ZEROS.slice(0, n) : '0'.repeat(n);
}

/** `text` as an integer count of 10^-scale units; fraction digits beyond `scale` are truncated toward zero. */
export function toUnits(text: string, scale: number): bigint {
  if (!PLAIN_RE.test(text)) {
    // Rare shapes (surrounding space, ".5", "-.5") go through the full parser.
    const v = parseDecimal(text);
    return rescale(v, scale);
  }
  const dot = text.indexOf('.');
  let digits: string;
  if (dot < 0) digits = scale === 0 ? text : text + zeros(scale);
  else {
    const frac = text.length - dot - 1;
    const head = text.slice(0, dot);
    if (frac >= scale) digits = head + text.slice(dot + 1, dot + 1 + scale);
    else digits = head + text.slice(dot + 1) + zeros(scale - frac);
  }
  // Up to 15 digits fit a double exactly, and BigInt(number) is cheaper than parsing a string.
  return digits.length <= 15 ? BigInt(Number(digits)) : BigInt(digits);
}

/** `v` at another scale; extra fraction digits are truncated toward zero. */
export function rescale(v: Scaled, scale: number): bigint {
  if (scale >= v.scale) return v.units * pow10(scale - v.scale);
  return v.units / pow10(v.scale - scale);
}

/** Re-scales decimal text to exactly `scale` fraction digits (extra ones truncated toward zero). */
export function withScale(text: string, scale: number): string {
  return fromUnits(toUnits(text, scale), scale);
}

/** Number of fraction digits as written (`"1.50"` → 2, `"3"` → 0); the text is not validated. */
export function decimalsOf(text: string): number {
  const t = text.trim();
  const dot = t.indexOf('.');
  return dot < 0 ? 0 : t.length - dot - 1;
}

/**
 * Trailing fraction zeros removed, keeping at least `minDecimals` fraction digits; the `.` goes when
 * no fraction digit is left (`"2.500"` → `"2.5"`, `"2.000"` → `"2"`, `"2.000", 2` → `"2.00"`).
 * Text without a `.` is returned as is.
 */
export function trimZeros(text: string, minDecimals = 0): string {
  const dot = text.indexOf('.');
  if (dot < 0) return text;
  let end = text.length;
  while (end > dot + 1 + minDecimals && text[end - 1] === '0') end--;
  if (end === dot + 1) end = dot;
  return text.slice(0, end);
}

function align(a: Scaled, b: Scaled): [bigint, bigint, number] {
  const scale = Math.max(a.scale, b.scale);
  return [rescale(a, scale), rescale(b, scale), scale];
}

/** a + b at the larger scale of the two (`"1.5" + "2.25"` → `"3.75"`, `"1.50" + "1.50"` → `"3.00"`). */
export function addDecimal(a: string, b: string): string {
  const [x, y, scale] = align(parseDecimal(a), parseDecimal(b));
  return fromUnits(x + y, scale);
}

/** a − b at the larger scale of the two. */
export function subDecimal(a: string, b: string): string {
  const [x, y, scale] = align(parseDecimal(a), parseDecimal(b));
  return fromUnits(x - y, scale);
}

/** a × b at the sum of the scales (`"48577" × "0.01"` → `"485.77"`, `"1.10" × "2.0"` → `"2.200"`). */
export function mulDecimal(a: string, b: string): string {
  const x = parseDecimal(a);
  const y = parseDecimal(b);
  return fromUnits(x.units * y.units, x.scale + y.scale);
}

/** −a at a's scale; a zero stays unsigned. */
export function negDecimal(a: string): string {
  const v = parseDecimal(a);
  return fromUnits(-v.units, v.scale);
}

/** |a| at a's scale (`"-1.50"` → `"1.50"`, `"-0"` → `"0"`). */
export function absDecimal(a: string): string {
  const v = parseDecimal(a);
  return fromUnits(v.units < 0n ? -v.units : v.units, v.scale);
}

/** -1, 0 or 1 by value, whatever the scales (`"1.0"` equals `"1"`). */
export function compareDecimal(a: string, b: string): -1 | 0 | 1 {
  const [x, y] = align(parseDecimal(a), parseDecimal(b));
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Sign of the value: -1, 0 or 1 (`"-0.00"` → 0). */
export function signDecimal(a: string): -1 | 0 | 1 {
  const { units } = parseDecimal(a);
  return units === 0n ? 0 : units < 0n ? -1 : 1;
}

export function isZeroDecimal(a: string): boolean {
  return parseDecimal(a).units === 0n;
}

/** How `divDecimal` and `divUnits` treat the digits past the last kept one. */
type Rounding = 'truncate' | 'half-away-from-zero';

/** a ÷ b rounded to an integer: toward zero, or half away from zero (b ≠ 0). */
export function divUnits(a: bigint, b: bigint, rounding: Rounding): bigint {
  if (b === 0n) throw new RangeError('division by zero: check the divisor is non-zero before dividing');
  const q = a / b;
  if (rounding === 'truncate') return q;
  const r = a % b;
  if (r === 0n) return q;
  const twiceR = (r < 0n ? -r : r) * 2n;
  if (twiceR < (b < 0n ? -b : b)) return q;
  return a < 0n !== b < 0n ? q - 1n : q + 1n;
}

/**
 * a ÷ b with exactly `fractionDigits` fraction digits, the rest rounded as `rounding` says
 * (`"1" ÷ "3", 4, truncate` → `"0.3333"`; `"2" ÷ "3", 4, half-away-from-zero` → `"0.6667"`).
 * Throws RangeError when b is zero.
 */
export function divDecimal(a: string, b: string, fractionDigits: number, rounding: Rounding): string {
  const [x, y] = align(parseDecimal(a), parseDecimal(b));
  if (y === 0n) throw new RangeError(`division by zero: ${JSON.stringify(a)} ÷ ${JSON.stringify(b)}`);
  return fromUnits(divUnits(x * pow10(fractionDigits), y, rounding), fractionDigits);
}
