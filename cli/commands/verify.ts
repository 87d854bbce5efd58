/** `ticktape verify`: checks every sealed partition and journal segment; exit 3 on damage. */
import type { Command } from 'commander';
import { EXIT } from '../../core/errors.js';
import { verifyStore } from '../../store/seal/verify-store.js';
import { DEFAULT_DATA_DIR, existingDataDir } from '../options.js';

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description('Check every sealed partition (readable, metadata, row counts, sequence ranges, checksum, schema version) and every journal segment (CRC)')
    .option('--data <dir>', 'data folder', DEFAULT_DATA_DIR)
    .option('--json', 'print the report as JSON')
    .addHelpText('after', '\nExit codes: 0 clean, 3 damage found (listed on stdout).')
    .action(async (opts: { data: string; json?: boolean }) => {
      const report = await verifyStore(existingDataDir(opts.data));
      if (opts.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
      else {
        const lines = [
          `Sealed files: ${report.files} (${report.rows} rows)`,
          `Journal segments: ${report.segments} (${report.records} records)`,
          ...report.findings.map((f) => `${f.severity === 'damage' ? 'DAMAGE' : 'note  '}  ${f.path}: ${f.message}`),
          report.damaged ? `Damage found in ${new Set(report.findings.filter((f) => f.severity === 'damage').map((f) => f.path)).size} file(s).` : 'OK: no damage found.',
        ];
        process.stdout.write(lines.join('\n') + '\n');
      }
      process.exitCode = report.damaged ? EXIT.DAMAGE : EXIT.OK;
    });
}
