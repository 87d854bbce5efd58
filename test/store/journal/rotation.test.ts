import { statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listSegments, openJournalWriter, readSegment } from '../../../store/journal/index.js';
import { nextTurn, waitFor } from './faulty-fs.js';
import { BASE_NS, frame, tempDataDir } from './helpers.js';

let cleanup: (() => void) | null = null;
afterEach(() => {
  cleanup?.();
  cleanup = null;
});

const SEC = 1_000_000_000n;
const HOUR = 3600n * SEC;

describe('journal segment rotation', () => {
  it('rotates by size: no segment exceeds the limit and every record is kept in order', async () => {
    const t = tempDataDir();
    cleanup = t.cleanup;
    const closed: string[] = [];
    const w = openJournalWriter({ dataDir: t.dir, instance: 'size', segmentMaxBytes: 2000, onSegmentClosed: (p) => closed.push(p) });
    for (let i = 1; i <= 120; i++) {
      w.append(frame(i, { size: 60 }));
      if (i % 3 === 0) await nextTurn();
    }
    await w.close();
    const segs = listSegments(t.dir, 'size');
    expect(segs.length).toBeGreaterThanOrEqual(6);
    expect(segs.every((s) => !s.open && s.bytes <= 2000)).toBe(true);
    expect(closed).toEqual(segs.map((s) => s.path));
    const seqs = segs.flatMap((s) => [...readSegment(s.path)].map((r) => r.seq));
    expect(seqs).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
  });

  it('rotates at the UTC hour boundary, splitting even one turn by recv_ns', async () => {
    const t = tempDataDir();
    cleanup = t.cleanup;
    let now = BASE_NS + HOUR - SEC; // 10:59:59
    const w = openJournalWriter({ dataDir: t.dir, instance: 'hour', nowNs: () => now });
    w.append(frame(1, { recvNs: now }));
    w.append(frame(2, { recvNs: now + SEC / 2n })); // 10:59:59.5
    w.append(frame(3, { recvNs: BASE_NS + HOUR })); // 11:00:00.000 exactly
    now = BASE_NS + HOUR + SEC / 10n;
    w.append(frame(4, { recvNs: now }));
    await nextTurn();
    await w.close();
    const segs = listSegments(t.dir, 'hour');
    expect(segs.map((s) => s.name.slice(0, 16))).toEqual(['20261123T105959Z', '20261123T110000Z']);
    expect([...readSegment(segs[0].path)].map((r) => r.seq)).toEqual([1, 2]);
    expect([...readSegment(segs[1].path)].map((r) => r.seq)).toEqual([3, 4]);
  });

  it('closes an idle segment when the hour ends (timer), so it can be sealed', async () => {
    const t = tempDataDir();
    cleanup = t.cleanup;
    let now = BASE_NS + HOUR - SEC;
    const closed: string[] = [];
    const w = openJournalWriter({ dataDir: t.dir, instance: 'idle', nowNs: () => now, fsyncIntervalMs: 10, onSegmentClosed: (p) => closed.push(p) });
    w.append(frame(1, { recvNs: now }));
    w.flush();
    const first = w.stats().segment!;
    now = BASE_NS + HOUR + 1n;
    await waitFor(() => closed.length === 1, 'the idle segment to close');
    expect(path.basename(closed[0])).toBe(path.basename(first).replace('.ttj.open', '.ttj'));
    expect(w.stats().segment).not.toBe(first);
    expect(path.basename(w.stats().segment!).startsWith('20261123T110000Z')).toBe(true);
    await w.close();
    expect(closed).toHaveLength(1); // the new segment stayed empty and was deleted
  });

  it('rotates by age', async () => {
    const t = tempDataDir();
    cleanup = t.cleanup;
    let now = BASE_NS;
    const w = openJournalWriter({ dataDir: t.dir, instance: 'age', nowNs: () => now, segmentMaxAgeMs: 1000 });
    w.append(frame(1, { recvNs: now }));
    w.flush();
    now += SEC / 2n;
    w.append(frame(2, { recvNs: now }));
    w.flush();
    expect(listSegments(t.dir, 'age')).toHaveLength(1);
    now += SEC;
    w.append(frame(3, { recvNs: now }));
    w.flush(); // written to the old segment, which is then past its age and rotated
    w.append(frame(4, { recvNs: now }));
    w.flush();
    await w.close();
    const segs = listSegments(t.dir, 'age');
    expect(segs.map((s) => [...readSegment(s.path)].map((r) => r.seq))).toEqual([[1, 2, 3], [4]]);
  });

  it('rotate() closes the segment at once', async () => {
    const t = tempDataDir();
    cleanup = t.cleanup;
    const closed: string[] = [];
    const w = openJournalWriter({ dataDir: t.dir, instance: 'manual', onSegmentClosed: (p) => closed.push(p) });
    w.append(frame(1));
    w.rotate();
    expect(closed).toHaveLength(1);
    expect(statSync(closed[0]).size).toBeGreaterThan(0);
    expect([...readSegment(closed[0])].map((r) => r.seq)).toEqual([1]);
    w.append(frame(2));
    await w.close();
    expect(listSegments(t.dir, 'manual').map((s) => s.open)).toEqual([false, false]);
  });
});
