/** The report's data: each chart and table is one query over the views. */
import type { DuckDBConnection } from '@duckdb/node-api';
import { symbolMatchSql } from '../../core/symbols.js';

export interface ReportFilter {
  exchange: string | null;
  symbol: string | null;
}

export interface ReportData {
  generatedAt: string;
  dataDir: string;
  focus: { exchange: string; symbol: string } | null;
  span: { firstNs: string; lastNs: string } | null;
  barInterval: string;
  /** The bar interval for people: '1 s', '5 min', '4 h', '1 day'. */
  barLabel: string;
  bars: Array<{ t: number; open: number; high: number; low: number; close: number; volume: number; buy: number; sell: number }>;
  spread: Array<{ t: number; bps: number; mid: number }>;
  heatmap: { times: number[]; prices: number[]; cells: number[][] } | null;
  latencyHistogram: Array<{ ms: number; n: number }>;
  gaps: Array<{ exchange: string; stream: string; cause: string; start: number; end: number; detail: string | null }>;
  rates: { times: number[]; series: Array<{ name: string; values: (number | null)[] }> };
  tables: Record<string, { columns: string[]; rows: unknown[][] }>;
}

type Row = Record<string, unknown>;

async function rows(conn: DuckDBConnection, sql: string): Promise<Row[]> {
  const r = await conn.runAndReadAll(sql);
  return r.getRowObjectsJS() as Row[];
}

async function table(conn: DuckDBConnection, sql: string): Promise<{ columns: string[]; rows: unknown[][] }> {
  const r = await conn.runAndReadAll(sql);
  return { columns: r.columnNames(), rows: r.getRowsJson() as unknown[][] };
}

const lit = (v: string) => `'${v.replace(/'/g, "''")}'`;
const num = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : Number(v));
/** ms since epoch of a TIMESTAMP value as the node API returns it (Date or object with micros). */
function ms(v: unknown): number {
  if (v instanceof Date) return v.getTime();
  if (v && typeof v === 'object' && 'micros' in v) return Number((v as { micros: bigint }).micros / 1000n);
  return Number(v);
}

/** Picks an interval giving about 200-400 buckets over the span. */
function intervalLabel(seconds: number): string {
  if (seconds % 86400 === 0) return `${seconds / 86400} day`;
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

function chooseInterval(spanNs: bigint): { sql: string; seconds: number } {
  const steps = [1, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 86400];
  const spanS = Number(spanNs / 1_000_000_000n);
  const s = steps.find((x) => spanS / x <= 400) ?? 86400;
  return { sql: `${s} seconds`, seconds: s };
}

export async function collectReportData(conn: DuckDBConnection, dataDir: string, f: ReportFilter): Promise<ReportData> {
  const where = (alias = '') => [f.exchange ? `${alias}exchange = ${lit(f.exchange)}` : null, f.symbol ? symbolMatchSql(`${alias}symbol`, [f.symbol]) : null].filter(Boolean).join(' AND ') || 'true';
  const whereEx = f.exchange ? `exchange = ${lit(f.exchange)}` : 'true';

  const focusRows = await rows(conn, `SELECT exchange, symbol, count(*) AS n FROM trades WHERE ${where()} GROUP BY ALL ORDER BY n DESC, exchange, symbol LIMIT 1`);
  const focus = focusRows[0] ? { exchange: String(focusRows[0].exchange), symbol: String(focusRows[0].symbol) } : null;
  const spanRows = await rows(conn, `SELECT min(recv_ns) AS a, max(recv_ns) AS b FROM raw WHERE ${whereEx}`);
  const span = spanRows[0]?.a != null ? { firstNs: String(spanRows[0].a), lastNs: String(spanRows[0].b) } : null;
  const interval = chooseInterval(span ? BigInt(span.lastNs) - BigInt(span.firstNs) : 0n);

  const bars = focus
    ? (await rows(conn, `SELECT * FROM bars(${lit(interval.sql)}, ${lit(focus.exchange)}, ${lit(focus.symbol)})`)).map((r) => ({
        t: ms(r.ts) / 1000,
        open: num(r.open),
        high: num(r.high),
        low: num(r.low),
        close: num(r.close),
        volume: num(r.volume),
        buy: num(r.buy_volume),
        sell: num(r.sell_volume),
      }))
    : [];

  // The book to chart: the focus symbol's when it has one, else the busiest. Chosen from the book
  // table itself (a count per symbol), not from the spread view, which aggregates every message.
  const spreadFocus = (
    await rows(
      conn,
      `SELECT exchange, symbol FROM book WHERE ${where()} GROUP BY exchange, symbol
       ORDER BY ${focus ? `bool_or(exchange = ${lit(focus.exchange)} AND symbol = ${lit(focus.symbol)}) DESC, ` : ''}count(*) DESC, exchange, symbol LIMIT 1`,
    )
  )[0];
  const sx = spreadFocus ? `exchange = ${lit(String(spreadFocus.exchange))} AND symbol = ${lit(String(spreadFocus.symbol))}` : 'false';
  // Means over DECIMAL (each value rounded at 1e-12 first), as bars() sums: a DOUBLE mean depends on
  // the order DuckDB's threads add in, and the same data must give the same report.
  const spread = (
    await rows(
      conn,
      `SELECT time_bucket(INTERVAL '${interval.seconds} seconds', ts) AS t, avg(spread_bps::DECIMAL(38,12)) FILTER (WHERE NOT crossed) AS bps, avg(mid::DECIMAL(38,12)) AS mid
       FROM spread WHERE ${sx} GROUP BY 1 ORDER BY 1`,
    )
  ).map((r) => ({ t: ms(r.t) / 1000, bps: num(r.bps), mid: num(r.mid) }));

  // Depth heatmap: time buckets x price buckets of resting size, from the focus symbol's book.
  let heatmap: ReportData['heatmap'] = null;
  const range = (await rows(conn, `SELECT quantile_cont(price, 0.02) AS lo, quantile_cont(price, 0.98) AS hi FROM book WHERE ${sx}`))[0];
  if (range && range.lo != null && num(range.hi) > num(range.lo)) {
    const lo = num(range.lo);
    const hi = num(range.hi);
    const nPrice = 60;
    const step = (hi - lo) / nPrice;
    const cells = await rows(
      conn,
      `SELECT time_bucket(INTERVAL '${interval.seconds} seconds', tt_ts(recv_ns)) AS t,
              least(${nPrice - 1}, greatest(0, floor((price - ${lo}) / ${step})))::INTEGER AS p,
              avg(amount::DECIMAL(38,12)) AS a
       FROM book WHERE ${sx} AND price BETWEEN ${lo} AND ${hi} GROUP BY 1, 2 ORDER BY 1, 2`,
    );
    const times = [...new Set(cells.map((c) => ms(c.t) / 1000))].sort((a, b) => a - b);
    const idx = new Map(times.map((t, i) => [t, i]));
    const grid = times.map(() => new Array<number>(nPrice).fill(0));
    for (const c of cells) grid[idx.get(ms(c.t) / 1000)!][num(c.p)] = num(c.a);
    heatmap = { times, prices: Array.from({ length: nPrice }, (_, i) => lo + step * (i + 0.5)), cells: grid };
  }

  const latencyHistogram = (
    await rows(
      conn,
      // MATERIALIZED: the samples are computed once, not once per reference
      `WITH s AS MATERIALIZED (SELECT latency_ms FROM latency_samples WHERE ${where()}),
            p AS (SELECT quantile_cont(latency_ms, 0.99) AS p99 FROM s),
            b AS (SELECT greatest(p99 / 40, 0.001) AS w, p99 FROM p)
       SELECT floor(latency_ms / b.w) * b.w AS ms, count(*) AS n FROM s, b
       WHERE latency_ms <= b.p99 GROUP BY 1 ORDER BY 1`,
    )
  ).map((r) => ({ ms: num(r.ms), n: num(r.n) }));

  const gaps = (await rows(conn, `SELECT exchange, stream, cause, start_ns, end_ns, detail FROM gaps WHERE ${whereEx} ORDER BY start_ns LIMIT 2000`)).map((r) => ({
    exchange: String(r.exchange),
    stream: String(r.stream),
    cause: String(r.cause),
    start: num(r.start_ns) / 1e9,
    end: num(r.end_ns) / 1e9,
    detail: r.detail == null ? null : String(r.detail),
  }));

  const rateRows = await rows(
    conn,
    `SELECT exchange || ' ' || stream AS name, time_bucket(INTERVAL '${interval.seconds} seconds', tt_ts(recv_ns)) AS t, count(*) / ${interval.seconds} AS fps
     FROM raw WHERE direction = 'in' AND stream <> '' AND ${whereEx} GROUP BY 1, 2 ORDER BY 2`,
  );
  const rateTimes = [...new Set(rateRows.map((r) => ms(r.t) / 1000))].sort((a, b) => a - b);
  const tIndex = new Map(rateTimes.map((t, i) => [t, i]));
  const names = [...new Set(rateRows.map((r) => String(r.name)))].sort().slice(0, 24);
  const series = names.map((name) => ({ name, values: new Array<number | null>(rateTimes.length).fill(null) }));
  const sIndex = new Map(names.map((n, i) => [n, i]));
  for (const r of rateRows) {
    const si = sIndex.get(String(r.name));
    if (si !== undefined) series[si].values[tIndex.get(ms(r.t) / 1000)!] = num(r.fps);
  }

  const tables: ReportData['tables'] = {
    Trades: await table(
      conn,
      `SELECT exchange, symbol, count(*) AS trades, round(sum(amount), 6) AS volume, round(sum(price*amount)/nullif(sum(amount),0), 6) AS vwap, round(min(price), 6) AS low, round(max(price), 6) AS high FROM trades WHERE ${where()} GROUP BY ALL ORDER BY 1, 2`,
    ),
    'Spread (bps)': await table(
      conn,
      `SELECT exchange, symbol, count(*) AS books, round(avg(spread_bps::DECIMAL(38,12)) FILTER (WHERE NOT crossed), 3) AS mean_bps, round(min(spread_bps) FILTER (WHERE NOT crossed), 3) AS min_bps, round(max(spread_bps) FILTER (WHERE NOT crossed), 3) AS max_bps, count(*) FILTER (WHERE crossed) AS crossed FROM spread WHERE ${where()} GROUP BY ALL ORDER BY 1, 2`,
    ),
    'Latency (ms)': await table(conn, `SELECT exchange, stream, samples, round(p50_ms, 3) AS p50, round(p99_ms, 3) AS p99, round(max_ms, 3) AS max FROM latency WHERE ${whereEx} ORDER BY 1, 2`),
    Quality: await table(conn, `SELECT exchange, stream, frames, round(frames_per_s, 2) AS fps, repeated_frames, duplicate_trades, out_of_order, sequence_gaps, gaps, quiet_periods, malformed FROM quality WHERE ${whereEx} ORDER BY 1, 2`),
    Gaps: await table(conn, `SELECT exchange, stream, cause, tt_ts(start_ns) AS start, round((end_ns - start_ns) / 1e9, 3) AS seconds, lost_frames, detail FROM gaps WHERE ${whereEx} ORDER BY start_ns LIMIT 500`),
  };
  return {
    generatedAt: new Date().toISOString(),
    dataDir,
    focus,
    span,
    barInterval: interval.sql,
    barLabel: intervalLabel(interval.seconds),
    bars,
    spread,
    heatmap,
    latencyHistogram,
    gaps,
    rates: { times: rateTimes, series },
    tables,
  };
}
