/**
 * The paper report's data (`ticktape report --paper <folder>`): a paper session's results (its
 * orders, fills and balances) against the recording they traded on, each figure one query:
 *  - PnL over time per quote currency: the cash each market's fills paid and received plus the
 *    position they left, marked at the recorded mid (fees included, in whichever currency they were
 *    charged);
 *  - fills against the market: the recorded mid of the most-traded market with every fill on it;
 *  - slippage: each fill's price against the recorded mid when its order arrived, in basis points,
 *    positive when worse than that mid (a buy above it, a sell below it);
 *  - latency: from an order's arrival to the engine acting on it (the order-in delay in replay time).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { TicktapeError } from '../../core/errors.js';
import { splitSymbol } from '../../replay/catalog.js';
import { PAPER_MANIFEST, PAPER_TABLES } from '../../replay/paper/results.js';
import { createTableSql } from '../../schemas/tables.js';
import { sqlStr } from '../../store/partitions.js';

export interface PaperReportData {
  generatedAt: string;
  folder: string;
  dataDir: string;
  session: string;
  manifest: Record<string, unknown>;
  span: { firstNs: string; lastNs: string } | null;
  /** Equity change per quote currency over time. */
  pnl: { times: number[]; series: Array<{ name: string; values: (number | null)[] }> };
  focus: { exchange: string; symbol: string } | null;
  market: { times: number[]; mid: (number | null)[]; buys: (number | null)[]; sells: (number | null)[] };
  slippage: Array<{ bps: number; n: number }>;
  latency: Array<{ ms: number; n: number }>;
  tables: Record<string, { columns: string[]; rows: unknown[][] }>;
}

type Row = Record<string, unknown>;
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

async function rows(conn: DuckDBConnection, sql: string): Promise<Row[]> {
  return (await conn.runAndReadAll(sql)).getRowObjectsJS() as Row[];
}

async function table(conn: DuckDBConnection, sql: string): Promise<{ columns: string[]; rows: unknown[][] }> {
  const r = await conn.runAndReadAll(sql);
  return { columns: r.columnNames(), rows: r.getRowsJson() as unknown[][] };
}

/** Reads a session folder's manifest (what `--paper-out` wrote), or says what is wrong. */
export function readPaperManifest(folder: string): Record<string, unknown> {
  const file = path.join(folder, PAPER_MANIFEST);
  if (!fs.existsSync(file)) {
    throw new TicktapeError('TT_NO_DATA', `No paper results in ${folder}: point --paper at a session folder a paper replay wrote (<paper-out>/<session>/ with ${PAPER_MANIFEST}).`, { folder });
  }
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new TicktapeError('TT_CONFIG_UNREADABLE', `Cannot read ${file}: ${(err as Error).message}`, { file }, { cause: err });
  }
}

/** `paper_orders`, `paper_fills`, `paper_balances` over the folder's files (empty, typed, when a table has none). */
async function attachPaperTables(conn: DuckDBConnection, folder: string): Promise<void> {
  for (const t of PAPER_TABLES) {
    const name = `paper_${t}`;
    await conn.run(`DROP TABLE IF EXISTS ${name}`);
    await conn.run(createTableSql(t, name));
    const dir = path.join(folder, t);
    if (fs.existsSync(dir) && fs.readdirSync(dir, { recursive: true }).some((f) => String(f).endsWith('.parquet'))) {
      await conn.run(`INSERT INTO ${name} SELECT * EXCLUDE (date) FROM read_parquet(${sqlStr(path.join(dir, '**', '*.parquet'))}, hive_partitioning = true, hive_types = {'exchange': VARCHAR, 'date': DATE}, union_by_name = true)`);
    }
  }
}

/** Buckets of about 300 over a span of ns. */
function bucketNs(spanNs: bigint): bigint {
  const steps = [1n, 2n, 5n, 10n, 30n, 60n, 300n, 900n, 3600n, 14400n, 86400n].map((s) => s * 1_000_000_000n);
  const ms = [1n, 10n, 100n, 250n, 500n].map((x) => x * 1_000_000n);
  for (const s of [...ms, ...steps]) if (spanNs / s <= 300n) return s;
  return 86_400_000_000_000n;
}

export async function collectPaperData(conn: DuckDBConnection, folder: string, dataDir: string): Promise<PaperReportData> {
  await attachPaperTables(conn, folder);
  const manifest = readPaperManifest(folder);
  const session = String(manifest.session ?? path.basename(folder));

  const span = (await rows(conn, `SELECT min(recv_ns) AS a, max(recv_ns) AS b FROM (SELECT recv_ns FROM paper_orders UNION ALL SELECT recv_ns FROM paper_balances)`))[0];
  const first = span?.a === null || span?.a === undefined ? null : BigInt(span.a as bigint);
  let last = span?.b === null || span?.b === undefined ? null : BigInt(span.b as bigint);
  // marked until the end of the recording of the traded exchanges, when it lies later
  if (first !== null) {
    const end = (await rows(conn, `SELECT max(recv_ns) AS e FROM spread WHERE exchange IN (SELECT DISTINCT exchange FROM paper_fills)`))[0];
    if (end?.e !== null && end?.e !== undefined && BigInt(end.e as bigint) > last!) last = BigInt(end.e as bigint);
  }
  const step = first !== null && last !== null ? bucketNs(last - first + 1n) : 1_000_000_000n;

  // markets traded, with their quote currency (from the symbol)
  const markets = (await rows(conn, `SELECT exchange, symbol, count(*) AS n FROM paper_fills GROUP BY ALL ORDER BY n DESC, exchange, symbol`)).map((r) => ({
    exchange: String(r.exchange),
    symbol: String(r.symbol),
    quote: splitSymbol(String(r.symbol))?.quote ?? '',
    base: splitSymbol(String(r.symbol))?.base ?? '',
  }));
  await conn.run(`CREATE OR REPLACE TEMP TABLE paper_markets (exchange VARCHAR, symbol VARCHAR, base VARCHAR, quote VARCHAR)`);
  for (const m of markets) await conn.run(`INSERT INTO paper_markets VALUES (${sqlStr(m.exchange)}, ${sqlStr(m.symbol)}, ${sqlStr(m.base)}, ${sqlStr(m.quote)})`);

  // PnL: per market, cumulative quote cash and base position after each fill; marked at the mid of each bucket
  let pnl: PaperReportData['pnl'] = { times: [], series: [] };
  if (first !== null && markets.length > 0) {
    const flows = `
      SELECT f.exchange, f.symbol, m.quote, f.recv_ns, f.seq,
        (CASE WHEN f.side = 'buy' THEN f.amount ELSE -f.amount END) - (CASE WHEN upper(f.fee_currency) = upper(m.base) THEN f.fee ELSE 0 END) AS d_base,
        (CASE WHEN f.side = 'buy' THEN -f.price * f.amount ELSE f.price * f.amount END) - (CASE WHEN upper(f.fee_currency) = upper(m.quote) THEN f.fee ELSE 0 END) AS d_quote
      FROM paper_fills f JOIN paper_markets m USING (exchange, symbol)`;
    const r = await rows(
      conn,
      `WITH fl AS (${flows}),
            cum AS (SELECT exchange, symbol, quote, recv_ns, sum(d_base) OVER w AS pos, sum(d_quote) OVER w AS cash
                    FROM fl WINDOW w AS (PARTITION BY exchange, symbol ORDER BY recv_ns, seq ROWS UNBOUNDED PRECEDING)),
            grid AS (SELECT t FROM range(${first - (first % step)}, ${last! + step}, ${step}) g(t)),
            mk AS (SELECT DISTINCT exchange, symbol, quote FROM fl),
            pts AS (SELECT g.t, mk.exchange, mk.symbol, mk.quote FROM grid g, mk),
            withpos AS (SELECT p.*, c.pos, c.cash FROM pts p ASOF LEFT JOIN cum c ON p.exchange = c.exchange AND p.symbol = c.symbol AND p.t >= c.recv_ns),
            marked AS (SELECT w.*, s.mid FROM withpos w ASOF LEFT JOIN spread s ON w.exchange = s.exchange AND w.symbol = s.symbol AND w.t >= s.recv_ns)
       SELECT t, quote, CAST(sum((coalesce(cash, 0) + coalesce(pos, 0) * coalesce(mid, 0))::DECIMAL(38,12)) AS DOUBLE) AS pnl FROM marked GROUP BY t, quote ORDER BY t, quote`,
    );
    const times = [...new Set(r.map((x) => Number(x.t) / 1e9))];
    const quotes = [...new Set(r.map((x) => String(x.quote)))].sort();
    const idx = new Map(times.map((t, i) => [t, i]));
    pnl = {
      times,
      series: quotes.map((q) => {
        const values = new Array<number | null>(times.length).fill(null);
        for (const x of r) if (String(x.quote) === q) values[idx.get(Number(x.t) / 1e9)!] = num(x.pnl);
        return { name: `PnL (${q})`, values };
      }),
    };
  }

  // fills against the market: the most-filled market's mid per bucket and its fills
  const focus = markets[0] ? { exchange: markets[0].exchange, symbol: markets[0].symbol } : null;
  let market: PaperReportData['market'] = { times: [], mid: [], buys: [], sells: [] };
  if (focus && first !== null) {
    const where = `exchange = ${sqlStr(focus.exchange)} AND symbol = ${sqlStr(focus.symbol)}`;
    const mids = await rows(conn, `SELECT (recv_ns // ${step}) * ${step} AS t, avg(mid::DECIMAL(38,12)) AS mid FROM spread WHERE ${where} AND recv_ns BETWEEN ${first - step} AND ${last! + step} GROUP BY 1 ORDER BY 1`);
    const fills = await rows(conn, `SELECT recv_ns, side, price FROM paper_fills WHERE ${where} ORDER BY recv_ns, seq`);
    const points = [
      ...mids.map((m) => ({ t: Number(m.t) / 1e9, mid: num(m.mid), buy: null as number | null, sell: null as number | null })),
      ...fills.map((f) => ({ t: Number(f.recv_ns) / 1e9, mid: null, buy: f.side === 'buy' ? num(f.price) : null, sell: f.side === 'sell' ? num(f.price) : null })),
    ].sort((a, b) => a.t - b.t);
    market = { times: points.map((p) => p.t), mid: points.map((p) => p.mid), buys: points.map((p) => p.buy), sells: points.map((p) => p.sell) };
  }

  // arrival of each order (its first row) and the engine acting on it (its second)
  const arrivals = `SELECT exchange, order_id, symbol, min(recv_ns) AS arrival_ns, list(recv_ns ORDER BY seq)[2] AS acted_ns FROM paper_orders GROUP BY exchange, order_id, symbol`;
  const slipRows = `
    WITH a AS (${arrivals}),
         f AS (SELECT f.*, a.arrival_ns FROM paper_fills f JOIN a USING (exchange, order_id)),
         m AS (SELECT f.*, s.mid FROM f ASOF LEFT JOIN spread s ON f.exchange = s.exchange AND f.symbol = s.symbol AND f.arrival_ns >= s.recv_ns)
    SELECT *, (price - mid) / mid * 10000 * (CASE WHEN side = 'buy' THEN 1 ELSE -1 END) AS slip_bps FROM m`;
  const slippage = (await rows(conn, `WITH s AS (${slipRows}) SELECT round(slip_bps, 1) AS bps, count(*) AS n FROM s WHERE slip_bps IS NOT NULL GROUP BY 1 ORDER BY 1`)).map((r) => ({ bps: Number(r.bps), n: Number(r.n) }));
  const latency = (await rows(conn, `WITH a AS (${arrivals}) SELECT round((acted_ns - arrival_ns) / 1e6, 3) AS ms, count(*) AS n FROM a WHERE acted_ns IS NOT NULL GROUP BY 1 ORDER BY 1`)).map((r) => ({ ms: Number(r.ms), n: Number(r.n) }));

  const tables: PaperReportData['tables'] = {
    Orders: await table(
      conn,
      `WITH last AS (SELECT exchange, order_id, arg_max(status, seq) AS status, arg_max(filled_amount_str, seq) AS filled FROM paper_orders GROUP BY ALL)
       SELECT o.exchange, o.symbol, count(DISTINCT o.order_id) AS orders, count(DISTINCT o.order_id) FILTER (WHERE l.filled IS NOT NULL AND l.filled <> '0') AS with_fills
       FROM paper_orders o JOIN last l USING (exchange, order_id) GROUP BY ALL ORDER BY 1, 2`,
    ),
    Fills: await table(
      conn,
      `SELECT exchange, symbol, count(*) AS fills, round(sum(amount), 8) AS volume, round(sum(price * amount), 8) AS notional,
              round(sum(price * amount) / nullif(sum(amount), 0), 8) AS vwap, count(*) FILTER (WHERE liquidity = 'maker') AS maker, count(*) FILTER (WHERE liquidity = 'taker') AS taker,
              string_agg(DISTINCT fee_currency, ',') AS fee_currency, round(sum(fee), 10) AS fees
       FROM paper_fills GROUP BY ALL ORDER BY 1, 2`,
    ),
    'PnL at the end': {
      columns: ['currency', 'pnl'],
      rows: pnl.series.map((s) => [s.name.replace(/^PnL \((.*)\)$/, '$1'), [...s.values].reverse().find((v) => v !== null) ?? null]),
    },
    'Slippage (bps, against the mid when the order arrived)': await table(
      conn,
      `WITH s AS (${slipRows}) SELECT exchange, symbol, side, liquidity, count(*) AS fills, round(avg(slip_bps), 3) AS mean_bps, round(min(slip_bps), 3) AS min_bps, round(max(slip_bps), 3) AS max_bps
       FROM s GROUP BY ALL ORDER BY 1, 2, 3, 4`,
    ),
    'Latency (order-in, ms)': await table(
      conn,
      `WITH a AS (${arrivals}) SELECT exchange, count(*) AS orders, round(quantile_cont((acted_ns - arrival_ns) / 1e6, 0.5), 3) AS p50, round(max((acted_ns - arrival_ns) / 1e6), 3) AS max FROM a WHERE acted_ns IS NOT NULL GROUP BY 1 ORDER BY 1`,
    ),
    'Balances at the end': await table(conn, `SELECT exchange, currency, arg_max(available_str, seq) AS available, arg_max(frozen_str, seq) AS frozen, arg_max(total_str, seq) AS total FROM paper_balances GROUP BY ALL ORDER BY 1, 2`),
    'Fills (first 500)': await table(conn, `SELECT exchange, symbol, tt_ts(recv_ns) AS time, order_id, side, price_str AS price, amount_str AS amount, fee_str AS fee, fee_currency, liquidity FROM paper_fills ORDER BY recv_ns, seq LIMIT 500`),
  };

  return {
    generatedAt: new Date().toISOString(),
    folder,
    dataDir,
    session,
    manifest,
    span: first !== null && last !== null ? { firstNs: String(first), lastNs: String(last) } : null,
    pnl,
    focus,
    market,
    slippage,
    latency,
    tables,
  };
}
