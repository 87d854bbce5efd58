/**
 * Sealing a segment larger than one chunk (bounded memory) writes the same files as sealing it in
 * one go: the same rows (normalized tables and gaps in the same physical order, raw rows with the
 * same ranks: a chunk's raw rows are one rank block, so the blocks follow the chunks), the same
 * metadata, every payload byte for byte — in replay order and when the journal holds records out
 * of order across chunks.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { shape } from '../../../bench/peers/shapes.js';
import { openDuckSession } from '../../../store/duck/index.js';
import { listPartitionFiles } from '../../../store/partitions.js';
import { readRecords } from '../../../store/reader/index.js';
import { sealClosedSegments, type SealReport } from '../../../store/seal/index.js';
import type { SealProgress } from '../../../store/seal/sealer.js';
import { RAW_BLOCK_ROWS } from '../../../store/seal/parquet-file.js';
import type { TapeRecord } from '../../../schemas/record.js';
import { genRecords, hex, tmpDataDir, writeJournal, T0 } from './fixtures.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/**
 * Every sealed file's rows and its key-value metadata, by path under the data folder: rows in
 * physical order, templated raw rows (`byRank`) in rank order.
 */
async function fileContents(dataDir: string, byRank = false): Promise<Map<string, { rows: string; meta: string }>> {
  const s = await openDuckSession();
  try {
    const out = new Map<string, { rows: string; meta: string }>();
    for (const f of listPartitionFiles(dataDir)) {
      const src = `'${f.path.replace(/'/g, "''")}'`;
      // Each row as text, in file order, hashed together (position matters).
      const rows = (
        await s.conn.runAndReadAll(
          byRank && f.table === 'raw'
            ? `SELECT count(*), md5(string_agg(h, '' ORDER BY o)) FROM (SELECT md5(CAST(t AS VARCHAR)) AS h, t."rank" AS o FROM read_parquet(${src}) t)`
            : `SELECT count(*), md5(string_agg(md5(CAST(t AS VARCHAR)), '' ORDER BY file_row_number)) FROM (SELECT * FROM read_parquet(${src}, file_row_number = true)) t`,
        )
      ).getRows();
      const meta = (await s.conn.runAndReadAll(`SELECT decode(key), decode(value) FROM parquet_kv_metadata(${src}) ORDER BY 1`)).getRows();
      const text = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? String(x) : x instanceof Uint8Array ? hex(x) : x));
      out.set(path.relative(dataDir, f.path), { rows: text(rows), meta: text(meta) });
    }
    return out;
  } finally {
    s.close();
  }
}

/** Rows of an exchange's raw file that break block order (rank blocks in order, by stream, then rank, within each). */
async function blockOrderBreaks(dataDir: string, exchange: string): Promise<number> {
  const f = listPartitionFiles(dataDir, ['raw']).find((x) => x.path.includes(`exchange=${exchange}/`));
  if (!f) throw new Error(`no raw file of ${exchange}`);
  const s = await openDuckSession();
  try {
    const src = `'${f.path.replace(/'/g, "''")}'`;
    // A row breaks the order when, in its stream, it does not follow the row before, or it starts a
    // block (a run of streams) below the greatest rank before it.
    const r = await s.conn.runAndReadAll(
      `SELECT count(*) FILTER (WHERE prev_stream = "stream" AND "rank" <= prev_rank) FROM (SELECT "stream", "rank", lag("stream") OVER w AS prev_stream, lag("rank") OVER w AS prev_rank FROM read_parquet(${src}, file_row_number = true) WINDOW w AS (ORDER BY file_row_number))`,
    );
    return Number(r.getRows()[0][0]);
  } finally {
    s.close();
  }
}

async function replayed(dataDir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of readRecords({ dataDir })) for (const r of batch) out.push(`${r.connId}#${r.seq}@${r.recvNs}:${hex(r.payload)}`);
  return out;
}

/** Seals a copy of the journal in `data` with the given chunk size; returns the report and the progress events. */
async function sealCopy(data: string, tag: string, chunkRecords?: number): Promise<{ dir: string; report: SealReport; progress: SealProgress[] }> {
  const dir = `${data}-${tag}`;
  dirs.push(dir);
  fs.cpSync(data, dir, { recursive: true });
  const progress: SealProgress[] = [];
  const report = await sealClosedSegments(dir, { chunkRecords, onProgress: (p) => progress.push(p) });
  expect(report.failures).toEqual([]);
  expect(fs.existsSync(path.join(dir, '.seal-work', 'inst-k'))).toBe(false);
  return { dir, report, progress };
}

describe('sealing in chunks', () => {
  it('a segment of several chunks and more than one rank block seals into the same files as in one chunk', async () => {
    const data = tmpDataDir('chunks');
    dirs.push(data);
    // Real Coinstore trade pushes (normalized into trades rows) spread over the segment, among
    // frames of every payload kind (binary, empty, invalid UTF-8) of an exchange without a
    // normalizer (cheap to seal: the raw path is what crosses rank blocks), plus a gap.
    const trades = [...shape('coinstore-trades').frames(6_000)].map((r, i) => ({ ...r, connId: 'inst-k-k1-1', recvNs: T0 + BigInt(i) * 21_000_000n + 3n }));
    const other = genRecords(RAW_BLOCK_ROWS + 1_000, { connId: 'inst-k-k1-2', exchange: 'benchex', startNs: T0 + 37n, stepNs: 1_000_000n, streams: ['BTC/USD', 'ETH/USD'] });
    const gap: TapeRecord = {
      exchange: 'coinstore',
      connId: 'inst-k-k1-1',
      seq: 200_000,
      recvNs: T0 + 9_000_000_000n,
      direction: 'event',
      kind: 'gap',
      stream: '',
      endpoint: 'wss://sim/ws',
      payload: Buffer.from(JSON.stringify({ stream: 'btcusdt@trade', start_ns: String(T0), end_ns: String(T0 + 5n), cause: 'sequence', lost_frames: 3 })),
      flags: 4,
    };
    const all = [...trades, ...other, gap].sort((a, b) => (a.recvNs < b.recvNs ? -1 : a.recvNs > b.recvNs ? 1 : 0));
    expect(all.length).toBeGreaterThan(RAW_BLOCK_ROWS);
    await writeJournal(data, 'inst-k', [all]);

    const whole = await sealCopy(data, 'whole', 10_000_000);
    // 62k records a chunk: three rank blocks, the last one short.
    const chunked = await sealCopy(data, 'chunked', 62_000);
    expect(all.length).toBeLessThan(3 * 62_000);

    expect(whole.report.segments[0].chunks).toBe(1);
    expect(whole.progress).toEqual([]);
    expect(chunked.report.segments[0].chunks).toBe(3);
    expect(chunked.progress.map((p) => [p.chunks, p.records])).toEqual([
      [1, 62_000],
      [2, 124_000],
      [3, all.length],
    ]);
    expect(chunked.report.records).toBe(all.length);
    expect(chunked.report.segments[0].files.map((f) => [f.table, f.exchange, f.rows])).toEqual(whole.report.segments[0].files.map((f) => [f.table, f.exchange, f.rows]));
    expect(chunked.report.segments[0].files.some((f) => f.table === 'trades' && f.rows === 6_000)).toBe(true);

    const a = await fileContents(whole.dir, true);
    const b = await fileContents(chunked.dir, true);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [k, v] of a) expect(b.get(k), k).toEqual(v);
    // The chunked raw file holds rank blocks one after another, each by stream, then rank.
    expect(await blockOrderBreaks(chunked.dir, 'benchex')).toEqual(0);
    const frames = await replayed(chunked.dir);
    expect(frames).toHaveLength(all.length);
    expect(frames).toEqual(await replayed(whole.dir));
  }, 300_000);

  it('a journal holding records out of order across chunks seals into the same rows as in one chunk', async () => {
    const data = tmpDataDir('chunks-disorder');
    dirs.push(data);
    const recs = genRecords(3_000, { connId: 'inst-k-k1-1' });
    // Records whose receive time is earlier than records of an earlier chunk (as an event record
    // stamped with an earlier time can be).
    for (let i = 2_500; i < 2_600; i++) recs[i] = { ...recs[i], recvNs: T0 + BigInt(i - 2_400) * 1_000_000n - 1n };
    await writeJournal(data, 'inst-k', [recs]);

    const whole = await sealCopy(data, 'whole', 10_000_000);
    const chunked = await sealCopy(data, 'chunked', 700);
    expect(chunked.report.segments[0].chunks).toBe(5);
    expect(chunked.progress).toHaveLength(5);
    const a = await fileContents(whole.dir);
    const b = await fileContents(chunked.dir);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [k, v] of a) expect(b.get(k), k).toEqual(v);
    expect(await replayed(chunked.dir)).toEqual(await replayed(whole.dir));
  }, 120_000);
});
