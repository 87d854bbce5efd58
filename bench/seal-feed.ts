/**
 * How rows get from JS into a sealed file's COPY: the staging the sealer does (a data chunk
 * appended to a table, then `COPY (SELECT … FROM table) TO …parquet`) against a DuckDB table
 * function registered from JS that the COPY reads directly (no staging table), for a raw-table-shaped
 * row (exchange, conn_id, four BIGINTs, one ~200-byte VARCHAR). Both sides write the same column
 * buffers into the vectors' memory the same way (BIGINTs copied into the vector's data with
 * copy_data_to_vector — a write through vector_get_data's Uint8Array does not reach the vector in
 * this binding — strings with vector_assign_string_element_len), so the difference is the staging table and its scan.
 * CPU-seconds are the process's (every DuckDB thread included): run under `taskset -c 0`.
 * TICKTAPE_BENCH_FEED_ROWS sets the rows (default 500k), TICKTAPE_BENCH_FEED_THREADS DuckDB's threads.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import duckdb from '@duckdb/node-bindings';
import { BIGINT, type DuckDBConnection, DuckDBDataChunk, DuckDBInstance, DuckDBTableFunction, VARCHAR } from '@duckdb/node-api';
import type { BenchResult } from './types.js';

const ROWS = Number(process.env.TICKTAPE_BENCH_FEED_ROWS ?? 500_000);
const THREADS = Number(process.env.TICKTAPE_BENCH_FEED_THREADS ?? Math.max(1, os.availableParallelism()));
const ROUNDS = 5;
/** The sealer's chunk (SEAL_CHUNK_RECORDS). */
const PART_ROWS = 16_384;
const TYPES = [VARCHAR, VARCHAR, BIGINT, BIGINT, BIGINT, BIGINT, VARCHAR];
const NAMES = ['exchange', 'conn_id', 'seq', 'recv_ns', 'rank', 'n0', 'rest'];

/** Rows staged in JS as column buffers: typed arrays for the BIGINTs, one byte buffer + offsets per text column. */
interface Columns {
  n: number;
  ints: BigInt64Array[];
  text: { bytes: Buffer; offsets: Uint32Array }[];
}

function makeColumns(n: number): Columns {
  const ints = [0, 1, 2, 3].map(() => new BigInt64Array(n));
  const texts: string[][] = [[], [], []];
  let walk = 64000;
  for (let i = 0; i < n; i++) {
    walk *= 1 + ((i * 2654435761) % 1000) * 1e-8 - 5e-6;
    ints[0][i] = BigInt(i + 1);
    ints[1][i] = 1_768_471_200_000_000_000n + BigInt(i) * 100_000n;
    ints[2][i] = BigInt(i);
    ints[3][i] = BigInt(5_000_000 + i);
    texts[0].push('coinstore');
    texts[1].push(`rec-m1k2j3-${i % 3}`);
    texts[2].push(`{"T":"trade","s":"BTCUSDT","t":${1768471200000 + (i >> 4)},"p":"${walk.toFixed(2)}","q":"${((i % 977) / 311).toFixed(4)}","m":${i % 2 === 0},"venue":"main","extra":"${'x'.repeat(80)}"}`);
  }
  const text = texts.map((list) => {
    const offsets = new Uint32Array(n + 1);
    const bufs = list.map((s) => Buffer.from(s, 'utf8'));
    let at = 0;
    for (let i = 0; i < n; i++) {
      offsets[i] = at;
      at += bufs[i].length;
    }
    offsets[n] = at;
    return { bytes: Buffer.concat(bufs), offsets };
  });
  return { n, ints, text };
}

/** Writes rows [from, from+count) of the columns into a native data chunk's vectors. */
function fillChunk(chunk: duckdb.DataChunk, c: Columns, from: number, count: number): void {
  duckdb.data_chunk_set_size(chunk, count);
  const order = [0, 1, -1, -1, -1, -1, 2];
  let k = 0;
  for (let col = 0; col < TYPES.length; col++) {
    const vec = duckdb.data_chunk_get_vector(chunk, col);
    if (order[col] < 0) {
      const src = c.ints[k++];
      duckdb.copy_data_to_vector(vec, 0, src.buffer as ArrayBuffer, src.byteOffset + from * 8, count * 8);
      continue;
    }
    const { bytes, offsets } = c.text[order[col]];
    for (let i = 0; i < count; i++) duckdb.vector_assign_string_element_len(vec, i, bytes.subarray(offsets[from + i], offsets[from + i + 1]));
  }
}

const copyOpts = `(FORMAT parquet, PARQUET_VERSION V2, COMPRESSION zstd, COMPRESSION_LEVEL 3, ROW_GROUP_SIZE 32768)`;

/** The sealer's way: a data chunk at a time through an appender into a table, then the COPY. */
async function viaAppender(conn: DuckDBConnection, c: Columns, out: string): Promise<void> {
  await conn.run(`CREATE OR REPLACE TABLE feed_stage (exchange VARCHAR, conn_id VARCHAR, seq BIGINT, recv_ns BIGINT, "rank" BIGINT, n0 BIGINT, rest VARCHAR)`);
  const appender = await conn.createAppender('feed_stage');
  const chunk = DuckDBDataChunk.create(TYPES);
  const size = duckdb.vector_size();
  for (let at = 0; at < c.n; at += size) {
    chunk.reset();
    fillChunk(chunk.chunk, c, at, Math.min(size, c.n - at));
    appender.appendDataChunk(chunk);
  }
  appender.closeSync();
  await conn.run(`COPY (SELECT * FROM feed_stage) TO '${out}' ${copyOpts}`);
  await conn.run('DROP TABLE feed_stage');
}

/** What the sealer does with a segment larger than one chunk: a staging table per 16k rows, each written to a snappy part file, the parts COPYed to the sealed file. */
async function viaParts(conn: DuckDBConnection, c: Columns, out: string): Promise<void> {
  const parts: string[] = [];
  const chunk = DuckDBDataChunk.create(TYPES);
  const size = duckdb.vector_size();
  for (let start = 0; start < c.n; start += PART_ROWS) {
    await conn.run(`CREATE OR REPLACE TABLE feed_stage (exchange VARCHAR, conn_id VARCHAR, seq BIGINT, recv_ns BIGINT, "rank" BIGINT, n0 BIGINT, rest VARCHAR)`);
    const appender = await conn.createAppender('feed_stage');
    const end = Math.min(c.n, start + PART_ROWS);
    for (let at = start; at < end; at += size) {
      chunk.reset();
      fillChunk(chunk.chunk, c, at, Math.min(size, end - at));
      appender.appendDataChunk(chunk);
    }
    appender.closeSync();
    const part = `${out}.part-${parts.length}`;
    await conn.run(`COPY (SELECT * FROM feed_stage) TO '${part}' (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 122880)`);
    parts.push(part);
  }
  await conn.run(`COPY (SELECT * FROM read_parquet([${parts.map((p) => `'${p}'`).join(', ')}])) TO '${out}' ${copyOpts}`);
  await conn.run('DROP TABLE feed_stage');
  for (const p of parts) fs.rmSync(p);
}

/** The table function: the COPY pulls chunks straight from the JS column buffers. */
let current: Columns | null = null;
let next = 0;
function registerFeed(conn: DuckDBConnection): void {
  const fn = DuckDBTableFunction.create({
    name: 'tt_feed',
    bindFunction: (info) => {
      for (let i = 0; i < TYPES.length; i++) info.addResultColumn(NAMES[i], TYPES[i]);
      info.setCardinality(current?.n ?? 0, true);
    },
    initFunction: (info) => {
      info.setMaxThreads(1);
      next = 0;
    },
    mainFunction: (_info, output) => {
      const c = current!;
      const count = Math.min(duckdb.vector_size(), c.n - next);
      if (count <= 0) {
        output.rowCount = 0;
        return;
      }
      fillChunk(output.chunk, c, next, count);
      next += count;
    },
  });
  conn.registerTableFunction(fn);
}

async function viaTableFunction(conn: DuckDBConnection, c: Columns, out: string): Promise<void> {
  current = c;
  await conn.run(`COPY (SELECT * FROM tt_feed()) TO '${out}' ${copyOpts}`);
  current = null;
}

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

export async function run(): Promise<BenchResult[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-feed-'));
  const instance = await DuckDBInstance.create(':memory:', { threads: String(THREADS), memory_limit: '96MB' });
  const conn = await instance.connect();
  registerFeed(conn);
  const c = makeColumns(ROWS);
  const ways: [string, (conn: DuckDBConnection, c: Columns, out: string) => Promise<void>][] = [
    ['appender + staging table', viaAppender],
    ['16k staging tables + part files', viaParts],
    ['table function', viaTableFunction],
  ];
  const cpu = new Map<string, number[]>();
  try {
    // Warm-up, then alternate the two ways so the machine's load falls on both alike.
    for (const [, f] of ways) await f(conn, c, path.join(dir, 'warm.parquet'));
    for (let r = 0; r < ROUNDS; r++) {
      for (const [name, f] of ways) {
        const out = path.join(dir, `${name.replace(/\W+/g, '-')}.parquet`);
        const t = cpuSeconds();
        await f(conn, c, out);
        const list = cpu.get(name) ?? [];
        list.push(cpuSeconds() - t);
        cpu.set(name, list);
      }
    }
    // Both ways must write the same rows.
    const [a, , b] = ways.map(([name]) => path.join(dir, `${name.replace(/\W+/g, '-')}.parquet`));
    const diff = await conn.runAndReadAll(`SELECT count(*) FROM ((SELECT * FROM '${a}' EXCEPT ALL SELECT * FROM '${b}') UNION ALL (SELECT * FROM '${b}' EXCEPT ALL SELECT * FROM '${a}'))`);
    if (Number(diff.getRows()[0][0]) !== 0) {
      const counts = await conn.runAndReadAll(`SELECT (SELECT count(*) FROM '${a}'), (SELECT count(*) FROM '${b}'), (SELECT min(seq) FROM '${b}'), (SELECT max(seq) FROM '${b}'), (SELECT count(DISTINCT seq) FROM '${b}')`);
      throw new Error(`the two ways wrote different rows: ${counts.getRows()[0].join(' ')}`);
    }
  } finally {
    conn.closeSync();
    instance.closeSync();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const results: BenchResult[] = [];
  for (const [name, list] of cpu) {
    const best = Math.min(...list);
    results.push({ name: `${name}: rows per CPU-second`, value: Math.round(ROWS / best), unit: 'rows/CPU-s', note: `${ROWS} rows, ${THREADS} DuckDB threads, best of ${ROUNDS} (CPU s ${list.map((x) => x.toFixed(2)).join(', ')})` });
  }
  return results;
}
