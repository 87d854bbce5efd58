/**
 * The summary of one sealed raw file: what a replay server's catalog needs from it without
 * reading it (replay/catalog.ts catalogOf). Written next to the file in the bucket at upload and at
 * compaction (`.<file>.summary.json`, summaries.ts), computed here from the local file:
 *
 *   streams   per exchange and stream: first and last receive time and count of incoming frames
 *   edges     the payloads of the text data frames at each stream's first and last incoming time
 *             (the frames the exchange modules read instrument ids from)
 *   gaps      the payload text of every gap event
 *
 * Merging the summaries of a day's (or a range's) files gives what one read of all of them gives.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { TicktapeError } from '../../core/errors.js';
import { FLAG_MALFORMED } from '../../schemas/record.js';
import { sqlStr } from '../partitions.js';
import { rawRowsSql } from '../template/index.js';

const SUMMARY_FORMAT = 'ticktape.raw-summary';
const SUMMARY_VERSION = 1;

interface SummaryStream {
  exchange: string;
  stream: string;
  /** Decimal ns. */
  firstNs: string;
  lastNs: string;
  frames: number;
}

interface SummaryEdge {
  exchange: string;
  stream: string;
  recvNs: string;
  /** Base64. */
  payload: string;
}

export interface RawSummary {
  format: typeof SUMMARY_FORMAT;
  version: number;
  /** The file it summarizes, and its SHA-256. */
  name: string;
  sha256: string;
  streams: SummaryStream[];
  edges: SummaryEdge[];
  gaps: Array<{ exchange: string; text: string }>;
}

/** The summary of a local raw parquet file (in its hive folder, so the exchange comes from the path). */
export async function summarizeRawFile(conn: DuckDBConnection, file: string, name: string, sha256: string): Promise<RawSummary> {
  const src = `(${rawRowsSql(`SELECT * FROM read_parquet(${sqlStr(file)}, hive_partitioning = true, hive_types = {'exchange': VARCHAR, 'date': DATE}, union_by_name = true)`)})`;
  const s = await conn.runAndReadAll(`SELECT exchange, stream, min(recv_ns)::VARCHAR, max(recv_ns)::VARCHAR, count(*)::INTEGER FROM ${src} WHERE direction = 'in' GROUP BY exchange, stream ORDER BY exchange, stream`);
  const streams = (s.getRows() as [string, string, string, string, number][]).map(([exchange, stream, firstNs, lastNs, frames]) => ({ exchange: exchange ?? '', stream, firstNs, lastNs, frames }));
  const e = await conn.runAndReadAll(
    `WITH b AS (SELECT exchange, stream, min(recv_ns) AS f, max(recv_ns) AS l FROM ${src} WHERE direction = 'in' GROUP BY exchange, stream)
     SELECT r.exchange, r.stream, r.recv_ns::VARCHAR, r.payload FROM ${src} r JOIN b ON r.exchange IS NOT DISTINCT FROM b.exchange AND r.stream = b.stream AND r.recv_ns IN (b.f, b.l)
     WHERE r.direction = 'in' AND r.kind = 'text' AND (r.flags & ${FLAG_MALFORMED}) = 0 AND r.stream <> ''
     ORDER BY r.exchange, r.stream, r.recv_ns, r.conn_id, r.seq`,
  );
  const edges = (e.getRows() as [string, string, string, { bytes: Uint8Array }][]).map(([exchange, stream, recvNs, p]) => ({ exchange: exchange ?? '', stream, recvNs, payload: Buffer.from(p.bytes).toString('base64') }));
  const g = await conn.runAndReadAll(`SELECT exchange, TRY(decode(payload)) FROM ${src} WHERE direction = 'event' AND kind = 'gap' ORDER BY recv_ns, conn_id, seq`);
  const gaps = (g.getRows() as [string, string | null][]).filter(([, t]) => t !== null).map(([exchange, text]) => ({ exchange: exchange ?? '', text: text as string }));
  return { format: SUMMARY_FORMAT, version: SUMMARY_VERSION, name, sha256, streams, edges, gaps };
}

/** A summary object's text read back (null when it is not one this ticktape reads: the caller falls back to the file). */
export function parseRawSummary(text: string, name: string, sha256: string): RawSummary | null {
  let s: RawSummary;
  try {
    s = JSON.parse(text) as RawSummary;
  } catch {
    return null;
  }
  if (s?.format !== SUMMARY_FORMAT || s.version > SUMMARY_VERSION || !Array.isArray(s.streams) || !Array.isArray(s.edges) || !Array.isArray(s.gaps)) return null;
  // A summary of other bytes (a name reused after a delete) is not this file's.
  if (s.name !== name || s.sha256 !== sha256) return null;
  return s;
}

export function summaryText(s: RawSummary): string {
  if (s.format !== SUMMARY_FORMAT) throw new TicktapeError('TT_INTERNAL', `not a raw summary: ${s.name}`);
  return JSON.stringify(s);
}
