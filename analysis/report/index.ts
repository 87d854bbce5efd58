/** `ticktape report`: one self-contained HTML file of charts and summary tables over a data folder. */
import { writeFileSync, renameSync } from 'node:fs';
import type { DuckDBConnection } from '@duckdb/node-api';
import { collectReportData, type ReportFilter } from './queries.js';
import { REPORT_CHARTS, renderReportHtml } from './page.js';
import { collectPaperData } from './paper-queries.js';
import { PAPER_REPORT_CHARTS, renderPaperHtml } from './paper-page.js';

export { readPaperManifest } from './paper-queries.js';

export async function writeReport(conn: DuckDBConnection, dataDir: string, outPath: string, filter: ReportFilter): Promise<{ bytes: number; charts: number }> {
  const data = await collectReportData(conn, dataDir, filter);
  const html = renderReportHtml(data);
  const tmp = `${outPath}.tmp-${process.pid}`;
  writeFileSync(tmp, html);
  renameSync(tmp, outPath);
  return { bytes: Buffer.byteLength(html), charts: REPORT_CHARTS };
}

/** `ticktape report --paper <folder>`: a paper session's results against the recording they traded on. */
export async function writePaperReport(conn: DuckDBConnection, folder: string, dataDir: string, outPath: string): Promise<{ bytes: number; charts: number }> {
  const data = await collectPaperData(conn, folder, dataDir);
  const html = renderPaperHtml(data);
  const tmp = `${outPath}.tmp-${process.pid}`;
  writeFileSync(tmp, html);
  renameSync(tmp, outPath);
  return { bytes: Buffer.byteLength(html), charts: PAPER_REPORT_CHARTS };
}
