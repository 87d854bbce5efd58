import { describe, expect, it } from 'vitest';
import {
  absDecimal,
  addDecimal,
  compareDecimal,
  decimalsOf,
  divDecimal,
  divUnits,
  formatDecimal,
  fromUnits,
  isDecimal,
  isZeroDecimal,
  mulDecimal,
  negDecimal,
  parseDecimal,
  pow10,
  rescale,
  signDecimal,
  subDecimal,
  toUnits,
  trimZeros,
  withScale,
} from '../../core/decimal.js';

const THIRTY = '0.123456789012345678901234567890';
const BIG = '123456789012345678901234567890123456789';

describe('isDecimal / parseDecimal', () => {
  it('accepts signed, fractional, bare-dot and space-padded text', () => {
    for (const s of ['0', '-0', '5', '-5', '1.50', '.5', '-.5', '5.', ' 7.25 ', '007', THIRTY, BIG]) {
      expect(isDecimal(s), s).toBe(true);
      expect(() => parseDecimal(s)).not.toThrow();
    }
  });

  it('rejects everything else with a RangeError naming the text', () => {
    for (const s of ['', ' ', '-', '.', '-.', '+1', '1e5', '1,5', '1.2.3', 'NaN', 'Infinity', '--1', '1-', '0x10', '١']) {
      expect(isDecimal(s), s).toBe(false);
      expect(() => parseDecimal(s), s).toThrow(RangeError);
    }
    expect(() => parseDecimal('abc')).toThrow(/not a decimal: "abc"/);
    for (const v of [1, null, undefined, {}, 1n]) expect(isDecimal(v)).toBe(false);
  });

  it('keeps the written scale', () => {
    expect(parseDecimal('1.50')).toEqual({ units: 150n, scale: 2 });
    expect(parseDecimal('-0.010')).toEqual({ units: -10n, scale: 3 });
    expect(parseDecimal('.5')).toEqual({ units: 5n, scale: 1 });
    expect(parseDecimal('5.')).toEqual({ units: 5n, scale: 0 });
    expect(parseDecimal('007')).toEqual({ units: 7n, scale: 0 });
    expect(parseDecimal(THIRTY)).toEqual({ units: 123456789012345678901234567890n, scale: 30 });
    expect(parseDecimal(BIG)).toEqual({ units: BigInt(BIG), scale: 0 });
  });
});

describe('formatDecimal / fromUnits', () => {
  it('round-trips canonical text exactly', () => {
    for (const s of ['0', '0.00', '1.50', '-1.50', '-0.000000000000000000000000000001', THIRTY, `-${THIRTY}`, BIG, `-${BIG}`, `${BIG}.${'0'.repeat(30)}`]) {
      expect(formatDecimal(parseDecimal(s))).toBe(s);
    }
  });

  it('never signs a zero', () => {
    expect(formatDecimal(parseDecimal('-0'))).toBe('0');
    expect(formatDecimal(parseDecimal('-0.00'))).toBe('0.00');
    expect(fromUnits(-0, 2)).toBe('0.00');
  });

  it('pads small values and formats numbers and bigints alike', () => {
    expect(fromUnits(12345n, 2)).toBe('123.45');
    expect(fromUnits(5n, 3)).toBe('0.005');
    expect(fromUnits(-5, 3)).toBe('-0.005');
    expect(fromUnits(7, 0)).toBe('7');
    expect(fromUnits(Number.MAX_SAFE_INTEGER, 2)).toBe('90071992547409.91');
    expect(fromUnits(-(10n ** 40n), 30)).toBe('-10000000000.000000000000000000000000000000');
  });
});

describe('scaling helpers', () => {
  it('toUnits pads or truncates toward zero', () => {
    expect(toUnits('1.5', 3)).toBe(1500n);
    expect(toUnits('1.23456', 2)).toBe(123n);
    expect(toUnits('-1.239', 2)).toBe(-123n);
    expect(toUnits('42', 0)).toBe(42n);
    expect(toUnits('42.', 2)).toBe(4200n);
    expect(toUnits(' .5 ', 2)).toBe(50n);
    expect(toUnits('-.59', 1)).toBe(-5n);
    expect(toUnits(THIRTY, 30)).toBe(123456789012345678901234567890n);
    expect(toUnits('1', 80)).toBe(10n ** 80n);
    expect(toUnits('0.5', 70)).toBe(5n * 10n ** 69n);
    expect(() => toUnits('x', 2)).toThrow(RangeError);
    expect(() => toUnits('', 2)).toThrow(RangeError);
  });

  it('rescale, withScale, decimalsOf, pow10', () => {
    expect(rescale({ units: 150n, scale: 2 }, 4)).toBe(15000n);
    expect(rescale({ units: -159n, scale: 2 }, 1)).toBe(-15n);
    expect(withScale('1.5', 4)).toBe('1.5000');
    expect(withScale('-1.59', 1)).toBe('-1.5');
    expect(withScale('-0.01', 1)).toBe('0.0');
    expect(withScale(THIRTY, 30)).toBe(THIRTY);
    expect(decimalsOf('1.50')).toBe(2);
    expect(decimalsOf('3')).toBe(0);
    expect(decimalsOf('3.')).toBe(0);
    expect(decimalsOf(THIRTY)).toBe(30);
    expect(pow10(0)).toBe(1n);
    expect(pow10(30)).toBe(10n ** 30n);
    expect(pow10(30)).toBe(pow10(30));
  });

  it('trimZeros keeps at least minDecimals', () => {
    expect(trimZeros('2.500')).toBe('2.5');
    expect(trimZeros('2.000')).toBe('2');
    expect(trimZeros('2.000', 2)).toBe('2.00');
    expect(trimZeros('2.5', 3)).toBe('2.5');
    expect(trimZeros('100')).toBe('100');
    expect(trimZeros('-0.10')).toBe('-0.1');
    expect(trimZeros('0.000')).toBe('0');
    expect(trimZeros(`1.${'0'.repeat(30)}`)).toBe('1');
  });
});

describe('arithmetic', () => {
  it('add and sub keep the larger scale', () => {
    expect(addDecimal('1.5', '2.25')).toBe('3.75');
    expect(addDecimal('1.50', '1.50')).toBe('3.00');
    expect(addDecimal('-1', '1')).toBe('0');
    expect(addDecimal('-1.0', '0.5')).toBe('-0.5');
    expect(addDecimal('0.1', '0.2')).toBe('0.3');
    expect(subDecimal('0.3', '0.1')).toBe('0.2');
    expect(subDecimal('1', '1.000')).toBe('0.000');
    expect(subDecimal('-0', '0')).toBe('0');
    expect(addDecimal(THIRTY, THIRTY)).toBe('0.246913578024691357802469135780');
    expect(addDecimal(BIG, '1')).toBe('123456789012345678901234567890123456790');
    expect(subDecimal('0', BIG)).toBe(`-${BIG}`);
    expect(addDecimal(BIG, '0.000000000000000000000000000001')).toBe(`${BIG}.000000000000000000000000000001`);
  });

  it('mul keeps the sum of scales', () => {
    expect(mulDecimal('48577', '0.01')).toBe('485.77');
    expect(mulDecimal('1.10', '2.0')).toBe('2.200');
    expect(mulDecimal('-2', '3.5')).toBe('-7.0');
    expect(mulDecimal('-2', '-3.5')).toBe('7.0');
    expect(mulDecimal('-0', '5')).toBe('0');
    expect(mulDecimal(THIRTY, '1000000000000000000000000000000')).toBe('123456789012345678901234567890.000000000000000000000000000000');
    expect(mulDecimal(BIG, BIG)).toBe((BigInt(BIG) * BigInt(BIG)).toString());
  });

  it('neg, abs, sign, compare, zero', () => {
    expect(negDecimal('1.50')).toBe('-1.50');
    expect(negDecimal('-1.50')).toBe('1.50');
    expect(negDecimal('0.00')).toBe('0.00');
    expect(negDecimal('-0')).toBe('0');
    expect(absDecimal('-1.50')).toBe('1.50');
    expect(absDecimal('-0')).toBe('0');
    expect(absDecimal(' 2 ')).toBe('2');
    expect(signDecimal('-0.00')).toBe(0);
    expect(signDecimal('-0.000000000000000000000000000001')).toBe(-1);
    expect(signDecimal(BIG)).toBe(1);
    expect(compareDecimal('1.0', '1')).toBe(0);
    expect(compareDecimal('-0', '0.00')).toBe(0);
    expect(compareDecimal('0.1', '0.09')).toBe(1);
    expect(compareDecimal('-2', '-1.5')).toBe(-1);
    expect(compareDecimal(THIRTY, '0.12345678901234567890123456789')).toBe(0);
    expect(compareDecimal(THIRTY, '0.123456789012345678901234567891')).toBe(-1);
    expect(isZeroDecimal('-0.000')).toBe(true);
    expect(isZeroDecimal('0.001')).toBe(false);
    expect(() => addDecimal('1', 'x')).toThrow(RangeError);
    expect(() => compareDecimal('', '0')).toThrow(RangeError);
  });
});

describe('division', () => {
  it('divUnits truncates or rounds half away from zero for every sign', () => {
    expect(divUnits(7n, 2n, 'truncate')).toBe(3n);
    expect(divUnits(-7n, 2n, 'truncate')).toBe(-3n);
    expect(divUnits(7n, 2n, 'half-away-from-zero')).toBe(4n);
    expect(divUnits(-7n, 2n, 'half-away-from-zero')).toBe(-4n);
    expect(divUnits(7n, -2n, 'half-away-from-zero')).toBe(-4n);
    expect(divUnits(-7n, -2n, 'half-away-from-zero')).toBe(4n);
    expect(divUnits(10n, 4n, 'half-away-from-zero')).toBe(3n);
    expect(divUnits(9n, 4n, 'half-away-from-zero')).toBe(2n);
    expect(divUnits(-9n, 4n, 'half-away-from-zero')).toBe(-2n);
    expect(divUnits(8n, 4n, 'half-away-from-zero')).toBe(2n);
    expect(() => divUnits(1n, 0n, 'truncate')).toThrow(RangeError);
  });

  it('divDecimal gives exactly the stated fraction digits', () => {
    expect(divDecimal('1', '3', 4, 'truncate')).toBe('0.3333');
    expect(divDecimal('2', '3', 4, 'truncate')).toBe('0.6666');
    expect(divDecimal('2', '3', 4, 'half-away-from-zero')).toBe('0.6667');
    expect(divDecimal('-2', '3', 4, 'half-away-from-zero')).toBe('-0.6667');
    expect(divDecimal('-2', '3', 4, 'truncate')).toBe('-0.6666');
    expect(divDecimal('10', '4', 0, 'half-away-from-zero')).toBe('3');
    expect(divDecimal('10', '4', 0, 'truncate')).toBe('2');
    expect(divDecimal('1.5', '0.5', 2, 'truncate')).toBe('3.00');
    expect(divDecimal('0', '-7', 3, 'truncate')).toBe('0.000');
    expect(divDecimal('-0.0001', '3', 2, 'truncate')).toBe('0.00');
    expect(divDecimal('1', '3', 30, 'truncate')).toBe(`0.${'3'.repeat(30)}`);
    expect(divDecimal(BIG, '1', 0, 'truncate')).toBe(BIG);
    expect(() => divDecimal('1', '0.00', 2, 'truncate')).toThrow(/division by zero/);
  });
});
