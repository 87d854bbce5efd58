/**
 * Where a `data` argument points, resolved in one place. Every command and library function that
 * takes `--data` / `data` goes through `openData`, so another kind of location (an `s3://` store
 * read through a local cache) plugs in here and every reader gets it. A location is opaque until
 * then: a folder path, a `file:` URL, or a URL string.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TicktapeError } from '../core/errors.js';

/** A data folder path, a `file:` URL, or (for the stores that support it) another URL. */
export type DataLocation = string | URL;

/** The folder readers open, and what to release when done. */
export interface OpenedData {
  /** A local folder the readers and DuckDB open. */
  dir: string;
  /** The location as the caller gave it (for messages). */
  location: string;
  close(): void;
}

/** The folder `ticktape record` writes into when no --data is given. */
export const DEFAULT_DATA_DIR = './data';

function localPath(data: DataLocation): string {
  if (data instanceof URL) {
    if (data.protocol !== 'file:') throw unsupported(data.href);
    return fileURLToPath(data);
  }
  if (/^file:/i.test(data)) return fileURLToPath(data);
  if (/^[a-z][a-z0-9+.-]+:\/\//i.test(data)) throw unsupported(data);
  return path.resolve(data);
}

function unsupported(location: string): TicktapeError {
  return new TicktapeError('TT_CONFIG_INVALID', `Cannot read data from ${location}: give a data folder path (or a file: URL).`, { data: location });
}

/**
 * Opens a location for reading: it must exist and be a folder, or a mistyped path would read as an
 * empty recording without a word (TT_NO_DATA, exit 4, with what to do).
 */
export async function openData(data: DataLocation = DEFAULT_DATA_DIR): Promise<OpenedData> {
  const dir = existingDataFolder(data);
  return { dir, location: String(data), close: () => undefined };
}

/** The local folder of a location that must already exist (see openData). */
export function existingDataFolder(data: DataLocation = DEFAULT_DATA_DIR): string {
  const p = localPath(data);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(p);
  } catch {
    throw new TicktapeError('TT_NO_DATA', `No data folder at ${p}: point --data at the folder \`ticktape record\` writes into (default ${DEFAULT_DATA_DIR}), or record first.`, { dataDir: p });
  }
  if (!stat.isDirectory()) throw new TicktapeError('TT_DATA_DIR', `${p} is a file, not a data folder: point --data at the folder \`ticktape record\` writes into.`, { dataDir: p });
  return p;
}

/** The local folder a writer (the recorder) writes into; created by the writer when missing. */
export function writableDataFolder(data: DataLocation = DEFAULT_DATA_DIR): string {
  return localPath(data);
}
