import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { readSqlFile, splitStatements } from '../../../analysis/sql-files.js';
import { listSegments } from '../../../store/journal/index.js';
import { listPartitionFiles } from '../../../store/partitions.js';
import { sealClosedSegments } from '../../../store/seal/index.js';
import { readRecords } from '../../../store/reader/index.js';
import { genRecords, hex, key, tmpDataDir, writeJournal, T0 } from './fixtures.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** Rows of `sql` in a stock DuckDB; with `data`, after analysis/sql/base.sql made the views over it, as the duckdb CLI would. */
async function sqlRows(sql: string, data?: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    if (data !== undefined) {
      await c.run(`SET VARIABLE data = '${data.replace(/'/g, "''")}'`);
      for (const stmt of splitStatements(readSqlFile('base.sql'))) await c.run(stmt);
    }
    const r = await c.runAndReadAll(sql);
    return r.getRowObjects() as Record<string, unknown>[];
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

describe('sealing', () => {
  it('seals closed segments into hive-style zstd Parquet that plain DuckDB SQL reads byte-exact', async () => {
    const data = tmpDataDir('seal');
    dirs.push(data);
    const a = genRecords(300, { connId: 'inst-a-k1-1' });
    const b = genRecords(200, { connId: 'inst-a-k1-2', exchange: 'nexus', startNs: T0 + 500n, streams: ['BTC/USD'] });
    const gap = {
      exchange: 'coinstore',
      connId: 'inst-a-k1-1',
      seq: 301,
      recvNs: T0 + 400_000_000n,
      direction: 'event' as const,
      kind: 'gap' as const,
      stream: '',
      endpoint: 'wss://sim/ws',
      payload: Buffer.from(JSON.stringify({ stream: 'btcusdt@trade', start_ns: String(T0), end_ns: String(T0 + 5n), cause: 'sequence', expected: '5', got: '9', lost_frames: 3 })),
      flags: 4,
    };
    await writeJournal(data, 'inst-a', [a.slice(0, 150), [...a.slice(150), gap], b]);
    expect(listSegments(data, 'inst-a').filter((s) => !s.open)).toHaveLength(3);

    const report = await sealClosedSegments(data);
    expect(report.failures).toEqual([]);
    expect(report.records).toBe(501);
    expect(listSegments(data, 'inst-a')).toHaveLength(0); // journal deleted after verification

    const files = listPartitionFiles(data, ['raw']);
    expect(files.map((f) => `${f.exchange}/${f.date}`).sort()).toEqual(['coinstore/2026-01-15', 'coinstore/2026-01-15', 'nexus/2026-01-15']);
    for (const f of files) expect(f.path).toMatch(/raw\/exchange=\w+\/date=2026-01-15\/inst-a-\d{8}T\d{6}Z-[a-z0-9]+-\d+\.parquet$/);

    // Payloads are stored as templates where they have one: the stock views rebuild every byte.
    const stored = await sqlRows(`SELECT count(*) FILTER (tpl IS NOT NULL) AS templated, count(*) FILTER (payload IS NULL) AS without FROM read_parquet('${data}/raw/**/*.parquet')`);
    expect(Number(stored[0].templated)).toBeGreaterThan(0);
    expect(stored[0].without).toBe(stored[0].templated);
    const rows = await sqlRows(`SELECT exchange, conn_id, seq, recv_ns, direction, kind, stream, payload, malformed, redacted, instance, flags, date FROM raw ORDER BY conn_id, seq`, data);
    const expected = [...a, gap, ...b].sort((x, y) => (key(x) < key(y) ? -1 : 1));
    const byKey = new Map(expected.map((r) => [key(r), r]));
    expect(rows).toHaveLength(expected.length);
    for (const row of rows) {
      const r = byKey.get(`${row.conn_id}#${row.seq}`)!;
      expect(r).toBeDefined();
      const payload = (row.payload as { bytes: Uint8Array }).bytes;
      expect(hex(payload)).toBe(hex(r.payload));
      expect(row.recv_ns).toBe(r.recvNs);
      expect(row.exchange).toBe(r.exchange);
      expect(row.direction).toBe(r.direction);
      expect(row.kind).toBe(r.kind);
      expect(row.stream).toBe(r.stream);
      expect(row.malformed).toBe((r.flags & 1) !== 0);
      expect(row.instance).toBe('inst-a');
      expect(row.flags).toBe(r.flags);
      expect(String(row.date)).toBe('2026-01-15');
    }

    const gaps = await sqlRows(`SELECT exchange, stream, start_ns, end_ns, cause, conn_id, seq, detail, lost_frames FROM read_parquet('${data}/gaps/**/*.parquet', hive_partitioning=true)`);
    expect(gaps).toEqual([{ exchange: 'coinstore', stream: 'btcusdt@trade', start_ns: T0, end_ns: T0 + 5n, cause: 'sequence', conn_id: 'inst-a-k1-1', seq: 301n, detail: 'expected 5, got 9', lost_frames: 3n }]);

    const meta = await sqlRows(`SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata('${files[0].path}')`);
    const kv = Object.fromEntries(meta.map((m) => [m.k, m.v]));
    expect(kv['ticktape.table']).toBe('raw');
    expect(kv['ticktape.instance']).toBe('inst-a');
    expect(kv['ticktape.schema_version']).toBe('1');
    expect(JSON.parse(kv['ticktape.source_segments'] as string)).toHaveLength(1);
    const codec = await sqlRows(`SELECT DISTINCT compression FROM parquet_metadata('${files[0].path}')`);
    expect(codec.map((c) => c.compression)).toEqual(['ZSTD']);
  });

  it("events that name no exchange are sealed under exchange 'no-exchange' and read back with ''", async () => {
    const data = tmpDataDir('seal-noex');
    dirs.push(data);
    const clock = {
      exchange: '',
      connId: 'inst-c-k-0',
      seq: 1,
      recvNs: T0,
      direction: 'event' as const,
      kind: 'clock' as const,
      stream: '',
      endpoint: '',
      payload: Buffer.from('{"wall_ns":"1","mono_ns":"2","drift_ns":"0","ntp_synced":null}'),
      flags: 4,
    };
    await writeJournal(data, 'inst-c', [[clock, ...genRecords(3, { connId: 'inst-c-k-1' })]]);
    expect((await sealClosedSegments(data)).failures).toEqual([]);
    const files = listPartitionFiles(data, ['raw']);
    expect(files.map((f) => f.exchange).sort()).toEqual(['', 'coinstore']);
    expect(files.some((f) => f.path.includes('/exchange=no-exchange/'))).toBe(true);
    const got: string[] = [];
    for await (const b of readRecords({ dataDir: data, exchanges: [''] })) for (const r of b) got.push(`${r.exchange}|${r.kind}`);
    expect(got).toEqual(['|clock']);
  });

  it('is a no-op on an empty data folder and seals again idempotently', async () => {
    const data = tmpDataDir('seal-empty');
    dirs.push(data);
    expect((await sealClosedSegments(data)).records).toBe(0);
    await writeJournal(data, 'inst-b', [genRecords(10, { connId: 'inst-b-k1-1' })]);
    expect((await sealClosedSegments(data)).records).toBe(10);
    expect((await sealClosedSegments(data)).records).toBe(0);
    const n = await sqlRows(`SELECT count(*)::INTEGER AS n FROM read_parquet('${data}/raw/**/*.parquet')`);
    expect(n[0].n).toBe(10);
  });
});
