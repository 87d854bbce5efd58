/**
 * Raw rows fed to a seal's COPYs straight from JS, without a staging table: a DuckDB table function
 * (`tt_seal_raw_feed('<key>')`, registered once per connection) whose scan hands out the rows one
 * prepared chunk (NativeChunk, up to 2,048 rows) per call. The stager fills the chunks of each raw
 * output as it stages a seal chunk's rows (in block order), and the part or final COPY reads them
 * as it would read the staging table; the appender's copy into that table and the table's scan
 * are gone (bench/seal-feed.ts: 0.96 against 1.7 µs per row from JS to a file; BENCHMARKS.md).
 *
 * The callback runs on the JS thread while the statement runs on DuckDB's (the COPY is awaited), one
 * scanning thread (`setMaxThreads(1)`); a scan reads a snapshot of the output's chunk list, and the
 * chunks are not changed until the stager empties the feed (after the COPYs that read them).
 */
import { type DuckDBConnection, type DuckDBType, DuckDBTableFunction, VARCHAR } from '@duckdb/node-api';
import { sqlStr } from '../partitions.js';
import { NativeChunk } from './native-chunk.js';

const FEED_FUNCTION = 'tt_seal_raw_feed';

interface FeedChunk {
  chunk: NativeChunk;
  rows: number;
}

/** Every feed of the process by id (a feed's id is unique: a counter). */
const feeds = new Map<string, RawFeed>();
const registered = new WeakSet<DuckDBConnection>();
let nextId = 0;

function register(conn: DuckDBConnection, names: readonly string[], types: readonly DuckDBType[]): void {
  if (registered.has(conn)) return;
  const fn = DuckDBTableFunction.create({
    name: FEED_FUNCTION,
    parameterTypes: [VARCHAR],
    bindFunction: (info) => {
      const arg = String(info.getParameter(0));
      const tab = arg.indexOf('\t');
      const feed = feeds.get(arg.slice(0, tab));
      if (!feed) {
        info.setError(`${FEED_FUNCTION}: no feed ${arg.slice(0, tab)}`);
        return;
      }
      for (let i = 0; i < names.length; i++) info.addResultColumn(names[i], types[i]);
      const chunks = [...(feed.outputs.get(arg.slice(tab + 1)) ?? [])];
      let rows = 0;
      for (const c of chunks) rows += c.rows;
      info.setCardinality(rows, true);
      info.setBindData({ chunks });
    },
    initFunction: (info) => {
      info.setMaxThreads(1);
      info.setInitData({ at: 0 });
    },
    mainFunction: (info, output) => {
      const { chunks } = info.bindData as { chunks: FeedChunk[] };
      const state = info.initData as { at: number };
      if (state.at >= chunks.length) {
        output.rowCount = 0;
        return;
      }
      const c = chunks[state.at++];
      c.chunk.finish(c.rows, output);
    },
  });
  conn.registerTableFunction(fn);
  registered.add(conn);
}

export class RawFeed {
  private readonly id = String(nextId++);
  /** Output key → its chunks, in order. */
  readonly outputs = new Map<string, FeedChunk[]>();
  private readonly pool: NativeChunk[] = [];

  constructor(
    conn: DuckDBConnection,
    names: readonly string[],
    private readonly types: readonly DuckDBType[],
  ) {
    register(conn, names, types);
    feeds.set(this.id, this);
  }

  /** A chunk to fill (from the pool, cleared), added to `key`'s rows by `add`. */
  take(): NativeChunk {
    return this.pool.pop() ?? new NativeChunk(this.types);
  }

  add(key: string, chunk: NativeChunk, rows: number): void {
    let list = this.outputs.get(key);
    if (!list) {
      list = [];
      this.outputs.set(key, list);
    }
    list.push({ chunk, rows });
  }

  /** The table expression of `key`'s rows (the staging table's columns). */
  source(key: string): string {
    return `${FEED_FUNCTION}(${sqlStr(`${this.id}\t${key}`)})`;
  }

  /** Forgets every output's rows (their chunks go back to the pool). */
  empty(): void {
    for (const list of this.outputs.values()) {
      for (const c of list) {
        c.chunk.clear();
        this.pool.push(c.chunk);
      }
    }
    this.outputs.clear();
  }

  /** Empties the feed and unregisters it (its function stays registered on the connection). */
  close(): void {
    this.empty();
    this.pool.length = 0;
    feeds.delete(this.id);
  }
}
