/**
 * One sealer per instance at a time: `journal/<instance>/SEAL.LOCK` holds the sealer's pid and,
 * where the OS tells it (Linux /proc), the process start time — so a lock whose owner died is taken
 * over even when its pid has since been given to another process. A lock without a start time (an
 * older writer) is judged by its pid alone.
 *
 * Taking a dead owner's lock over is a rename of that file to a name of our own, so of two sealers
 * finding the same dead lock only one takes it; the other finds the new owner's lock and backs off.
 */
import fs from 'node:fs';
import path from 'node:path';
import { journalDir } from '../partitions.js';

export const SEAL_LOCK_FILE = 'SEAL.LOCK';
/** An empty lock is an owner between creating and writing it, unless it stays empty this long (it died there). */
const EMPTY_LOCK_GRACE_MS = 5_000;

export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Start time of a process (clock ticks since boot, /proc/<pid>/stat field 22), or null where unknown. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) is in parentheses and may hold spaces: count from after it
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

/** What a lock file says about its owner. */
function parseLockOwner(text: string): { pid: number; startTime: string | null } {
  const [pid, startTime] = text.trim().split(/\s+/);
  return { pid: Number(pid), startTime: startTime || null };
}

/** The lock's owner is still running (the same process, not a later one with its pid). */
function lockOwnerAlive(text: string): boolean {
  const { pid, startTime } = parseLockOwner(text);
  if (!pidAlive(pid)) return false;
  if (startTime === null) return true;
  const now = processStartTime(pid);
  return now === null || now === startTime;
}

function readOrNull(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Returns a release function, or null when another live process holds the lock. */
export function acquireSealLock(dataDir: string, instance: string): (() => void) | null {
  const file = path.join(journalDir(dataDir, instance), SEAL_LOCK_FILE);
  const start = processStartTime(process.pid);
  const mine = start === null ? String(process.pid) : `${process.pid} ${start}`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx');
      try {
        fs.writeSync(fd, mine);
      } finally {
        fs.closeSync(fd);
      }
      return () => {
        try {
          if (readOrNull(file) === mine) fs.unlinkSync(file);
        } catch {
          /* already gone */
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const held = readOrNull(file);
    if (held === null) continue; // released meanwhile
    if (held === '') {
      // Created but not yet written: an owner that is starting, unless it died right there.
      let ageMs = 0;
      try {
        ageMs = Date.now() - fs.statSync(file).mtimeMs;
      } catch {
        continue;
      }
      if (ageMs < EMPTY_LOCK_GRACE_MS) return null;
    } else if (parseLockOwner(held).pid === process.pid || lockOwnerAlive(held)) return null;
    const taken = `${file}.dead-${process.pid}`;
    try {
      fs.renameSync(file, taken);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // another sealer took it over first
      throw err;
    }
    const got = readOrNull(taken);
    if (got !== held) {
      // Between our read and the rename another sealer took the dead lock over and wrote its own:
      // give it back (unless a third one got in meanwhile) and leave the instance to it.
      try {
        fs.linkSync(taken, file);
      } catch {
        /* the lock is held by someone else anyway */
      }
      fs.rmSync(taken, { force: true });
      return null;
    }
    fs.rmSync(taken, { force: true });
  }
  return null;
}
