/**
 * A DuckDB connection for analysis: the base views over sealed partitions and unsealed journals
 * (store/duck openTape) plus the derived views and macros (views.sql), and a progress line on a
 * TTY for long queries (DuckDB's own query progress, polled).
 */
import { openTape, type Tape } from '../store/duck/index.js';
import { installAnalysisViews } from './views.js';

/** How often the progress line is redrawn, and after how long a query first shows it. */
const PROGRESS_INTERVAL_MS = 200;
const PROGRESS_AFTER_MS = 500;

export interface AnalysisTape extends Tape {
  /** Runs `fn`, showing DuckDB's progress on stderr while it lasts (when enabled). */
  withProgress<T>(fn: () => Promise<T>): Promise<T>;
}

export async function openAnalysis(dataDir: string, opts: { includeJournal?: boolean; progress?: boolean } = {}): Promise<AnalysisTape> {
  const tape = await openTape(dataDir, { includeJournal: opts.includeJournal });
  try {
    await installAnalysisViews(tape.conn);
  } catch (err) {
    tape.close();
    throw err;
  }
  if (opts.progress) {
    // DuckDB only tracks a query's progress with its progress bar on; its own printing stays off
    // (this process draws the line on stderr).
    await tape.conn.run('SET enable_progress_bar = true');
    await tape.conn.run('SET enable_progress_bar_print = false');
  }
  return Object.assign(tape, {
    async withProgress<T>(fn: () => Promise<T>): Promise<T> {
      if (!opts.progress) return fn();
      const started = Date.now();
      let shown = false;
      const timer = setInterval(() => {
        if (Date.now() - started < PROGRESS_AFTER_MS) return;
        const p = tape.conn.progress;
        const pct = p.percentage >= 0 ? `${p.percentage.toFixed(0)}%` : '…';
        process.stderr.write(`\r\x1b[2Kquery ${pct}  ${((Date.now() - started) / 1000).toFixed(1)} s  ${p.rows_processed} rows`);
        shown = true;
      }, PROGRESS_INTERVAL_MS);
      try {
        return await fn();
      } finally {
        clearInterval(timer);
        if (shown) process.stderr.write('\r\x1b[2K');
      }
    },
  });
}
