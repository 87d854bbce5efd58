/**
 * The chunks of a query as a stream, one fetched ahead.
 *
 * A materialized result (`conn.run`) costs DuckDB a copy of every row into its result collection
 * and a second copy out of it per chunk (`fetchChunk`, `duckdb_result_get_chunk`), on top of the
 * binding's copy of each vector into JS: with the query's own work, about twice the CPU of a
 * streaming result on the reader's queries, and nothing can be decoded before the whole window is
 * there. A streaming result computes each chunk when it is fetched, on a thread of libuv's pool:
 * fetching chunk k+1 before chunk k is handed out lets DuckDB compute it while this thread decodes
 * chunk k (the fetch runs whether or not the event loop turns meanwhile; only its completion waits
 * for a turn).
 *
 * A connection holds one streaming result at a time: any other query on it ends the stream, so
 * the caller runs nothing else on `conn` until the generator is done.
 */
import type { DuckDBConnection, DuckDBDataChunk } from '@duckdb/node-api';

/** The query's non-empty chunks in order. Stopping early waits for the fetch in flight. */
export async function* streamChunks(conn: DuckDBConnection, sql: string): AsyncGenerator<DuckDBDataChunk> {
  const result = await conn.stream(sql);
  let next: Promise<DuckDBDataChunk | null> | null = result.fetchChunk();
  try {
    for (;;) {
      const chunk: DuckDBDataChunk | null = await next;
      next = null;
      if (!chunk || chunk.rowCount === 0) return;
      next = result.fetchChunk();
      yield chunk;
    }
  } finally {
    if (next) await next.catch(() => undefined);
  }
}
