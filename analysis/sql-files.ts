/** Reading the SQL files shipped in analysis/sql: statements split on `;` at line ends, comments kept out. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../core/package-root.js';

export function sqlDir(): string {
  return path.join(packageRoot(), 'analysis', 'sql');
}

export function readSqlFile(name: string): string {
  return readFileSync(path.join(sqlDir(), name), 'utf8');
}

/** Splits a script into statements. Statements end with `;` at the end of a line (the files are written that way). */
export function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let current: string[] = [];
  for (const line of sql.split('\n')) {
    if (/^\s*--/.test(line) && current.length === 0) continue;
    current.push(line);
    if (/;\s*(--.*)?$/.test(line)) {
      const stmt = current
        .join('\n')
        .trim()
        .replace(/;\s*(--.*)?$/, '');
      if (stmt) out.push(stmt);
      current = [];
    }
  }
  const rest = current.join('\n').trim();
  if (rest) out.push(rest);
  return out;
}
