/**
 * Primers: the latest recorded message of each snapshot-like stream (book, depth chart, ticker,
 * kline) before a replay time, so a replay starting mid-recording sends each subscribed stream's
 * state first instead of waiting for its next push.
 */
import { FLAG_OVERLAP, type TapeRecord } from '../schemas/record.js';
import type { ExchangeId } from '../exchanges/types.js';
import type { ReadPool } from './read-pool.js';

/** How far back a replay starting mid-recording looks for each stream's latest state. */
const PRIMER_LOOKBACK_NS = 15n * 60n * 1_000_000_000n;

/** The latest data frame of each of `streams` strictly before `beforeNs` (within PRIMER_LOOKBACK_NS), oldest first. */
export async function readPrimers(pool: ReadPool, exchange: ExchangeId, streams: string[], beforeNs: bigint): Promise<TapeRecord[]> {
  const latest = new Map<string, TapeRecord>();
  for await (const batch of pool.read({ exchanges: [exchange], streams, directions: ['in'], fromNs: beforeNs - PRIMER_LOOKBACK_NS, toNs: beforeNs })) {
    for (const r of batch) if ((r.kind === 'text' || r.kind === 'binary') && !(r.flags & FLAG_OVERLAP)) latest.set(r.stream, r);
  }
  return [...latest.values()].sort((a, b) => (a.recvNs < b.recvNs ? -1 : a.recvNs > b.recvNs ? 1 : 0));
}
