/**
 * The paper account over a real recording (the simulator recorded by the real recorder, read
 * through the replay's tape): its fills are checked against what the test computes on its own
 * from the recorded trades and books by SQL, never by calling the engine.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTape, type Tape } from '../../../store/duck/index.js';
import { ReplayClock } from '../../../replay/clock.js';
import { PaperAccount } from '../../../replay/paper/paper-account.js';
import { tapeMarketData } from '../../../replay/paper/market-data.js';
import { PaperResults } from '../../../replay/paper/results.js';
import { DEFAULT_FEES } from '../../../replay/paper/config.js';
import type { Instrument } from '../../../exchanges/market.js';
import type { QueueModel } from '../../../replay/paper/types.js';
import { fixtureData, tmpDir, until } from '../fixture.js';

let data: string;
let tape: Tape;
let firstNs: bigint;
let lastNs: bigint;
const inst: Instrument = { base: 'BTC', quote: 'USDT', id: 1, priceDecimals: 8, amountDecimals: 8 };
const BOOK = 'btcusdt@depth@20';

async function sql(q: string): Promise<Record<string, unknown>[]> {
  const r = await tape.conn.runAndReadAll(q);
  return r.getRowObjectsJS() as Record<string, unknown>[];
}

beforeAll(async () => {
  data = await fixtureData('tt-paper-account-', 5000);
  tape = await openTape(data);
  const [r] = await sql(`SELECT min(recv_ns) AS a, max(recv_ns) AS b FROM raw WHERE exchange = 'coinstore' AND direction = 'in'`);
  firstNs = r.a as bigint;
  lastNs = r.b as bigint;
}, 90_000);
afterAll(() => tape?.close());

function account(clock: ReplayClock, results: PaperResults, queue: QueueModel = 'position') {
  const balances = { USDT: '1000000', BTC: '10' };
  results.start('coinstore', balances, firstNs);
  return new PaperAccount({
    exchange: 'coinstore',
    instruments: [inst],
    balances,
    fees: DEFAULT_FEES.coinstore,
    latency: { inNs: 0n, outNs: 0n },
    queue,
    restingFills: 'auto',
    data: tapeMarketData((_need, fn) => fn(tape.conn)),
    clock: () => clock,
    startNs: firstNs,
    endNs: lastNs,
    onOutput: results.recorder('coinstore'),
  });
}

function maxClock(): ReplayClock {
  const c = new ReplayClock(firstNs, 'max');
  c.start();
  return c;
}

/** A book frame of the recording, a third of the way in. */
async function bookFrameTime(): Promise<bigint> {
  const [r] = await sql(`SELECT recv_ns FROM book WHERE exchange = 'coinstore' AND stream = '${BOOK}' AND recv_ns > ${firstNs + (lastNs - firstNs) / 3n} ORDER BY recv_ns LIMIT 1`);
  return r.recv_ns as bigint;
}

describe('paper account on a recording', () => {
  it('a market buy walks the book recorded at the replay time', async () => {
    const t = await bookFrameTime();
    const clock = maxClock();
    clock.advanceTo(t);
    const results = new PaperResults('s');
    const acct = account(clock, results);
    const want = '0.75';
    const r = await acct.placeOrder({ inst, side: 'buy', orderType: 'market', amount: want });
    expect(r.ok).toBe(true);
    // independently: the asks of the latest depth@20 book at or before t, walked by cumulative size
    const expected = await sql(`
      WITH f AS (SELECT recv_ns, conn_id, seq FROM book WHERE exchange = 'coinstore' AND stream = '${BOOK}' AND recv_ns <= ${t}
                 ORDER BY recv_ns DESC, conn_id DESC, seq DESC LIMIT 1),
           a AS (SELECT b.level, b.price_str, CAST(b.amount_str AS DECIMAL(38, 18)) AS amt FROM book b JOIN f USING (recv_ns, conn_id, seq)
                 WHERE b.stream = '${BOOK}' AND b.side = 'ask'),
           c AS (SELECT *, coalesce(sum(amt) OVER (ORDER BY level ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before FROM a)
      SELECT price_str, CAST(least(amt, CAST('${want}' AS DECIMAL(38, 18)) - before) AS VARCHAR) AS take FROM c
      WHERE before < CAST('${want}' AS DECIMAL(38, 18)) ORDER BY level`);
    const fills = (await acct.fills(100)).reverse();
    expect(expected.length).toBeGreaterThan(0);
    expect(fills.map((f) => [Number(f.price), Number(f.amount)])).toEqual(expected.map((e) => [Number(e.price_str), Number(e.take)]));
    expect(fills.every((f) => f.liquidity === 'taker')).toBe(true);
    acct.close();
  });

  for (const queue of ['position', 'touch'] as const) {
    it(`a resting buy at the best bid fills as the recorded trades say (queue ${queue})`, async () => {
      // a bid level whose recorded size did not all trade at its price before the market went through it
      const [c] = await sql(`
        WITH b AS (SELECT recv_ns, price_str AS p, CAST(amount_str AS DECIMAL(38, 18)) AS s FROM book
                   WHERE exchange = 'coinstore' AND stream = '${BOOK}' AND side = 'bid' AND level = 0 AND recv_ns > ${firstNs + 1_000_000_000n}),
             v AS (SELECT b.*, (SELECT coalesce(sum(CAST(amount_str AS DECIMAL(38, 18))), 0) FROM trades t WHERE t.exchange = 'coinstore' AND t.symbol = 'BTCUSDT'
                   AND t.recv_ns > b.recv_ns AND t.price_str = b.p AND t.side = 'sell') AS at_p,
                   (SELECT count(*) FROM trades t WHERE t.exchange = 'coinstore' AND t.symbol = 'BTCUSDT' AND t.recv_ns > b.recv_ns AND t.side = 'sell'
                   AND CAST(t.price_str AS DECIMAL(38, 18)) < CAST(b.p AS DECIMAL(38, 18))) AS through FROM b)
        SELECT recv_ns, p, CAST(s AS VARCHAR) AS s FROM v WHERE at_p > 0 AND at_p < s AND through > 0 ORDER BY recv_ns LIMIT 1`);
      expect(c).toBeDefined();
      const t = c.recv_ns as bigint;
      const price = String(c.p);
      const clock = maxClock();
      clock.advanceTo(t);
      const acct = account(clock, new PaperResults('q'), queue);
      const amount = '0.0001';
      const r = await acct.placeOrder({ inst, side: 'buy', orderType: 'limit', price, amount });
      expect(r.ok && r.order.status).toBe('new');
      clock.advanceTo(lastNs + 1n);
      await until(async () => (await acct.openOrders()).length === 0, 'the resting order to fill', 20_000);
      const [fill] = await acct.fills(1);
      // independently: the seller-taker trades after t at or below the price; with the queue, the
      // recorded size s at the price must trade first (at price), unless a trade goes through it
      const trades = await sql(`
        SELECT recv_ns, price_str, CAST(amount_str AS DECIMAL(38, 18)) AS amt FROM trades
        WHERE exchange = 'coinstore' AND symbol = 'BTCUSDT' AND recv_ns > ${t} AND side IS DISTINCT FROM 'buy'
        AND CAST(price_str AS DECIMAL(38, 18)) <= CAST('${price}' AS DECIMAL(38, 18)) ORDER BY recv_ns, conn_id, seq`);
      let ahead = Number(c.s);
      let expectedNs: bigint | null = null;
      for (const tr of trades) {
        const through = Number(tr.price_str) < Number(price);
        if (through || queue === 'touch' || Number(tr.amt) > ahead + 1e-12) {
          expectedNs = tr.recv_ns as bigint;
          break;
        }
        ahead -= Number(tr.amt);
      }
      expect(expectedNs).not.toBeNull();
      expect(BigInt(fill.tsMs)).toBe(expectedNs! / 1_000_000n);
      expect([Number(fill.price), fill.amount, fill.liquidity]).toEqual([Number(price), amount, 'maker']);
      if (queue === 'position') {
        // the first trade at the price came earlier: touch would have filled there
        const firstAtPrice = trades.find((tr) => tr.price_str === price)!.recv_ns as bigint;
        expect(firstAtPrice).toBeLessThan(expectedNs!);
      }
      acct.close();
    });
  }

  it('the same requests at the same replay times give byte-identical results', async () => {
    const t = await bookFrameTime();
    const run = async (dir: string) => {
      const clock = maxClock();
      clock.advanceTo(t);
      const results = new PaperResults('det');
      const acct = account(clock, results);
      const [best] = await sql(`SELECT price_str FROM book WHERE exchange = 'coinstore' AND stream = '${BOOK}' AND recv_ns = ${t} AND side = 'bid' AND level = 0`);
      await acct.placeOrder({ inst, side: 'buy', orderType: 'limit', price: String(best.price_str), amount: '0.02' });
      await acct.placeOrder({ inst, side: 'sell', orderType: 'market', amount: '0.3' });
      clock.advanceTo(t + 2_000_000_000n);
      await new Promise((r) => setTimeout(r, 200));
      await acct.placeOrder({ inst, side: 'buy', orderType: 'market', quoteAmount: '5000' });
      clock.advanceTo(lastNs + 1n);
      await until(async () => (await acct.openOrders()).length === 0, 'fills', 20_000);
      await acct.idle();
      acct.close();
      return results.write(dir, { session: 'det' });
    };
    const a = await run(tmpDir('tt-paper-det-a-'));
    const b = await run(tmpDir('tt-paper-det-b-'));
    expect(a.map((f) => path.relative(path.dirname(path.dirname(path.dirname(path.dirname(f)))), f))).toEqual(b.map((f) => path.relative(path.dirname(path.dirname(path.dirname(path.dirname(f)))), f)));
    expect(a.some((f) => f.includes(`${path.sep}fills${path.sep}`))).toBe(true);
    for (let i = 0; i < a.length; i++) expect(fs.readFileSync(a[i]).equals(fs.readFileSync(b[i]))).toBe(true);
    // and the files read as the recorded private tables do
    const back = await openTape(path.dirname(path.dirname(path.dirname(path.dirname(a[0])))));
    try {
      const r = await back.conn.runAndReadAll(`SELECT count(*)::INTEGER, count(DISTINCT order_id)::INTEGER FROM fills`);
      const [[n, orders]] = r.getRows() as [number, number][];
      expect(n).toBeGreaterThan(1);
      expect(orders).toBe(3);
    } finally {
      back.close();
    }
  });
});
