/**
 * A generated analysis dataset in the real sealed layout (store/partitions.ts names, the columns of
 * schemas/tables.ts, sorted by SORT_KEYS, zstd Parquet): BENCH_TRADES trades, BENCH_BOOK_ROWS book
 * rows and one raw frame per trade and per book message, over BENCH_HOURS hourly segments per
 * exchange, written by DuckDB COPY straight from `range()` (no journal, no sealer: the queries are
 * what is measured). Prices walk deterministically; every value is a function of the row number.
 */
import fs from 'node:fs';
import path from 'node:path';
import { openDuckSession } from '../store/duck/index.js';
import { partitionDir, segmentFileName, sqlStr } from '../store/partitions.js';
import { SORT_KEYS, TABLES, type TableName } from '../schemas/tables.js';

export const BENCH_TRADES = 10_000_000;
/** 20 levels (10 a side) per book message: 500k messages. */
export const BENCH_BOOK_ROWS = 10_000_000;
export const BENCH_LEVELS_PER_SIDE = 10;
export const BENCH_EXCHANGES = ['coinstore', 'coinceres'] as const;
export const BENCH_SYMBOLS = ['BTCUSDT', 'ETHUSDT'] as const;
/** Hourly segments over three UTC dates (50 h: whole rows per hour and exchange). */
export const BENCH_HOURS = 50;
export const BENCH_START_MS = Date.UTC(2026, 0, 1);
const INSTANCE = 'bench';
const GAPS_PER_EXCHANGE = 20;

/** Marker written last: a folder without it is regenerated. */
const DONE = '.bench-complete-v1';

function segmentName(hour: number): string {
  const d = new Date(BENCH_START_MS + hour * 3_600_000);
  const stamp = d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
  return `${stamp}-bench-${String(hour + 1).padStart(6, '0')}`;
}

function columnsOf(table: TableName): string {
  return TABLES[table].map((c) => `"${c.name}"`).join(', ');
}

export interface BenchDataset {
  dataDir: string;
  startNs: bigint;
  endNs: bigint;
  generatedMs: number | null;
}

export async function ensureBenchDataset(dataDir: string, log: (s: string) => void = () => undefined): Promise<BenchDataset> {
  const startNs = BigInt(BENCH_START_MS) * 1_000_000n;
  const endNs = startNs + BigInt(BENCH_HOURS) * 3_600_000_000_000n;
  if (fs.existsSync(path.join(dataDir, DONE))) return { dataDir, startNs, endNs, generatedMs: null };
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.mkdirSync(dataDir, { recursive: true });
  const t0 = Date.now();
  const session = await openDuckSession();
  try {
    const conn = session.conn;
    const perHourTrades = BENCH_TRADES / BENCH_EXCHANGES.length / BENCH_HOURS;
    const msgsPerHour = BENCH_BOOK_ROWS / (2 * BENCH_LEVELS_PER_SIDE) / BENCH_EXCHANGES.length / BENCH_HOURS;
    for (const [ei, ex] of BENCH_EXCHANGES.entries()) {
      for (let h = 0; h < BENCH_HOURS; h++) {
        const seg = segmentName(h);
        const date = new Date(BENCH_START_MS + h * 3_600_000).toISOString().slice(0, 10);
        const hourNs = startNs + BigInt(h) * 3_600_000_000_000n;
        const tConn = `${INSTANCE}-${ei}${h}-t`;
        const bConn = `${INSTANCE}-${ei}${h}-b`;
        // Global row number g gives a continuous price walk across hours: a slow sine plus a hashed wiggle.
        const px = (g: string, sym: string) => `round((CASE WHEN ${sym} = 'BTCUSDT' THEN 65000 ELSE 3200 END) * (1 + 0.02 * sin(${g} / 400000.0) + (hash(${g} * 7 + ${ei}) % 1000) / 2e6), 2)`;
        const trades = `
          SELECT ${sqlStr(ex)} AS exchange, sym AS symbol, recv_ns, ${sqlStr(tConn)} AS conn_id, i + 1 AS seq,
                 lower(sym) || '@trade' AS stream, (recv_ns - 20000000) // 1000000 AS exchange_ts_ms,
                 CAST(g AS VARCHAR) AS trade_id, price, CAST(price AS VARCHAR) AS price_str,
                 amount, CAST(amount AS VARCHAR) AS amount_str, CASE WHEN hash(g) % 2 = 0 THEN 'buy' ELSE 'sell' END AS side, NULL::VARCHAR AS venue
          FROM (
            SELECT i, g, sym, ${hourNs}::BIGINT + i * ${3_600_000_000_000 / perHourTrades}::BIGINT + (hash(g) % 1000000)::BIGINT AS recv_ns,
                   ${px('g', 'sym')} AS price, round(0.0001 + (hash(g * 3) % 10000) / 10000.0, 4) AS amount
            FROM (SELECT range AS i, range + ${h * perHourTrades} AS g, CASE WHEN range % 2 = 0 THEN 'BTCUSDT' ELSE 'ETHUSDT' END AS sym FROM range(${perHourTrades}))
          )`;
        const book = `
          SELECT ${sqlStr(ex)} AS exchange, sym AS symbol, recv_ns, ${sqlStr(bConn)} AS conn_id, m + 1 AS seq,
                 lower(sym) || '@depth@20' AS stream, NULL::BIGINT AS exchange_ts_ms,
                 side, lvl AS level,
                 round(CASE WHEN side = 'bid' THEN mid - 0.01 * (1 + lvl * 3) ELSE mid + 0.01 * (1 + lvl * 3) END, 2) AS price,
                 NULL::VARCHAR AS price_str, round(0.001 + (hash(g * 31 + lvl) % 5000) / 1000.0, 3) AS amount, NULL::VARCHAR AS amount_str,
                 true AS is_snapshot, ${BENCH_LEVELS_PER_SIDE} AS levels, NULL::VARCHAR AS cp, NULL::VARCHAR AS venue
          FROM (
            SELECT m, g, sym, ${hourNs}::BIGINT + m * ${Math.floor(3_600_000_000_000 / msgsPerHour)}::BIGINT AS recv_ns,
                   ${px('g * 20', 'sym')} AS mid
            FROM (SELECT range AS m, range + ${h * msgsPerHour} AS g, CASE WHEN range % 2 = 0 THEN 'BTCUSDT' ELSE 'ETHUSDT' END AS sym FROM range(${msgsPerHour}))
          ), (SELECT unnest(['bid', 'ask']) AS side), (SELECT range::INTEGER AS lvl FROM range(${BENCH_LEVELS_PER_SIDE}))`;
        await conn.run(`CREATE OR REPLACE TEMP TABLE t AS ${trades}`);
        await conn.run(`UPDATE t SET price_str = CAST(price AS VARCHAR), amount_str = CAST(amount AS VARCHAR)`);
        await conn.run(`CREATE OR REPLACE TEMP TABLE b AS ${book}`);
        await conn.run(`UPDATE b SET price_str = CAST(price AS VARCHAR), amount_str = CAST(amount AS VARCHAR)`);
        const raw = `
          SELECT exchange, conn_id, seq, recv_ns, 'in' AS direction, 'text' AS kind, stream, 'wss://bench/' AS endpoint,
                 CAST('{"bench":' || seq || '}' AS BLOB) AS payload, false AS malformed, false AS redacted, ${sqlStr(INSTANCE)} AS instance, 0 AS flags
          FROM (SELECT DISTINCT exchange, conn_id, seq, recv_ns, stream FROM t UNION ALL SELECT DISTINCT exchange, conn_id, seq, recv_ns, stream FROM b)`;
        const write = async (table: TableName, select: string) => {
          const dir = partitionDir(dataDir, table, ex, date);
          fs.mkdirSync(dir, { recursive: true });
          const file = path.join(dir, segmentFileName(INSTANCE, seg));
          const order = SORT_KEYS[table].map((k) => `"${k}"`).join(', ');
          await conn.run(`COPY (SELECT ${columnsOf(table)} FROM (${select}) ORDER BY ${order}) TO ${sqlStr(file)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)`);
        };
        await write('trades', 'SELECT * FROM t');
        await write('book', 'SELECT * FROM b');
        await write('raw', raw);
        if (h % Math.floor(BENCH_HOURS / GAPS_PER_EXCHANGE) === 0) {
          await write(
            'gaps',
            `SELECT ${sqlStr(ex)} AS exchange, 'btcusdt@trade' AS stream, ${hourNs + 1_800_000_000_000n}::BIGINT AS start_ns, ${hourNs + 1_805_000_000_000n}::BIGINT AS end_ns,
                    'disconnect' AS cause, ${sqlStr(tConn)} AS conn_id, 0::BIGINT AS seq, 'bench gap' AS detail, NULL::BIGINT AS lost_frames`,
          );
        }
      }
      log(`generated ${ex}`);
    }
  } finally {
    session.close();
  }
  fs.writeFileSync(path.join(dataDir, DONE), new Date().toISOString());
  return { dataDir, startNs, endNs, generatedMs: Date.now() - t0 };
}
