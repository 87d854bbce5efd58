/** Readers on pooled DuckDB sessions: reuse, state dropped between passes, no process kept alive, same records. */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { DuckDBConnection } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import type { TapeRecord } from '../../../schemas/record.js';
import { openDuckSession } from '../../../store/duck/index.js';
import { borrowSession, closeIdleSessions, releaseSession, sessionPoolStats } from '../../../store/duck/session-pool.js';
import { readNormalized, readRecords, type ReadRecordsOptions } from '../../../store/reader/index.js';
import { sealClosedSegments } from '../../../store/seal/index.js';
import { genRecords, hex, key, tmpDataDir, writeJournal, T0 } from '../seal/fixtures.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../../..');
const dirs: string[] = [];
afterEach(() => {
  closeIdleSessions();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function collect(o: ReadRecordsOptions): Promise<TapeRecord[]> {
  const out: TapeRecord[] = [];
  for await (const batch of readRecords(o)) out.push(...batch);
  return out;
}

/** Part sealed, part in closed journal segments (staged into the session by the reader). */
async function store(): Promise<string> {
  const data = tmpDataDir('pool');
  dirs.push(data);
  const a = genRecords(300, { connId: 'p-k-a', stepNs: 3_000_000n });
  const b = genRecords(200, { connId: 'p-k-b', exchange: 'nexus', streams: ['BTC/USD'], stepNs: 4_000_000n, startNs: T0 + 1_000n });
  await writeJournal(data, 'p1', [a.slice(0, 200), b.slice(0, 100)]);
  await sealClosedSegments(data);
  await writeJournal(data, 'p1', [a.slice(200), b.slice(100)]);
  return data;
}

function same(a: TapeRecord[], b: TapeRecord[]): void {
  expect(a.map(key)).toEqual(b.map(key));
  for (let i = 0; i < a.length; i++) {
    expect(hex(a[i].payload)).toBe(hex(b[i].payload));
    expect([a[i].exchange, a[i].connId, a[i].recvNs, a[i].direction, a[i].kind, a[i].stream, a[i].endpoint, a[i].flags]).toEqual([b[i].exchange, b[i].connId, b[i].recvNs, b[i].direction, b[i].kind, b[i].stream, b[i].endpoint, b[i].flags]);
  }
}

describe('reader session pool', () => {
  it('a second pass reuses the instance, and its records equal those of an own session', async () => {
    const data = await store();
    closeIdleSessions();
    const first = await collect({ dataDir: data });
    const opened = sessionPoolStats().opened;
    expect(sessionPoolStats().idle).toBe(1);
    const second = await collect({ dataDir: data });
    expect(sessionPoolStats().opened).toBe(opened); // no new instance
    expect(sessionPoolStats().idle).toBe(1);
    const own = await openDuckSession();
    try {
      same(first, await collect({ dataDir: data, session: own }));
    } finally {
      own.close();
    }
    same(second, first);
    expect(first.length).toBe(500);
    // readNormalized borrows the same idle session.
    for await (const _ of readNormalized({ dataDir: data })) void _;
    expect(sessionPoolStats().opened).toBe(opened);
  });

  it('drops the tables and views a pass created before the session goes back; keeps the session macros', async () => {
    const data = await store();
    closeIdleSessions();
    await collect({ dataDir: data }); // stages the journals into reader_j_* tables
    const s = await borrowSession();
    try {
      const tables = (await s.conn.runAndReadAll(`SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'reader_j_%'`)).getRows();
      expect(tables).toEqual([]);
      await s.conn.run('CREATE TEMP VIEW left_behind AS SELECT 1 AS x');
      await s.conn.run('CREATE TABLE left_table (x INT)');
      // The payload macro every session is opened with still works.
      const [[p]] = (await s.conn.runAndReadAll(`SELECT tt_payload('ab'::BLOB, NULL, NULL, NULL${', NULL'.repeat(16)})`)).getRows();
      expect(p).toBeDefined();
    } finally {
      await releaseSession(s, false);
    }
    const again = await borrowSession();
    try {
      const left = (await again.conn.runAndReadAll(`SELECT table_name FROM duckdb_tables() WHERE table_name = 'left_table' UNION ALL SELECT view_name FROM duckdb_views() WHERE view_name = 'left_behind'`)).getRows();
      expect(left).toEqual([]);
    } finally {
      await releaseSession(again, false);
    }
  });

  it('a file rewritten under the same name between two passes is read as it is now (no stale Parquet metadata)', async () => {
    closeIdleSessions();
    const dir = tmpDataDir('pool-file');
    dirs.push(dir);
    const f = path.join(dir, 'x.parquet');
    const count = async (): Promise<bigint> => {
      const s = await borrowSession();
      try {
        await s.conn.run('SET parquet_metadata_cache = true');
        return (await s.conn.runAndReadAll(`SELECT count(*) FROM read_parquet('${f}')`)).getRows()[0][0] as bigint;
      } finally {
        await releaseSession(s, false);
      }
    };
    const w = await openDuckSession();
    try {
      await w.conn.run(`COPY (SELECT 1 AS x) TO '${f}' (FORMAT parquet)`);
      expect(await count()).toBe(1n);
      await w.conn.run(`COPY (SELECT range AS x FROM range(5)) TO '${f}' (FORMAT parquet)`);
      expect(await count()).toBe(5n);
    } finally {
      w.close();
    }
  });

  it('a pass over a store with no journal segment stages nothing (no table created and dropped), and reads the journals once there are some', async () => {
    const data = tmpDataDir('pool-sealed');
    dirs.push(data);
    const recs = genRecords(300, { connId: 'p-s-a', stepNs: 2_000_000n });
    await writeJournal(data, 'p2', [recs.slice(0, 200)]);
    expect((await sealClosedSegments(data)).failures).toEqual([]);
    // The staging DDL the passes run (tables reader_j_*, rn_j_*), seen through the connection.
    const ddl: string[] = [];
    const runOrig = DuckDBConnection.prototype.run;
    DuckDBConnection.prototype.run = function (this: DuckDBConnection, sql: string, ...rest: unknown[]) {
      if (/^\s*(CREATE|DROP)\b/i.test(sql) && /(reader|rn)_j_/.test(sql)) ddl.push(sql);
      return (runOrig as (this: DuckDBConnection, ...a: unknown[]) => ReturnType<typeof runOrig>).call(this, sql, ...rest);
    } as typeof runOrig;
    try {
      expect((await collect({ dataDir: data })).map(key)).toEqual(recs.slice(0, 200).map(key));
      for await (const _ of readNormalized({ dataDir: data })) void _;
      expect(ddl).toEqual([]);
      // A journal segment appears: the next pass stages it and reads its records too.
      await writeJournal(data, 'p2', [recs.slice(200)]);
      expect((await collect({ dataDir: data })).map(key)).toEqual(recs.map(key));
      expect(ddl.some((q) => q.includes('reader_j_raw'))).toBe(true);
    } finally {
      DuckDBConnection.prototype.run = runOrig;
    }
  });

  it('a failed session is closed, not given back; at most two are kept idle', async () => {
    closeIdleSessions();
    const s = await borrowSession();
    await releaseSession(s, true);
    expect(sessionPoolStats().idle).toBe(0);
    await expect(Promise.resolve().then(() => s.conn.runAndReadAll('SELECT 1'))).rejects.toThrow();
    const three = [await borrowSession(), await borrowSession(), await borrowSession()];
    for (const x of three) await releaseSession(x, false);
    expect(sessionPoolStats().idle).toBe(2);
  });

  it('a node process that reads through the built library exits by itself after its read', async () => {
    const data = await store();
    const script = `
      const { replay } = await import(${JSON.stringify(path.join(ROOT, 'dist/api/index.js'))});
      const { readRecords } = await import(${JSON.stringify(path.join(ROOT, 'dist/store/reader/index.js'))});
      let n = 0;
      for await (const item of replay({ data: ${JSON.stringify(data)} })) if (item.type !== 'gap') n++;
      for await (const b of readRecords({ dataDir: ${JSON.stringify(data)} })) n += b.length;
      console.log('read', n);`;
    // No explicit close anywhere: the idle sessions' timers are unref'd. (execFile's own timeout
    // only guards against a hang of the test itself.)
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { timeout: 25_000 });
    expect(stdout.trim()).toBe('read 1000');
  });
});
