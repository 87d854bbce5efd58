import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { listPartitionFiles, listTempFiles } from '../../../store/partitions.js';
import { readRecords } from '../../../store/reader/index.js';
import { compactAll, compactDay, InjectedCrash, sealClosedSegments, type CrashPoint } from '../../../store/seal/index.js';
import { genRecords, key, tmpDataDir, writeJournal, T0 } from './fixtures.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function readKeys(dataDir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const b of readRecords({ dataDir })) for (const r of b) out.push(key(r));
  return out;
}

async function globCount(dataDir: string): Promise<number> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    const r = await c.runAndReadAll(`SELECT count(*)::INTEGER FROM read_parquet('${dataDir}/raw/**/*.parquet', hive_partitioning=true)`);
    return r.getRows()[0][0] as number;
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

async function fourSealedSegments(tag: string, instance = 'inst-e'): Promise<{ data: string; keys: string[] }> {
  const data = tmpDataDir(tag);
  dirs.push(data);
  const batches = [0, 1, 2, 3].map((i) => genRecords(50 + i, { connId: `${instance}-k-${i}`, startNs: T0 + BigInt(i) * 1_000_000_000n }));
  await writeJournal(data, instance, batches);
  await sealClosedSegments(data);
  return { data, keys: batches.flat().map(key).sort() };
}

describe('compaction', () => {
  it("merges a day's files of one instance into one file and keeps every row", async () => {
    const { data, keys } = await fourSealedSegments('compact');
    expect(listPartitionFiles(data, ['raw'])).toHaveLength(4);
    const res = await compactDay(data, 'raw', 'coinstore', '2026-01-15');
    expect(res).toHaveLength(1);
    expect(res[0].rows).toBe(keys.length);
    const files = listPartitionFiles(data, ['raw']);
    expect(files).toHaveLength(1);
    expect(files[0].kind).toBe('day');
    expect(files[0].path).toMatch(/inst-e-day-[0-9a-f]{16}\.parquet$/);
    expect(await globCount(data)).toBe(keys.length);
    expect((await readKeys(data)).sort()).toEqual(keys);
    // Idempotent: nothing left to merge.
    expect(await compactDay(data, 'raw', 'coinstore', '2026-01-15')).toEqual([]);
  });

  it('a day file and newer segment files merge again, the name follows the set of segments', async () => {
    const { data, keys } = await fourSealedSegments('compact2');
    await compactDay(data, 'raw', 'coinstore', '2026-01-15');
    const more = genRecords(30, { connId: 'inst-e-k-9', startNs: T0 + 9_000_000_000n });
    await writeJournal(data, 'inst-e', [more]);
    await sealClosedSegments(data);
    expect(listPartitionFiles(data, ['raw'])).toHaveLength(2);
    await compactAll(data);
    const files = listPartitionFiles(data, ['raw']);
    expect(files).toHaveLength(1);
    expect(await globCount(data)).toBe(keys.length + 30);
  });

  it('refuses to compact a day with a damaged input, and keeps every file', async () => {
    const { data } = await fourSealedSegments('compact-damaged');
    const [first] = listPartitionFiles(data, ['raw']);
    const bytes = fs.readFileSync(first.path);
    bytes[bytes.length >> 1] ^= 0x04;
    fs.writeFileSync(first.path, bytes);
    await expect(compactDay(data, 'raw', 'coinstore', '2026-01-15')).rejects.toMatchObject({ code: 'TT_PARTITION_DAMAGED' });
    expect(listPartitionFiles(data, ['raw'])).toHaveLength(4);
    // compactAll reports the day and goes on with the others.
    const res = await compactAll(data);
    expect(res.find((r) => r.table === 'raw')?.error?.code).toBe('TT_PARTITION_DAMAGED');
    expect(listPartitionFiles(data, ['raw'])).toHaveLength(4);
  });

  it('compactAll leaves days on or after beforeDate alone', async () => {
    const { data, keys } = await fourSealedSegments('compact-before');
    expect(await compactAll(data, { beforeDate: '2026-01-15' })).toEqual([]);
    expect(listPartitionFiles(data, ['raw'])).toHaveLength(4);
    expect((await compactAll(data, { beforeDate: '2026-01-16' })).filter((r) => r.table === 'raw')).toHaveLength(1);
    expect(listPartitionFiles(data, ['raw'])).toHaveLength(1);
    expect(await globCount(data)).toBe(keys.length);
  });

  for (const point of ['after-temp', 'after-verify', 'after-rename', 'after-delete-partial'] as CrashPoint[]) {
    it(`crash ${point} during compaction: readers stay exact, the next run finishes`, async () => {
      const { data, keys } = await fourSealedSegments(`compact-${point}`);
      await expect(compactDay(data, 'raw', 'coinstore', '2026-01-15', { crashAt: point })).rejects.toBeInstanceOf(InjectedCrash);
      expect((await readKeys(data)).sort()).toEqual(keys);
      await compactAll(data);
      expect(listTempFiles(data)).toEqual([]);
      expect(listPartitionFiles(data, ['raw'])).toHaveLength(1);
      expect(await globCount(data)).toBe(keys.length);
      expect((await readKeys(data)).sort()).toEqual(keys);
    });
  }
});

describe('several instances in one store', () => {
  it('two recorders writing and sealing into one data folder never collide', async () => {
    const data = tmpDataDir('two');
    dirs.push(data);
    const a = genRecords(100, { connId: 'rec-a-k-1' });
    const b = genRecords(100, { connId: 'rec-b-k-1' }); // same exchange, stream, date and times
    await Promise.all([writeJournal(data, 'rec-a', [a.slice(0, 50), a.slice(50)]), writeJournal(data, 'rec-b', [b.slice(0, 50), b.slice(50)])]);
    const r = await sealClosedSegments(data);
    expect(r.records).toBe(200);
    const files = listPartitionFiles(data, ['raw']);
    expect(files).toHaveLength(4);
    expect(new Set(files.map((f) => f.instance))).toEqual(new Set(['rec-a', 'rec-b']));
    await compactAll(data);
    const compacted = listPartitionFiles(data, ['raw']);
    expect(compacted.map((f) => f.instance).sort()).toEqual(['rec-a', 'rec-b']);
    expect(await globCount(data)).toBe(200);

    // Merging stores is copying files: a second store's files land beside these without clashes.
    const other = tmpDataDir('two-other');
    dirs.push(other);
    await writeJournal(other, 'rec-c', [genRecords(25, { connId: 'rec-c-k-1' })]);
    await sealClosedSegments(other);
    for (const f of listPartitionFiles(other)) {
      const dest = f.path.replace(other, data);
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      expect(fs.existsSync(dest)).toBe(false);
      fs.copyFileSync(f.path, dest);
    }
    expect(await globCount(data)).toBe(225);
  });
});
