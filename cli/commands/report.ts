/** `ticktape report`: the HTML report (or a paper session's). Options validated by analysis/options-schema.ts. */
import path from 'node:path';
import type { Command } from 'commander';
import { openAnalysis } from '../../analysis/open.js';
import { requireFilterMatch } from '../../analysis/filter.js';
import { parseReportOptions } from '../../analysis/options-schema.js';
import { writePaperReport, writeReport } from '../../analysis/report/index.js';
import { readPaperManifest } from '../../analysis/report/index.js';
import { DEFAULT_DATA_DIR } from '../../store/open-data.js';
import { addStoreOptions, DATA_HELP } from '../data-source.js';
import { openDataArg } from '../../store/open-data-arg.js';
import { isStoreUrl } from '../../store/remote/store-url.js';

export function registerReport(program: Command): void {
  addStoreOptions(program.command('report'))
    .description('Write one self-contained HTML report (charts and summary tables; opens without network).')
    .option('--data <dir>', DATA_HELP, DEFAULT_DATA_DIR)
    .option('--out <file>', 'HTML file to write', 'report.html')
    .option('--exchange <id>', 'only this exchange (coinstore, coinsuper, nexus, coinceres)')
    .option('--symbol <symbol>', 'focus on this symbol, however written (default: the most traded one)')
    .option('--no-journal', 'leave unsealed journals out')
    .option('--paper <folder>', "a paper session's results (<paper-out>/<session>/ of `ticktape replay --paper`): PnL, fills against the market, slippage, latency; --data defaults to the recording it traded on")
    .addHelpText(
      'after',
      `
An --exchange or --symbol that selects nothing exits 4 and lists what the data holds.
Examples:
  ticktape report --data ./data --out report.html      # prints the report's path on stdout
  ticktape report --exchange nexus --symbol BTCUSDT --out nexus.html
  ticktape report --paper ./paper/bot-1 --out bot-1.html # a paper session against its recording`,
    )
    .action(async (flags: Record<string, unknown>, cmd: Command) => {
      const o = parseReportOptions(flags, 'flag');
      if (o.paper !== null) {
        const folder = path.resolve(o.paper);
        const manifest = readPaperManifest(folder);
        // the recording the session traded on, unless --data names another copy of it
        const recorded = cmd.getOptionValueSource('data') === 'cli' || typeof manifest.data !== 'string' ? o.source.data : manifest.data;
        const src = await openDataArg({ ...o.source, data: recorded });
        const out = path.resolve(o.out === 'report.html' && cmd.getOptionValueSource('out') !== 'cli' ? 'paper-report.html' : o.out);
        try {
          const tape = await openAnalysis(src.dir, { includeJournal: o.includeJournal, progress: process.stderr.isTTY });
          try {
            const r = await tape.withProgress(() => writePaperReport(tape.conn, folder, shownData(recorded, src.dir), out));
            process.stderr.write(`paper report: ${r.charts} charts, ${(r.bytes / 1024).toFixed(0)} KiB\n`);
            process.stdout.write(`${out}\n`);
          } finally {
            tape.close();
          }
        } finally {
          src.close();
        }
        return;
      }
      const src = await openDataArg(o.source);
      const dataDir = src.dir;
      const out = path.resolve(o.out);
      const started = Date.now();
      let tape;
      try {
        tape = await openAnalysis(dataDir, { includeJournal: o.includeJournal, progress: process.stderr.isTTY });
      } catch (err) {
        src.close();
        throw err;
      }
      try {
        await requireFilterMatch(tape.conn, o.filter, o.source.data);
        const r = await tape.withProgress(() => writeReport(tape.conn, shownData(o.source.data, dataDir), out, { exchange: o.filter.exchange, symbol: o.filter.symbol }));
        process.stderr.write(`report: ${r.charts} charts, ${(r.bytes / 1024).toFixed(0)} KiB in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
        process.stdout.write(`${out}\n`);
      } finally {
        tape.close();
        src.close();
      }
    });
}

/** What a report names as its data: the bucket's URL, not the cache snapshot a bucket is read through. */
function shownData(data: string, dir: string): string {
  return isStoreUrl(data) ? data : dir;
}
