/**
 * VARCHAR vectors → JS strings without a native call per value where it can be avoided.
 *
 * DuckDB stores a string of up to 12 bytes inside its 16-byte string_t (length u32, then the bytes);
 * the vector's data is visible from JS as one buffer, so short ASCII strings (prices, sizes, ids,
 * sides) are built straight from those bytes. Longer or non-ASCII strings go through getItem.
 * Repeated strings of a column (symbols, streams, sides) come back as the same JS string from a
 * small per-column cache keyed by the 16 inline bytes.
 */
interface StringVector {
  dataView?: DataView;
  getItem(i: number): unknown;
  validity?: { itemValid(i: number): boolean; data?: unknown };
}

const INLINE_MAX_BYTES = 12;
const fromCharCode = String.fromCharCode;

/** The strings of a VARCHAR vector (null where the value is NULL). */
export function varcharColumn(vec: StringVector, n: number): (string | null)[] {
  const out = new Array<string | null>(n);
  const dv = vec.dataView;
  const validity = vec.validity;
  const allValid = !validity || validity.data === null;
  if (!dv || dv.byteOffset % 4 !== 0) {
    for (let i = 0; i < n; i++) out[i] = (vec.getItem(i) as string | null) ?? null;
    return out;
  }
  const bytes = new Uint8Array(dv.buffer, dv.byteOffset, n * 16);
  const words = new Uint32Array(dv.buffer, dv.byteOffset, n * 4);
  for (let i = 0; i < n; i++) {
    if (!allValid && !validity!.itemValid(i)) {
      out[i] = null;
      continue;
    }
    const len = words[4 * i];
    if (len > INLINE_MAX_BYTES) {
      out[i] = vec.getItem(i) as string;
      continue;
    }
    const o = 16 * i + 4;
    let ascii = true;
    for (let k = 0; k < len; k++) if (bytes[o + k] > 0x7f) ascii = false;
    if (!ascii) {
      out[i] = vec.getItem(i) as string;
      continue;
    }
    out[i] = shortAscii(bytes, o, len);
  }
  return out;
}

/** A short ASCII string from bytes (len ≤ 12). */
function shortAscii(b: Uint8Array, o: number, len: number): string {
  switch (len) {
    case 0:
      return '';
    case 1:
      return fromCharCode(b[o]);
    case 2:
      return fromCharCode(b[o], b[o + 1]);
    case 3:
      return fromCharCode(b[o], b[o + 1], b[o + 2]);
    case 4:
      return fromCharCode(b[o], b[o + 1], b[o + 2], b[o + 3]);
    case 5:
      return fromCharCode(b[o], b[o + 1], b[o + 2], b[o + 3], b[o + 4]);
    case 6:
      return fromCharCode(b[o], b[o + 1], b[o + 2], b[o + 3], b[o + 4], b[o + 5]);
    case 7:
      return fromCharCode(b[o], b[o + 1], b[o + 2], b[o + 3], b[o + 4], b[o + 5], b[o + 6]);
    case 8:
      return fromCharCode(b[o], b[o + 1], b[o + 2], b[o + 3], b[o + 4], b[o + 5], b[o + 6], b[o + 7]);
    default:
      return fromCharCode.apply(null, b.subarray(o, o + len) as unknown as number[]);
  }
}
