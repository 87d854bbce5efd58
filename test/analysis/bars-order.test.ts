/**
 * Bars do not depend on the order the trade rows are scanned in: one store or several merged, files
 * listed in another order, a cache folder instead of the recorder's own. The same trades in two
 * scan orders give the same bars, to the last bit: DOUBLE sums added in another order differ in
 * their last digits (0.1 + 0.2 + 0.3 is not 0.3 + 0.2 + 0.1), and trades tied on the ordering key
 * would otherwise give whichever open or close was scanned first.
 */
import fs from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { readSqlFile, splitStatements } from '../../analysis/sql-files.js';
import { tmpDir } from './fixture.js';

const dir = tmpDir('tt-analysis-bars-order-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const T_MS = 1_764_633_600_000; // 2025-12-02T00:00:00Z

/** Trades of one bar: amounts chosen so a left-to-right DOUBLE sum depends on the order. */
const TRADES: Array<{ price: number; amount: number; side: string; tsMs: number; recvOffNs: number }> = [
  { price: 100.1, amount: 0.1, side: 'buy', tsMs: T_MS + 10, recvOffNs: 1_000 },
  { price: 100.2, amount: 0.2, side: 'sell', tsMs: T_MS + 20, recvOffNs: 1_000 },
  { price: 100.3, amount: 0.3, side: 'buy', tsMs: T_MS + 30, recvOffNs: 1_000 },
  { price: 99.7, amount: 0.7, side: 'sell', tsMs: T_MS + 40, recvOffNs: 1_000 },
  // Two trades of one frame in one exchange millisecond: tied on the key, at the close.
  { price: 101.5, amount: 1e-9, side: 'buy', tsMs: T_MS + 900, recvOffNs: 2_000 },
  { price: 101.25, amount: 3.3, side: 'sell', tsMs: T_MS + 900, recvOffNs: 2_000 },
];

async function barsInOrder(order: number[]): Promise<unknown[][]> {
  const db = await DuckDBInstance.create(':memory:', { threads: '1' });
  const conn = await db.connect();
  try {
    await conn.run(`SET VARIABLE data = '${dir}'`);
    for (const f of ['base.sql', 'views.sql']) for (const stmt of splitStatements(readSqlFile(f))) await conn.run(stmt);
    // Rows in the given order: with one thread, DuckDB scans (and adds) them in insertion order.
    for (const i of order) {
      const t = TRADES[i];
      const recvNs = BigInt(t.tsMs) * 1_000_000n + BigInt(t.recvOffNs);
      await conn.run(
        `INSERT INTO tt_empty_trades (exchange, symbol, recv_ns, conn_id, seq, stream, exchange_ts_ms, trade_id, price, price_str, amount, amount_str, side, date)
         VALUES ('coinstore', 'BTCUSDT', ${recvNs}, 'east-a-1', ${i}, 's', ${t.tsMs}, '${i}', ${t.price}, '${t.price}', ${t.amount}, '${t.amount}', '${t.side}', DATE '2025-12-02')`,
      );
    }
    return (await conn.runAndReadAll(`SELECT open, high, low, close, volume, vwap, trades, buy_volume, sell_volume FROM bars('1 second')`)).getRows();
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

describe('bars', () => {
  it('are the same whatever order the trades are scanned in', async () => {
    const forward = await barsInOrder([0, 1, 2, 3, 4, 5]);
    const backward = await barsInOrder([5, 4, 3, 2, 1, 0]);
    const shuffled = await barsInOrder([2, 5, 0, 3, 1, 4]);
    expect(forward).toHaveLength(1);
    expect(backward).toEqual(forward);
    expect(shuffled).toEqual(forward);
    const [open, high, low, , volume, , trades, buy, sell] = forward[0] as number[];
    expect([open, high, low, Number(trades)]).toEqual([100.1, 101.5, 99.7, 6]);
    // Exact sums of the decimal amounts, rounded once into DOUBLE.
    expect(volume).toBe(4.600000001);
    expect(buy).toBe(0.400000001);
    expect(sell).toBe(4.2);
  });
});
