/** Free space of the file system holding the data folder. */
import fs from 'node:fs';

export interface DiskSpace {
  freeBytes: number;
  totalBytes: number;
}

export function diskSpace(dir: string): DiskSpace | null {
  try {
    const s = fs.statfsSync(dir);
    return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
  } catch {
    return null;
  }
}
