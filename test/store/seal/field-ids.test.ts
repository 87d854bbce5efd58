/** Sealed and compacted files carry Parquet field ids (each column's position in schemas/tables.ts), so Iceberg can adopt them as they are. */
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { openDuckSession } from '../../../store/duck/session.js';
import { listPartitionFiles, sqlStr } from '../../../store/partitions.js';
import { compactAll } from '../../../store/seal/index.js';
import { TABLES } from '../../../schemas/tables.js';
import { TEMPLATE_FIELD_ID_BASE } from '../../../store/seal/parquet-file.js';
import { TEMPLATE_COLUMNS } from '../../../store/template/index.js';
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
    // Raw files also carry the payload template columns (storage, not table columns), ids from 1001.
    for (const f of files) {
      const ids = TABLES[f.table].map((c, i): [string, number] => [c.name, i + 1]);
      if (f.table === 'raw') ids.push(...TEMPLATE_COLUMNS.map((c, i): [string, number] => [c, TEMPLATE_FIELD_ID_BASE + i]));
      expect(await fieldIdsOf(f.path)).toEqual(ids);
    }
  });
});
