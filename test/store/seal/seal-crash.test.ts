/**
 * A crash at every step of sealing, then a re-run: every record ends in exactly one place (journal
 * or Parquet), none lost, none twice — checked through the reader while the crash's leftovers are
 * on disk, and in the Parquet files after the re-run.
 */
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { listSegments } from '../../../store/journal/index.js';
import { listTempFiles } from '../../../store/partitions.js';
import { readRecords } from '../../../store/reader/index.js';
import { InjectedCrash, sealClosedSegments, verifyStore, type CrashPoint } from '../../../store/seal/index.js';
import { openTape } from '../../../store/duck/index.js';
import { genRecords, key, tmpDataDir, writeJournal, T0 } from './fixtures.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function readAllKeys(dataDir: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const batch of readRecords({ dataDir })) for (const r of batch) keys.push(key(r));
  return keys;
}

async function sealedCount(dataDir: string): Promise<{ total: number; distinct: number }> {
  const tape = await openTape(dataDir, { includeJournal: false });
  try {
    const r = await tape.conn.runAndReadAll(`SELECT count(*)::INTEGER, count(DISTINCT (conn_id, seq))::INTEGER FROM raw`);
    const [total, distinct] = r.getRows()[0] as [number, number];
    return { total, distinct };
  } finally {
    tape.close();
  }
}

const POINTS: CrashPoint[] = ['after-temp', 'after-verify', 'after-rename-partial', 'after-rename', 'after-state'];

describe('crash while sealing', () => {
  for (const point of POINTS) {
    it(`crash ${point}: no loss, no duplicates`, async () => {
      const data = tmpDataDir(`crash-${point}`);
      dirs.push(data);
      // Two exchanges per segment so a segment has several outputs (partial renames are possible).
      const seg = (i: number) => [
        ...genRecords(120, { connId: `inst-c-k1-${i}a`, startNs: T0 + BigInt(i) * 10_000_000_000n }),
        ...genRecords(80, { connId: `inst-c-k1-${i}b`, exchange: 'coinceres', startNs: T0 + BigInt(i) * 10_000_000_000n + 7n, streams: ['BTC-USDT/trade'] }),
      ];
      const batches = [seg(0), seg(1), seg(2)];
      const all = batches.flat().map(key).sort();
      await writeJournal(data, 'inst-c', batches);

      await expect(sealClosedSegments(data, { crashAt: point })).rejects.toBeInstanceOf(InjectedCrash);

      // What a reader sees right after the crash: everything, exactly once.
      expect((await readAllKeys(data)).sort()).toEqual(all);
      // The crash hit the first segment: no journal segment was deleted.
      expect(listSegments(data, 'inst-c')).toHaveLength(3);
      // Leftovers of a crash are not damage; verify says what the next seal will finish.
      const v = await verifyStore(data);
      expect(v.damaged).toBe(false);
      if (point === 'after-rename' || point === 'after-state') {
        expect(v.findings.filter((f) => f.message.includes('journal segment is still there')).length).toBeGreaterThan(0);
      }

      const report = await sealClosedSegments(data);
      expect(report.failures).toEqual([]);
      expect(listSegments(data, 'inst-c')).toHaveLength(0);
      expect(listTempFiles(data)).toEqual([]);
      expect(await sealedCount(data)).toEqual({ total: 600, distinct: 600 });
      expect((await readAllKeys(data)).sort()).toEqual(all);
    });
  }
});
