/**
 * A sealed store with a segment on each of `days` consecutive UTC days, for the tests that read a
 * bucket day by day: generated records of two exchanges, and Coinstore trade pushes as the
 * exchange sends them (bench/peers/shapes.ts), so the trades table and a native client have data
 * on every day.
 */
import { PEER_T0_NS, shape } from '../../bench/peers/shapes.js';
import type { TapeRecord } from '../../schemas/record.js';
import { sealClosedSegments } from '../../store/seal/index.js';
import { genRecords, T0, tmpDataDir, writeJournal } from '../store/seal/fixtures.js';

export const DAY_NS = 86_400_000_000_000n;

/** Coinstore trade pushes of day `d` (their own connection, a second after the day's first record). */
function tradesOfDay(d: number, n: number): TapeRecord[] {
  return [...shape('coinstore-trades').frames(n)].map((r) => ({ ...r, connId: `east-t-${d + 1}`, recvNs: r.recvNs - PEER_T0_NS + T0 + BigInt(d) * DAY_NS + 1_000_000_000n }));
}

export async function multiDayStore(tag: string, days: number, trades = 60): Promise<string> {
  const dir = tmpDataDir(tag);
  const batches = Array.from({ length: days }, (_, d) => [
    ...genRecords(120, { connId: `east-k-${d + 1}`, startNs: T0 + BigInt(d) * DAY_NS }),
    ...genRecords(30, { connId: `east-n-${d + 1}`, exchange: 'nexus', streams: ['BTC/USD'], startNs: T0 + BigInt(d) * DAY_NS + 7n }),
    ...tradesOfDay(d, trades),
  ]);
  await writeJournal(dir, 'east', batches);
  await sealClosedSegments(dir);
  return dir;
}

/**
 * A sealed store of Coinstore's market on `days` consecutive UTC days: depth@20 books and trades
 * of four symbols as the exchange sends them (bench/peers/shapes.ts), one market walk cut into
 * days (so each day's prices go on from the last), the books a little ahead of the trades. The
 * normalized `book` and `trades` tables have every day, for paper trading. Each day is written in
 * `segmentsPerDay` journal segments.
 */
export async function multiDayMarketStore(tag: string, days: number, perDay = 300, segmentsPerDay = 1): Promise<string> {
  const dir = tmpDataDir(tag);
  const books = [...shape('coinstore-depth20').frames(days * perDay)];
  const trades = [...shape('coinstore-trades').frames(days * perDay)];
  const dayOf = (rs: TapeRecord[], d: number, conn: string, offsetNs: bigint) => {
    const part = rs.slice(d * perDay, (d + 1) * perDay);
    const startNs = part[0].recvNs;
    return part.map((r) => ({ ...r, connId: `${conn}-${d + 1}`, recvNs: r.recvNs - startNs + T0 + BigInt(d) * DAY_NS + offsetNs }));
  };
  const batches = Array.from({ length: days }, (_, d) => [...dayOf(books, d, 'east-b', 1_000_000_000n), ...dayOf(trades, d, 'east-t', 1_000_060_000n)].sort((a, b) => (a.recvNs < b.recvNs ? -1 : a.recvNs > b.recvNs ? 1 : 0)));
  // Each day in `segmentsPerDay` journal segments (files a compaction merges).
  const size = Math.ceil((2 * perDay) / segmentsPerDay);
  await writeJournal(
    dir,
    'east',
    batches.flatMap((b) => Array.from({ length: segmentsPerDay }, (_, i) => b.slice(i * size, (i + 1) * size))),
  );
  await sealClosedSegments(dir);
  return dir;
}
