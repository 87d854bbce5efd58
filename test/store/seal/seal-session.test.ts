/**
 * `ticktape seal` and the recorder's seal child seal with the same bounded settings: DuckDB's
 * memory limit and threads as the seal session's DuckDB reports them, chunks of SEAL_CHUNK_RECORDS
 * with a full collection of the JS heap after each, and raw files whose row groups hold at most
 * two chunks. Both are real child processes sealing a real segment of three chunks of
 * Coinstore trades (normalized into `trades`); no memory figure is asserted, only what bounds it.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { shape } from '../../../bench/peers/shapes.js';
import { listPartitionFiles } from '../../../store/partitions.js';
import { SEAL_CHUNK_RECORDS } from '../../../store/seal/chunk-parts.js';
import { tmpDataDir, writeJournal } from './fixtures.js';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const main = path.join(root, 'dist/cli/main.js');
const sealChild = path.join(root, 'dist/recorder/seal-child.js');
/** The seal session's documented default limit (sealer.ts SEAL_DUCKDB_MEMORY). */
const SEAL_MEMORY = '96MB';
const RECORDS = 2 * SEAL_CHUNK_RECORDS + 1_000;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** How DuckDB reports a memory limit given as `limit` (e.g. "91.5 MiB"). */
async function reportedLimit(limit: string): Promise<string> {
  const db = await DuckDBInstance.create(':memory:', { memory_limit: limit });
  try {
    const c = await db.connect();
    const v = String((await c.runAndReadAll(`SELECT current_setting('memory_limit')`)).getRows()[0][0]);
    c.closeSync();
    return v;
  } finally {
    db.closeSync();
  }
}

/** The JSON log lines of a run's stderr with the given message. */
function logLines(stderr: string, msg: string): Array<Record<string, unknown>> {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.msg === msg);
}

/** A Parquet file's rows and the rows of its largest row group, from its footer. */
async function rowGroups(file: string): Promise<{ rows: number; largest: number }> {
  const db = await DuckDBInstance.create(':memory:');
  try {
    const c = await db.connect();
    const sql = `SELECT sum(row_group_num_rows), max(row_group_num_rows) FROM (SELECT DISTINCT row_group_id, row_group_num_rows FROM parquet_metadata('${file.replace(/'/g, "''")}'))`;
    const [rows, largest] = (await c.runAndReadAll(sql)).getRows()[0].map(Number);
    c.closeSync();
    return { rows, largest };
  } finally {
    db.closeSync();
  }
}

describe.skipIf(!fs.existsSync(main) || !fs.existsSync(sealChild))('the seal session', () => {
  it('ticktape seal and the recorder seal child report the same bounded DuckDB settings, collect the heap after every chunk and write raw row groups of at most two chunks', async () => {
    const recs = [...shape('coinstore-trades').frames(RECORDS)];
    const expectedLimit = await reportedLimit(SEAL_MEMORY);
    const env = { ...process.env, TICKTAPE_LOG_LEVEL: 'debug' };
    delete env.TICKTAPE_DUCKDB_MEMORY;
    const runs: Array<{ how: string; argv: (data: string) => string[] }> = [
      { how: 'ticktape seal', argv: (data) => [main, 'seal', '--data', data] },
      { how: 'recorder seal child', argv: (data) => [sealChild, data, 'inst-s'] },
    ];
    for (const r of runs) {
      const data = tmpDataDir('seal-session');
      dirs.push(data);
      await writeJournal(data, 'inst-s', [recs]);
      const { stderr } = await run(process.execPath, r.argv(data), { env, maxBuffer: 1 << 26 });

      const session = logLines(stderr, 'seal session');
      expect(session, r.how).toHaveLength(1);
      expect(session[0], r.how).toMatchObject({ duckdbMemoryLimit: expectedLimit, duckdbThreads: os.availableParallelism(), chunkRecords: SEAL_CHUNK_RECORDS, rowGroupRows: 2 * SEAL_CHUNK_RECORDS });

      const chunks = logLines(stderr, 'seal chunk written');
      expect(
        chunks.map((c) => [c.chunks, c.records, c.collected]),
        r.how,
      ).toEqual([
        [1, SEAL_CHUNK_RECORDS, true],
        [2, 2 * SEAL_CHUNK_RECORDS, true],
        [3, RECORDS, true],
      ]);

      const files = listPartitionFiles(data);
      expect(files.map((f) => f.table).sort(), r.how).toEqual(['raw', 'trades']);
      // Every frame is a trade: both files hold RECORDS rows; raw's row groups are two chunks (a
      // sorted COPY, as the trades file's, takes the size as a target only).
      for (const f of files) {
        const g = await rowGroups(f.path);
        expect(g.rows, `${r.how}: ${f.table}`).toBe(RECORDS);
        if (f.table === 'raw') expect(g.largest, r.how).toBe(2 * SEAL_CHUNK_RECORDS);
      }
      expect(
        fs.readdirSync(path.join(data, 'journal', 'inst-s')).filter((f) => f.endsWith('.ttj')),
        r.how,
      ).toEqual([]);
    }
  }, 600_000);
});
