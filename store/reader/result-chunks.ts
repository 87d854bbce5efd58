/**
 * The chunks of a materialized DuckDB result, taken synchronously.
 *
 * `result.fetchChunk()` is an asynchronous native call: each chunk is a round trip through
 * libuv's thread pool, completed by a macrotask. The reader prefetches window k+1 while it hands
 * out window k, but handing out a window is a chain of microtasks (an async generator consumed by
 * `for await`), so the event loop does not turn and those round trips wait until window k is
 * consumed: the thread then idles through about a hundred of them per window. A materialized
 * result already holds every row in DuckDB's memory, so its chunks can be read with the
 * synchronous `duckdb_result_get_chunk` (one copy, as `fetchChunk` makes) as they are decoded;
 * the only asynchronous step left is the query itself, which runs on DuckDB's threads meanwhile.
 */
import duckdb from '@duckdb/node-bindings';
import { DuckDBDataChunk, type DuckDBMaterializedResult } from '@duckdb/node-api';

/** The result's chunks in order (each taken from DuckDB when iterated to). */
export function* resultChunks(result: DuckDBMaterializedResult): Generator<DuckDBDataChunk> {
  const raw = (result as unknown as { result: duckdb.Result }).result;
  const count = duckdb.result_chunk_count(raw);
  for (let i = 0; i < count; i++) {
    const chunk = new DuckDBDataChunk(duckdb.result_get_chunk(raw, i));
    if (chunk.rowCount > 0) yield chunk;
  }
}

/** Rows of a materialized result. */
export function resultRows(result: DuckDBMaterializedResult): number {
  return duckdb.row_count((result as unknown as { result: duckdb.Result }).result);
}
