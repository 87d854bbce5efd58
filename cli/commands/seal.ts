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

export function registerSeal(program: Command): void {
  program
    .command('seal')
    .description('Seal closed journal segments into Parquet partitions (recovering segments a dead recorder left open first)')
    .option('--data <dir>', 'data folder', DEFAULT_DATA_DIR)
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
    .action(async (opts: { data: string; compact?: boolean; compactToday?: boolean; zstdLevel?: number; instance?: string }) => {
      if (opts.zstdLevel !== undefined && !opts.compact) {
        throw new TicktapeError('TT_CONFIG_INVALID', '--zstd-level sets the level of compaction: add --compact (ticktape seal --compact --zstd-level N).', { field: '--zstd-level' });
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
