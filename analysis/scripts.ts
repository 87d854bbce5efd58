/**
 * The analysis scripts in analysis/sql: one question each, parameterized through DuckDB variables
 * (`getvariable('exchange')`, `symbol`, `from_ns`, `to_ns`, `interval`), so the same file runs in the
 * stock duckdb CLI after `SET VARIABLE ...`.
 */
import { readdirSync } from 'node:fs';
import type { DuckDBConnection, DuckDBResultReader } from '@duckdb/node-api';
import { TicktapeError } from '../core/errors.js';
import { sqlError } from './run-query.js';
import { readSqlFile, splitStatements, sqlDir } from './sql-files.js';

/** Files in analysis/sql that are not scripts (view definitions). */
const NOT_SCRIPTS = new Set(['views.sql', 'base.sql']);

interface ScriptInfo {
  name: string;
  summary: string;
  parameters: string;
}

interface ScriptParams {
  exchange?: string | null;
  symbol?: string | null;
  fromNs?: bigint | null;
  toNs?: bigint | null;
  interval?: string | null;
}

export const DEFAULT_INTERVAL = '1 minute';
const MAX_NS = 9_223_372_036_854_775_807n;

export function listScripts(): ScriptInfo[] {
  return readdirSync(sqlDir())
    .filter((f) => f.endsWith('.sql') && !NOT_SCRIPTS.has(f))
    .sort()
    .map((f) => {
      const lines = readSqlFile(f).split('\n');
      const comments = lines.filter((l) => l.startsWith('--')).map((l) => l.replace(/^--\s?/, ''));
      return {
        name: f.replace(/\.sql$/, ''),
        summary: comments[0] ?? '',
        parameters: (comments.find((c) => c.startsWith('Parameters:')) ?? '').replace(/^Parameters:\s*/, ''),
      };
    });
}

function sqlLiteral(v: string | null | undefined): string {
  return v == null ? 'NULL' : `'${v.replace(/'/g, "''")}'`;
}

/** Sets the script variables on the connection. */
export async function setScriptParams(conn: DuckDBConnection, p: ScriptParams): Promise<void> {
  await conn.run(`SET VARIABLE exchange = ${sqlLiteral(p.exchange)}`);
  await conn.run(`SET VARIABLE symbol = ${sqlLiteral(p.symbol)}`);
  await conn.run(`SET VARIABLE from_ns = ${(p.fromNs ?? 0n).toString()}::BIGINT`);
  await conn.run(`SET VARIABLE to_ns = ${(p.toNs ?? MAX_NS).toString()}::BIGINT`);
  await conn.run(`SET VARIABLE interval = ${sqlLiteral(p.interval ?? DEFAULT_INTERVAL)}`);
}

/**
 * Runs a script; the result of its last statement is returned. With `copyTo`, the last statement's
 * rows are written to that Parquet file instead (zstd) and the result is COPY's row count.
 */
export async function runScript(conn: DuckDBConnection, name: string, p: ScriptParams, opts: { copyTo?: string } = {}): Promise<DuckDBResultReader> {
  const known = listScripts();
  if (!known.some((s) => s.name === name)) {
    throw new TicktapeError('TT_SCRIPT_UNKNOWN', `No analysis script "${name}". Run \`ticktape analyze --list\` to see them: ${known.map((s) => s.name).join(', ')}.`, { name });
  }
  await setScriptParams(conn, p);
  const statements = splitStatements(readSqlFile(`${name}.sql`));
  let result: DuckDBResultReader | null = null;
  for (const [i, stmt] of statements.entries()) {
    const last = i === statements.length - 1;
    const sql = last && opts.copyTo ? `COPY (${stmt}) TO ${sqlLiteral(opts.copyTo)} (FORMAT parquet, COMPRESSION zstd)` : stmt;
    try {
      result = await conn.runAndReadAll(sql);
    } catch (err) {
      // the views' own checks (an unknown exchange, a filter that selects nothing) keep their code
      throw sqlError(err);
    }
  }
  if (!result) throw new TicktapeError('TT_QUERY', `Script ${name} has no statement.`);
  return result;
}
