/**
 * Open segments left by a dead writer: `seal` recovers them (torn tail cut, corrupt regions
 * quarantined with a gap record, by the journal's own recovery) and closes them (`.ttj.open` →
 * `.ttj`) so they can be sealed. An instance whose LOCK names a live process is left alone.
 */
import fs from 'node:fs';
import path from 'node:path';
import { LOCK_FILE, listSegments, recoverSegment, type RecoveryReport } from '../journal/index.js';
import { fsyncPath, journalDir } from '../partitions.js';
import { pidAlive } from './seal-lock.js';

export interface DeadSegmentRecovery {
  path: string;
  closedAs: string;
  report: RecoveryReport;
}

export function writerAlive(dataDir: string, instance: string): boolean {
  try {
    const pid = Number(fs.readFileSync(path.join(journalDir(dataDir, instance), LOCK_FILE), 'utf8').trim());
    return pid !== process.pid && pidAlive(pid);
  } catch {
    return false; // no LOCK: no writer
  }
}

export function recoverDeadSegments(dataDir: string): DeadSegmentRecovery[] {
  const out: DeadSegmentRecovery[] = [];
  const alive = new Map<string, boolean>();
  for (const seg of listSegments(dataDir)) {
    if (!seg.open) continue;
    if (!alive.has(seg.instance)) alive.set(seg.instance, writerAlive(dataDir, seg.instance));
    if (alive.get(seg.instance)) continue;
    const report = recoverSegment(seg.path);
    const closed = seg.path.replace(/\.ttj\.open$/, '.ttj');
    fs.renameSync(seg.path, closed);
    fsyncPath(path.dirname(closed));
    out.push({ path: seg.path, closedAs: closed, report });
  }
  return out;
}
