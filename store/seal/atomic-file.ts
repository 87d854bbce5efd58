/** Small files replaced atomically: temp, fsync, rename, directory fsync. */
import fs from 'node:fs';
import path from 'node:path';
import { fsyncPath } from '../partitions.js';

export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  fsyncPath(path.dirname(file));
}

/** mkdir -p that makes every directory it creates durable (fsyncs each new directory's parent). */
export function mkdirDurable(dir: string): void {
  const missing: string[] = [];
  let d = path.resolve(dir);
  while (!fs.existsSync(d)) {
    missing.push(d);
    const parent = path.dirname(d);
    if (parent === d) break;
    d = parent;
  }
  if (missing.length === 0) return;
  fs.mkdirSync(dir, { recursive: true });
  for (const m of missing.reverse()) fsyncPath(path.dirname(m));
}
