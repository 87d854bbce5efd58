/** analysis/sql/base.sql (the stock duckdb CLI's base views) declares exactly the columns of schemas/tables.ts. */
import { describe, expect, it } from 'vitest';
import { readSqlFile } from '../../analysis/sql-files.js';
import { TABLES, TABLE_NAMES } from '../../schemas/tables.js';

describe('base.sql', () => {
  it('has an empty stand-in with the schema columns (plus date) and a view for every table', () => {
    const sql = readSqlFile('base.sql');
    for (const t of TABLE_NAMES) {
      const m = new RegExp(`CREATE OR REPLACE TABLE tt_empty_${t} \\((.*)\\);`).exec(sql);
      expect(m, t).not.toBeNull();
      expect(m![1]).toBe([...TABLES[t].map((c) => `"${c.name}" ${c.type}`), '"date" DATE'].join(', '));
      expect(sql).toContain(`CREATE OR REPLACE VIEW "${t}" AS SELECT * FROM query(getvariable('tt_src_${t}'));`);
      expect(sql).toContain(`/${t}/**/*.parquet`);
    }
  });
});
