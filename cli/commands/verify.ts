/**
 * `ticktape verify`: checks every sealed partition and journal segment; exit 3 on damage. A data
 * folder is the library's `Store.verify()` (api/store.ts); a bucket is checked against its manifests.
 */
import type { Command } from 'commander';
import { EXIT } from '../../core/errors.js';
import { openStore, type VerifyReport } from '../../api/store.js';
import { DEFAULT_DATA_DIR } from '../options.js';
import { addStoreOptions, DATA_HELP } from '../data-source.js';
import { storeSectionOf } from '../../store/open-data-arg.js';
import { verifyRemoteStore, type RemoteVerifyReport } from '../../store/remote/verify-remote.js';
import { isStoreUrl } from '../../store/remote/store-url.js';

export function registerVerify(program: Command): void {
  const cmd = program
    .command('verify')
    .description('Check every sealed partition (readable, metadata, row counts, sequence ranges, checksum, schema version) and every journal segment (CRC)')
    .option('--data <dir>', DATA_HELP, DEFAULT_DATA_DIR)
    .option('--json', 'print the report as JSON')
    .addHelpText('after', '\nWith --data s3://…: every committed file is fetched (into the cache) and checked against its manifest, then as above; objects no manifest lists are noted.\nExit codes: 0 clean, 3 damage found (listed on stdout).');
  addStoreOptions(cmd).action(async (opts: { data: string; json?: boolean; cacheGb?: number; config?: string }) => {
    const report = isStoreUrl(opts.data) ? await verifyRemoteStore(opts.data, { cacheGb: opts.cacheGb, storeConfig: storeSectionOf(opts.config) }) : await verifyLocal(opts.data);
    if (opts.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    else {
      const lines = [
        `Sealed files: ${report.files} (${report.rows} rows)`,
        `Journal segments: ${report.segments} (${report.records} records)`,
        ...('instances' in report ? [`Instances in ${(report as RemoteVerifyReport).url}: ${(report as RemoteVerifyReport).instances.map((i) => `${i.instance} (${i.files} files, ${i.firstDate}..${i.lastDate})`).join(', ') || 'none'}`] : []),
        ...report.findings.map((f) => `${f.severity === 'damage' ? 'DAMAGE' : 'note  '}  ${f.path}: ${f.message}`),
        report.damaged ? `Damage found in ${new Set(report.findings.filter((f) => f.severity === 'damage').map((f) => f.path)).size} file(s).` : 'OK: no damage found.',
      ];
      process.stdout.write(lines.join('\n') + '\n');
    }
    process.exitCode = report.damaged ? EXIT.DAMAGE : EXIT.OK;
  });
}

async function verifyLocal(data: string): Promise<VerifyReport> {
  const store = await openStore(data);
  try {
    return await store.verify();
  } finally {
    store.close();
  }
}
