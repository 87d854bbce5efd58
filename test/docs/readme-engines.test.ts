/**
 * The README's DuckDB (httpfs) query over the bucket, run as written over the same hive layout on
 * disk: the bucket holds each sealed file at the path it has in the local store, so the query's
 * glob, `hive_partitioning` and its `date` filter (a DATE, typed from the folder name) are checked
 * here against real files; only the httpfs lines (INSTALL, LOAD, CREATE SECRET), which need the
 * extension and a bucket, are left out. Its trade counts and notionals must be those of
 * ticktape's own `trades` view.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAnalysis } from '../../analysis/open.js';
import { multiDayMarketStore } from '../api/multi-day-store.js';
import { readmeBlocks } from './readme-blocks.js';

const README = fs.readFileSync(path.resolve('README.md'), 'utf8');
const BUCKET = 's3://market-data/ticktape/';
let data: string;

beforeAll(async () => {
  data = await multiDayMarketStore('readme-engines', 3);
}, 120_000);
afterAll(() => fs.rmSync(data, { recursive: true, force: true }));

type Row = { exchange: string; symbol: string; trades: bigint; notional: number };

describe("README: DuckDB over the bucket's layout", () => {
  it('the httpfs query gives the trades view counts of the day it names', async () => {
    const block = readmeBlocks(README).find((b) => b.lang === 'sql' && b.body.includes('INSTALL httpfs'));
    expect(block, 'the README has a DuckDB httpfs block').toBeDefined();
    const sql = block!.body
      .split('\n')
      .filter((l) => !/^\s*(INSTALL|LOAD|CREATE SECRET|--)/i.test(l))
      .join('\n');
    expect(sql).toContain(BUCKET);
    const day = fs
      .readdirSync(path.join(data, 'trades', 'exchange=coinstore'))
      .sort()[1]!
      .slice('date='.length);
    const dated = sql.replace(/DATE '\d{4}-\d{2}-\d{2}'/, `DATE '${day}'`);
    expect(dated).not.toBe(sql);
    const local = dated.split(BUCKET).join(`${data}/`);

    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    let got: Row[];
    try {
      got = (await conn.runAndReadAll(local.replace(/;\s*$/, ''))).getRowObjectsJS() as Row[];
    } finally {
      conn.closeSync();
      db.closeSync();
    }
    const tape = await openAnalysis(data);
    let want: Row[];
    try {
      want = (await tape.conn.runAndReadAll(`SELECT exchange, symbol, count(*) AS trades, sum(price * amount) AS notional FROM trades WHERE date = DATE '${day}' GROUP BY ALL ORDER BY trades DESC, symbol`)).getRowObjectsJS() as Row[];
    } finally {
      tape.close();
    }
    expect(want.length).toBeGreaterThanOrEqual(2);
    const key = (r: Row) => `${r.exchange}/${r.symbol}`;
    const byKey = (rs: Row[]) => new Map(rs.map((r) => [key(r), r]));
    const w = byKey(want);
    expect([...byKey(got).keys()].sort()).toEqual([...w.keys()].sort());
    for (const r of got) {
      expect(r.trades, key(r)).toBe(w.get(key(r))!.trades);
      expect(r.notional).toBeCloseTo(w.get(key(r))!.notional, 6);
    }
    // its ORDER BY as written
    expect(got.map((r) => r.trades)).toEqual([...got.map((r) => r.trades)].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0)));
  }, 120_000);
});
