/**
 * Runs the SQL a user gave (`ticktape query`): several statements separated by ";" run in order and
 * the last one's result is streamed. Any SQL error is a TicktapeError TT_QUERY carrying DuckDB's message.
 */
import type { DuckDBConnection, DuckDBResult, DuckDBValue } from '@duckdb/node-api';
import { ERROR_CODES, type ErrorCode } from '../core/error-codes.js';
import { TicktapeError } from '../core/errors.js';

/** DuckDB's error as TT_QUERY (a TicktapeError passes through). */
export function sqlError(err: unknown): TicktapeError {
  if (err instanceof TicktapeError) return err;
  const message = String((err as Error)?.message ?? err).trim();
  // the views' own checks raise `TT_<CODE>: message` through DuckDB's error(): keep their code
  const own = /(TT_[A-Z_]+): ([\s\S]*)$/.exec(message);
  if (own && own[1] in ERROR_CODES) return new TicktapeError(own[1] as ErrorCode, own[2], {}, { cause: err });
  return new TicktapeError('TT_QUERY', `SQL error: ${message}`, {}, { cause: err });
}

/** Parameters of the last statement: `$1`/`?` take an array, `$name` an object. */
type QueryParams = DuckDBValue[] | Record<string, DuckDBValue>;

/**
 * Runs every statement but the last, then streams the last one, with `params` bound to it. Any
 * error is TT_QUERY with DuckDB's message.
 */
export async function runQuery(conn: DuckDBConnection, sql: string, params?: QueryParams): Promise<DuckDBResult> {
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
    const last = await statements.prepare(n - 1);
    if (params !== undefined) last.bind(params);
    return await last.stream();
  } catch (err) {
    throw sqlError(err);
  }
}
