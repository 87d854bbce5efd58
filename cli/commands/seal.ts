/**
 * `ticktape seal`: recover what dead writers left, seal closed journal segments, optionally compact
 * — the library's `Store.seal()` (api/store.ts), its options validated by the same schema
 * (store/seal/options-schema.ts) and named as flags. A bucket (`--data s3://…`) is compacted in place.
 */
import type { Command } from 'commander';
import { createLogger } from '../../core/log.js';
import { EXIT, TicktapeError } from '../../core/errors.js';
import { openStore } from '../../api/store.js';
import { COMPACT_ZSTD_LEVEL, RAW_COMPACT_ZSTD_LEVEL, parseSealOptions, type SealCommandOptions } from '../../store/seal/index.js';
import { DEFAULT_DATA_DIR } from '../options.js';
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
      const opts = parseSealOptions(flags, 'flag');
      if (isStoreUrl(data)) {
        await compactInBucket(data, opts, { cacheGb, config });
        return;
      }
      const store = await openStore(data);
      let report: Awaited<ReturnType<typeof store.seal>>;
      try {
        report = await store.seal({ ...opts, log: createLogger('seal') });
      } finally {
        store.close();
      }
      const { recovered, sealed, compacted } = report;
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
        if (compacted.some((r) => r.error?.code === 'TT_PARTITION_DAMAGED')) process.exitCode = EXIT.DAMAGE;
        else if (compacted.some((r) => r.error)) process.exitCode = EXIT.FAILURE;
      }
      process.stdout.write(lines.join('\n') + '\n');
      if (sealed.failures.length) process.exitCode = EXIT.FAILURE;
    });
}

/**
 * `seal --compact --data s3://…`: one day file per table, exchange, day and instance in the bucket,
 * under each day's lease; inputs are deleted by a later run once their grace period is over.
 */
async function compactInBucket(data: string, opts: SealCommandOptions, source: { cacheGb?: number; config?: string }): Promise<void> {
  if (!opts.compact) {
    throw new TicktapeError('TT_CONFIG_INVALID', `A bucket holds sealed files only, there is nothing to seal there: add --compact to compact it (ticktape seal --compact --data ${data}).`, { field: '--data' });
  }
  const log = createLogger('seal');
  const store = openRemoteStore(resolveStoreConfig(data, storeSectionOf(source.config)));
  try {
    const today = new Date().toISOString().slice(0, 10);
    const res = await compactBucket(store, { instance: opts.instance, beforeDate: opts.compactToday ? undefined : today, zstdLevel: opts.zstdLevel, cacheGb: source.cacheGb, log });
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
