/**
 * Template + slots + rest → the frame's exact bytes (format.ts), written into a caller's buffer:
 * the reader rebuilds a whole batch of frames into one buffer and hands out views of it. Pure.
 */
import { DEC_MARK_CODE, INT_MARK_CODE, SEP_CODE, SLOT_CHAR_BASE } from './format.js';

export type SlotValues = (number | null)[];

const HOLE_REST = 0;
const HOLE_INT = 1;
const HOLE_DEC = 2;

/** A template parsed once: literal bytes and, per hole, its kind and slot. */
export interface CompiledTemplate {
  head: Uint8Array;
  kinds: Uint8Array;
  slots: Uint8Array;
  lits: Uint8Array[];
  /** Bytes of the literals together (a lower bound of a frame's length). */
  literalBytes: number;
  /** Most bytes a frame of this template takes besides its head bytes and rest text (literals and slot values). */
  maxBytes: number;
  /** The literals after each hole (`lits`) one after the other, hole k's from litStart[k] to litStart[k + 1]. */
  litBytes: Uint8Array;
  litStart: Int32Array;
}

/** Most characters a slot value is written with: 16 digits of a safe integer, a sign or a point, leading zeros of a scale. */
const MAX_SLOT_CHARS = 20;

const enc = new TextEncoder();
const cache = new Map<string, CompiledTemplate>();
/** Compiled templates kept (a few per stream in practice); the cache is cleared beyond. */
const MAX_CACHED_TEMPLATES = 10_000;

export function compileTemplate(tpl: string): CompiledTemplate {
  const hit = cache.get(tpl);
  if (hit) return hit;
  const kinds: number[] = [];
  const slots: number[] = [];
  const litStrings: string[] = [];
  let lit = 0;
  let i = 0;
  for (; i < tpl.length; i++) {
    const c = tpl.charCodeAt(i);
    if (c !== SEP_CODE && c !== INT_MARK_CODE && c !== DEC_MARK_CODE) continue;
    litStrings.push(tpl.slice(lit, i));
    if (c === SEP_CODE) {
      kinds.push(HOLE_REST);
      slots.push(0);
      lit = i + 1;
    } else {
      kinds.push(c === INT_MARK_CODE ? HOLE_INT : HOLE_DEC);
      slots.push(tpl.charCodeAt(i + 1) - SLOT_CHAR_BASE);
      lit = i + 2;
      i++;
    }
  }
  litStrings.push(tpl.slice(lit));
  const head = enc.encode(litStrings[0]);
  const lits = litStrings.slice(1).map((x) => enc.encode(x));
  const literalBytes = lits.reduce((a, l) => a + l.length, head.length);
  const slotHoles = kinds.filter((k) => k !== HOLE_REST).length;
  const litStart = new Int32Array(lits.length + 1);
  for (let k = 0; k < lits.length; k++) litStart[k + 1] = litStart[k] + lits[k].length;
  const litBytes = new Uint8Array(litStart[lits.length]);
  lits.forEach((l, k) => litBytes.set(l, litStart[k]));
  const c: CompiledTemplate = { head, kinds: Uint8Array.from(kinds), slots: Uint8Array.from(slots), lits, literalBytes, maxBytes: literalBytes + MAX_SLOT_CHARS * slotHoles, litBytes, litStart };
  if (cache.size >= MAX_CACHED_TEMPLATES) cache.clear();
  cache.set(tpl, c);
  return c;
}

const digits = new Uint8Array(24);
/** Literals up to this length are copied byte by byte (cheaper than a TypedArray.set call). */
const SHORT_COPY_BYTES = 48;

function copy(src: Uint8Array, out: Uint8Array, o: number): number {
  const n = src.length;
  if (n > SHORT_COPY_BYTES) {
    out.set(src, o);
    return o + n;
  }
  for (let i = 0; i < n; i++) out[o + i] = src[i];
  return o + n;
}

/** Writes the decimal digits of a non-negative safe integer, at least `minDigits` of them; returns the new offset. */
function writeDigits(v: number, minDigits: number, out: Uint8Array, o: number): number {
  let n = 0;
  // Above 2^31 in float arithmetic, below in 32-bit integers (most values: sizes, prices, ids).
  while (v >= 2147483648) {
    const q = Math.floor(v / 10);
    digits[n++] = 0x30 + (v - q * 10);
    v = q;
  }
  let x = v | 0;
  do {
    const q = (x / 10) | 0;
    digits[n++] = 0x30 + (x - q * 10);
    x = q;
  } while (x > 0);
  while (n < minDigits) digits[n++] = 0x30;
  while (n > 0) out[o++] = digits[--n];
  return o;
}

/**
 * Rebuilds one frame into `out` at `o`; returns the frame's length, or -1 when `out` is too small
 * (the caller grows it and retries) or a value is missing.
 * `rest` holds the frame's rest fields in rest[restStart, restEnd).
 */
export function rebuildInto(t: CompiledTemplate, pre: Uint8Array | null, rest: Uint8Array, restStart: number, restEnd: number, slots: SlotValues, out: Uint8Array, o: number): number {
  // Room for the longest frame the template can give: no bound checks per hole.
  if (o + (pre ? pre.length : 0) + t.maxBytes + (restEnd - restStart) <= out.length) return rebuildRoomy(t, pre, rest, restStart, restEnd, slots, out, o);
  const start = o;
  const cap = out.length;
  if (pre) {
    if (o + pre.length > cap) return -1;
    out.set(pre, o);
    o += pre.length;
  }
  if (o + t.head.length > cap) return -1;
  o = copy(t.head, out, o);
  let r = restStart;
  const n = t.kinds.length;
  for (let k = 0; k < n; k++) {
    const kind = t.kinds[k];
    if (kind === HOLE_REST) {
      // The next rest field runs to the next separator.
      let e = r;
      while (e < restEnd && rest[e] !== SEP_CODE) e++;
      if (o + (e - r) > cap) return -1;
      for (let b = r; b < e; b++) out[o++] = rest[b];
      r = e + 1;
    } else {
      const v = slots[t.slots[k]];
      if (v === null || v === undefined) return -1;
      if (o + 40 > cap) return -1;
      if (kind === HOLE_INT) {
        if (v < 0) {
          out[o++] = 0x2d;
          o = writeDigits(-v, 1, out, o);
        } else o = writeDigits(v, 1, out, o);
      } else {
        const mant = Math.floor(v / 16);
        const scale = v - mant * 16;
        o = writeDigits(mant, scale + 1, out, o);
        // Move the last `scale` digits one place right and put the point before them.
        for (let b = 0; b < scale; b++) out[o - b] = out[o - b - 1];
        out[o - scale] = 0x2e;
        o++;
      }
    }
    const lit = t.lits[k];
    if (o + lit.length > cap) return -1;
    o = copy(lit, out, o);
  }
  return o - start;
}

/**
 * rebuildInto when `out` has room for the template's longest frame: the same bytes, with one pass
 * over each rest field (scan and copy together) and the literals from one flat buffer.
 */
function rebuildRoomy(t: CompiledTemplate, pre: Uint8Array | null, rest: Uint8Array, restStart: number, restEnd: number, slots: SlotValues, out: Uint8Array, o: number): number {
  const start = o;
  if (pre) {
    out.set(pre, o);
    o += pre.length;
  }
  o = copy(t.head, out, o);
  let r = restStart;
  const { kinds, litBytes, litStart } = t;
  const n = kinds.length;
  for (let k = 0; k < n; k++) {
    const kind = kinds[k];
    if (kind === HOLE_REST) {
      // The next rest field runs to the next separator (or the end of the rest text).
      while (r < restEnd) {
        const c = rest[r++];
        if (c === SEP_CODE) break;
        out[o++] = c;
      }
    } else {
      const v = slots[t.slots[k]];
      if (v === null || v === undefined) return -1;
      if (kind === HOLE_INT) {
        if (v < 0) {
          out[o++] = 0x2d;
          o = writeDigits(-v, 1, out, o);
        } else o = writeDigits(v, 1, out, o);
      } else {
        const mant = Math.floor(v / 16);
        const scale = v - mant * 16;
        o = writeDigits(mant, scale + 1, out, o);
        for (let b = 0; b < scale; b++) out[o - b] = out[o - b - 1];
        out[o - scale] = 0x2e;
        o++;
      }
    }
    const l1 = litStart[k + 1];
    for (let b = litStart[k]; b < l1; b++) out[o++] = litBytes[b];
  }
  return o - start;
}
