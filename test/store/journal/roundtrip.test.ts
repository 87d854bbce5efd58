import { afterEach, describe, expect, it } from 'vitest';
import { listSegments, openJournalWriter, readSegment, scanSegment } from '../../../store/journal/index.js';
import type { TapeRecord } from '../../../schemas/record.js';
import { frame, tempDataDir, view } from './helpers.js';

let cleanup: (() => void) | null = null;
afterEach(() => {
  cleanup?.();
  cleanup = null;
});

describe('journal round trip', () => {
  it('reads back many records byte-exact, across turns and explicit flushes', async () => {
    const t = tempDataDir();
    cleanup = t.cleanup;
    const closed: string[] = [];
    const w = openJournalWriter({ dataDir: t.dir, instance: 'rt', onSegmentClosed: (p) => closed.push(p) });
    const sent: TapeRecord[] = [];
    const streams = ['btcusdt@trade', 'ethusdt@depth', 'ビットコイン/円', ''];
    for (let i = 1; i <= 5000; i++) {
      const r = frame(i, { size: i % 17 === 0 ? 0 : (i * 13) % 700, binary: i % 3 === 0, stream: streams[i % streams.length], connId: `rt-x-${i % 5}` });
      w.append(r);
      sent.push(r);
      if (i % 250 === 0) await new Promise((res) => setImmediate(res));
      if (i % 999 === 0) w.flush();
    }
    const s = w.stats();
    await w.close();
    expect(s.appended).toBe(5000);
    expect(closed).toHaveLength(1);
    const segs = listSegments(t.dir, 'rt');
    expect(segs).toHaveLength(1);
    expect(segs[0].open).toBe(false);
    expect(segs[0].path).toBe(closed[0]);
    const got = [...readSegment(segs[0].path)];
    expect(got.length).toBe(sent.length);
    for (let i = 0; i < sent.length; i++) expect(view(got[i])).toEqual(view(sent[i]));
    const scan = scanSegment(segs[0].path);
    expect(scan).toMatchObject({ records: 5000, tornTailBytes: 0, corrupt: [], validBytes: segs[0].bytes });
    expect(scan.firstRecvNs).toBe(sent[0].recvNs);
    expect(scan.lastRecvNs).toBe(sent[4999].recvNs);
  });

  it('writes records queued in one turn with a single write, and flush() writes at once', async () => {
    const t = tempDataDir();
    cleanup = t.cleanup;
    let writes = 0;
    const fsMod = await import('node:fs');
    const w = openJournalWriter({
      dataDir: t.dir,
      instance: 'one-write',
      fs: {
        openSync: (p, f, m) => fsMod.openSync(p, f, m),
        writeSync: (fd, b, o, l, pos) => {
          writes++;
          return fsMod.writeSync(fd, b, o, l, pos);
        },
        fdatasync: (fd, cb) => fsMod.fdatasync(fd, cb),
        fsyncSync: (fd) => fsMod.fsyncSync(fd),
        ftruncateSync: (fd, l) => fsMod.ftruncateSync(fd, l),
        closeSync: (fd) => fsMod.closeSync(fd),
        renameSync: (a, b) => fsMod.renameSync(a, b),
      },
    });
    const before = writes; // the segment header
    for (let i = 1; i <= 100; i++) w.append(frame(i));
    expect(w.stats().written).toBe(0);
    await new Promise((res) => setImmediate(res));
    expect(writes - before).toBe(1);
    expect(w.stats().written).toBe(100);
    w.append(frame(101));
    w.flush();
    expect(writes - before).toBe(2);
    expect(w.stats().written).toBe(101);
    // what flush() wrote is readable by another reader now, before any close
    const segs = listSegments(t.dir, 'one-write');
    expect(segs[0].open).toBe(true);
    expect([...readSegment(segs[0].path)].map((r) => r.seq)).toEqual(Array.from({ length: 101 }, (_, i) => i + 1));
    await w.sync();
    expect(w.stats().syncs).toBeGreaterThanOrEqual(1);
    await w.close();
  });

  it('decodes thousands of distinct stream and connection names correctly (string interning)', async () => {
    const t = tempDataDir();
    cleanup = t.cleanup;
    const w = openJournalWriter({ dataDir: t.dir, instance: 'names' });
    const sent: TapeRecord[] = [];
    for (let i = 1; i <= 3000; i++) {
      const r = { ...frame(i, { size: 3 }), stream: `s${i % 1777}@dépth`, connId: `c-${i % 997}`, exchange: i % 2 ? 'coinstore' : 'coinsuper' };
      sent.push(r);
      w.append(r);
    }
    await w.close();
    const got = [...readSegment(listSegments(t.dir, 'names')[0].path)];
    expect(got.map(view)).toEqual(sent.map(view));
  });

  it('deletes a segment that received no record instead of closing it', async () => {
    const t = tempDataDir();
    cleanup = t.cleanup;
    const closed: string[] = [];
    const w = openJournalWriter({ dataDir: t.dir, instance: 'empty', onSegmentClosed: (p) => closed.push(p) });
    await w.close();
    expect(closed).toEqual([]);
    expect(listSegments(t.dir)).toEqual([]);
  });
});
