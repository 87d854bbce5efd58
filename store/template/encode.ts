/**
 * Frame bytes → template, slots and rest (format.ts). Pure. Every encoding is checked by rebuilding
 * the frame with the reader's own code and comparing bytes: a frame that does not come back
 * identical is stored as it is (null), so templating can never change a byte.
 */
import { compileTemplate, rebuildInto, type SlotValues } from './rebuild.js';
import { DEC_MARK, INT_MARK, MAX_DECIMAL_SCALE, MAX_TEMPLATE_HOLES, SEP, SLOT_CHAR_BASE, TEMPLATE_SLOTS } from './format.js';

export interface EncodedPayload {
  tpl: string;
  /** Head bytes of a binary frame before its JSON text, or null. */
  pre: Uint8Array | null;
  rest: string;
  /** Slot values (null where unused), TEMPLATE_SLOTS long. */
  slots: SlotValues;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const enum C {
  Quote = 0x22,
  Backslash = 0x5c,
  Colon = 0x3a,
  Minus = 0x2d,
  Zero = 0x30,
  Nine = 0x39,
}

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function isNumberChar(c: number): boolean {
  return (c >= C.Zero && c <= C.Nine) || c === C.Minus || c === 0x2b || c === 0x2e || c === 0x65 || c === 0x45;
}

const INT_RE = /^-?(?:0|[1-9]\d{0,15})$/;
const DEC_RE = /^(0|[1-9]\d*)\.(\d{1,15})$/;

/** The slot value of an integer or decimal hole, or null when the text is neither (kept in rest). */
function intValue(t: string): number | null {
  if (!INT_RE.test(t)) return null;
  const v = Number(t);
  return Number.isSafeInteger(v) && t !== '-0' ? v : null;
}

function decValue(t: string): number | null {
  const m = DEC_RE.exec(t);
  if (!m || m[2].length > MAX_DECIMAL_SCALE) return null;
  const mant = Number(m[1] + m[2]);
  const v = mant * 16 + m[2].length;
  return Number.isSafeInteger(v) ? v : null;
}

/** Where the JSON text of a binary frame starts: the first '{' or '[' after which only text follows. */
function textStart(p: Uint8Array): number {
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c !== 0x7b && c !== 0x5b) continue;
    let ok = true;
    for (let k = i + 1; k < p.length; k++) {
      const b = p[k];
      if (b < 0x20 && !isWs(b)) {
        ok = false;
        break;
      }
    }
    if (ok) return i;
  }
  return -1;
}

/** Tokenizes `s` into literals and holes. */
function tokenize(s: string): { lits: string[]; holes: string[] } {
  const lits: string[] = [];
  const holes: string[] = [];
  const n = s.length;
  let litStart = 0;
  let i = 0;
  while (i < n && holes.length < MAX_TEMPLATE_HOLES) {
    const c = s.charCodeAt(i);
    if (c === C.Quote) {
      let j = i + 1;
      while (j < n) {
        const d = s.charCodeAt(j);
        if (d === C.Backslash) j += 2;
        else if (d === C.Quote) break;
        else j++;
      }
      if (j >= n) break; // unterminated: the rest is literal
      let k = j + 1;
      while (k < n && isWs(s.charCodeAt(k))) k++;
      if (k < n && s.charCodeAt(k) === C.Colon) {
        i = j + 1; // a key: literal
        continue;
      }
      lits.push(s.slice(litStart, i + 1));
      holes.push(s.slice(i + 1, j));
      litStart = j;
      i = j + 1;
    } else if ((c >= C.Zero && c <= C.Nine) || c === C.Minus) {
      let j = i + 1;
      while (j < n && isNumberChar(s.charCodeAt(j))) j++;
      lits.push(s.slice(litStart, i));
      holes.push(s.slice(i, j));
      litStart = j;
      i = j;
    } else i++;
  }
  lits.push(s.slice(litStart));
  return { lits, holes };
}

/** The template encoding of a frame, or null when it is stored as it is. */
export function encodePayload(payload: Uint8Array, binary: boolean): EncodedPayload | null {
  let body = payload;
  let pre: Uint8Array | null = null;
  if (binary) {
    const at = textStart(payload);
    if (at < 0) return null;
    pre = payload.slice(0, at);
    body = payload.subarray(at);
  }
  if (body.length === 0) return null;
  let s: string;
  try {
    s = utf8.decode(body);
  } catch {
    return null; // not UTF-8 text
  }
  if (s.includes(SEP) || s.includes(INT_MARK) || s.includes(DEC_MARK)) return null;
  const { lits, holes } = tokenize(s);
  if (holes.length === 0) return null;
  const slots: SlotValues = new Array(TEMPLATE_SLOTS).fill(null);
  const small = holes.length <= TEMPLATE_SLOTS;
  let used = 0;
  const parts: string[] = [lits[0]];
  const rest: string[] = [];
  for (let k = 0; k < holes.length; k++) {
    const t = holes[k];
    let mark = SEP;
    if (used < TEMPLATE_SLOTS) {
      const iv = intValue(t);
      if (iv !== null) {
        slots[used] = iv;
        mark = INT_MARK + String.fromCharCode(SLOT_CHAR_BASE + used++);
      } else if (small) {
        const dv = decValue(t);
        if (dv !== null) {
          slots[used] = dv;
          mark = DEC_MARK + String.fromCharCode(SLOT_CHAR_BASE + used++);
        }
      }
    }
    if (mark === SEP) rest.push(t);
    parts.push(mark, lits[k + 1]);
  }
  const enc: EncodedPayload = { tpl: parts.join(''), pre, rest: rest.join(SEP), slots };
  // The reader's rebuild must give the same bytes back (into scratch buffers kept between calls).
  const restLen = encodeRest(enc.rest);
  if (checkOut.length < payload.length + 64) checkOut = new Uint8Array(2 * payload.length + 64);
  const len = rebuildInto(compileTemplate(enc.tpl), pre, restScratch, 0, restLen, slots, checkOut, 0);
  if (len !== payload.length) return null;
  for (let i = 0; i < len; i++) if (checkOut[i] !== payload[i]) return null;
  return enc;
}

const textEncoder = new TextEncoder();
/** The rest text's UTF-8 bytes of the frame being checked, and the frame rebuilt from its encoding. */
let restScratch = new Uint8Array(4096);
let checkOut = new Uint8Array(4096);

/** Writes `rest` as UTF-8 into restScratch (grown when too small); returns its length. */
function encodeRest(rest: string): number {
  // At most 3 bytes per UTF-16 unit.
  if (restScratch.length < rest.length * 3) restScratch = new Uint8Array(rest.length * 3 + 64);
  return textEncoder.encodeInto(rest, restScratch).written;
}
