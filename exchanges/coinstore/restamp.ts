/**
 * Re-stamping a recorded Coinstore frame for a replay session: the session's own `S` counter (and
 * `sid`, where the frame has one) replaces the recorded values, every other byte stays as it was
 * recorded.
 *
 * This splices the bytes of the top-level `"S":<n>` and `"sid":"<...>"` values instead of parsing
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

const S_KEY = 0x53; // 'S'
const SID_KEY = [0x73, 0x69, 0x64]; // 'sid'
const SID_NEEDLE = Buffer.from('"sid"', 'latin1');

/**
 * Spans of the values of the top-level keys `S` and `sid`; null when the frame is not a JSON
 * object. With `needSid` false the scan stops at `S` (usually the first key), so a data push is
 * not walked to its end.
 */
export function findEnvelope(buf: Uint8Array, needSid = true): { S: Span | null; sid: Span | null } | null {
  let i = 0;
  while (i < buf.length && isSpace(buf[i])) i++;
  if (buf[i] !== LBRACE) return null;
  i++;
  const out: { S: Span | null; sid: Span | null } = { S: null, sid: null };
  for (;;) {
    while (i < buf.length && (isSpace(buf[i]) || buf[i] === COMMA)) i++;
    if (i >= buf.length) return null;
    if (buf[i] === RBRACE) return out;
    if (buf[i] !== QUOTE) return null;
    const keyEnd = stringEnd(buf, i);
    if (keyEnd < 0) return null;
    const keyLen = keyEnd - i - 2;
    const isS = keyLen === 1 && buf[i + 1] === S_KEY;
    const isSid = keyLen === 3 && buf[i + 1] === SID_KEY[0] && buf[i + 2] === SID_KEY[1] && buf[i + 3] === SID_KEY[2];
    i = keyEnd;
    while (i < buf.length && isSpace(buf[i])) i++;
    if (buf[i] !== COLON) return null;
    i++;
    while (i < buf.length && isSpace(buf[i])) i++;
    const end = valueEnd(buf, i);
    if (end < 0) return null;
    if (isS && out.S === null) out.S = { start: i, end };
    else if (isSid && out.sid === null && buf[i] === QUOTE) out.sid = { start: i, end };
    i = end;
    if (out.S && (out.sid || !needSid)) return out;
  }
}

/**
 * The recorded frame with `S` set to `seq` and `sid` (when present and `sid` is given) set to
 * the session's id. Frames without a top-level `S` come back unchanged (same bytes).
 */
export function restamp(payload: Uint8Array, seq: number, sid: string | null): Uint8Array {
  // Data pushes carry no sid: only look for one when the bytes contain the key at all.
  const needSid = sid !== null && Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).indexOf(SID_NEEDLE) >= 0;
  const env = findEnvelope(payload, needSid);
  if (!env || !env.S) return payload;
  const edits: Array<Span & { text: string }> = [{ ...env.S, text: String(seq) }];
  if (env.sid && sid !== null) edits.push({ ...env.sid, text: JSON.stringify(sid) });
  edits.sort((a, b) => a.start - b.start);
  const parts: Uint8Array[] = [];
  let at = 0;
  for (const e of edits) {
    parts.push(payload.subarray(at, e.start), Buffer.from(e.text, 'utf8'));
    at = e.end;
  }
  parts.push(payload.subarray(at));
  return Buffer.concat(parts); // a Buffer is a Uint8Array: no second copy
}
