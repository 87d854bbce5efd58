import { statSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { listSegments, openJournalWriter, readSegment } from '../../../store/journal/index.js';
import { TicktapeError } from '../../../core/errors.js';
import type { GapPayload, TapeRecord } from '../../../schemas/record.js';
import { FaultyFs, nextTurn, waitFor } from './faulty-fs.js';
import { frame, tempDataDir, view } from './helpers.js';

let cleanup: (() => void) | null = null;
afterEach(() => {
  cleanup?.();
  cleanup = null;
});

function gap(r: TapeRecord): GapPayload {
  return JSON.parse(Buffer.from(r.payload).toString()) as GapPayload;
}

describe('journal writer under disk full and I/O errors', () => {
  it('ENOSPC: stays up, counts exactly what it lost, and writes one gap per stream once space returns', async () => {
    const t = tempDataDir();
    cleanup = t.cleanup;
    const ffs = new FaultyFs();
    const errors: Error[] = [];
    const w = openJournalWriter({ dataDir: t.dir, instance: 'full', fs: ffs, onError: (e) => errors.push(e) });
    const a = (seq: number): TapeRecord => frame(seq, { connId: 'conn-a' });
    const b = (seq: number): TapeRecord => frame(seq, { connId: 'conn-b', stream: 'ethusdt@depth' });
    for (let i = 1; i <= 10; i++) w.append(a(i));
    w.flush();
    const seg = w.stats().segment!;
    const goodSize = statSync(seg).size;

    // The disk fills up in the middle of a batch: 50 bytes get written, then ENOSPC.
    ffs.failWith = 'ENOSPC';
    ffs.spaceLeft = 50;
    for (let i = 11; i <= 15; i++) w.append(a(i));
    w.append(b(1));
    w.append(b(2));
    expect(() => w.flush()).not.toThrow();
    expect(statSync(seg).size).toBe(goodSize); // the partial batch was cut back
    expect(w.stats()).toMatchObject({ appended: 17, written: 10, lostRecords: 7, diskFull: true });
    // still full on later turns
    for (let i = 16; i <= 18; i++) w.append(a(i));
    await nextTurn();
    expect(w.stats()).toMatchObject({ appended: 20, written: 10, lostRecords: 10, diskFull: true });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(TicktapeError);
    expect((errors[0] as TicktapeError).code).toBe('TT_DISK_FULL');

    // Space returns.
    ffs.failWith = null;
    w.append(a(19));
    w.append(b(3));
    w.flush();
    expect(w.stats()).toMatchObject({ appended: 22, written: 12, lostRecords: 10, diskFull: false });
    await w.close();

    const got = [...readSegment(listSegments(t.dir, 'full')[0].path)];
    expect(got.slice(0, 10).map(view)).toEqual(Array.from({ length: 10 }, (_, i) => view(a(i + 1))));
    const [gapA, gapB, r19, rb3] = got.slice(10);
    expect(got).toHaveLength(14);
    expect(view(r19)).toEqual(view(a(19)));
    expect(view(rb3)).toEqual(view(b(3)));
    // One gap per (exchange, conn, stream), seq = its first lost record's, placed at the first loss.
    expect(gapA).toMatchObject({ exchange: 'coinstore', connId: 'conn-a', seq: 11, recvNs: a(11).recvNs, stream: 'btcusdt@trade', direction: 'event', kind: 'gap' });
    expect(gap(gapA)).toMatchObject({ cause: 'journal_loss', lost_frames: 8, start_ns: a(11).recvNs.toString(), end_ns: a(18).recvNs.toString(), stream: 'btcusdt@trade' });
    expect(gapB).toMatchObject({ connId: 'conn-b', seq: 1, stream: 'ethusdt@depth', kind: 'gap' });
    expect(gap(gapB)).toMatchObject({ cause: 'journal_loss', lost_frames: 2, start_ns: b(1).recvNs.toString(), end_ns: b(2).recvNs.toString() });
  });

  it('writes the gap on a later timer tick even when no new record arrives', async () => {
    const t = tempDataDir();
    cleanup = t.cleanup;
    const ffs = new FaultyFs();
    const errors: string[] = [];
    const w = openJournalWriter({ dataDir: t.dir, instance: 'tick', fs: ffs, fsyncIntervalMs: 10, onError: (e) => errors.push((e as TicktapeError).code) });
    w.append(frame(1));
    w.flush();
    ffs.failWith = 'EIO';
    w.append(frame(2));
    w.append(frame(3));
    w.flush();
    expect(w.stats()).toMatchObject({ lostRecords: 2, diskFull: false });
    const seg = w.stats().segment!;
    const size = statSync(seg).size;
    ffs.failWith = null;
    await waitFor(() => statSync(seg).size > size, 'the gap record to be written by the timer');
    await w.close();
    const got = [...readSegment(listSegments(t.dir, 'tick')[0].path)];
    expect(got.map((r) => `${r.kind}:${r.seq}`)).toEqual(['text:1', 'gap:2']);
    expect(gap(got[1])).toMatchObject({ lost_frames: 2, start_ns: frame(2).recvNs.toString(), end_ns: frame(3).recvNs.toString() });
    expect(errors).toEqual(['TT_JOURNAL_IO']);
  });

  it('short writes: every record arrives whole', async () => {
    const t = tempDataDir();
    cleanup = t.cleanup;
    const ffs = new FaultyFs();
    ffs.maxChunk = 7;
    const w = openJournalWriter({ dataDir: t.dir, instance: 'short', fs: ffs });
    const sent = Array.from({ length: 50 }, (_, i) => frame(i + 1, { size: (i * 11) % 90, binary: i % 2 === 0 }));
    for (const r of sent) w.append(r);
    w.flush();
    expect(ffs.writeCalls).toBeGreaterThan(100);
    expect(w.stats()).toMatchObject({ written: 50, lostRecords: 0 });
    await w.close();
    expect([...readSegment(listSegments(t.dir, 'short')[0].path)].map(view)).toEqual(sent.map(view));
  });

  it('a record that cannot be framed is counted as lost and covered by a gap', async () => {
    const t = tempDataDir();
    cleanup = t.cleanup;
    const errors: TicktapeError[] = [];
    const w = openJournalWriter({ dataDir: t.dir, instance: 'toolong', onError: (e) => errors.push(e as TicktapeError) });
    w.append(frame(1));
    w.append({ ...frame(2), endpoint: 'x'.repeat(70_000) });
    w.append(frame(3));
    w.flush();
    expect(w.stats()).toMatchObject({ appended: 3, written: 2, lostRecords: 1 });
    expect(errors.map((e) => e.code)).toEqual(['TT_JOURNAL_IO']);
    await w.close();
    const got = [...readSegment(listSegments(t.dir, 'toolong')[0].path)];
    expect(got.map((r) => `${r.kind}:${r.seq}`)).toEqual(['text:1', 'gap:2', 'text:3']);
    expect(gap(got[1])).toMatchObject({ cause: 'journal_loss', lost_frames: 1, start_ns: frame(2).recvNs.toString() });
  });
});
