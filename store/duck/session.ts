/**
 * One in-memory DuckDB database with the settings every ticktape session wants: a memory cap with
 * spilling to a temp folder (a day bigger than RAM sorts on disk instead of failing). Times are
 * integers (ns, ms) and partition dates are computed in UTC by ticktape, so no time-zone setting is
 * needed (the ICU extension is not loaded offline).
 */
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { PAYLOAD_MACROS_SQL, TEMPLATE_EMPTY_TABLE_SQL } from '../template/index.js';

/** DuckDB's own memory cap for ticktape sessions; beyond it, sorts and joins spill to TEMP. */
export const DUCKDB_MEMORY_LIMIT = process.env.TICKTAPE_DUCKDB_MEMORY ?? '1GB';

export interface DuckSession {
  instance: DuckDBInstance;
  conn: DuckDBConnection;
  /** Another connection on the same database (one streaming result at a time per connection). */
  connect(): Promise<DuckDBConnection>;
  close(): void;
}

export interface DuckSessionOptions {
  memoryLimit?: string;
  threads?: number;
  tempDir?: string;
}

export async function openDuckSession(opts: DuckSessionOptions = {}): Promise<DuckSession> {
  const options: Record<string, string> = {
    memory_limit: opts.memoryLimit ?? DUCKDB_MEMORY_LIMIT,
    temp_directory: opts.tempDir ?? path.join(os.tmpdir(), `ticktape-duckdb-${process.pid}`),
  };
  if (opts.threads) options.threads = String(opts.threads);
  const instance = await DuckDBInstance.create(':memory:', options);
  const conn = await instance.connect();
  // tt_payload(): the exact payload of any raw row (templated files rebuild it), for views and checks.
  for (const m of [...PAYLOAD_MACROS_SQL, TEMPLATE_EMPTY_TABLE_SQL]) await conn.run(m);
  const extra: DuckDBConnection[] = [];
  return {
    instance,
    conn,
    async connect() {
      const c = await instance.connect();
      extra.push(c);
      return c;
    },
    close() {
      for (const c of extra) c.closeSync();
      conn.closeSync();
      instance.closeSync();
    },
  };
}
