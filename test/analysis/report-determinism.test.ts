/**
 * The same data gives the same report, whatever number of threads DuckDB adds up with. The charts'
 * means and sums are taken over DECIMAL, as bars() does: a DOUBLE mean depends on the order its
 * additions run in, and DuckDB's threads finish in no fixed order (a report of a bucket once
 * differed from the report of the store it was shipped from in the last digits of the spread).
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAnalysis } from '../../analysis/open.js';
import { collectReportData } from '../../analysis/report/queries.js';
import { multiDayMarketStore } from '../api/multi-day-store.js';

let data: string;
beforeAll(async () => {
  data = await multiDayMarketStore('report-determinism', 3, 2000, 3);
}, 120_000);
afterAll(() => fs.rmSync(data, { recursive: true, force: true }));

async function report(threads: number): Promise<unknown> {
  const tape = await openAnalysis(data);
  try {
    await tape.conn.run(`SET threads = ${threads}`);
    const { generatedAt: _, ...rest } = await collectReportData(tape.conn, data, { exchange: null, symbol: null });
    return rest;
  } finally {
    tape.close();
  }
}

describe('ticktape report over the same data', () => {
  it('is the same over one thread and over four', async () => {
    const one = await report(1);
    expect((one as { spread: unknown[] }).spread.length).toBeGreaterThanOrEqual(3);
    expect((one as { heatmap: unknown }).heatmap).not.toBeNull();
    for (const threads of [4, 3, 2]) expect(await report(threads)).toEqual(one);
  }, 120_000);
});
