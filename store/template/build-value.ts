/**
 * Template + slots + rest → the frame's JSON value (what JSON.parse of the rebuilt text gives),
 * without rebuilding the text or parsing it: a parsed consumer's path (the reader's `parse` option).
 *
 * Each distinct template is compiled once (cached by its text) into a function that builds the
 * value straight from the row's slot values and rest fields: the template's structure (objects,
 * arrays, keys, literal constants) is known once per template, only the holes vary per row.
 *  - an integer slot → the number itself (slot values are safe integers: exact); in quotes, its
 *    digits as a string (the canonical text the slot was taken from);
 *  - a decimal slot (mantissa × 16 + scale, mantissa < 2^49) → mantissa / 10^scale: both operands
 *    are exact doubles and IEEE division rounds correctly, so it is the double JSON.parse gives for
 *    the digits; in quotes, the digits with the point put back;
 *  - a rest field in quotes → the text as it is when the row's rest holds no backslash and no
 *    control character (nothing to unescape), else JSON.parse of that one string;
 *  - a bare rest field → Number of the token when it is a JSON number (Number and JSON.parse round
 *    the same way), else the frame is not JSON.
 * A template whose structure the compiler does not take as it is (not one JSON value, a duplicate
 * key, a `__proto__` key — an object literal would set the prototype where JSON.parse makes an own
 * property) gets no builder: its frames are parsed from their rebuilt text. Generated code holds
 * only keys written through JSON.stringify and references to a constants array: no frame text
 * becomes code.
 */
import { DEC_MARK_CODE, INT_MARK_CODE, SEP, SEP_CODE, SLOT_CHAR_BASE } from './format.js';

/** A compiled template's value builder: slot values by slot, and the row's rest text. Throws when the frame is not JSON. */
export type ValueBuilder = (slots: ArrayLike<number>, rest: string) => unknown;

/** A rest text with nothing to unescape in its string fields: no backslash, no control character but the separator. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
const NEEDS_UNESCAPE = /[\x00-\x1e\\]/;
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const POW10 = Array.from({ length: 16 }, (_, k) => 10 ** k);

/** Helpers the generated code calls. */
const H = {
  /** A quoted rest field with escapes (or invalid characters): JSON.parse decides. */
  str(f: string): string {
    return JSON.parse(`"${f}"`) as string;
  },
  /** A bare rest token. */
  num(f: string): number {
    if (!JSON_NUMBER.test(f)) throw new SyntaxError('not a JSON number');
    return Number(f);
  },
  /** A decimal slot as a number. */
  dec(v: number): number {
    const m = Math.floor(v / 16);
    return m / POW10[v - m * 16];
  },
  /** A decimal slot as the text it was taken from. */
  decStr(v: number): string {
    const m = Math.floor(v / 16);
    const scale = v - m * 16;
    let d = String(m);
    if (d.length <= scale) d = '0'.repeat(scale + 1 - d.length) + d;
    return `${d.slice(0, d.length - scale)}.${d.slice(d.length - scale)}`;
  },
};

class Unsupported extends Error {}

/** Parses a template's text into the code of an expression building its value. */
class TemplateCompiler {
  private i = 0;
  private restHoles = 0;
  readonly consts: unknown[] = [];

  constructor(private readonly t: string) {}

  compile(): { expr: string; restHoles: number } {
    const expr = this.value();
    this.ws();
    if (this.i !== this.t.length) throw new Unsupported();
    return { expr, restHoles: this.restHoles };
  }

  private ws(): void {
    const t = this.t;
    for (;;) {
      const c = t.charCodeAt(this.i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.i++;
      else return;
    }
  }

  private konst(v: unknown): string {
    this.consts.push(v);
    return `c[${this.consts.length - 1}]`;
  }

  /** A hole at the cursor (a marker), in quotes or bare: the expression of its value. */
  private hole(quoted: boolean): string | null {
    const t = this.t;
    const c = t.charCodeAt(this.i);
    if (c === SEP_CODE) {
      this.i++;
      const f = `f${this.restHoles++}`;
      return quoted ? `(clean ? ${f} : h.str(${f}))` : `h.num(${f})`;
    }
    if (c === INT_MARK_CODE || c === DEC_MARK_CODE) {
      const s = t.charCodeAt(this.i + 1) - SLOT_CHAR_BASE;
      if (!(s >= 0 && s < 16)) throw new Unsupported();
      this.i += 2;
      if (c === INT_MARK_CODE) return quoted ? `String(v[${s}])` : `v[${s}]`;
      return quoted ? `h.decStr(v[${s}])` : `h.dec(v[${s}])`;
    }
    return null;
  }

  /** A literal string at the cursor (a key or a constant): its value. */
  private literalString(): string {
    const t = this.t;
    const start = this.i;
    let j = start + 1;
    for (;;) {
      if (j >= t.length) throw new Unsupported();
      const d = t.charCodeAt(j);
      if (d === 0x5c) j += 2;
      else if (d === 0x22) break;
      else if (d < 0x20) throw new Unsupported();
      else j++;
    }
    this.i = j + 1;
    return JSON.parse(t.slice(start, j + 1)) as string;
  }

  private value(): string {
    this.ws();
    const t = this.t;
    const c = t.charCodeAt(this.i);
    const bare = this.hole(false);
    if (bare !== null) return bare;
    if (c === 0x22) {
      // A quoted hole is the whole string: `"` marker `"`.
      this.i++;
      const h = this.hole(true);
      if (h !== null) {
        if (t.charCodeAt(this.i) !== 0x22) throw new Unsupported();
        this.i++;
        return h;
      }
      this.i--;
      return this.konst(this.literalString());
    }
    if (c === 0x7b) return this.object();
    if (c === 0x5b) return this.array();
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (t.startsWith(word, this.i)) {
        this.i += word.length;
        return this.konst(v);
      }
    }
    // A literal number (frames with more holes than a template keeps).
    let j = this.i;
    while (j < t.length && /[-+.eE0-9]/.test(t[j])) j++;
    const tok = t.slice(this.i, j);
    if (!JSON_NUMBER.test(tok)) throw new Unsupported();
    this.i = j;
    return this.konst(Number(tok));
  }

  private object(): string {
    this.i++;
    this.ws();
    const t = this.t;
    const keys = new Set<string>();
    const parts: string[] = [];
    if (t.charCodeAt(this.i) === 0x7d) {
      this.i++;
      return '{}';
    }
    for (;;) {
      this.ws();
      if (t.charCodeAt(this.i) !== 0x22) throw new Unsupported();
      const k = this.literalString();
      if (keys.has(k) || k === '__proto__') throw new Unsupported();
      keys.add(k);
      this.ws();
      if (t.charCodeAt(this.i) !== 0x3a) throw new Unsupported();
      this.i++;
      parts.push(`${JSON.stringify(k)}: ${this.value()}`);
      this.ws();
      const d = t.charCodeAt(this.i++);
      if (d === 0x7d) return `{${parts.join(', ')}}`;
      if (d !== 0x2c) throw new Unsupported();
    }
  }

  private array(): string {
    this.i++;
    this.ws();
    const t = this.t;
    const parts: string[] = [];
    if (t.charCodeAt(this.i) === 0x5d) {
      this.i++;
      return '[]';
    }
    for (;;) {
      parts.push(this.value());
      this.ws();
      const d = t.charCodeAt(this.i++);
      if (d === 0x5d) return `[${parts.join(', ')}]`;
      if (d !== 0x2c) throw new Unsupported();
    }
  }
}

/** Builds the value builder of a template, or null when its frames are parsed from their text. */
function compileBuilder(tpl: string): ValueBuilder | null {
  let expr: string;
  let restHoles: number;
  const tc = new TemplateCompiler(tpl);
  try {
    ({ expr, restHoles } = tc.compile());
  } catch (e) {
    if (e instanceof Unsupported || e instanceof SyntaxError) return null;
    throw e;
  }
  const lines: string[] = [];
  if (restHoles > 0) {
    lines.push('const clean = !bad.test(s);', 'let p = 0;', 'let e;');
    for (let k = 0; k < restHoles; k++) {
      lines.push(`e = s.indexOf(sep, p); if (e < 0) e = s.length;`, `const f${k} = s.slice(p, e);`, 'p = e + 1;');
    }
  }
  lines.push(`return ${expr};`);
  const make = new Function('c', 'h', 'bad', 'sep', `return function build(v, s) {\n${lines.join('\n')}\n};`) as (c: unknown[], h: typeof H, bad: RegExp, sep: string) => ValueBuilder;
  return make(tc.consts, H, NEEDS_UNESCAPE, SEP);
}

const cache = new Map<string, ValueBuilder | null>();
/** Builders kept (a few templates per stream in practice); the cache is cleared beyond. */
const MAX_CACHED_BUILDERS = 10_000;

/** The value builder of a template (compiled once per template text), or null: parse the rebuilt text. */
export function valueBuilder(tpl: string): ValueBuilder | null {
  const hit = cache.get(tpl);
  if (hit !== undefined) return hit;
  const b = compileBuilder(tpl);
  if (cache.size >= MAX_CACHED_BUILDERS) cache.clear();
  cache.set(tpl, b);
  return b;
}
