/**
 * A JSON reader that keeps every number as its source text. Coinsuper's asset-change push carries
 * balances as JSON numbers with 30 decimals (`0.738763122563248000000000000000`), which
 * `JSON.parse` would round to a double; the normalizers need the exact text.
 */

/** A JSON number, as written. */
export class JsonNumber {
  constructor(readonly text: string) {}
  toNumber(): number {
    return Number(this.text);
  }
}

/** `number` only comes from `parseJson`'s fast path, which admits integers of at most 15 digits. */
export type JsonValue = string | number | boolean | null | JsonNumber | JsonValue[] | { [key: string]: JsonValue };

const NUMBER_RE = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const MAX_DEPTH = 64;

export function parseJsonLossless(text: string): JsonValue {
  let i = 0;
  const fail = (what: string): never => {
    throw new SyntaxError(`${what} at offset ${i}`);
  };
  const ws = () => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
  };
  const str = (): string => {
    // Find the closing quote, then let JSON.parse decode the escapes of this one string.
    const start = i;
    i++;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x5c) i += 2;
      else if (c === 0x22) break;
      else i++;
    }
    if (i >= text.length) fail('unterminated string');
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (depth: number): JsonValue => {
    if (depth > MAX_DEPTH) fail('nesting too deep');
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const obj: { [key: string]: JsonValue } = {};
      ws();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a key');
        const key = str();
        ws();
        if (text[i] !== ':') fail('expected ":"');
        i++;
        obj[key] = value(depth + 1);
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return obj;
        } else fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      i++;
      const arr: JsonValue[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value(depth + 1));
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return arr;
        } else fail('expected "," or "]"');
      }
    }
    if (c === '"') return str();
    if (text.startsWith('true', i)) return ((i += 4), true);
    if (text.startsWith('false', i)) return ((i += 5), false);
    if (text.startsWith('null', i)) return ((i += 4), null);
    NUMBER_RE.lastIndex = i;
    const m = NUMBER_RE.exec(text);
    if (!m) return fail('unexpected character');
    i += m[0].length;
    return new JsonNumber(m[0]);
  };
  const v = value(0);
  ws();
  if (i !== text.length) fail('trailing characters');
  return v;
}

/**
 * A number token with a fraction or an exponent, or an integer of 16 digits or more: what a double
 * may not hold exactly. Every number token follows `:`, `[` or `,`; a match inside a string only
 * costs the slow path.
 */
const INEXACT_NUMBER_RE = /[:,[]\s*-?\d+[.eE]|[:,[]\s*-?\d{16}/;

/** JSON with exact numbers: `JSON.parse` when every number is a small integer, else the lossless reader. */
export function parseJson(text: string): JsonValue {
  return INEXACT_NUMBER_RE.test(text) ? parseJsonLossless(text) : (JSON.parse(text) as JsonValue);
}

export function isObject(v: JsonValue | undefined): v is { [key: string]: JsonValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof JsonNumber);
}

/** Decimal text of a field sent as a string or a number; null otherwise. */
export function decText(v: JsonValue | undefined): string | null {
  if (typeof v === 'string') return v;
  if (v instanceof JsonNumber) return v.text;
  if (typeof v === 'number') return String(v); // an integer of at most 15 digits (parseJson)
  return null;
}

/** Integer milliseconds of a field sent as a number or a numeric string (`utcDeal` is a string). */
export function msOf(v: JsonValue | undefined): number | null {
  const t = decText(v);
  if (t === null || !/^\d{1,16}$/.test(t)) return null;
  return Number(t);
}

export function strOf(v: JsonValue | undefined): string | null {
  return typeof v === 'string' ? v : null;
}
