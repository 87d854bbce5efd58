/**
 * Request answers built from the recording (`ServerContext.recordedFrames`: Coinstore's
 * `param.size` trade batch): the latest recorded data frames of a stream before the connection's
 * replay time. Raw files are in time order, so a narrow time window reads little: a minute is tried
 * first, then wider windows up to a day, until enough frames are found.
 */
import type { DuckDBBlobValue } from '@duckdb/node-api';
import { FLAG_OVERLAP } from '../schemas/record.js';
import { sqlStr } from '../store/partitions.js';
import type { ExchangeId } from '../exchanges/types.js';
import type { Catalog } from './catalog.js';
import type { NormalizedPool } from './normalized.js';

/** How far back the lookup goes, widening: a minute, 15 minutes, a day. */
const RECORDED_LOOKBACK_NS = [60n, 900n, 86_400n].map((s) => s * 1_000_000_000n);

/** The latest `limit` recorded text frames of `streamKey` before `beforeNs`, oldest first. */
export async function latestRecordedFrames(pool: NormalizedPool, catalog: Catalog, exchange: ExchangeId, streamKey: string, limit: number, beforeNs: bigint): Promise<Uint8Array[]> {
  if (!catalog[exchange].streams.has(streamKey) || limit <= 0) return [];
  let rows: Array<[DuckDBBlobValue]> = [];
  for (const back of RECORDED_LOOKBACK_NS) {
    // Over a bucket, only the days of this window are fetched (served-days.ts).
    const conn = await pool.acquire({ tables: ['raw'], exchanges: [exchange], fromNs: beforeNs - back, toNs: beforeNs });
    try {
      const r = await conn.runAndReadAll(
        `SELECT payload FROM raw WHERE exchange = ${sqlStr(exchange)} AND stream = ${sqlStr(streamKey)} AND direction = 'in' AND kind = 'text'
         AND (flags & ${FLAG_OVERLAP}) = 0 AND recv_ns >= ${beforeNs - back} AND recv_ns < ${beforeNs}
         ORDER BY recv_ns DESC, conn_id DESC, seq DESC LIMIT ${Math.trunc(limit)}`,
      );
      rows = r.getRows() as Array<[DuckDBBlobValue]>;
    } finally {
      pool.release(conn);
    }
    if (rows.length >= limit) break;
  }
  return rows.map(([b]) => b.bytes).reverse();
}
