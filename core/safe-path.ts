/**
 * Paths built from values ticktape did not choose itself (a URL query parameter, a config-file
 * value, a field read back from a journal) must stay inside the data folder. Everything here throws
 * TicktapeError 'TT_PATH_ESCAPE' (exit 2) with a message naming the value and what is allowed.
 *
 * Two layers: a lexical check (no NUL, no absolute part, no `..` segment, the joined path under the
 * root) for paths that do not exist yet, and a real-path check (symlinks resolved) for paths that
 * are about to be read or written, so a link planted in the data folder cannot lead out of it.
 * Flags the user types for their own output (`--out`) are not checked: that is their choice.
 */
import fs from 'node:fs';
import path from 'node:path';
import { TicktapeError } from './errors.js';

/** Recorder instance ids: they name journal folders and sealed files. */
const INSTANCE_ID_RE = /^[a-z0-9-]{1,40}$/;
/** Values of the hive folder keys: `exchange=<name>` (lower-case id) and `date=<YYYY-MM-DD>`. */
const HIVE_EXCHANGE_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const HIVE_DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

function pathEscape(message: string, context: Record<string, unknown>): TicktapeError {
  return new TicktapeError('TT_PATH_ESCAPE', message, context);
}

/** Printable form of a value in a message (NUL and control characters shown, length bounded). */
function shown(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}

/** True when `child` is `root` or lies under it (both absolute and normalized). */
export function isInside(root: string, child: string): boolean {
  const rel = path.relative(root, child);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/**
 * Checks one path component (a folder or file name from outside): no separators, no `.`/`..`, no
 * NUL, and matching `pattern` when given. Returns the name.
 */
export function safeName(name: string, what: string, pattern?: RegExp): string {
  if (typeof name !== 'string' || name.length === 0) throw pathEscape(`${what} is empty: give a name.`, { what });
  if (name.includes('\0')) throw pathEscape(`${what} ${shown(name)} contains a NUL byte.`, { what });
  if (name === '.' || name === '..' || /[/\\]/.test(name)) {
    throw pathEscape(`${what} ${shown(name)} is not a plain name: it may not contain "/", "\\" or be "." or "..".`, { what, name });
  }
  if (pattern && !pattern.test(name)) throw pathEscape(`${what} ${shown(name)} is not allowed: it must match ${pattern.source}.`, { what, name });
  return name;
}

/**
 * Joins relative `parts` under `root` lexically and checks the result stays under it. Each part
 * may hold several segments (`a/b`) but no `..`, no absolute path, no NUL.
 */
export function safeJoin(root: string, ...parts: string[]): string {
  const base = path.resolve(root);
  for (const part of parts) {
    if (part.includes('\0')) throw pathEscape(`Path part ${shown(part)} contains a NUL byte.`, { root: base });
    if (path.isAbsolute(part) || /^[a-zA-Z]:[\\/]/.test(part)) {
      throw pathEscape(`Path ${shown(part)} is absolute: only paths inside the data folder ${base} are allowed.`, { root: base, part });
    }
    if (part.split(/[\\/]+/).includes('..')) {
      throw pathEscape(`Path ${shown(part)} goes up with "..": only paths inside the data folder ${base} are allowed.`, { root: base, part });
    }
  }
  const out = path.resolve(base, ...parts);
  if (!isInside(base, out)) throw pathEscape(`Path ${shown(parts.join('/'))} leaves the data folder ${base}.`, { root: base });
  return out;
}

/** The real path of `p`, or of its nearest existing ancestor joined with the part that does not exist yet. */
function realpathOfExisting(p: string): string {
  let existing = p;
  const rest: string[] = [];
  for (;;) {
    try {
      return path.join(fs.realpathSync(existing), ...rest.reverse());
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
      const parent = path.dirname(existing);
      if (parent === existing) return path.join(existing, ...rest.reverse());
      rest.push(path.basename(existing));
      existing = parent;
    }
  }
}

/**
 * `safeJoin`, then the same check on real paths: a symlink anywhere below the data folder that
 * points out of it (to /etc, to another user's home) is refused. The data folder itself may be a
 * symlink (a mount moved elsewhere): what counts is where it really is.
 */
export function resolveInside(root: string, ...parts: string[]): string {
  const lexical = safeJoin(root, ...parts);
  const realRoot = realpathOfExisting(path.resolve(root));
  const real = realpathOfExisting(lexical);
  if (!isInside(realRoot, real)) {
    throw pathEscape(`Path ${shown(parts.join('/'))} resolves to ${real}, outside the data folder ${realRoot} (a symbolic link points out): remove the link or record into a folder without it.`, {
      root: realRoot,
      real,
    });
  }
  return lexical;
}

/** A recorder instance id from a flag or a config file (it becomes a folder and a file-name prefix). */
export function safeInstanceId(id: string, what = 'instance'): string {
  return safeName(id, what, INSTANCE_ID_RE);
}

/** The folder of one hive partition: `<root>/<table>/exchange=<ex>/date=<date>`, every key checked. */
export function safePartitionDir(root: string, table: string, exchange: string, date: string): string {
  safeName(table, 'table name', /^[a-z_]{1,32}$/);
  safeName(exchange, 'exchange name', HIVE_EXCHANGE_RE);
  safeName(date, 'partition date', HIVE_DATE_RE);
  return safeJoin(root, table, `exchange=${exchange}`, `date=${date}`);
}
