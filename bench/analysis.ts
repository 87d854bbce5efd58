/**
 * Analysis query times on a generated dataset of BENCH_TRADES trades and BENCH_BOOK_ROWS book rows
 * (bench/analysis-dataset.ts; generated once into the temp folder and reused): bars at 1 s and
 * 1 min, the spread series and the spread script, book_at, latency, the quality report, and the HTML
 * report's generation. Results are materialized into a temp table (so no column is optimized away
 * and no time goes into converting rows to JavaScript). Each figure is the median of RUNS runs after
 * one warm-up run (page cache, DuckDB code paths).
 */
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { openAnalysis, type AnalysisTape } from '../analysis/open.js';
import { runScript } from '../analysis/scripts.js';
import { writeReport } from '../analysis/report/index.js';
import { BENCH_BOOK_ROWS, BENCH_TRADES, ensureBenchDataset } from './analysis-dataset.js';
import type { BenchResult } from './types.js';

const RUNS = 3;
/** Where the dataset is kept between runs (about 300 MB); TICKTAPE_BENCH_ANALYSIS_DIR overrides. */
const DATA_DIR = process.env.TICKTAPE_BENCH_ANALYSIS_DIR ?? path.join(os.tmpdir(), 'ticktape-bench-analysis');

/** Median wall time and the CPU time of that run (DuckDB's threads run in this process, so
 * process.cpuUsage counts them; CPU time is the steadier figure on a shared machine). */
interface Timing {
  wallMs: number;
  cpuMs: number;
}

async function timeMs(fn: () => Promise<unknown>, runs = RUNS): Promise<Timing> {
  await fn();
  const times: Timing[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await fn();
    const c = process.cpuUsage(c0);
    times.push({ wallMs: Number(process.hrtime.bigint() - t0) / 1e6, cpuMs: (c.user + c.system) / 1000 });
  }
  times.sort((a, b) => a.wallMs - b.wallMs);
  return times[Math.floor(times.length / 2)];
}

const cpuNote = (t: Timing) => `CPU ${Math.round(t.cpuMs)} ms`;

async function materialize(tape: AnalysisTape, sql: string): Promise<number> {
  await tape.conn.run(`CREATE OR REPLACE TEMP TABLE bench_out AS ${sql}`);
  const r = await tape.conn.runAndReadAll('SELECT count(*) FROM bench_out');
  return Number(r.getRows()[0][0]);
}

export async function run(): Promise<BenchResult[]> {
  const ds = await ensureBenchDataset(DATA_DIR, (s) => process.stderr.write(`  ${s}\n`));
  const out: BenchResult[] = [];
  if (ds.generatedMs !== null) out.push({ name: 'dataset generation (DuckDB COPY)', value: Math.round(ds.generatedMs / 1000), unit: 's', note: `${BENCH_TRADES} trades, ${BENCH_BOOK_ROWS} book rows, raw frames` });
  const t0 = process.hrtime.bigint();
  const tape = await openAnalysis(DATA_DIR, { includeJournal: false });
  out.push({ name: 'open (file list, views)', value: Math.round(Number(process.hrtime.bigint() - t0) / 1e6), unit: 'ms', note: `${tape.files.length} files` });
  try {
    let rows = 0;
    const add = async (name: string, sql: string, note: string, runs = RUNS) => {
      const t = await timeMs(async () => (rows = await materialize(tape, sql)), runs);
      out.push({ name, value: Math.round(t.wallMs), unit: 'ms', note: `${note}; ${rows} rows out; ${cpuNote(t)}` });
    };
    await add('bars 1 min, all trades', `SELECT * FROM bars('1 minute')`, `${BENCH_TRADES} trades`);
    await add('bars 1 s, all trades', `SELECT * FROM bars('1 second')`, `${BENCH_TRADES} trades`);
    await add(
      'bars 1 min, one symbol, one day',
      `SELECT * FROM bars('1 minute', ex := 'coinstore', sym := 'BTCUSDT', from_ns := ${ds.startNs + 86_400_000_000_000n}, to_ns := ${ds.startNs + 2n * 86_400_000_000_000n})`,
      'pruned by date and row group',
    );
    await add('spread series (per book message)', `SELECT * FROM spread`, `${BENCH_BOOK_ROWS} book rows`);
    const spreadMs = await timeMs(async () => {
      const r = await runScript(tape.conn, 'spread', { interval: '1 minute' });
      rows = r.getRows().length;
    });
    out.push({ name: 'spread script, 1 min buckets', value: Math.round(spreadMs.wallMs), unit: 'ms', note: `${rows} rows out; ${cpuNote(spreadMs)}` });
    // book_at at five instants spread over the data.
    const instants = [1, 2, 3, 4, 5].map((k) => ds.startNs + ((ds.endNs - ds.startNs) * BigInt(k)) / 6n);
    let bookRows = 0;
    const bookMs = await timeMs(async () => {
      for (const t of instants) bookRows = (await tape.conn.runAndReadAll(`SELECT * FROM book_at_ns('coinceres', 'ETHUSDT', ${t})`)).getRows().length;
    });
    out.push({ name: 'book_at (one instant)', value: Math.round(bookMs.wallMs / instants.length), unit: 'ms', note: `mean of ${instants.length} instants; ${bookRows} levels; CPU ${Math.round(bookMs.cpuMs / instants.length)} ms` });
    await add('latency percentiles per stream', `SELECT * FROM latency`, 'trades and book');
    await add('quality report', `SELECT * FROM quality`, 'raw frames, gaps, trade ids', 1);
    const reportPath = path.join(os.tmpdir(), `ticktape-bench-report-${process.pid}.html`);
    let bytes = 0;
    const reportMs = await timeMs(async () => {
      bytes = (await writeReport(tape.conn, DATA_DIR, reportPath, { exchange: null, symbol: null })).bytes;
    }, 1);
    fs.rmSync(reportPath, { force: true });
    out.push({ name: 'HTML report generation', value: Math.round(reportMs.wallMs), unit: 'ms', note: `${Math.round(bytes / 1024)} KiB, all charts and tables; ${cpuNote(reportMs)}` });
  } finally {
    tape.close();
  }
  return out;
}
