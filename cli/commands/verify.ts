/**
 * `ticktape verify`: checks every sealed partition and journal segment; exit 3 on damage. It is the
 * library's `Store.verify()` (api/store.ts): a data folder, or a bucket checked against its manifests.
 */
import type { Command } from 'commander';
import { EXIT } from '../../core/errors.js';
import { openTapeStore, type StoreVerifyReport } from '../../api/store.js';
import { DEFAULT_DATA_DIR } from '../options.js';
import { addStoreOptions, DATA_HELP } from '../data-source.js';
import { storeArgsOf } from '../../store/open-data-arg.js';

function render(report: StoreVerifyReport): string {
  const lines = [
    `Sealed files: ${report.files} (${report.rows} rows)`,
    `Journal segments: ${report.segments} (${report.records} records)`,
    ...('url' in report ? [`Instances in ${report.url}: ${report.instances.map((i) => `${i.instance} (${i.files} files, ${i.firstDate}..${i.lastDate})`).join(', ') || 'none'}`] : []),
    ...report.findings.map((f) => `${f.severity === 'damage' ? 'DAMAGE' : 'note  '}  ${f.path}: ${f.message}`),
    report.damaged ? `Damage found in ${new Set(report.findings.filter((f) => f.severity === 'damage').map((f) => f.path)).size} file(s).` : 'OK: no damage found.',
  ];
  return lines.join('\n') + '\n';
}

export function registerVerify(program: Command): void {
  const cmd = program
    .command('verify')
    .description('Check every sealed partition (readable, metadata, row counts, sequence ranges, checksum, schema version) and every journal segment (CRC)')
    .option('--data <dir>', DATA_HELP, DEFAULT_DATA_DIR)
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      '\nWith --data s3://…: every committed object is read from the bucket (into the cache) and checked against its manifest, then as above; objects no manifest lists are noted.\nExit codes: 0 clean, 3 damage found (listed on stdout).',
    );
  addStoreOptions(cmd).action(async (opts: { data: string; json?: boolean; cacheGb?: number; config?: string }) => {
    const store = await openTapeStore(opts.data, storeArgsOf(opts));
    let report: StoreVerifyReport;
    try {
      report = await store.verify();
    } finally {
      store.close();
    }
    process.stdout.write(opts.json ? JSON.stringify(report, null, 2) + '\n' : render(report));
    process.exitCode = report.damaged ? EXIT.DAMAGE : EXIT.OK;
  });
}
