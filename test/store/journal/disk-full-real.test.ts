/**
 * ENOSPC for real: the journal writes into a private 1 MiB tmpfs (user + mount namespace, no root
 * needed) until the disk is full, keeps appending, then space returns. Skipped where the kernel does
 * not allow unprivileged user namespaces.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDataDir } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CHILD = path.join(here, '..', '..', 'fixtures', 'journal-enospc-child.mjs');
const BUILT = path.join(here, '..', '..', '..', 'dist', 'store', 'journal', 'index.js');
const t = tempDataDir('ttj-tmpfs-');
afterAll(() => t.cleanup());

const MOUNT = 'mount -t tmpfs -o size=1m tmpfs "$1" && exec "$2" "$3" "$1"';
const canMount = spawnSync('unshare', ['-rm', 'sh', '-c', 'mount -t tmpfs -o size=1m tmpfs "$1"', 'sh', t.dir]).status === 0;

interface Summary {
  appended: number;
  errors: string[];
  firstFull: { lostRecords: number; diskFull: boolean };
  whileFull: { lostRecords: number; written: number; diskFull: boolean };
  after: { lostRecords: number; written: number; diskFull: boolean };
  records: { seq: number; kind: string; recvNs: string; payload: number | { cause: string; lost_frames: number; start_ns: string; end_ns: string } }[];
}

describe('journal on a real full disk', () => {
  it.skipIf(!canMount)('stays up on a full tmpfs and records exactly what it lost as one gap', () => {
    expect(existsSync(BUILT), 'build first (npx tsc -p .)').toBe(true);
    const r = spawnSync('unshare', ['-rm', 'sh', '-c', MOUNT, 'sh', t.dir, process.execPath, CHILD], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout.trim().split('\n').pop()!) as Summary;
    expect(s.errors).toEqual(['TT_DISK_FULL']);
    expect(s.firstFull.diskFull).toBe(true);
    expect(s.whileFull.lostRecords).toBeGreaterThanOrEqual(s.firstFull.lostRecords + 100);
    expect(s.after).toMatchObject({ diskFull: false, lostRecords: s.whileFull.lostRecords, written: s.appended - s.whileFull.lostRecords });

    const frames = s.records.filter((x) => x.kind === 'text').map((x) => x.seq);
    const gaps = s.records.filter((x) => x.kind === 'gap');
    expect(frames.length + s.after.lostRecords).toBe(s.appended);
    // exactly the lost seqs are missing, as one contiguous run covered by one gap
    const missing: number[] = [];
    for (let q = 1, i = 0; q <= s.appended; q++) {
      if (frames[i] === q) i++;
      else missing.push(q);
    }
    expect(missing.length).toBe(s.after.lostRecords);
    expect(missing[missing.length - 1] - missing[0] + 1).toBe(missing.length);
    expect(gaps).toHaveLength(1);
    const g = gaps[0];
    const p = g.payload as { cause: string; lost_frames: number; start_ns: string; end_ns: string };
    expect(g.seq).toBe(missing[0]);
    expect(p).toMatchObject({ cause: 'journal_loss', lost_frames: missing.length });
    const ns = (q: number): string => (1_795_428_000_000_000_000n + BigInt(q) * 1000n).toString();
    expect([p.start_ns, p.end_ns]).toEqual([ns(missing[0]), ns(missing[missing.length - 1])]);
    // the gap sits in file order right where the loss happened
    expect(s.records.findIndex((x) => x.kind === 'gap')).toBe(missing[0] - 1);
  });
});
