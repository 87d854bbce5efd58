/**
 * `ticktape seal`: recover what dead writers left, seal closed journal segments, optionally compact
 * — the library's `Store.seal()` (api/store.ts), its options validated by the same schema
 * (store/seal/options-schema.ts) and named as flags. A bucket (`--data s3://…`) is compacted in place
 * (`--compact` needed).
 */
import type { Command } from 'commander';
import { createLogger } from '../../core/log.js';
import { EXIT } from '../../core/errors.js';
import { openTapeStore, type BucketSealReport, type FolderSealReport, type StoreSealReport } from '../../api/store.js';
import { COMPACT_ZSTD_LEVEL, RAW_COMPACT_ZSTD_LEVEL, parseSealOptions } from '../../store/seal/index.js';
import { DEFAULT_DATA_DIR } from '../options.js';
import { addStoreOptions } from '../data-source.js';
import { storeArgsOf } from '../../store/open-data-arg.js';

export function registerSeal(program: Command): void {
  addStoreOptions(program.command('seal'))
    .description('Seal closed journal segments into Parquet partitions (recovering segments a dead recorder left open first)')
    .option('--data <dir>', 'data folder, or s3://bucket/prefix with --compact (compaction in the bucket)', DEFAULT_DATA_DIR)
    .option('--compact', "then merge each finished day's files into one file per instance (days before today, UTC)")
    .option('--compact-today', 'with --compact: include today (rewritten again at each later compaction)')
    .option('--zstd-level <n>', `with --compact: zstd level 1-22 of the day files (default ${RAW_COMPACT_ZSTD_LEVEL} for raw, ${COMPACT_ZSTD_LEVEL} for the other tables; higher is smaller and slower)`)
    .option('--instance <id>', 'only this recorder instance')
    .addHelpText(
      'after',
      `
The recorder seals on its own (hourly and at shutdown); run this after a crash, or on a copy of a data folder.
Examples:
  ticktape seal --data ./data
  ticktape seal --data ./data --compact
  ticktape seal --data ./data --compact --zstd-level 19   # archive: about 25% smaller day files, 15-30x the CPU of level 9`,
    )
    .action(async (raw: { data: string; cacheGb?: number; config?: string }) => {
      const { data, cacheGb, config, ...flags } = raw;
      // the flags checked before the store is reached
      parseSealOptions(flags, 'flag');
      const store = await openTapeStore(data, storeArgsOf(raw));
      let report: StoreSealReport;
      try {
        report = await store.sealAs({ ...flags, log: createLogger('seal') }, 'flag');
      } finally {
        store.close();
      }
      if ('url' in report) process.stdout.write(bucketLines(report).join('\n') + '\n');
      else {
        process.stdout.write(folderLines(report).join('\n') + '\n');
        process.exitCode = folderExit(report);
      }
    });
}

function folderLines({ recovered, sealed, compacted }: FolderSealReport): string[] {
  const lines = [`Sealed ${sealed.segments.length} segment(s): ${sealed.records} records into ${sealed.files} file(s).`];
  if (recovered.length) lines.push(`Recovered ${recovered.length} open segment(s) left by a stopped recorder.`);
  for (const s of sealed.segments) {
    const n = s.normalize;
    if (n.failedFrames || n.missingExchanges.length) lines.push(`  ${s.segment}: ${n.failedFrames} frame(s) not normalized${n.missingExchanges.length ? `, no normalizer for ${n.missingExchanges.join(', ')}` : ''} (raw kept)`);
  }
  for (const b of sealed.busyInstances) lines.push(`  instance ${b}: another seal is running, skipped`);
  for (const f of sealed.failures) lines.push(`  FAILED ${f.instance}/${f.segment}: ${f.error}`);
  if (compacted) {
    const merged = compacted.filter((r) => r.output);
    lines.push(`Compacted ${merged.length} day partition(s) (${merged.reduce((a, r) => a + r.inputs.length, 0)} files merged).`);
    for (const r of compacted) if (r.error) lines.push(`  NOT COMPACTED ${r.table}/${r.exchange}/${r.date}: ${r.error.message}`);
  }
  return lines;
}

/** A segment that failed to seal or a day that failed to compact: 1; a damaged input of a compaction: 3. */
function folderExit({ sealed, compacted }: FolderSealReport): number {
  if (sealed.failures.length) return EXIT.FAILURE;
  if (compacted?.some((r) => r.error?.code === 'TT_PARTITION_DAMAGED')) return EXIT.DAMAGE;
  if (compacted?.some((r) => r.error)) return EXIT.FAILURE;
  return EXIT.OK;
}

/** `seal --compact --data s3://…`: one day file per table, exchange, day and instance; inputs are deleted by a later run after their grace period. */
function bucketLines({ url, compacted }: BucketSealReport): string[] {
  const merged = compacted.filter((r) => r.output);
  const lines = [`Compacted ${merged.length} day file(s) in ${url} (${merged.reduce((a, r) => a + r.inputs.length, 0)} files merged; inputs are deleted by a later run after the grace period).`];
  const deleted = compacted.reduce((a, r) => a + r.deleted, 0);
  if (deleted) lines.push(`Deleted ${deleted} retired input(s) whose grace period was over.`);
  for (const r of compacted) if (r.busy) lines.push(`  ${r.table}/${r.exchange || 'no-exchange'}/${r.date}: another compactor holds its lease, skipped`);
  return lines;
}
