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

const SID_NEEDLE = Buffer.from('"sid"', 'latin1');

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

interface Envelope {
  S: Span | null;
  sid: Span | null;
  /** The top-level `channel` string, quotes included. */
  channel: Span | null;
  /** The top-level `data` array (a batch), brackets included. */
  data: Span | null;
}

/**
 * Spans of the values of the top-level keys `S`, `sid`, `channel` and `data` of the object that
 * starts at `from`; null when it is not a JSON object. The scan stops as soon as it has what was
 * asked for (`S` is usually the first key, `channel` the third), so a data push is not walked to
 * its end unless it lacks a key that was asked for.
 */
function scanObject(buf: Uint8Array, from: number, needS: boolean, needSid: boolean, needChannel: boolean): Envelope | null {
  let i = from;
  while (i < buf.length && isSpace(buf[i])) i++;
  if (buf[i] !== LBRACE) return null;
  i++;
  const out: Envelope = { S: null, sid: null, channel: null, data: null };
  const done = () => (!needS || out.S !== null) && (!needSid || out.sid !== null) && (!needChannel || out.channel !== null);
  for (;;) {
    while (i < buf.length && (isSpace(buf[i]) || buf[i] === COMMA)) i++;
    if (i >= buf.length) return null;
    if (buf[i] === RBRACE) return out;
    if (buf[i] !== QUOTE) return null;
    const keyEnd = stringEnd(buf, i);
    if (keyEnd < 0) return null;
    const keyStart = i + 1;
    const keyLen = keyEnd - i - 2;
    i = keyEnd;
    while (i < buf.length && isSpace(buf[i])) i++;
    if (buf[i] !== COLON) return null;
    i++;
    while (i < buf.length && isSpace(buf[i])) i++;
    const end = valueEnd(buf, i);
    if (end < 0) return null;
    if (out.S === null && keyIs(buf, keyStart, keyLen, KEY_S)) out.S = { start: i, end };
    else if (out.sid === null && buf[i] === QUOTE && keyIs(buf, keyStart, keyLen, KEY_SID)) out.sid = { start: i, end };
    else if (out.channel === null && buf[i] === QUOTE && keyIs(buf, keyStart, keyLen, KEY_CHANNEL)) out.channel = { start: i, end };
    else if (out.data === null && buf[i] === LBRACKET && keyIs(buf, keyStart, keyLen, KEY_DATA)) out.data = { start: i, end };
    i = end;
    if (done()) return out;
  }
}

/**
 * Spans of the values of the top-level keys `S` and `sid`; null when the frame is not a JSON
 * object. With `needSid` false the scan stops at `S`.
 */
export function findEnvelope(buf: Uint8Array, needSid = true): { S: Span | null; sid: Span | null } | null {
  const env = scanObject(buf, 0, true, needSid, false);
  return env ? { S: env.S, sid: env.sid } : null;
}

/** Spans of the `channel` strings of the objects of a `data` array (a trade batch). */
function batchChannels(buf: Uint8Array, data: Span): Span[] {
  const out: Span[] = [];
  let i = data.start + 1;
  while (i < data.end - 1) {
    const b = buf[i];
    if (isSpace(b) || b === COMMA) {
      i++;
      continue;
    }
    const end = valueEnd(buf, i);
    if (end < 0) break;
    if (b === LBRACE) {
      const el = scanObject(buf, i, false, false, true);
      if (el?.channel) out.push(el.channel);
    }
    i = end;
  }
  return out;
}

/** Edits of one restamp, in module scratch space (restamp is synchronous: no two calls overlap). */
const MAX_EDITS = 4096;
const editStart = new Int32Array(MAX_EDITS);
const editEnd = new Int32Array(MAX_EDITS);
const editText: (Uint8Array | null)[] = new Array(MAX_EDITS).fill(null);
let edits = 0;
/** Bytes the edits so far add to the frame (negative when they shorten it). */
let growth = 0;

/** Records an edit, kept in start order (edits are few and mostly arrive in order); false when there are too many. */
function addEdit(span: Span, text: Uint8Array | null, textLength: number): boolean {
  if (edits >= MAX_EDITS) return false;
  let at = edits++;
  while (at > 0 && editStart[at - 1] > span.start) {
    editStart[at] = editStart[at - 1];
    editEnd[at] = editEnd[at - 1];
    editText[at] = editText[at - 1];
    at--;
  }
  editStart[at] = span.start;
  editEnd[at] = span.end;
  editText[at] = text;
  growth += textLength - (span.end - span.start);
  return true;
}

/** Digits of S, written backwards. */
const digitScratch = new Uint8Array(24);

/** JSON string bytes of the names and ids a session stamps, kept across frames (a few per session). */
const quoted = new Map<string, Uint8Array>();
/** Names kept in `quoted` at most; beyond, the cache starts over. */
const MAX_QUOTED_NAMES = 4096;

function quotedBytes(s: string): Uint8Array {
  let q = quoted.get(s);
  if (q === undefined) {
    if (quoted.size >= MAX_QUOTED_NAMES) quoted.clear();
    q = Buffer.from(JSON.stringify(s), 'utf8');
    quoted.set(s, q);
  }
  return q;
}

function spanEquals(buf: Uint8Array, span: Span, text: Uint8Array): boolean {
  const n = span.end - span.start;
  if (n !== text.length) return false;
  for (let k = 0; k < n; k++) if (buf[span.start + k] !== text[k]) return false;
  return true;
}

/** Copies src[from, to) into out at o; returns the new offset. Short runs byte by byte (no view allocated). */
function copyRange(src: Uint8Array, from: number, to: number, out: Uint8Array, o: number): number {
  const n = to - from;
  if (n > 64) {
    out.set(src.subarray(from, to), o);
    return o + n;
  }
  for (let k = from; k < to; k++) out[o++] = src[k];
  return o;
}

/**
 * The recorded frame with `S` set to `seq`, `sid` (when present and `sid` is given) set to the
 * session's id, and, when `channel` is given, every `channel` it carries (the push's own, or each
 * element's of a trade batch) set to the channel as this client subscribed it: the recording may
 * name the stream `btcusdt@trade` where the client asked for `4@trade`. Frames without a top-level
 * `S` come back unchanged (same bytes).
 *
 * Every frame of a replay passes here, so the output is written in one pass into one buffer: the
 * digits of `S` straight into it, names and ids as cached bytes, no intermediate pieces.
 */
export function restamp(payload: Uint8Array, seq: number, sid: string | null, channel: string | null = null): Uint8Array {
  const bytes = payload instanceof Buffer ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  // Data pushes carry no sid: only look for one when the bytes contain the key at all.
  const needSid = sid !== null && bytes.indexOf(SID_NEEDLE) >= 0;
  const env = scanObject(payload, 0, true, needSid, channel !== null);
  if (!env || !env.S) return payload;
  edits = 0;
  growth = 0;
  // S: its digits (a session counter: a non-negative integer).
  let v = seq;
  let nd = 0;
  if (!(Number.isSafeInteger(v) && v >= 0)) return restampText(payload, env, String(seq), sid, channel);
  do {
    digitScratch[nd++] = 0x30 + (v % 10);
    v = Math.floor(v / 10);
  } while (v > 0);
  addEdit(env.S, null, nd);
  if (env.sid && sid !== null) addEdit(env.sid, quotedBytes(sid), quotedBytes(sid).length);
  if (channel !== null) {
    const name = quotedBytes(channel);
    if (env.channel) {
      if (!spanEquals(payload, env.channel, name)) addEdit(env.channel, name, name.length);
    } else if (env.data) {
      for (const span of batchChannels(payload, env.data)) if (!spanEquals(payload, span, name) && !addEdit(span, name, name.length)) return restampText(payload, env, String(seq), sid, channel);
    }
  }
  const out = Buffer.allocUnsafe(payload.length + growth);
  let o = 0;
  let at = 0;
  for (let e = 0; e < edits; e++) {
    o = copyRange(payload, at, editStart[e], out, o);
    const text = editText[e];
    if (text === null) for (let k = nd - 1; k >= 0; k--) out[o++] = digitScratch[k];
    else o = copyRange(text, 0, text.length, out, o);
    editText[e] = null;
    at = editEnd[e];
  }
  copyRange(payload, at, payload.length, out, o);
  return out; // a Buffer is a Uint8Array
}

/** The general case (S not a safe non-negative integer, or a batch with more channels than MAX_EDITS): pieces concatenated. */
function restampText(payload: Uint8Array, env: Envelope, seqText: string, sid: string | null, channel: string | null): Uint8Array {
  for (let e = 0; e < MAX_EDITS; e++) editText[e] = null;
  const edits: Array<Span & { text: Buffer }> = [{ ...env.S!, text: Buffer.from(seqText, 'latin1') }];
  if (env.sid && sid !== null) edits.push({ ...env.sid, text: Buffer.from(JSON.stringify(sid), 'utf8') });
  if (channel !== null) {
    const name = Buffer.from(JSON.stringify(channel), 'utf8');
    const spans = env.channel ? [env.channel] : env.data ? batchChannels(payload, env.data) : [];
    for (const span of spans) if (!spanEquals(payload, span, name)) edits.push({ ...span, text: name });
  }
  edits.sort((a, b) => a.start - b.start);
  const parts: Uint8Array[] = [];
  let at = 0;
  for (const e of edits) {
    parts.push(payload.subarray(at, e.start), e.text);
    at = e.end;
  }
  parts.push(payload.subarray(at));
  return Buffer.concat(parts);
}
