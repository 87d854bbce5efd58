/** Sealed and compacted files carry Parquet field ids (each column's position in schemas/tables.ts), so Iceberg can adopt them as they are. */
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { openDuckSession } from '../../../store/duck/session.js';
import { listPartitionFiles, sqlStr } from '../../../store/partitions.js';
import { compactAll } from '../../../store/seal/index.js';
import { TABLES } from '../../../schemas/tables.js';
import { sealedStore } from '../remote/fixtures.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function fieldIdsOf(file: string): Promise<Array<[string, number | null]>> {
  const s = await openDuckSession();
  try {
    const r = await s.conn.runAndReadAll(`SELECT name, field_id FROM parquet_schema(${sqlStr(file)}) WHERE name <> 'duckdb_schema'`);
    return (r.getRows() as [string, bigint | null][]).map(([n, id]) => [n, id === null ? null : Number(id)]);
  } finally {
    s.close();
  }
}

describe('Parquet field ids', () => {
  it('every column of sealed and compacted files has its tables.ts position as field id', async () => {
    const data = await sealedStore('fieldids', 'fid-a', 2, 60);
    dirs.push(data);
    await compactAll(data);
    const files = listPartitionFiles(data);
    expect(files.some((f) => f.kind === 'day')).toBe(true);
    for (const f of files) expect(await fieldIdsOf(f.path)).toEqual(TABLES[f.table].map((c, i) => [c.name, i + 1]));
  });
});
