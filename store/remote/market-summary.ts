/**
 * The summary of one sealed `book` or `trades` file: the markets it holds, what a paper desk over a
 * bucket needs to know which markets the recording has (replay/paper/market-data.ts
 * marketDirectory) without reading the files. Written next to the file in the bucket at upload and
 * at compaction (`.<file>.summary.json`, as raw files' summaries, summaries.ts):
 *
 *   books    per symbol, venue and book stream: the most levels, the rows, and whether every row is a snapshot
 *   trades   the symbols and venues with trades
 *
 * Merging the summaries of a range's files (most levels, rows summed, snapshots all) gives what one
 * read of those files gives.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { TicktapeError } from '../../core/errors.js';
import { sqlStr } from '../partitions.js';

const SUMMARY_FORMAT = 'ticktape.market-summary';
const SUMMARY_VERSION = 1;

/** The tables whose files get a market summary. */
export const MARKET_TABLES: readonly string[] = ['book', 'trades'];

/** A book stream of a market with what picks the one the paper account matches against. */
export interface BookStreamSummary {
  symbol: string;
  venue: string | null;
  stream: string;
  /** The most levels per side of a row (null when no row says). */
  levels: number | null;
  rows: number;
  /** Every row is a snapshot. */
  snapshots: boolean;
}

export interface MarketSummary {
  format: typeof SUMMARY_FORMAT;
  version: number;
  /** The file it summarizes, and its SHA-256. */
  name: string;
  sha256: string;
  books: BookStreamSummary[];
  trades: Array<{ symbol: string; venue: string | null }>;
}

const str = (v: unknown) => (v === null || v === undefined ? null : String(v));

/** The summary of a local `book` or `trades` parquet file (one scan). */
export async function summarizeMarketFile(conn: DuckDBConnection, table: string, file: string, name: string, sha256: string): Promise<MarketSummary> {
  if (!MARKET_TABLES.includes(table)) throw new TicktapeError('TT_INTERNAL', `no market summary for table ${table}`);
  const src = `read_parquet(${sqlStr(file)}, union_by_name = true)`;
  const out: MarketSummary = { format: SUMMARY_FORMAT, version: SUMMARY_VERSION, name, sha256, books: [], trades: [] };
  if (table === 'book') {
    const r = await conn.runAndReadAll(`SELECT symbol, venue, stream, max(levels)::INTEGER, count(*)::BIGINT, bool_and(is_snapshot) FROM ${src} GROUP BY symbol, venue, stream ORDER BY symbol, venue NULLS FIRST, stream`);
    for (const [symbol, venue, stream, levels, rows, snapshots] of r.getRows()) {
      out.books.push({ symbol: String(symbol), venue: str(venue), stream: String(stream), levels: levels === null ? null : Number(levels), rows: Number(rows), snapshots: snapshots === true });
    }
  } else {
    const r = await conn.runAndReadAll(`SELECT DISTINCT symbol, venue FROM ${src} ORDER BY symbol, venue NULLS FIRST`);
    for (const [symbol, venue] of r.getRows()) out.trades.push({ symbol: String(symbol), venue: str(venue) });
  }
  return out;
}

/** A summary object's text read back (null when it is not one this ticktape reads, or of other bytes: the caller falls back to the file). */
export function parseMarketSummary(text: string, name: string, sha256: string): MarketSummary | null {
  let s: MarketSummary;
  try {
    s = JSON.parse(text) as MarketSummary;
  } catch {
    return null;
  }
  if (s?.format !== SUMMARY_FORMAT || s.version > SUMMARY_VERSION || !Array.isArray(s.books) || !Array.isArray(s.trades)) return null;
  if (s.name !== name || s.sha256 !== sha256) return null;
  return s;
}
