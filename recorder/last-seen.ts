/**
 * The last data frame of every stream, kept in `<data>/recorder/<instance>/last-seen.json` (written
 * every second and at shutdown, atomically by rename). On the next start each stream begins with a
 * gap from that point, so the time the recorder was not running — after a clean stop or a SIGKILL —
 * is a row of `gaps`, not a silent hole. After a crash the file can be up to one write interval old,
 * so the recorder reads the journal's records after it (crash-points.ts) to start each gap exactly
 * at the last record the connection wrote.
 */
import fs from 'node:fs';
import path from 'node:path';

const LAST_SEEN_FILE = 'last-seen.json';
/** How often the file is rewritten: the most a crash can make a restart gap start too early. */
export const LAST_SEEN_INTERVAL_MS = 1_000;

interface LastSeenEntry {
  last_ns: string;
  last_seq: number | null;
  /** Exchange timestamp of the last accepted frame (repeats of it after a restart are flagged). */
  last_ts_ms?: number | null;
  /** Connection of the last data frame (after a crash, the gap starts at its last journaled record). */
  last_conn?: string | null;
}

export interface LastSeen {
  version: 1;
  /** True only when written by a clean shutdown. */
  clean: boolean;
  written_ns: string;
  /** `<exchange> <stream key>` → last data frame. */
  streams: Record<string, LastSeenEntry>;
  /**
   * Every stream being recorded when the file was written. After a crash, a stream listed here
   * without an entry in `streams` had no data before `written_ns`: its restart gap starts there.
   */
  subscribed?: string[];
}

export function lastSeenKey(exchange: string, stream: string): string {
  return `${exchange} ${stream}`;
}

export function lastSeenPath(dataDir: string, instance: string): string {
  return path.join(dataDir, 'recorder', instance, LAST_SEEN_FILE);
}

export function readLastSeen(file: string): LastSeen | null {
  try {
    const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as LastSeen;
    if (doc?.version !== 1 || typeof doc.streams !== 'object') return null;
    return doc;
  } catch {
    return null;
  }
}

export function writeLastSeen(file: string, doc: LastSeen): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(doc));
  fs.renameSync(tmp, file);
}
