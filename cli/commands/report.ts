import path from 'node:path';
import type { Command } from 'commander';
import { openAnalysis } from '../../analysis/open.js';
import { writeReport } from '../../analysis/report/index.js';
import { addStoreOptions, DATA_HELP, openDataArg } from '../data-source.js';

export function registerReport(program: Command): void {
  addStoreOptions(program.command('report'))
    .description('Write one self-contained HTML report (charts and summary tables; opens without network).')
    .option('--data <dir>', DATA_HELP, './data')
    .option('--out <file>', 'HTML file to write', 'report.html')
    .option('--exchange <id>', 'only this exchange')
    .option('--symbol <symbol>', 'focus on this symbol (default: the most traded one)')
    .option('--no-journal', 'leave unsealed journals out')
    .addHelpText(
      'after',
      `
Examples:
  ticktape report --data ./data --out report.html      # prints the report's path on stdout
  ticktape report --exchange nexus --symbol BTCUSDT --out nexus.html`,
    )
    .action(async (o: Record<string, unknown>) => {
      const src = await openDataArg(o);
      const dataDir = src.dir;
      const out = path.resolve(String(o.out));
      const started = Date.now();
      let tape;
      try {
        tape = await openAnalysis(dataDir, { includeJournal: o.journal !== false, progress: process.stderr.isTTY });
      } catch (err) {
        src.close();
        throw err;
      }
      try {
        const r = await tape.withProgress(() =>
          writeReport(tape.conn, dataDir, out, { exchange: (o.exchange as string | undefined) ?? null, symbol: (o.symbol as string | undefined) ?? null }),
        );
        process.stderr.write(`report: ${r.charts} charts, ${(r.bytes / 1024).toFixed(0)} KiB in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
        process.stdout.write(`${out}\n`);
      } finally {
        tape.close();
        src.close();
      }
    });
}
