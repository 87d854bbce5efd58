/** Installs the derived views and macros (analysis/sql/views.sql) on a connection that has the base views. */
import type { DuckDBConnection } from '@duckdb/node-api';
import { readSqlFile, splitStatements } from './sql-files.js';

export const DERIVED_VIEWS = ['top_of_book', 'spread', 'imbalance', 'latency_samples', 'latency', 'quality'] as const;
export const MACROS = ['bars', 'book_at', 'book_at_ns', 'tt_ts', 'tt_symbol_key', 'tt_exchange', 'tt_event_ns', 'tt_trade_key', 'tt_interval_ns', 'tt_max_ns', 'tt_slack_ns'] as const;

export async function installAnalysisViews(conn: DuckDBConnection): Promise<void> {
  for (const stmt of splitStatements(readSqlFile('views.sql'))) await conn.run(stmt);
}
