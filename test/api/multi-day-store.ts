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
