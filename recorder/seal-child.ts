/**
 * Entry point of the sealing child process: `node seal-child.js <dataDir> <instance> [compact [zstdLevel]]`.
 * Seals the instance's closed journal segments (and compacts its earlier days when asked, writing
 * day files at zstdLevel, the recorder's `seal.compactZstdLevel`; without it each table's default), prints
 * one JSON summary line on stdout, exits 0 (1 on failure). Run by seal-runner.ts, which passes its
 * pid in PARENT_PID_ENV: the child stops within PARENT_CHECK_INTERVAL_MS once that process is gone
 * (parent-watch.ts), so a killed recorder leaves no sealer behind holding the seal lock.
 */
import { createLogger } from '../core/log.js';
import { compactDay, compactZstdLevel, sealClosedSegments } from '../store/seal/index.js';
import { listPartitionFiles } from '../store/partitions.js';
import { dieWithParent, PARENT_PID_ENV } from './parent-watch.js';

async function main(): Promise<void> {
  const [dataDir, instance, mode, level] = process.argv.slice(2);
  if (!dataDir || !instance) {
    process.stderr.write('usage: seal-child <dataDir> <instance> [compact [zstdLevel]]\n');
    process.exit(2);
  }
  // Before any work: the parent may already be gone by the time this process runs.
  const parentPid = Number(process.env[PARENT_PID_ENV]);
  dieWithParent(Number.isInteger(parentPid) && parentPid > 0 ? parentPid : process.ppid, undefined, 'seal child: the recorder is gone; stopping (what is not sealed stays in the journal)');
  const zstdLevel = compactZstdLevel(level, 'seal.compactZstdLevel');
  const log = createLogger('ticktape-seal');
  const report = await sealClosedSegments(dataDir, { instance, log });
  let compacted = 0;
  if (mode === 'compact') {
    // Today's files still grow every hour: compact only finished days, so a day is rewritten once.
    const today = new Date().toISOString().slice(0, 10);
    const days = new Map<string, { table: Parameters<typeof compactDay>[1]; exchange: string; date: string; n: number }>();
    for (const f of listPartitionFiles(dataDir)) {
      if (f.instance !== instance || f.date >= today) continue;
      const k = `${f.table}\t${f.exchange}\t${f.date}`;
      const d = days.get(k) ?? { table: f.table, exchange: f.exchange, date: f.date, n: 0 };
      d.n += 1;
      days.set(k, d);
    }
    for (const d of days.values()) {
      if (d.n < 2) continue;
      compacted += (await compactDay(dataDir, d.table, d.exchange, d.date, { instance, zstdLevel })).length;
    }
  }
  process.stdout.write(`${JSON.stringify({ segments: report.segments.length, records: report.records, files: report.files, failures: report.failures, busy: report.busyInstances, compacted })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${JSON.stringify({ level: 50, msg: 'seal failed', err: String((err as Error)?.stack ?? err) })}\n`);
  process.exit(1);
});
