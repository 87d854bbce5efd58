/**
 * One sealer per instance at a time: `journal/<instance>/SEAL.LOCK` holds the sealer's pid.
 * A lock whose pid is gone (a crashed sealer) is taken over.
 */
import fs from 'node:fs';
import path from 'node:path';
import { journalDir } from '../partitions.js';

export const SEAL_LOCK_FILE = 'SEAL.LOCK';

export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Returns a release function, or null when another live process holds the lock. */
export function acquireSealLock(dataDir: string, instance: string): (() => void) | null {
  const file = path.join(journalDir(dataDir, instance), SEAL_LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx');
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      return () => {
        try {
          if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.unlinkSync(file);
        } catch {
          /* already gone */
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(fs.readFileSync(file, 'utf8').trim());
      if (pid === process.pid || pidAlive(pid)) return null;
      fs.rmSync(file, { force: true });
    }
  }
  return null;
}
