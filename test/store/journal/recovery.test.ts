import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeRecord, encodeSegmentHeader, readSegment, recoverSegment, scanSegment } from '../../../store/journal/index.js';
import { READ_CHUNK_BYTES } from '../../../store/journal/file-window.js';
import { openScanner } from '../../../store/journal/segment-scanner.js';
import type { GapPayload, TapeRecord } from '../../../schemas/record.js';
import { FLAG_SYNTHETIC } from '../../../schemas/record.js';
import { frame, tempDataDir, view } from './helpers.js';

const NAME = '20261123T100000Z-test-000001';
let dir = '';
let cleanup: () => void = () => {};
beforeEach(() => {
  const t = tempDataDir();
  cleanup = t.cleanup;
  dir = path.join(t.dir, 'journal', 'rec');
  mkdirSync(dir, { recursive: true });
});
afterEach(() => cleanup());

interface Built {
  file: string;
  recs: TapeRecord[];
  starts: number[]; // offset of each record
  ends: number[];
  header: number;
  bytes: Buffer;
}

/** A closed segment of n records (sizes vary), written directly with the framing. */
function build(n: number, file = path.join(dir, `${NAME}.ttj`)): Built {
  const header = encodeSegmentHeader('rec', NAME);
  const parts: Buffer[] = [header];
  const recs: TapeRecord[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  let off = header.length;
  for (let i = 1; i <= n; i++) {
    const r = frame(i, { size: 20 + ((i * 37) % 90), binary: i % 2 === 0, connId: 'rec-c-1' });
    const b = encodeRecord(r);
    recs.push(r);
    starts.push(off);
    off += b.length;
    ends.push(off);
    parts.push(b);
  }
  const bytes = Buffer.concat(parts);
  writeFileSync(file, bytes);
  return { file, recs, starts, ends, header: header.length, bytes };
}

function gapOf(r: TapeRecord): GapPayload {
  expect(r.direction).toBe('event');
  expect(r.kind).toBe('gap');
  expect(r.flags & FLAG_SYNTHETIC).toBe(FLAG_SYNTHETIC);
  return JSON.parse(Buffer.from(r.payload).toString('utf8')) as GapPayload;
}

function expectNoopSecondRecovery(file: string): void {
  const before = readFileSync(file);
  const again = recoverSegment(file);
  expect(again).toMatchObject({ truncated: false, quarantined: 0, gapRecordsWritten: 0, tornTailBytes: 0, corrupt: [] });
  expect(readFileSync(file).equals(before)).toBe(true);
}

describe('journal recovery: torn tails', () => {
  it('truncation at every byte offset of the last two records keeps exactly the whole records', () => {
    const b = build(12);
    const from = b.starts[10];
    for (let cut = from; cut < b.bytes.length; cut++) {
      writeFileSync(b.file, b.bytes.subarray(0, cut));
      const whole = b.ends.filter((e) => e <= cut).length;
      const lastEnd = whole === 0 ? b.header : b.ends[whole - 1];
      const scan = scanSegment(b.file);
      expect(scan, `cut ${cut}`).toMatchObject({ records: whole, validBytes: lastEnd, tornTailBytes: cut - lastEnd, corrupt: [] });
      const rep = recoverSegment(b.file);
      expect(rep.truncated).toBe(cut > lastEnd);
      expect(rep.gapRecordsWritten).toBe(0);
      expect(readFileSync(b.file).length).toBe(lastEnd);
      const got = [...readSegment(b.file)];
      expect(got.map(view)).toEqual(b.recs.slice(0, whole).map(view));
      expectNoopSecondRecovery(b.file);
    }
  });

  it('a segment torn inside its file header becomes an empty valid segment', () => {
    const b = build(2);
    for (let cut = 0; cut < b.header; cut++) {
      writeFileSync(b.file, b.bytes.subarray(0, cut));
      const rep = recoverSegment(b.file);
      expect(rep.records).toBe(0);
      expect(rep.gapRecordsWritten).toBe(0);
      expect(readFileSync(b.file).equals(encodeSegmentHeader('rec', NAME))).toBe(true);
      expectNoopSecondRecovery(b.file);
    }
  });
});

describe('journal recovery: what a power loss leaves', () => {
  it('a tail of zeroed pages (file size grew, data never reached the disk) is cut', () => {
    const b = build(10);
    writeFileSync(b.file, Buffer.concat([b.bytes.subarray(0, b.ends[6]), Buffer.alloc(8192)]));
    const rep = recoverSegment(b.file);
    expect(rep).toMatchObject({ records: 7, truncated: true, tornTailBytes: 8192, quarantined: 0, gapRecordsWritten: 0 });
    expect([...readSegment(b.file)].map(view)).toEqual(b.recs.slice(0, 7).map(view));
    expectNoopSecondRecovery(b.file);
  });

  it('a zeroed page in the middle, with records after it, is quarantined behind one gap', () => {
    const b = build(40);
    const damaged = Buffer.from(b.bytes);
    const from = b.starts[10] + 5;
    damaged.fill(0, from, from + 1000);
    writeFileSync(b.file, damaged);
    const hit = b.starts.map((st, i) => [st, b.ends[i]]).filter(([st, e]) => e > from && st < from + 1000).length;
    const rep = recoverSegment(b.file);
    expect(rep).toMatchObject({ records: 40 - hit, quarantined: 1, gapRecordsWritten: 1, truncated: false });
    const got = [...readSegment(b.file)];
    expect(got).toHaveLength(40 - hit + 1);
    const g = got[10];
    expect(g.kind).toBe('gap');
    expect(g.seq).toBe(11); // the first missing seq
    expect(gapOf(g)).toMatchObject({ cause: 'corruption', start_ns: b.recs[9].recvNs.toString(), end_ns: b.recs[10 + hit].recvNs.toString() });
    expectNoopSecondRecovery(b.file);
  });
});

describe('journal recovery: flipped bytes', () => {
  const fields: Record<string, (start: number, end: number) => number> = {
    magic: (s) => s,
    length: (s) => s + 2,
    crc: (s) => s + 6,
    type: (s) => s + 10,
    payload: (_s, e) => e - 1,
  };
  for (const [field, at] of Object.entries(fields)) {
    for (const which of ['first', 'middle', 'last'] as const) {
      it(`${field} byte of the ${which} record`, () => {
        const n = 10;
        const b = build(n);
        const idx = which === 'first' ? 0 : which === 'middle' ? 5 : n - 1;
        const damaged = Buffer.from(b.bytes);
        damaged[at(b.starts[idx], b.ends[idx])] ^= 0x10;
        writeFileSync(b.file, damaged);

        const rep = recoverSegment(b.file);
        expect(rep.records).toBe(n - 1);
        const got = [...readSegment(b.file)];
        if (which === 'last') {
          // Damage that runs to the end of the file cannot be told from a torn write: cut, no gap.
          expect(rep).toMatchObject({ truncated: true, quarantined: 0, gapRecordsWritten: 0, tornTailBytes: b.ends[idx] - b.starts[idx] });
          expect(got.map(view)).toEqual(b.recs.slice(0, n - 1).map(view));
          expect(existsSync(path.join(dir, 'quarantine'))).toBe(false);
        } else {
          expect(rep).toMatchObject({ truncated: false, quarantined: 1, gapRecordsWritten: 1, tornTailBytes: 0 });
          expect(rep.corrupt).toHaveLength(1);
          expect(rep.corrupt[0]).toMatchObject({ offset: b.starts[idx], length: b.ends[idx] - b.starts[idx] });
          const q = rep.corrupt[0].quarantinePath!;
          expect(path.basename(q)).toBe(`${NAME}.${b.starts[idx]}.bad`);
          expect(readFileSync(q).equals(damaged.subarray(b.starts[idx], b.ends[idx]))).toBe(true);
          expect(got).toHaveLength(n);
          const gap = got[idx];
          const g = gapOf(gap);
          expect(g.cause).toBe('corruption');
          const before = b.recs[idx - 1];
          const after = b.recs[idx + 1];
          expect(g.start_ns).toBe((before ?? after).recvNs.toString());
          expect(g.end_ns).toBe(after.recvNs.toString());
          expect(gap.connId).toBe('rec-c-1');
          expect(gap.exchange).toBe('coinstore');
          // the gap takes the missing seq when both neighbours frame it, 0 otherwise
          expect(gap.seq).toBe(before ? idx + 1 : 0);
          expect(got.filter((r) => r.kind !== 'gap').map(view)).toEqual(b.recs.filter((_, i) => i !== idx).map(view));
        }
        expectNoopSecondRecovery(b.file);
      });
    }
  }

  it('two damaged regions: two quarantine files and two gaps, every other record kept', () => {
    const b = build(20);
    const damaged = Buffer.from(b.bytes);
    damaged[b.starts[3] + 30] ^= 0xff;
    damaged[b.starts[12] + 6] ^= 0x01;
    writeFileSync(b.file, damaged);
    const rep = recoverSegment(b.file);
    expect(rep).toMatchObject({ records: 18, quarantined: 2, gapRecordsWritten: 2 });
    expect(readdirSync(path.join(dir, 'quarantine')).sort()).toEqual([`${NAME}.${b.starts[12]}.bad`, `${NAME}.${b.starts[3]}.bad`].sort());
    const got = [...readSegment(b.file)];
    expect(got.map((r) => (r.kind === 'gap' ? `gap${r.seq}` : r.seq))).toEqual([1, 2, 3, 'gap4', ...Array.from({ length: 8 }, (_, i) => i + 5), 'gap13', ...Array.from({ length: 7 }, (_, i) => i + 14)]);
    expectNoopSecondRecovery(b.file);
  });

  it('garbage inserted between records is quarantined; the gap takes seq 0 when no number is missing', () => {
    const b = build(8);
    const junk = Buffer.alloc(333, 0x41);
    const mixed = Buffer.concat([b.bytes.subarray(0, b.ends[3]), junk, b.bytes.subarray(b.ends[3])]);
    writeFileSync(b.file, mixed);
    const rep = recoverSegment(b.file);
    expect(rep).toMatchObject({ records: 8, quarantined: 1, gapRecordsWritten: 1 });
    expect(rep.corrupt[0]).toMatchObject({ offset: b.ends[3], length: 333 });
    const got = [...readSegment(b.file)];
    expect(got).toHaveLength(9);
    expect(got[4].seq).toBe(0);
    const g = gapOf(got[4]);
    expect(g).toMatchObject({ cause: 'corruption', start_ns: b.recs[3].recvNs.toString(), end_ns: b.recs[4].recvNs.toString() });
    expect(g.detail).toContain('333');
    expectNoopSecondRecovery(b.file);
  });

  it('a damaged file header is replaced and the records after it are kept', () => {
    const b = build(6);
    const damaged = Buffer.from(b.bytes);
    damaged[5] ^= 0x40;
    writeFileSync(b.file, damaged);
    const rep = recoverSegment(b.file);
    expect(rep).toMatchObject({ records: 6, quarantined: 1, gapRecordsWritten: 1 });
    expect(rep.corrupt[0]).toMatchObject({ offset: 0, length: b.header });
    const got = [...readSegment(b.file)];
    expect(got.filter((r) => r.kind !== 'gap').map(view)).toEqual(b.recs.map(view));
    expect(readFileSync(b.file).subarray(0, b.header).equals(b.bytes.subarray(0, b.header))).toBe(true);
    expectNoopSecondRecovery(b.file);
  });
});

describe('journal recovery: forged lengths', () => {
  it('a forged huge length is damage, costs no big allocation, and later records are kept', () => {
    for (const forged of [0xffffffff, 64 * 1024 * 1024, 64 * 1024 * 1024 + 1, 1_000_000]) {
      const b = build(10);
      const damaged = Buffer.from(b.bytes);
      damaged.writeUInt32LE(forged, b.starts[4] + 2);
      writeFileSync(b.file, damaged);
      const sc = openScanner(b.file);
      const steps: string[] = [];
      for (let s = sc.next(); s !== 'end'; s = sc.next()) steps.push(s);
      expect(sc.window.buf.length).toBeLessThanOrEqual(READ_CHUNK_BYTES);
      sc.close();
      expect(steps).toEqual(['record', 'record', 'record', 'record', 'corrupt', 'record', 'record', 'record', 'record', 'record']);
      const rep = recoverSegment(b.file);
      expect(rep).toMatchObject({ records: 9, quarantined: 1, gapRecordsWritten: 1 });
      expect([...readSegment(b.file)].map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expectNoopSecondRecovery(b.file);
    }
  });

  it('a forged length on the last record is a torn tail', () => {
    const b = build(5);
    const damaged = Buffer.from(b.bytes);
    damaged.writeUInt32LE(0x7fffffff, b.starts[4] + 2);
    writeFileSync(b.file, damaged);
    const rep = recoverSegment(b.file);
    expect(rep).toMatchObject({ records: 4, truncated: true, quarantined: 0 });
  });

  it('an empty file scans as nothing and recovers into a header-only segment', () => {
    const file = path.join(dir, `${NAME}.ttj`);
    writeFileSync(file, Buffer.alloc(0));
    expect(scanSegment(file)).toMatchObject({ records: 0, validBytes: 0, tornTailBytes: 0, corrupt: [] });
    recoverSegment(file);
    expect(readFileSync(file).equals(encodeSegmentHeader('rec', NAME))).toBe(true);
    expectNoopSecondRecovery(file);
  });
});
