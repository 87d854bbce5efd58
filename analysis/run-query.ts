/**
 * Runs the SQL a user gave (`ticktape query`): several statements separated by ";" run in order and
 * the last one's result is streamed. Any SQL error is a TicktapeError TT_QUERY carrying DuckDB's message.
 */
import type { DuckDBConnection, DuckDBResult } from '@duckdb/node-api';
import { TicktapeError } from '../core/errors.js';

/** DuckDB's error as TT_QUERY (a TicktapeError passes through). */
export function sqlError(err: unknown): TicktapeError {
  if (err instanceof TicktapeError) return err;
  const message = String((err as Error)?.message ?? err).trim();
  return new TicktapeError('TT_QUERY', `SQL error: ${message}`, {}, { cause: err });
}

export async function runQuery(conn: DuckDBConnection, sql: string): Promise<DuckDBResult> {
  let statements;
  try {
    statements = await conn.extractStatements(sql);
  } catch (err) {
    throw sqlError(err);
  }
  const n = statements.count;
  if (n === 0) throw new TicktapeError('TT_QUERY', 'SQL error: no statement given: pass one, e.g. ticktape query "SELECT count(*) FROM raw".');
  try {
    for (let i = 0; i < n - 1; i++) await (await statements.prepare(i)).run();
    return await (await statements.prepare(n - 1)).stream();
  } catch (err) {
    throw sqlError(err);
  }
}
