/** The installed package's root folder (holds package.json, analysis/sql), from source or from dist/. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | null = null;

export function packageRoot(): string {
  if (cached) return cached;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'analysis', 'sql'))) return (cached = dir);
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('ticktape package root not found');
    dir = parent;
  }
}
