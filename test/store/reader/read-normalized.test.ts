/** readNormalized: typed messages from the normalized tables, in recorded order, equal to what SQL over the same tables says. */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shape } from '../../../bench/peers/shapes.js';
import type { TapeRecord } from '../../../schemas/record.js';
import { openTape } from '../../../store/duck/index.js';
import { readNormalized, type NormalizedMessage, type ReadNormalizedOptions } from '../../../store/reader/read-normalized.js';
import { sealClosedSegments } from '../../../store/seal/index.js';
import { tmpDataDir, writeJournal } from '../seal/fixtures.js';

let data = '';
const N = 1500;

async function collect(o: Omit<ReadNormalizedOptions, 'dataDir'>): Promise<NormalizedMessage[]> {
  const out: NormalizedMessage[] = [];
  for await (const b of readNormalized({ dataDir: data, ...o })) out.push(...b);
  return out;
}

beforeAll(async () => {
  data = tmpDataDir('read-normalized');
  const take = (name: Parameters<typeof shape>[0]) => [...shape(name).frames(N)];
  // Trades and depth of Coinstore on two connections, Nexus and Coinsuper books, interleaved in time.
  const trades = take('coinstore-trades');
  const depth = take('coinstore-depth20').map((r): TapeRecord => ({ ...r, connId: 'peer-cs-2', recvNs: r.recvNs + 7n }));
  const nexus = take('nexus-depth5');
  const su = take('coinsuper-orderbook');
  // The first half sealed, the second half left in the journal (normalized on the fly).
  await writeJournal(data, 'rn', [trades.slice(0, N / 2), depth.slice(0, N / 2), nexus.slice(0, N / 2), su.slice(0, N / 2)]);
  const r = await sealClosedSegments(data);
  expect(r.failures).toEqual([]);
  await writeJournal(data, 'rn2', [[...trades.slice(N / 2), ...depth.slice(N / 2)]]);
}, 120_000);

afterAll(() => fs.rmSync(data, { recursive: true, force: true }));

describe('readNormalized', () => {
  it('returns every trade the trades table holds, in (recv_ns, conn_id, seq) order, with exact strings', async () => {
    const got = await collect({ kinds: ['trade'] });
    const tape = await openTape(data);
    try {
      const rows = (await tape.conn.runAndReadAll('SELECT exchange, symbol, stream, conn_id, seq, recv_ns, exchange_ts_ms, trade_id, price, amount, price_str, amount_str, side, venue FROM trades ORDER BY recv_ns, conn_id, seq')).getRows();
      expect(rows.length).toBe(N);
      expect(got.length).toBe(rows.length);
      got.forEach((m, i) => {
        const [exchange, symbol, stream, connId, seq, recvNs, ts, id, price, amount, priceStr, amountStr, side, venue] = rows[i];
        expect(m).toEqual({ type: 'trade', exchange, symbol, stream, connId, seq: Number(seq), recvNs, exchangeTsMs: ts === null ? null : Number(ts), id, price, amount, priceStr, amountStr, side, venue });
      });
    } finally {
      tape.close();
    }
  });

  it('regroups book rows into one message per frame, bids and asks best first', async () => {
    const got = (await collect({ kinds: ['book'] })) as Extract<NormalizedMessage, { type: 'book' }>[];
    const tape = await openTape(data);
    try {
      const frames = (
        await tape.conn.runAndReadAll(`SELECT conn_id, seq, recv_ns, exchange, symbol, count(*) FILTER (side = 'bid'), count(*) FILTER (side = 'ask'), bool_and(is_snapshot) FROM book GROUP BY ALL ORDER BY recv_ns, conn_id, seq`)
      ).getRows();
      expect(got.length).toBe(frames.length);
      expect(new Set(got.map((m) => m.exchange))).toEqual(new Set(['coinstore', 'nexus', 'coinsuper']));
      got.forEach((m, i) => {
        const [connId, seq, recvNs, exchange, symbol, bids, asks, snap] = frames[i];
        expect([m.connId, m.seq, m.recvNs, m.exchange, m.symbol, m.bids.length, m.asks.length, m.isSnapshot]).toEqual([connId, Number(seq), recvNs, exchange, symbol, Number(bids), Number(asks), snap]);
      });
      // One frame in full, against its rows.
      const m = got[Math.floor(got.length / 2)];
      const levels = (await tape.conn.runAndReadAll(`SELECT side, price, amount, price_str, amount_str, cp FROM book WHERE conn_id = '${m.connId}' AND seq = ${m.seq} ORDER BY side, level`)).getRows();
      const want = (side: string) => levels.filter((l) => l[0] === side).map(([, price, amount, priceStr, amountStr, cp]) => ({ price, amount, priceStr, amountStr, ...(cp === null ? {} : { cp }) }));
      expect(m.asks).toEqual(want('ask'));
      expect(m.bids).toEqual(want('bid'));
      for (let k = 1; k < m.bids.length; k++) expect(m.bids[k].price).toBeLessThanOrEqual(m.bids[k - 1].price);
    } finally {
      tape.close();
    }
  });

  it('merges the tables in recorded order and applies its filters', async () => {
    const all = await collect({ windowRows: 500 });
    for (let i = 1; i < all.length; i++) {
      const a = all[i - 1];
      const b = all[i];
      expect(a.recvNs < b.recvNs || (a.recvNs === b.recvNs && (a.connId < b.connId || (a.connId === b.connId && a.seq < b.seq)))).toBe(true);
    }
    expect(all.filter((m) => m.type === 'trade').length).toBe(N);
    const btc = await collect({ kinds: ['trade'], symbols: ['BTCUSDT'] });
    expect(btc.length).toBeGreaterThan(0);
    expect(btc.every((m) => m.symbol === 'BTCUSDT')).toBe(true);
    expect(btc.length).toBe(all.filter((m) => m.type === 'trade' && m.symbol === 'BTCUSDT').length);
    const mid = all[Math.floor(all.length / 2)].recvNs;
    const late = await collect({ fromNs: mid, exchanges: ['coinstore'] });
    expect(late.every((m) => m.recvNs >= mid && m.exchange === 'coinstore')).toBe(true);
    expect(late.length).toBe(all.filter((m) => m.recvNs >= mid && m.exchange === 'coinstore').length);
    expect(await collect({ includeJournal: false, kinds: ['trade'] })).toHaveLength(N / 2);
  });

  it('sealed tables alone are scanned as they lie (symbol by symbol) and come out as the same messages in recorded order', async () => {
    // Sealed files are in (exchange, symbol, recv_ns, ...) order: without the journal no window is
    // sorted by DuckDB, its symbols' runs are merged in JS.
    const sealed = await collect({ includeJournal: false, windowRows: 300 });
    const withJournal = await collect({ windowRows: 300 });
    const key = (m: NormalizedMessage) => `${m.connId}/${m.seq}/${m.type}/${m.symbol}`;
    const sealedKeys = new Set(sealed.map(key));
    const expected = withJournal.filter((m) => sealedKeys.has(key(m)));
    expect(sealed.length).toBeGreaterThan(N);
    expect(new Set(sealed.map((m) => m.symbol)).size).toBeGreaterThan(1);
    expect(sealed).toEqual(expected);
  });
});
