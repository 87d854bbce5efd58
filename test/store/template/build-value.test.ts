/**
 * The parsed path (the reader's `parse` option): every frame's value, built from its payload
 * template without rebuilding or parsing text, is what JSON.parse of the frame's bytes gives —
 * deep-equal, key order, -0 and prototypes included — over every exchange's fixtures, the four
 * benchmark shapes, generated frames with the hard cases of JSON, and through real sealed files.
 */
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { TapeRecord } from '../../../schemas/record.js';
import { readRecordBatches, readRecords, type ParsedTapeRecord } from '../../../store/reader/index.js';
import { compactAll, sealClosedSegments } from '../../../store/seal/index.js';
import { encodePayload, valueBuilder } from '../../../store/template/index.js';
import { T0, tmpDataDir, writeJournal } from '../seal/fixtures.js';
import { allFrames, type TestFrame } from './frames.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/**
 * A value written out with everything deep-equality must compare: key order, own keys only (so a
 * `__proto__` key set as a prototype shows), the prototype of every object, -0, and strings exactly.
 */
function canon(v: unknown): string {
  if (v === null || typeof v !== 'object') {
    if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
    return typeof v === 'string' ? JSON.stringify(v) : String(v);
  }
  if (Array.isArray(v)) return `[${v.map(canon).join(',')}]`;
  const proto = Object.getPrototypeOf(v) === Object.prototype ? '' : '!proto';
  return `{${proto}${Object.keys(v)
    .map((k) => `${JSON.stringify(k)}:${canon((v as Record<string, unknown>)[k])}`)
    .join(',')}}`;
}

const UTF8 = new TextDecoder();

/**
 * The value a parsed consumer expects: JSON.parse of the frame's text as Frame.text() decodes it
 * (a leading byte order mark dropped; a binary frame: its text after the head), or undefined.
 */
function expected(payload: Uint8Array, binary: boolean, headBytes: number): unknown {
  try {
    return JSON.parse(UTF8.decode(payload.subarray(binary ? headBytes : 0)));
  } catch {
    return undefined;
  }
}

/** A seeded PRNG (xorshift), so a failure names a frame that comes again. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const KEYS = ['a', 'price', 'S', 'T', 'ts', '__proto__', 'k\\"q', '\\u00e9', 'é', '😀', '', '1', '10', 'constructor', 'toString', 'b\\n', 'data'];
const STRINGS = ['BUY', '', 'a\\"b', 'x\\\\y', '\\u00e9', 'é 😀', '\\ud83d\\ude00', '0.0867', '65000.12', '007', '123', '-5', '1e5', 'true', 'null', '\\/', 'tab\\t', '10.0', '0.000000000000001'];
const NUMBERS = [
  '0',
  '-0',
  '1',
  '-1',
  '42',
  '1767225600030',
  '9007199254740991',
  '9007199254740993',
  '-9007199254740993',
  '123456789012345678901234567890',
  '1.5e-7',
  '1E+30',
  '-2.5e3',
  '1e400',
  '0.1',
  '65000.12',
  '0.0867',
  '1.1234567890123456',
  '999999999999.123',
  '0.000000000000001',
  '12.50',
  '3.141592653589793238462643383279',
  '-0.5',
];

/** A random JSON text (keys may repeat or be `__proto__`), with some whitespace. */
function genJson(r: () => number, depth: number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const ws = () => (r() < 0.1 ? pick([' ', '\n', '\t ', '\r\n']) : '');
  const roll = r();
  if (depth > 0 && roll < 0.3) {
    const n = Math.floor(r() * 6);
    const parts = Array.from({ length: n }, () => `${ws()}"${pick(KEYS)}"${ws()}:${ws()}${genJson(r, depth - 1)}${ws()}`);
    return `{${parts.join(',')}}`;
  }
  if (depth > 0 && roll < 0.5) {
    const n = Math.floor(r() * 6);
    return `[${Array.from({ length: n }, () => `${ws()}${genJson(r, depth - 1)}${ws()}`).join(',')}]`;
  }
  if (roll < 0.7) return `"${pick(STRINGS)}"`;
  if (roll < 0.75) return pick(['true', 'false', 'null']);
  if (roll < 0.85) return String(Math.floor(r() * 2 ** 40) * (r() < 0.3 ? -1 : 1));
  if (roll < 0.9) return `"${Math.floor(r() * 1e6)}.${String(Math.floor(r() * 1e4)).padStart(4, '0')}"`;
  return pick(NUMBERS);
}

/** Trade-sized frames (at most 16 values: decimals in slots) and larger ones, of random shapes. */
function generated(count: number): TestFrame[] {
  const r = rng(20261203);
  const out: TestFrame[] = [];
  for (let i = 0; i < count; i++) {
    const s = `{"S":${i},"d":${genJson(r, i % 3 === 0 ? 1 : 3)},"p":"${(r() * 1e5).toFixed(2)}"}`;
    out.push({ name: `generated #${i}: ${s.slice(0, 200)}`, payload: Buffer.from(s, 'utf8'), binary: false });
  }
  return out;
}

/** The value built from the frame's encoding, as the reader does: slot values as numbers, the rest as text. */
function built(f: TestFrame): { value: unknown; headBytes: number; viaBuilder: boolean } | null {
  const e = encodePayload(f.payload, f.binary);
  if (!e) return null;
  const b = valueBuilder(e.tpl);
  const headBytes = e.pre?.length ?? 0;
  if (!b) return { value: expected(f.payload, f.binary, headBytes), headBytes, viaBuilder: false };
  const slots = Float64Array.from(e.slots, (v) => v ?? 0);
  let value: unknown;
  try {
    value = b(slots, e.rest);
  } catch {
    value = undefined;
  }
  return { value, headBytes, viaBuilder: true };
}

const corpus = [...allFrames(), ...generated(3000)];

describe('payload template value builders', () => {
  it('give JSON.parse of the frame for every fixture, benchmark shape and generated frame', () => {
    let viaBuilder = 0;
    let templated = 0;
    const bad: string[] = [];
    for (const f of corpus) {
      const b = built(f);
      if (!b) continue;
      templated++;
      if (b.viaBuilder) viaBuilder++;
      const want = expected(f.payload, f.binary, b.headBytes);
      if (canon(b.value) !== canon(want)) bad.push(`${f.name}\n  got  ${canon(b.value).slice(0, 300)}\n  want ${canon(want).slice(0, 300)}`);
    }
    expect(bad).toEqual([]);
    // Most templates get a builder (duplicate and __proto__ keys do not).
    expect(viaBuilder / templated).toBeGreaterThan(0.6);
  });

  it('make `__proto__` an own property as JSON.parse does, or leave the frame to JSON.parse', () => {
    const text = '{"__proto__":{"x":1},"a":"b"}';
    const e = encodePayload(Buffer.from(text), false)!;
    expect(valueBuilder(e.tpl)).toBeNull();
    const dup = encodePayload(Buffer.from('{"a":1,"b":2,"a":3}'), false)!;
    expect(valueBuilder(dup.tpl)).toBeNull();
  });

  it('build from a template compiled once per template text', () => {
    const a = encodePayload(Buffer.from('{"S":1,"p":"1.5","side":"BUY"}'), false)!;
    const b = encodePayload(Buffer.from('{"S":2,"p":"10.25","side":"SELL"}'), false)!;
    expect(a.tpl).toBe(b.tpl);
    expect(valueBuilder(a.tpl)).toBe(valueBuilder(b.tpl));
  });

  it('keep frame text out of the generated code', () => {
    // A key or a literal that would be code if pasted into the builder's source.
    const text = '{"a\\"]);globalThis.pwned=1;([\\"":1,"x":["\\"});globalThis.pwned=2;//",true]}';
    const e = encodePayload(Buffer.from(text), false)!;
    const b = valueBuilder(e.tpl)!;
    const v = b(
      Float64Array.from(e.slots, (x) => x ?? 0),
      e.rest,
    );
    expect(canon(v)).toBe(canon(JSON.parse(text)));
    expect((globalThis as { pwned?: number }).pwned).toBeUndefined();
  });
});

describe('readRecords with parse', () => {
  it('gives every record of real sealed files its frame value, equal to JSON.parse of its bytes', async () => {
    const data = tmpDataDir('parse');
    dirs.push(data);
    const frames = corpus;
    const records: TapeRecord[] = frames.map((f, i) => ({
      exchange: 'coinstore',
      connId: 'p-k-1',
      seq: i + 1,
      recvNs: T0 + BigInt(i) * 1_000_000n,
      direction: 'in',
      kind: f.binary ? 'binary' : 'text',
      stream: `s${i % 5}`,
      endpoint: 'wss://sim/ws',
      payload: f.payload,
      flags: 0,
    }));
    const half = Math.floor(records.length / 2);
    await writeJournal(data, 'p1', [records.slice(0, half), records.slice(half)]);
    await sealClosedSegments(data);
    const check = async (label: string) => {
      const got: ParsedTapeRecord[] = [];
      for await (const batch of readRecords({ dataDir: data, parse: true })) got.push(...(batch as ParsedTapeRecord[]));
      expect(got.length, label).toBe(records.length);
      const bad: string[] = [];
      for (let i = 0; i < got.length; i++) {
        const f = frames[i];
        const e = encodePayload(f.payload, f.binary);
        // Binary frames: the value of their JSON tail when templated, none when stored as they are.
        const want = f.binary ? (e ? expected(f.payload, true, e.pre?.length ?? 0) : undefined) : expected(f.payload, false, 0);
        if (canon(got[i].message) !== canon(want)) bad.push(`${label} ${f.name}: got ${canon(got[i].message).slice(0, 200)} want ${canon(want).slice(0, 200)}`);
      }
      expect(bad).toEqual([]);
    };
    await check('sealed segments');
    // The payloads come back byte for byte (a leading byte order mark included: templates are read as bytes).
    let k = 0;
    for await (const batch of readRecords({ dataDir: data })) for (const r of batch) expect(Buffer.from(r.payload).equals(Buffer.from(frames[k++].payload)), frames[k - 1].name).toBe(true);
    await compactAll(data);
    await check('compacted day');
    // Batches carry the same values; without parse there are none.
    let n = 0;
    for await (const b of readRecordBatches({ dataDir: data, parse: true })) n += b.messages!.length;
    expect(n).toBe(records.length);
    for await (const b of readRecordBatches({ dataDir: data })) expect(b.messages).toBeUndefined();
  });
});
