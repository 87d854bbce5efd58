/** `ticktape seal`: recover what dead writers left, seal closed journal segments, optionally compact. */
import { InvalidArgumentError, type Command } from 'commander';
import { createLogger } from '../../core/log.js';
import { EXIT, TicktapeError } from '../../core/errors.js';
import { safeInstanceId } from '../../core/safe-path.js';
import { compactAll, compactZstdLevel } from '../../store/seal/compact.js';
import { COMPACT_ZSTD_LEVEL } from '../../store/seal/parquet-file.js';
import { recoverDeadSegments } from '../../store/seal/recover-dead.js';
import { sealClosedSegments } from '../../store/seal/sealer.js';
import { DEFAULT_DATA_DIR, existingDataDir } from '../options.js';
import { addStoreOptions } from '../data-source.js';
import { storeSectionOf } from '../../store/open-data-arg.js';
import { compactBucket } from '../../store/remote/compact-remote.js';
import { openRemoteStore } from '../../store/remote/s3-client.js';
import { resolveStoreConfig } from '../../store/remote/store-config.js';
import { isStoreUrl } from '../../store/remote/store-url.js';

export function registerSeal(program: Command): void {
  addStoreOptions(program.command('seal'))
    .description('Seal closed journal segments into Parquet partitions (recovering segments a dead recorder left open first)')
    .option('--data <dir>', 'data folder, or s3://bucket/prefix with --compact (compaction in the bucket)', DEFAULT_DATA_DIR)
    .option('--compact', "then merge each finished day's files into one file per instance (days before today, UTC)")
    .option('--compact-today', 'with --compact: include today (rewritten again at each later compaction)')
    .option('--zstd-level <n>', `with --compact: zstd level 1-22 of the day files (default ${COMPACT_ZSTD_LEVEL}; higher is smaller and slower)`, (v: string) => {
      try {
        return compactZstdLevel(v, '--zstd-level');
      } catch (err) {
        throw new InvalidArgumentError((err as Error).message);
      }
    })
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
    .action(async (opts: { data: string; compact?: boolean; compactToday?: boolean; zstdLevel?: number; instance?: string; cacheGb?: number; config?: string }) => {
      if (opts.zstdLevel !== undefined && !opts.compact) {
        throw new TicktapeError('TT_CONFIG_INVALID', '--zstd-level sets the level of compaction: add --compact (ticktape seal --compact --zstd-level N).', { field: '--zstd-level' });
      }
      if (isStoreUrl(opts.data)) {
        await compactInBucket(opts);
        return;
      }
      const dataDir = existingDataDir(opts.data);
      // The id names a folder under journal/: a value like ../x would read and write outside the data folder.
      if (opts.instance !== undefined) safeInstanceId(opts.instance, '--instance');
      const log = createLogger('seal');
      const recovered = recoverDeadSegments(dataDir);
      for (const r of recovered) log.info({ segment: r.closedAs, records: r.report.records, truncated: r.report.truncated, quarantined: r.report.quarantined }, 'recovered open segment of a dead recorder');
      const report = await sealClosedSegments(dataDir, { instance: opts.instance, log });
      const lines = [`Sealed ${report.segments.length} segment(s): ${report.records} records into ${report.files} file(s).`];
      if (recovered.length) lines.push(`Recovered ${recovered.length} open segment(s) left by a stopped recorder.`);
      for (const s of report.segments) {
        const n = s.normalize;
        if (n.failedFrames || n.missingExchanges.length) lines.push(`  ${s.segment}: ${n.failedFrames} frame(s) not normalized${n.missingExchanges.length ? `, no normalizer for ${n.missingExchanges.join(', ')}` : ''} (raw kept)`);
      }
      for (const b of report.busyInstances) lines.push(`  instance ${b}: another seal is running, skipped`);
      for (const f of report.failures) lines.push(`  FAILED ${f.instance}/${f.segment}: ${f.error}`);
      if (opts.compact) {
        const today = new Date().toISOString().slice(0, 10);
        const res = await compactAll(dataDir, { instance: opts.instance, beforeDate: opts.compactToday ? undefined : today, zstdLevel: opts.zstdLevel });
        const merged = res.filter((r) => r.output);
        lines.push(`Compacted ${merged.length} day partition(s) (${merged.reduce((a, r) => a + r.inputs.length, 0)} files merged).`);
        for (const r of res) if (r.error) lines.push(`  NOT COMPACTED ${r.table}/${r.exchange}/${r.date}: ${r.error.message}`);
        if (res.some((r) => r.error?.code === 'TT_PARTITION_DAMAGED')) process.exitCode = EXIT.DAMAGE;
        else if (res.some((r) => r.error)) process.exitCode = EXIT.FAILURE;
      }
      process.stdout.write(lines.join('\n') + '\n');
      if (report.failures.length) process.exitCode = EXIT.FAILURE;
    });
}

/**
 * `seal --compact --data s3://…`: one day file per table, exchange, day and instance in the bucket,
 * under each day's lease; inputs are deleted by a later run once their grace period is over.
 */
async function compactInBucket(opts: { data: string; compact?: boolean; compactToday?: boolean; zstdLevel?: number; instance?: string; cacheGb?: number; config?: string }): Promise<void> {
  if (!opts.compact) {
    throw new TicktapeError('TT_CONFIG_INVALID', `A bucket holds sealed files only, there is nothing to seal there: add --compact to compact it (ticktape seal --compact --data ${opts.data}).`, { field: '--data' });
  }
  if (opts.instance !== undefined) safeInstanceId(opts.instance, '--instance');
  const log = createLogger('seal');
  const store = openRemoteStore(resolveStoreConfig(opts.data, storeSectionOf(opts.config)));
  try {
    const today = new Date().toISOString().slice(0, 10);
    const res = await compactBucket(store, { instance: opts.instance, beforeDate: opts.compactToday ? undefined : today, zstdLevel: opts.zstdLevel, cacheGb: opts.cacheGb, log });
    const merged = res.filter((r) => r.output);
    const lines = [`Compacted ${merged.length} day file(s) in ${store.cfg.url} (${merged.reduce((a, r) => a + r.inputs.length, 0)} files merged; inputs are deleted by a later run after the grace period).`];
    const deleted = res.reduce((a, r) => a + r.deleted, 0);
    if (deleted) lines.push(`Deleted ${deleted} retired input(s) whose grace period was over.`);
    for (const r of res) if (r.busy) lines.push(`  ${r.table}/${r.exchange || 'no-exchange'}/${r.date}: another compactor holds its lease, skipped`);
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    store.close();
  }
}
