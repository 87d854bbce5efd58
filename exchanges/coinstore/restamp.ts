/**
 * Re-stamping a recorded Coinstore frame for a replay session: the session's own `S` counter (and
 * `sid`, where the frame has one) replaces the recorded values, and the `channel` names the stream
 * as this client subscribed it; every other byte stays as it was recorded.
 *
 * This splices the bytes of the top-level `"S":<n>`, `"sid":"<...>"` and `"channel":"<...>"` values instead of parsing
 * and re-serializing the object: JSON.stringify(JSON.parse(x)) is not the identity (number
 * spelling such as `1.50` or `1e3`, big integers beyond 2^53, `\u` escapes, whitespace and key
 * order could all change), and a replay must hand clients the exchange's exact bytes.
 *
 * The scan works on UTF-8 bytes directly: every byte of a multi-byte character is ≥ 0x80, so it
 * can never be mistaken for a quote, backslash, brace or bracket.
 */
import type { MessageWriter } from '../types.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;

interface Span {
  start: number;
  end: number; // exclusive
}

const isSpace = (b: number) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;

/** End (exclusive) of the string whose opening quote is at `i`, or -1. */
function stringEnd(buf: Uint8Array, i: number): number {
  for (let j = i + 1; j < buf.length; j++) {
    const b = buf[j];
    if (b === BACKSLASH) j++;
    else if (b === QUOTE) return j + 1;
  }
  return -1;
}

/** End (exclusive) of the JSON value starting at `i` (any type), or -1. */
function valueEnd(buf: Uint8Array, i: number): number {
  const b = buf[i];
  if (b === QUOTE) return stringEnd(buf, i);
  if (b === LBRACE || b === LBRACKET) {
    let depth = 0;
    for (let j = i; j < buf.length; j++) {
      const c = buf[j];
      if (c === QUOTE) {
        j = stringEnd(buf, j) - 1;
        if (j < 0) return -1;
      } else if (c === LBRACE || c === LBRACKET) depth++;
      else if (c === RBRACE || c === RBRACKET) {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return -1;
  }
  // number, true, false, null
  let j = i;
  while (j < buf.length && !isSpace(buf[j]) && buf[j] !== COMMA && buf[j] !== RBRACE && buf[j] !== RBRACKET) j++;
  return j > i ? j : -1;
}

/** Top-level keys the envelope scan looks for, as bytes. */
const KEY_S = Buffer.from('S', 'latin1');
const KEY_SID = Buffer.from('sid', 'latin1');
const KEY_CHANNEL = Buffer.from('channel', 'latin1');
const KEY_DATA = Buffer.from('data', 'latin1');

function keyIs(buf: Uint8Array, start: number, len: number, key: Buffer): boolean {
  if (len !== key.length) return false;
  for (let k = 0; k < len; k++) if (buf[start + k] !== key[k]) return false;
  return true;
}

const SID_NEEDLE = Buffer.from('"sid"', 'latin1');
const indexOfBytes = Buffer.prototype.indexOf;

/** Whether the bytes hold `"sid"` anywhere (data pushes carry none: their scan stops early). Native search, on the view as it is. */
function mentionsSid(buf: Uint8Array): boolean {
  return indexOfBytes.call(buf, SID_NEEDLE) >= 0;
}

/**
 * Spans of the values of the top-level keys `S`, `sid`, `channel` and `data` of one object, start
 * and end (exclusive) of each, −1 when absent; a `channel` or `sid` span includes its quotes, a
 * `data` span its brackets. Reused from frame to frame: no object per frame.
 */
class Envelope {
  sStart = -1;
  sEnd = -1;
  sidStart = -1;
  sidEnd = -1;
  channelStart = -1;
  channelEnd = -1;
  dataStart = -1;
  dataEnd = -1;

  /**
   * Scans the object that starts at `from`; false when it is not a JSON object. The scan stops as
   * soon as it has what was asked for (`S` is usually the first key, `channel` the third), so a data
   * push is not walked to its end unless it lacks a key that was asked for.
   */
  scan(buf: Uint8Array, from: number, needS: boolean, needSid: boolean, needChannel: boolean): boolean {
    this.sStart = this.sidStart = this.channelStart = this.dataStart = -1;
    let i = from;
    while (i < buf.length && isSpace(buf[i])) i++;
    if (buf[i] !== LBRACE) return false;
    i++;
    for (;;) {
      while (i < buf.length && (isSpace(buf[i]) || buf[i] === COMMA)) i++;
      if (i >= buf.length) return false;
      if (buf[i] === RBRACE) return true;
      if (buf[i] !== QUOTE) return false;
      const keyEnd = stringEnd(buf, i);
      if (keyEnd < 0) return false;
      const keyStart = i + 1;
      const keyLen = keyEnd - i - 2;
      i = keyEnd;
      while (i < buf.length && isSpace(buf[i])) i++;
      if (buf[i] !== COLON) return false;
      i++;
      while (i < buf.length && isSpace(buf[i])) i++;
      const end = valueEnd(buf, i);
      if (end < 0) return false;
      if (this.sStart < 0 && keyIs(buf, keyStart, keyLen, KEY_S)) {
        this.sStart = i;
        this.sEnd = end;
      } else if (this.sidStart < 0 && buf[i] === QUOTE && keyIs(buf, keyStart, keyLen, KEY_SID)) {
        this.sidStart = i;
        this.sidEnd = end;
      } else if (this.channelStart < 0 && buf[i] === QUOTE && keyIs(buf, keyStart, keyLen, KEY_CHANNEL)) {
        this.channelStart = i;
        this.channelEnd = end;
      } else if (this.dataStart < 0 && buf[i] === LBRACKET && keyIs(buf, keyStart, keyLen, KEY_DATA)) {
        this.dataStart = i;
        this.dataEnd = end;
      }
      i = end;
      if ((!needS || this.sStart >= 0) && (!needSid || this.sidStart >= 0) && (!needChannel || this.channelStart >= 0)) return true;
    }
  }
}

/**
 * Spans of the values of the top-level keys `S` and `sid`; null when the frame is not a JSON
 * object. With `needSid` false the scan stops at `S`.
 */
export function findEnvelope(buf: Uint8Array, needSid = true): { S: Span | null; sid: Span | null } | null {
  const env = new Envelope();
  if (!env.scan(buf, 0, true, needSid, false)) return null;
  return { S: env.sStart < 0 ? null : { start: env.sStart, end: env.sEnd }, sid: env.sidStart < 0 ? null : { start: env.sidStart, end: env.sidEnd } };
}

/** At most this many edits per frame (a batch's channels); beyond, the frame is re-stamped in pieces. */
const MAX_EDITS = 4096;
/** Names kept in a restamper's cache at most; beyond, the cache starts over. */
const MAX_QUOTED_NAMES = 4096;

/** What plan() decided for the frame. */
const UNCHANGED = 0;
const EDITS = 1;
const PIECES = 2;

/**
 * Re-stamps recorded frames in two steps, so that a frame is written once, where it is sent:
 * `plan()` scans the frame and returns the length it will have; `writeMessage()` (a
 * MessageWriter: the host calls it with the socket batch's buffer) writes it. The edits between
 * the two live in the restamper (scratch arrays grown as needed, no object per frame): each
 * `plan()` is for the next `writeMessage()` only.
 */
export class Restamper implements MessageWriter {
  private readonly env = new Envelope();
  private readonly elementEnv = new Envelope();
  private payload: Uint8Array = new Uint8Array(0);
  private mode = UNCHANGED;
  private length = 0;
  /** The frame written in pieces (PIECES). */
  private pieces: Uint8Array | null = null;
  private editStart = new Int32Array(8);
  private editEnd = new Int32Array(8);
  /** Bytes of each edit; null for the digits of S (in `digits`). */
  private editText: Array<Uint8Array | null> = new Array(8).fill(null);
  private edits = 0;
  /** Digits of S, written backwards, and how many. */
  private readonly digits = new Uint8Array(24);
  private nd = 0;
  /** JSON string bytes of the names and ids stamped, kept across frames (a few per session). */
  private readonly quoted = new Map<string, Uint8Array>();

  /**
   * Plans `payload` with `S` set to `seq`, `sid` (when present and `sid` is given) set to the
   * session's id, and, when `channel` is given, every `channel` it carries (the push's own, or each
   * element's of a trade batch) set to the channel as this client subscribed it: the recording may
   * name the stream `btcusdt@trade` where the client asked for `4@trade`. A frame without a
   * top-level `S` stays as it is. Returns the length of the frame `writeMessage()` will write.
   */
  plan(payload: Uint8Array, seq: number, sid: string | null, channel: string | null): number {
    this.payload = payload;
    this.pieces = null;
    this.mode = UNCHANGED;
    this.length = payload.length;
    this.edits = 0;
    // Data pushes carry no sid: only look for one when the bytes contain the key at all.
    const needSid = sid !== null && mentionsSid(payload);
    const env = this.env;
    if (!env.scan(payload, 0, true, needSid, channel !== null) || env.sStart < 0) return this.length;
    if (!(Number.isSafeInteger(seq) && seq >= 0)) return this.inPieces(String(seq), sid, channel);
    // S: its digits (a session counter: a non-negative integer).
    let v = seq;
    let nd = 0;
    do {
      this.digits[nd++] = 0x30 + (v % 10);
      v = Math.floor(v / 10);
    } while (v > 0);
    this.nd = nd;
    let growth = nd - (env.sEnd - env.sStart);
    this.addEdit(env.sStart, env.sEnd, null);
    if (env.sidStart >= 0 && sid !== null) {
      const q = this.quotedBytes(sid);
      growth += q.length - (env.sidEnd - env.sidStart);
      this.addEdit(env.sidStart, env.sidEnd, q);
    }
    if (channel !== null) {
      const name = this.quotedBytes(channel);
      if (env.channelStart >= 0) {
        if (!spanEquals(payload, env.channelStart, env.channelEnd, name)) {
          growth += name.length - (env.channelEnd - env.channelStart);
          this.addEdit(env.channelStart, env.channelEnd, name);
        }
      } else if (env.dataStart >= 0) {
        const r = this.batchChannels(payload, env.dataStart, env.dataEnd, name);
        if (r < 0) return this.inPieces(String(seq), sid, channel);
        growth += r;
      }
    }
    this.mode = EDITS;
    this.length = payload.length + growth;
    return this.length;
  }

  writeMessage(out: Uint8Array, at: number): void {
    const payload = this.payload;
    if (this.mode === UNCHANGED) {
      copyRange(payload, 0, payload.length, out, at);
      return;
    }
    if (this.mode === PIECES) {
      const p = this.pieces!;
      copyRange(p, 0, p.length, out, at);
      return;
    }
    let o = at;
    let from = 0;
    for (let e = 0; e < this.edits; e++) {
      o = copyRange(payload, from, this.editStart[e], out, o);
      const text = this.editText[e];
      if (text === null) for (let k = this.nd - 1; k >= 0; k--) out[o++] = this.digits[k];
      else o = copyRange(text, 0, text.length, out, o);
      from = this.editEnd[e];
    }
    copyRange(payload, from, payload.length, out, o);
  }

  /** True when the planned frame is the payload itself (no top-level `S`). */
  get unchanged(): boolean {
    return this.mode === UNCHANGED;
  }

  /** Records an edit, kept in start order (edits are few and mostly arrive in order). */
  private addEdit(start: number, end: number, text: Uint8Array | null): void {
    if (this.edits === this.editStart.length) {
      const n = this.edits * 2;
      const s = new Int32Array(n);
      const e = new Int32Array(n);
      s.set(this.editStart);
      e.set(this.editEnd);
      this.editStart = s;
      this.editEnd = e;
      this.editText.length = n;
    }
    let at = this.edits++;
    while (at > 0 && this.editStart[at - 1] > start) {
      this.editStart[at] = this.editStart[at - 1];
      this.editEnd[at] = this.editEnd[at - 1];
      this.editText[at] = this.editText[at - 1];
      at--;
    }
    this.editStart[at] = start;
    this.editEnd[at] = end;
    this.editText[at] = text;
  }

  /** Edits the `channel` of each object of a `data` array (a trade batch) to `name`; returns the growth, or −1 past `maxEdits`. */
  private batchChannels(buf: Uint8Array, dataStart: number, dataEnd: number, name: Uint8Array, maxEdits = MAX_EDITS): number {
    const el = this.elementEnv;
    let growth = 0;
    let i = dataStart + 1;
    while (i < dataEnd - 1) {
      const b = buf[i];
      if (isSpace(b) || b === COMMA) {
        i++;
        continue;
      }
      const end = valueEnd(buf, i);
      if (end < 0) break;
      if (b === LBRACE && el.scan(buf, i, false, false, true) && el.channelStart >= 0 && !spanEquals(buf, el.channelStart, el.channelEnd, name)) {
        if (this.edits >= maxEdits) return -1;
        growth += name.length - (el.channelEnd - el.channelStart);
        this.addEdit(el.channelStart, el.channelEnd, name);
      }
      i = end;
    }
    return growth;
  }

  /** The general case (S not a safe non-negative integer, or a batch with more channels than MAX_EDITS): pieces concatenated. */
  private inPieces(seqText: string, sid: string | null, channel: string | null): number {
    const payload = this.payload;
    const env = this.env;
    const edits: Array<{ start: number; end: number; text: Buffer }> = [{ start: env.sStart, end: env.sEnd, text: Buffer.from(seqText, 'latin1') }];
    if (env.sidStart >= 0 && sid !== null) edits.push({ start: env.sidStart, end: env.sidEnd, text: Buffer.from(JSON.stringify(sid), 'utf8') });
    if (channel !== null) {
      const name = Buffer.from(JSON.stringify(channel), 'utf8');
      if (env.channelStart >= 0) {
        if (!spanEquals(payload, env.channelStart, env.channelEnd, name)) edits.push({ start: env.channelStart, end: env.channelEnd, text: name });
      } else if (env.dataStart >= 0) {
        this.edits = 0;
        this.batchChannels(payload, env.dataStart, env.dataEnd, name, Number.POSITIVE_INFINITY);
        for (let e = 0; e < this.edits; e++) edits.push({ start: this.editStart[e], end: this.editEnd[e], text: name });
      }
    }
    this.edits = 0;
    this.editText.fill(null);
    edits.sort((a, b) => a.start - b.start);
    const parts: Uint8Array[] = [];
    let at = 0;
    for (const e of edits) {
      parts.push(payload.subarray(at, e.start), e.text);
      at = e.end;
    }
    parts.push(payload.subarray(at));
    this.pieces = Buffer.concat(parts);
    this.mode = PIECES;
    this.length = this.pieces.length;
    return this.length;
  }

  private quotedBytes(s: string): Uint8Array {
    let q = this.quoted.get(s);
    if (q === undefined) {
      if (this.quoted.size >= MAX_QUOTED_NAMES) this.quoted.clear();
      q = Buffer.from(JSON.stringify(s), 'utf8');
      this.quoted.set(s, q);
    }
    return q;
  }
}

function spanEquals(buf: Uint8Array, start: number, end: number, text: Uint8Array): boolean {
  const n = end - start;
  if (n !== text.length) return false;
  for (let k = 0; k < n; k++) if (buf[start + k] !== text[k]) return false;
  return true;
}

/** Copies src[from, to) into out at o; returns the new offset. Short runs byte by byte (no view allocated). */
function copyRange(src: Uint8Array, from: number, to: number, out: Uint8Array, o: number): number {
  const n = to - from;
  if (n > 64) {
    out.set(from === 0 && to === src.length ? src : src.subarray(from, to), o);
    return o + n;
  }
  for (let k = from; k < to; k++) out[o++] = src[k];
  return o;
}

const shared = new Restamper();

/**
 * The recorded frame re-stamped (Restamper.plan) as bytes of its own; frames without a top-level
 * `S` come back unchanged (the same bytes). A replay session writes its frames in place instead
 * (SessionLink.sendWith with its own Restamper).
 */
export function restamp(payload: Uint8Array, seq: number, sid: string | null, channel: string | null = null): Uint8Array {
  const n = shared.plan(payload, seq, sid, channel);
  if (shared.unchanged) return payload;
  const out = Buffer.allocUnsafe(n);
  shared.writeMessage(out, 0);
  return out; // a Buffer is a Uint8Array
}
