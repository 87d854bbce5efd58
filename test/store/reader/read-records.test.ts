/** The reader over sealed partitions and unsealed journals: order, filters, byte-exact payloads. */
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { TapeRecord } from '../../../schemas/record.js';
import { readRecords, type ReadRecordsOptions } from '../../../store/reader/index.js';
import { DuckDBConnection } from '@duckdb/node-api';
import { compactAll, sealClosedSegments } from '../../../store/seal/index.js';
import { RAW_BLOCK_ROWS } from '../../../store/seal/parquet-file.js';
import { openDuckSession, openTape } from '../../../store/duck/index.js';
import { openJournalWriter } from '../../../store/journal/index.js';
import { genRecords, hex, key, tmpDataDir, writeJournal, T0 } from '../seal/fixtures.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function order(a: TapeRecord, b: TapeRecord): number {
  if (a.recvNs !== b.recvNs) return a.recvNs < b.recvNs ? -1 : 1;
  if (a.connId !== b.connId) return a.connId < b.connId ? -1 : 1;
  return a.seq - b.seq;
}

async function collect(o: ReadRecordsOptions): Promise<TapeRecord[]> {
  const out: TapeRecord[] = [];
  for await (const batch of readRecords(o)) out.push(...batch);
  return out;
}

/**
 * Three connections with interleaved times (and ties on recv_ns), two exchanges, two days; part
 * sealed, part in closed journal segments, part in an open segment of a live writer.
 */
async function mixedStore(): Promise<{ data: string; all: TapeRecord[]; close: () => Promise<void> }> {
  const data = tmpDataDir('reader');
  dirs.push(data);
  const a = genRecords(400, { connId: 'r-k-a', stepNs: 3_000_000n });
  const b = genRecords(300, { connId: 'r-k-b', exchange: 'nexus', streams: ['BTC/USD', 'ETH/USD'], stepNs: 4_000_000n });
  const c = genRecords(200, { connId: 'r-k-c', stepNs: 6_000_000n }); // ties with a on recv_ns
  const nextDay = genRecords(50, { connId: 'r-k-d', startNs: T0 + 86_400_000_000_000n });
  await writeJournal(data, 'r1', [a.slice(0, 200), b.slice(0, 150), nextDay]);
  await sealClosedSegments(data);
  await writeJournal(data, 'r1', [a.slice(200, 300), c.slice(0, 100)]);
  // A live writer with an open segment (not closed): read without being modified.
  const w = openJournalWriter({ dataDir: data, instance: 'r2' });
  for (const r of [...a.slice(300), ...b.slice(150), ...c.slice(100)]) w.append(r);
  w.flush();
  const all = [...a, ...b, ...c, ...nextDay].sort(order);
  return { data, all, close: () => w.close() };
}

describe('readRecords', () => {
  it('yields sealed and unsealed records once each, in (recv_ns, conn_id, seq) order, byte-exact', async () => {
    const { data, all, close } = await mixedStore();
    try {
      const openBefore = fs.readdirSync(`${data}/journal/r2`).map((f) => [f, fs.statSync(`${data}/journal/r2/${f}`).size]);
      const got = await collect({ dataDir: data });
      expect(got.map(key)).toEqual(all.map(key));
      for (let i = 0; i < got.length; i++) {
        expect(hex(got[i].payload)).toBe(hex(all[i].payload));
        expect(got[i].recvNs).toBe(all[i].recvNs);
        expect(got[i].stream).toBe(all[i].stream);
        expect(got[i].direction).toBe(all[i].direction);
        expect(got[i].kind).toBe(all[i].kind);
        expect(got[i].flags).toBe(all[i].flags);
        expect(got[i].exchange).toBe(all[i].exchange);
      }
      const openAfter = fs.readdirSync(`${data}/journal/r2`).map((f) => [f, fs.statSync(`${data}/journal/r2/${f}`).size]);
      expect(openAfter).toEqual(openBefore);
    } finally {
      await close();
    }
  });

  it('small query windows (many windows, an empty stretch between days) give the same sequence', async () => {
    const { data, all, close } = await mixedStore();
    try {
      for (const windowRows of [1, 37, 500]) {
        const got = await collect({ dataDir: data, windowRows });
        expect(got.map(key)).toEqual(all.map(key));
      }
    } finally {
      await close();
    }
  });

  it('filters by exchange, stream, direction and time range on both sides', async () => {
    const { data, all, close } = await mixedStore();
    try {
      const from = T0 + 500_000_000n;
      const to = T0 + 900_000_000n;
      const o = { dataDir: data, exchanges: ['coinstore'], streams: ['btcusdt@trade'], directions: ['in' as const], fromNs: from, toNs: to };
      const want = all.filter((r) => r.exchange === 'coinstore' && r.stream === 'btcusdt@trade' && r.direction === 'in' && r.recvNs >= from && r.recvNs < to);
      expect(want.length).toBeGreaterThan(20);
      expect((await collect(o)).map(key)).toEqual(want.map(key));
      const nexus = await collect({ dataDir: data, exchanges: ['nexus'] });
      expect(nexus.map(key)).toEqual(all.filter((r) => r.exchange === 'nexus').map(key));
      const day2 = await collect({ dataDir: data, fromNs: T0 + 86_400_000_000_000n });
      expect(day2.map(key)).toEqual(all.filter((r) => r.connId === 'r-k-d').map(key));
      expect(await collect({ dataDir: data, exchanges: ['coinceres'] })).toEqual([]);
    } finally {
      await close();
    }
  });

  it('streams in bounded batches and works on an empty folder', async () => {
    const data = tmpDataDir('reader-empty');
    dirs.push(data);
    expect(await collect({ dataDir: data })).toEqual([]);
    await writeJournal(data, 'r3', [genRecords(5000, { connId: 'r3-k-1' })]);
    await sealClosedSegments(data);
    let batches = 0;
    let n = 0;
    for await (const b of readRecords({ dataDir: data })) {
      batches++;
      n += b.length;
      expect(b.length).toBeLessThanOrEqual(2048);
    }
    expect(n).toBe(5000);
    expect(batches).toBeGreaterThan(1);
  });
});

describe('bounded memory', () => {
  it('reads 60 MB of payloads in order through a DuckDB capped at 24 MB', async () => {
    const data = tmpDataDir('reader-mem');
    dirs.push(data);
    const recs: TapeRecord[] = [];
    for (let i = 0; i < 30_000; i++) {
      recs.push({
        exchange: 'coinstore',
        connId: `m-k-${i % 3}`,
        seq: Math.floor(i / 3) + 1,
        recvNs: T0 + BigInt(i) * 1_000_000n,
        direction: 'in',
        kind: 'binary',
        stream: `s${i % 7}`,
        endpoint: 'wss://x',
        payload: Uint8Array.from({ length: 2048 }, (_, k) => (i * 131 + k * 17 + ((k * k) % 251)) & 0xff),
        flags: 0,
      });
    }
    await writeJournal(data, 'mem', [recs.slice(0, 10_000), recs.slice(10_000, 20_000), recs.slice(20_000)]);
    await sealClosedSegments(data);
    const session = await openDuckSession({ memoryLimit: '24MB', threads: 1 });
    try {
      let n = 0;
      let bytes = 0;
      let prev = -1n;
      for await (const batch of readRecords({ dataDir: data, session, windowRows: 2000 })) {
        for (const r of batch) {
          expect(r.recvNs > prev).toBe(true);
          prev = r.recvNs;
          bytes += r.payload.byteLength;
          n++;
        }
      }
      expect(n).toBe(30_000);
      expect(bytes).toBe(30_000 * 2048);
    } finally {
      session.close();
    }
  });
});

describe('readRecords over a templated day file of several rank blocks', () => {
  it('a time range or stream filter reads only the blocks holding its rows (the window queries start at its block), the same records', async () => {
    const data = tmpDataDir('reader-blocks');
    dirs.push(data);
    const n = 2 * RAW_BLOCK_ROWS + 4000; // three rank blocks
    const recs = genRecords(n, { connId: 'blk-1', stepNs: 100_000n });
    await writeJournal(data, 'blk', [recs.slice(0, n >> 1), recs.slice(n >> 1)]);
    expect((await sealClosedSegments(data)).failures).toEqual([]);
    await compactAll(data);
    // The window queries the reader runs (one per rank window), seen through the connection.
    const windows: string[] = [];
    const stream = DuckDBConnection.prototype.stream;
    DuckDBConnection.prototype.stream = function (this: DuckDBConnection, sql: string, ...rest: unknown[]) {
      const m = /"rank" >= (\d+)/.exec(sql);
      if (m) windows.push(m[1]);
      return (stream as (this: DuckDBConnection, ...a: unknown[]) => ReturnType<typeof stream>).call(this, sql, ...rest);
    } as typeof stream;
    try {
      const from = 2 * RAW_BLOCK_ROWS + 100;
      const got = await collect({ dataDir: data, includeJournal: false, fromNs: recs[from].recvNs, toNs: recs[from + 50].recvNs });
      expect(got.map(key)).toEqual(recs.slice(from, from + 50).map(key));
      expect(got.map((r) => hex(r.payload))).toEqual(recs.slice(from, from + 50).map((r) => hex(r.payload)));
      expect(windows).toEqual([String(2 * RAW_BLOCK_ROWS)]);
      // A range across the second and third blocks starts at the second.
      windows.length = 0;
      const mid = await collect({ dataDir: data, includeJournal: false, fromNs: recs[RAW_BLOCK_ROWS + 7].recvNs, toNs: recs[2 * RAW_BLOCK_ROWS + 9].recvNs, streams: ['btcusdt@trade'] });
      expect(mid.map(key)).toEqual(
        recs
          .slice(RAW_BLOCK_ROWS + 7, 2 * RAW_BLOCK_ROWS + 9)
          .filter((r) => r.stream === 'btcusdt@trade')
          .map(key),
      );
      expect(windows[0]).toBe(String(RAW_BLOCK_ROWS));
      // No filter: every block, from the first.
      windows.length = 0;
      let all = 0;
      for await (const b of readRecords({ dataDir: data, includeJournal: false })) all += b.length;
      expect(all).toBe(n);
      expect(windows[0]).toBe('0');
    } finally {
      DuckDBConnection.prototype.stream = stream;
    }
  }, 300_000);
});

describe('openTape views', () => {
  it('views exist with the right columns when there is no data', async () => {
    const data = tmpDataDir('views-empty');
    dirs.push(data);
    const tape = await openTape(data);
    try {
      for (const t of ['raw', 'trades', 'book', 'klines', 'tickers', 'orders', 'fills', 'balances', 'positions', 'gaps']) {
        const r = await tape.conn.runAndReadAll(`SELECT * FROM ${t}`);
        expect(r.currentRowCount).toBe(0);
        expect(r.columnNames()).toContain('exchange');
      }
      const cols = (await tape.conn.runAndReadAll(`SELECT * FROM raw LIMIT 0`)).columnNames();
      expect(cols).toEqual(expect.arrayContaining(['exchange', 'conn_id', 'seq', 'recv_ns', 'direction', 'stream', 'payload', 'date']));
      const tcols = (await tape.conn.runAndReadAll(`SELECT * FROM trades LIMIT 0`)).columnNames();
      expect(tcols).toEqual(expect.arrayContaining(['trade_id', 'price', 'price_str', 'amount', 'amount_str', 'side', 'symbol']));
    } finally {
      tape.close();
    }
  });

  it('views cover sealed partitions and journal rows alike', async () => {
    const { data, all, close } = await mixedStore();
    try {
      const tape = await openTape(data);
      try {
        const r = await tape.conn.runAndReadAll(`SELECT count(*)::INTEGER, count(DISTINCT (conn_id, seq))::INTEGER, count(DISTINCT instance)::INTEGER FROM raw`);
        expect(r.getRows()[0]).toEqual([all.length, all.length, 2]);
        const d = await tape.conn.runAndReadAll(`SELECT DISTINCT "date"::VARCHAR FROM raw ORDER BY 1`);
        expect(d.getRows().map((x) => x[0])).toEqual(['2026-01-15', '2026-01-16']);
      } finally {
        tape.close();
      }
      const sealedOnly = await openTape(data, { includeJournal: false });
      try {
        const r = await sealedOnly.conn.runAndReadAll(`SELECT count(*)::INTEGER FROM raw`);
        expect(r.getRows()[0][0]).toBe(200 + 150 + 50);
      } finally {
        sealedOnly.close();
      }
    } finally {
      await close();
    }
  });
});
