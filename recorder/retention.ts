/**
 * Retention of sealed partitions: delete days older than N days, then the oldest days until the
 * sealed store is under N GB. Only sealed Parquet files are touched (never the journal), a whole
 * UTC day at a time across every table, so a day is either fully there or fully gone.
 */
import fs from 'node:fs';
import path from 'node:path';
import { listPartitionFiles, type PartitionFile } from '../store/partitions.js';

interface RetentionPolicy {
  days: number | null;
  maxGb: number | null;
}

interface RetentionResult {
  deletedFiles: number;
  deletedBytes: number;
  deletedDates: string[];
}

const GB = 1024 ** 3;

/** The dates to delete, oldest first. Pure. */
export function datesToDelete(files: readonly Pick<PartitionFile, 'date' | 'bytes'>[], policy: RetentionPolicy, todayUtc: string): string[] {
  const byDate = new Map<string, number>();
  for (const f of files) byDate.set(f.date, (byDate.get(f.date) ?? 0) + f.bytes);
  const dates = [...byDate.keys()].sort();
  const out = new Set<string>();
  if (policy.days !== null) {
    const cutoff = new Date(Date.parse(`${todayUtc}T00:00:00Z`) - policy.days * 86_400_000).toISOString().slice(0, 10);
    for (const d of dates) if (d < cutoff) out.add(d);
  }
  if (policy.maxGb !== null) {
    let total = 0;
    for (const [d, b] of byDate) if (!out.has(d)) total += b;
    // Never delete today's data for size: the recorder is writing it.
    for (const d of dates) {
      if (total <= policy.maxGb * GB || d >= todayUtc) break;
      if (out.has(d)) continue;
      out.add(d);
      total -= byDate.get(d) ?? 0;
    }
  }
  return [...out].sort();
}

export function applyRetention(dataDir: string, policy: RetentionPolicy, now: Date = new Date()): RetentionResult {
  const result: RetentionResult = { deletedFiles: 0, deletedBytes: 0, deletedDates: [] };
  if (policy.days === null && policy.maxGb === null) return result;
  const files = listPartitionFiles(dataDir);
  const dates = new Set(datesToDelete(files, policy, now.toISOString().slice(0, 10)));
  if (!dates.size) return result;
  const dirs = new Set<string>();
  for (const f of files) {
    if (!dates.has(f.date)) continue;
    fs.rmSync(f.path, { force: true });
    result.deletedFiles += 1;
    result.deletedBytes += f.bytes;
    dirs.add(path.dirname(f.path));
  }
  for (const d of dirs) {
    try {
      fs.rmdirSync(d); // only when empty
    } catch {
      /* other files (not ours) remain */
    }
  }
  result.deletedDates = [...dates];
  return result;
}
