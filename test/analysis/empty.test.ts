/**
 * An empty data folder: every derived view and macro exists, and every script runs and returns no
 * rows, through ticktape's views and through the plain SQL files (base.sql's empty stand-ins).
 */
import fs from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { listScripts, runScript, setScriptParams } from '../../analysis/scripts.js';
import { readSqlFile, splitStatements } from '../../analysis/sql-files.js';
import { DERIVED_VIEWS, MACROS } from '../../analysis/views.js';
import { tmpDir, withAnalysis } from './fixture.js';

const dir = tmpDir('tt-analysis-empty-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const PARAMS = { exchange: 'coinstore', symbol: 'BTCUSDT', interval: '1 second' };

describe('an empty data folder', () => {
  it('has every derived view and macro, and every script returns no rows', async () => {
    await withAnalysis(dir, async (t) => {
      const views = (await t.conn.runAndReadAll(`SELECT view_name FROM duckdb_views() WHERE NOT internal`)).getRows().map((r) => String(r[0]));
      for (const v of DERIVED_VIEWS) expect(views).toContain(v);
      const fns = (await t.conn.runAndReadAll(`SELECT DISTINCT function_name FROM duckdb_functions() WHERE function_type IN ('macro', 'table_macro')`)).getRows().map((r) => String(r[0]));
      for (const m of MACROS) expect(fns).toContain(m);
      for (const s of listScripts()) {
        const r = await runScript(t.conn, s.name, PARAMS);
        expect(r.getRows(), s.name).toEqual([]);
        expect(r.columnNames().length).toBeGreaterThan(1);
      }
    });
  });

  it('the plain SQL files run on it too (base.sql stands in empty tables for missing ones)', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      await conn.run(`SET VARIABLE data = '${dir}'`);
      for (const f of ['base.sql', 'views.sql']) for (const stmt of splitStatements(readSqlFile(f))) await conn.run(stmt);
      await setScriptParams(conn, PARAMS);
      for (const s of listScripts()) {
        let rows: unknown[][] = [];
        for (const stmt of splitStatements(readSqlFile(`${s.name}.sql`))) rows = (await conn.runAndReadAll(stmt)).getRows();
        expect(rows, s.name).toEqual([]);
      }
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  });
});
