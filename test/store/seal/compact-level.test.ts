/**
 * The zstd level of day compaction: the same day compacted at level 1 and at level 19 holds the
 * same rows, verifies, is ZSTD either way, and is smaller at 19. Bad levels are refused up front
 * (in-process, by the seal child the recorder spawns, and by `ticktape seal --zstd-level`).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { listPartitionFiles } from '../../../store/partitions.js';
import { compactAll, compactDay, sealClosedSegments, verifyStore } from '../../../store/seal/index.js';
import { compactZstdLevel, defaultZstdLevel, RAW_COMPACT_ZSTD_LEVEL } from '../../../store/seal/compact.js';
import { COMPACT_ZSTD_LEVEL } from '../../../store/seal/parquet-file.js';
import { configFromFlags } from '../../../recorder/config.js';
import type { TapeRecord } from '../../../schemas/record.js';
import { genRecords, tmpDataDir, writeJournal, T0 } from './fixtures.js';
import { runCli } from '../../hardening/helpers.js';

const MAIN = path.resolve('dist/cli/main.js');
const CHILD = path.resolve('dist/recorder/seal-child.js');
const DAY = '2026-01-15';
const INSTANCE = 'lvl-a';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

beforeAll(() => {
  if (!fs.existsSync(MAIN) || !fs.existsSync(CHILD)) throw new Error('dist/ is missing: build first (npx tsc -p .)');
});

/** Four segments of one instance on one day, with payloads that zstd levels tell apart. */
function batches(): TapeRecord[][] {
  return [0, 1, 2, 3].map((i) =>
    genRecords(3000, { connId: `${INSTANCE}-k-${i}`, startNs: T0 + BigInt(i) * 10_000_000_000n }).map((r, j) =>
      j % 5 === 0
        ? {
            ...r,
            payload: Buffer.from(
              JSON.stringify({ e: 'depth', s: 'BTCUSDT', u: 1_000_000 + j, b: [[(60_000 + ((j * 37) % 500) / 100).toFixed(2), (((j * 7919) % 10_000) / 1000).toFixed(3)]], a: [[(60_010 + ((j * 13) % 300) / 100).toFixed(2), '0.250']] }),
            ),
          }
        : r,
    ),
  );
}

/** A data folder whose day has four sealed files of one instance (the same records every call). */
async function sealedDay(tag: string): Promise<string> {
  const data = tmpDataDir(tag);
  dirs.push(data);
  await writeJournal(data, INSTANCE, batches());
  await sealClosedSegments(data);
  expect(listPartitionFiles(data, ['raw']).filter((f) => f.date === DAY)).toHaveLength(4);
  return data;
}

function dayFile(data: string): string {
  const files = listPartitionFiles(data, ['raw']).filter((f) => f.date === DAY);
  expect(files).toHaveLength(1);
  expect(files[0].kind).toBe('day');
  return files[0].path;
}

async function withDuck<T>(fn: (run: (sql: string) => Promise<unknown[][]>) => Promise<T>): Promise<T> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    return await fn(async (sql) => (await c.runAndReadAll(sql)).getRows() as unknown[][]);
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

const q = (p: string) => `'${p.replace(/'/g, "''")}'`;

async function checkSameRowsAndZstd(a: string, b: string): Promise<void> {
  await withDuck(async (run) => {
    const [[na]] = await run(`SELECT count(*)::INTEGER FROM read_parquet(${q(a)})`);
    const [[nb]] = await run(`SELECT count(*)::INTEGER FROM read_parquet(${q(b)})`);
    expect(na).toBe(12_000);
    expect(nb).toBe(na);
    // Every column of every row, both ways, duplicates counted.
    for (const [x, y] of [
      [a, b],
      [b, a],
    ]) {
      const [[diff]] = await run(`SELECT count(*)::INTEGER FROM (SELECT * FROM read_parquet(${q(x)}) EXCEPT ALL SELECT * FROM read_parquet(${q(y)}))`);
      expect(diff).toBe(0);
    }
    for (const f of [a, b]) {
      const codecs = (await run(`SELECT DISTINCT compression::VARCHAR FROM parquet_metadata(${q(f)})`)).map((r) => r[0]);
      expect(codecs).toEqual(['ZSTD']);
    }
  });
}

/** `ticktape verify`'s check of the whole folder (raw and normalized tables); returns its row count. */
async function expectVerified(data: string): Promise<number> {
  const report = await verifyStore(data);
  expect(report.damaged).toBe(false);
  expect(report.findings).toEqual([]);
  expect(report.rows).toBeGreaterThanOrEqual(12_000);
  return report.rows;
}

describe('compaction zstd level', () => {
  it('level 1 and level 19 of the same day: same rows, both verify, both ZSTD, 19 is smaller', async () => {
    const d1 = await sealedDay('lvl1');
    const d19 = await sealedDay('lvl19');
    const r1 = await compactDay(d1, 'raw', 'coinstore', DAY, { zstdLevel: 1 });
    const r19 = await compactAll(d19, { zstdLevel: 19 });
    expect(r1.map((r) => r.rows)).toEqual([12_000]);
    expect(r19.filter((r) => r.table === 'raw').map((r) => r.rows)).toEqual([12_000]);
    const f1 = dayFile(d1);
    const f19 = dayFile(d19);
    expect(await expectVerified(d19)).toBe(await expectVerified(d1));
    await checkSameRowsAndZstd(f1, f19);
    expect(fs.statSync(f19).size).toBeLessThan(fs.statSync(f1).size);
  });

  it('unset, raw day files are written at 16 and the normalized tables at 9, in the store and by the recorder', () => {
    expect(COMPACT_ZSTD_LEVEL).toBe(9);
    expect(RAW_COMPACT_ZSTD_LEVEL).toBe(16);
    expect(defaultZstdLevel('raw')).toBe(16);
    expect(defaultZstdLevel('book')).toBe(9);
    expect(defaultZstdLevel('trades')).toBe(9);
    expect(compactZstdLevel(undefined)).toBeUndefined();
    // The recorder leaves the level unset unless the config sets one, so its child uses these defaults.
    const cfg = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tt-lvl-cfg-')), 'c.yaml');
    fs.writeFileSync(cfg, 'exchanges:\n  - name: coinstore\n    channels: [btcusdt@trade]\n');
    expect(configFromFlags({ config: cfg }).config.compactZstdLevel).toBeUndefined();
    expect(compactZstdLevel(22)).toBe(22);
    expect(compactZstdLevel('19', '--zstd-level')).toBe(19);
  });

  it('unset, the raw day file is the one level 16 writes and the normalized ones level 9, in process and in the seal child', async () => {
    const dDefault = await sealedDay('lvl-default');
    const dChild = await sealedDay('lvl-default-child');
    const d16 = await sealedDay('lvl16');
    const d9 = await sealedDay('lvl9');
    await compactAll(dDefault);
    const r = spawnSync(process.execPath, [CHILD, dChild, INSTANCE, 'compact'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    await compactAll(d16, { zstdLevel: 16 });
    await compactAll(d9, { zstdLevel: 9 });
    const sizes = (data: string) =>
      new Map(
        listPartitionFiles(data)
          .filter((f) => f.date === DAY)
          .map((f) => [f.table, f.bytes] as const),
      );
    const [def, child, s16, s9] = [dDefault, dChild, d16, d9].map(sizes);
    expect(def.get('raw')).toBe(s16.get('raw'));
    expect(child.get('raw')).toBe(s16.get('raw'));
    expect(s16.get('raw')!).toBeLessThan(s9.get('raw')!);
    const normalized = [...s9.keys()].filter((t) => t !== 'raw');
    expect(normalized.length).toBeGreaterThan(0);
    for (const t of normalized) {
      expect(def.get(t), t).toBe(s9.get(t));
      expect(child.get(t), t).toBe(s9.get(t));
    }
    await checkSameRowsAndZstd(dayFile(dDefault), dayFile(d9));
    await expectVerified(dDefault);
  }, 240_000); // four days sealed and compacted

  it('refuses a level outside 1-22 before touching any file, naming the value', async () => {
    const data = await sealedDay('lvl-bad');
    const before = listPartitionFiles(data, ['raw'])
      .map((f) => f.path)
      .sort();
    for (const bad of [0, 23, 2.5, -1, Number.NaN]) {
      await expect(compactDay(data, 'raw', 'coinstore', DAY, { zstdLevel: bad })).rejects.toMatchObject({ code: 'TT_CONFIG_INVALID', message: expect.stringContaining(`zstdLevel: ${String(bad)} is not a zstd level`) });
      // compactAll reports per-day failures as results; a bad level is thrown instead.
      await expect(compactAll(data, { zstdLevel: bad })).rejects.toMatchObject({ code: 'TT_CONFIG_INVALID' });
    }
    for (const bad of ['abc', '0', '', '1e1', '9.0']) expect(() => compactZstdLevel(bad, '--zstd-level')).toThrow(`--zstd-level: ${JSON.stringify(bad)} is not a zstd level`);
    expect(
      listPartitionFiles(data, ['raw'])
        .map((f) => f.path)
        .sort(),
    ).toEqual(before);
  });
});

describe('the recorder seal child', () => {
  it('compacts finished days at the level it is given, and refuses a bad one', async () => {
    const d1 = await sealedDay('child1');
    const d19 = await sealedDay('child19');
    for (const [data, level] of [
      [d1, '1'],
      [d19, '19'],
    ] as const) {
      const r = spawnSync(process.execPath, [CHILD, data, INSTANCE, 'compact', level], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout.trim().split('\n').pop()!).compacted).toBeGreaterThan(0);
    }
    const f1 = dayFile(d1);
    const f19 = dayFile(d19);
    await checkSameRowsAndZstd(f1, f19);
    expect(fs.statSync(f19).size).toBeLessThan(fs.statSync(f1).size);

    const d = await sealedDay('child-bad');
    const bad = spawnSync(process.execPath, [CHILD, d, INSTANCE, 'compact', '23'], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/seal\.compactZstdLevel: \\?"23\\?" is not a zstd level/);
    expect(listPartitionFiles(d, ['raw']).filter((f) => f.date === DAY)).toHaveLength(4);
  });
});

describe('the recorder seal runner', () => {
  it('passes the configured level to its child, read at each run', async () => {
    // The built runner: it spawns the built child next to it.
    const { SealRunner } = (await import(path.resolve('dist/recorder/seal-runner.js'))) as typeof import('../../../recorder/seal-runner.js');
    const { createLogger } = await import('../../../core/log.js');
    const log = createLogger('test-seal-runner');
    const sizes: number[] = [];
    let level = 1;
    for (const tag of ['runner1', 'runner19']) {
      const data = await sealedDay(tag);
      const runner = new SealRunner(data, INSTANCE, log, undefined, () => level);
      await runner.request(true);
      expect(runner.stats.lastError).toBeNull();
      expect(runner.stats.lastSummary?.compacted).toBeGreaterThan(0);
      sizes.push(fs.statSync(dayFile(data)).size);
      level = 19;
    }
    expect(sizes[1]).toBeLessThan(sizes[0]);
  });
});

/** The built CLI as a child process (quiet logs). */
const ticktape = (...args: string[]) => runCli(args, { env: { TICKTAPE_LOG_LEVEL: 'warn' } });

describe('ticktape seal --compact --zstd-level', () => {
  it('compacts at the given level; the compacted day verifies', async () => {
    const data = await sealedDay('cli-lvl');
    const r = await ticktape('seal', '--data', data, '--compact', '--zstd-level', '19');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Compacted [1-9]\d* day partition\(s\)/);
    dayFile(data);
    const v = await ticktape('verify', '--data', data);
    expect(v.code, v.stdout + v.stderr).toBe(0);
  });

  it('exits 2 naming the flag on a level that is not 1-22, or without --compact', async () => {
    const data = await sealedDay('cli-lvl-bad');
    for (const bad of ['0', 'abc', '23']) {
      const r = await ticktape('seal', '--data', data, '--compact', '--zstd-level', bad);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('--zstd-level');
      expect(r.stderr).toContain(`"${bad}" is not a zstd level; use an integer from 1 to 22`);
    }
    const alone = await ticktape('seal', '--data', data, '--zstd-level', '19');
    expect(alone.code).toBe(2);
    expect(alone.stderr).toMatch(/--zstd-level .*add --compact/);
    expect(listPartitionFiles(data, ['raw']).filter((f) => f.date === DAY)).toHaveLength(4);
  });
});
