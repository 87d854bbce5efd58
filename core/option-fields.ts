/**
 * Field types of the command option schemas (replay, simulate, analyze, report, query, record's
 * flags, demo). Each accepts what a command line gives (a string) and what a TypeScript caller gives
 * (a number, a Date, a bigint), checks it and returns the typed value; an error says what the value
 * must be and what it was, and `parseOptions` (parse-options.ts) names the option in front of it
 * (`--grace-ms` on the command line, `graceMs` from the library). An issue may carry the error code
 * it stands for (`params.code`), e.g. TT_BAD_TIME for a time or TT_UNKNOWN_EXCHANGE.
 */
import { z } from 'zod';
import type { ErrorCode } from './error-codes.js';
import { MAX_PORT } from './listen.js';
import { parseTimeArg } from './time-arg.js';

type Ctx = z.RefinementCtx;

function fail(ctx: Ctx, message: string, code?: ErrorCode): typeof z.NEVER {
  ctx.addIssue({ code: z.ZodIssueCode.custom, message, params: code ? { code } : undefined });
  return z.NEVER;
}

/** A value as an error message shows it: the same whether a command line gave "250" or code gave 250. */
export function shown(v: unknown): string {
  if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v)) return v;
  return typeof v === 'string' ? `"${v}"` : typeof v === 'bigint' ? `${v}n` : String(v);
}

/** A number from a number or a decimal string (`"250"`, `"0.5"`, `"1e3"`); anything else is NaN. */
function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && /^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i.test(v.trim())) return Number(v);
  return NaN;
}

interface IntRange {
  min?: number;
  max?: number;
  /** Unit shown in the message: "ms", "bytes", "frames". */
  unit?: string;
}

function rangeText(kind: 'an integer' | 'a number', r: IntRange): string {
  const unit = r.unit ? ` (${r.unit})` : '';
  if (r.min !== undefined && r.max !== undefined) return `${kind} from ${r.min} to ${r.max}${unit}`;
  if (r.min === 0) return `${kind === 'an integer' ? 'a non-negative integer' : 'a non-negative number'}${unit}`;
  if (r.min === 1 && kind === 'an integer') return `a positive integer${unit}`;
  if (r.min !== undefined) return `${kind} of at least ${r.min}${unit}`;
  if (r.max !== undefined) return `${kind} of at most ${r.max}${unit}`;
  return `${kind}${unit}`;
}

/** An integer within [min, max]. */
export function intField(r: IntRange = {}) {
  return z.unknown().transform((v, ctx): number => {
    const n = toNumber(v);
    if (!Number.isSafeInteger(n) || (r.min !== undefined && n < r.min) || (r.max !== undefined && n > r.max)) return fail(ctx, `must be ${rangeText('an integer', r)}, got ${shown(v)}`);
    return n;
  });
}

interface NumberRange extends IntRange {
  /** The lower bound itself is not allowed (a rate of 0 steps nothing). */
  exclusiveMin?: boolean;
}

/** A finite number within its range. */
export function numberField(r: NumberRange = {}) {
  return z.unknown().transform((v, ctx): number => {
    const n = toNumber(v);
    const low = r.min === undefined ? true : r.exclusiveMin ? n > r.min : n >= r.min;
    if (!Number.isFinite(n) || !low || (r.max !== undefined && n > r.max)) {
      const what = r.exclusiveMin && r.min === 0 ? `a number above 0${r.max !== undefined ? ` and at most ${r.max}` : ''}${r.unit ? ` (${r.unit})` : ''}` : rangeText('a number', r);
      return fail(ctx, `must be ${what}, got ${shown(v)}`);
    }
    return n;
  });
}

/** A TCP port, 0 for any free port. */
export function portField() {
  return z.unknown().transform((v, ctx): number => {
    const n = toNumber(v);
    if (!Number.isInteger(n) || n < 0 || n > MAX_PORT) return fail(ctx, `${shown(v)} is not a port: use 1-${MAX_PORT}, or 0 for any free port`);
    return n;
  });
}

/** A speed: a number above 0 (1 = real time) or "max". */
export function speedField() {
  return z.unknown().transform((v, ctx): number | 'max' => {
    if (v === 'max') return 'max';
    const n = toNumber(v);
    if (!Number.isFinite(n) || n <= 0) return fail(ctx, `must be a positive number or "max", got ${shown(v)}`);
    return n;
  });
}

/**
 * A time: a Date, an ISO 8601 string, epoch seconds/ms/ns as digits, epoch ms as a number, or ns as
 * a bigint. Returns ns since the epoch.
 */
export function timeField() {
  return z.unknown().transform((v, ctx): bigint => {
    if (typeof v === 'bigint') return v;
    if (v instanceof Date) {
      const ms = v.getTime();
      return Number.isNaN(ms) ? fail(ctx, 'is an invalid Date', 'TT_BAD_TIME') : BigInt(ms) * 1_000_000n;
    }
    if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? BigInt(v) * 1_000_000n : fail(ctx, `must be epoch ms (a non-negative integer), got ${v}`, 'TT_BAD_TIME');
    if (typeof v === 'string') {
      try {
        return parseTimeArg(v);
      } catch {
        return fail(ctx, `cannot be read as a time: "${v}": use ISO 8601 like 2026-11-23T10:00:00Z, or epoch ms/ns`, 'TT_BAD_TIME');
      }
    }
    return fail(ctx, `must be a Date, an ISO 8601 string or epoch ms/ns, got ${shown(v)}`, 'TT_BAD_TIME');
  });
}

/** One of a fixed set of names (`--format`); `code` is the error code a wrong one stands for. */
export function choiceField<const T extends string>(choices: readonly T[], code?: ErrorCode) {
  return z.unknown().transform((v, ctx): T => {
    if (typeof v === 'string' && (choices as readonly string[]).includes(v)) return v as T;
    const close = typeof v === 'string' ? closest(v, choices) : null;
    return fail(ctx, `${shown(v)} is not one of ${choices.join(', ')}${close ? ` (did you mean ${close}?)` : ''}`, code);
  });
}

/** A non-empty string. */
export function textField() {
  return z.unknown().transform((v, ctx): string => (typeof v === 'string' && v.trim() !== '' ? v : fail(ctx, `must be a non-empty string, got ${shown(v)}`)));
}

/** A list of strings from an array or a comma-separated string (`"BTC-USDT,ETH-USDT"`). */
export function listField() {
  return z.unknown().transform((v, ctx): string[] => {
    const items = typeof v === 'string' ? v.split(',') : Array.isArray(v) ? v : null;
    if (!items || !items.every((x) => typeof x === 'string')) return fail(ctx, `must be a list of names, got ${shown(v)}`);
    return (items as string[]).map((s) => s.trim()).filter(Boolean);
  });
}

/** true/false (commander's switches give booleans already). */
export function boolField() {
  return z.unknown().transform((v, ctx): boolean => {
    if (typeof v === 'boolean') return v;
    if (v === 'true') return true;
    if (v === 'false') return false;
    return fail(ctx, `must be true or false, got ${shown(v)}`);
  });
}

/** Levenshtein distance, for "did you mean". */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  }
  return d[a.length][b.length];
}

/** The closest of `choices` to `value` when it is close enough to be a typo (at most a third of it differs). */
export function closest(value: string, choices: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const c of choices) {
    const dist = editDistance(value.toLowerCase(), c.toLowerCase());
    if (dist < bestD) {
      bestD = dist;
      best = c;
    }
  }
  // equal but for case (graceMS for graceMs) is a typo too; the value itself is no suggestion
  return best !== null && best !== value && bestD <= Math.max(1, Math.floor(best.length / 3)) ? best : null;
}
