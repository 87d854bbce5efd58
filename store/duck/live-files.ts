/**
 * Which sealed files hold the current data. Two windows leave more files on disk than data:
 *  - a segment was sealed (its files renamed into place) but the journal segment not yet deleted:
 *    the journal is the copy to read, the sealed files of that segment are skipped;
 *  - a day was compacted (the day file renamed into place) but its inputs not yet deleted: the
 *    day file is read, the inputs it lists in its metadata are skipped.
 * The next `seal` finishes both; readers stay exact in between.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { META, listPartitionFiles, sqlStr, type PartitionFile } from '../partitions.js';
import type { TableName } from '../../schemas/tables.js';

export interface LiveFile extends PartitionFile {
  /** Segments the file holds. */
  sources: string[];
}

/** Key-value metadata of Parquet files, by path. */
export async function readKvMetadata(conn: DuckDBConnection, paths: readonly string[]): Promise<Map<string, Record<string, string>>> {
  const out = new Map<string, Record<string, string>>();
  if (paths.length === 0) return out;
  const list = `[${paths.map(sqlStr).join(', ')}]`;
  const r = await conn.runAndReadAll(`SELECT file_name, decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata(${list})`);
  for (const [file, k, v] of r.getRows() as [string, string, string][]) {
    let m = out.get(file);
    if (!m) out.set(file, (m = {}));
    m[k] = v;
  }
  return out;
}

export function parseSources(meta: Record<string, string> | undefined): string[] {
  if (!meta?.[META.sourceSegments]) return [];
  try {
    const v = JSON.parse(meta[META.sourceSegments]) as unknown;
    return Array.isArray(v) ? v.map(String) : [];
  } catch {
    return [];
  }
}

/**
 * Resolves sources of every file and drops the superseded ones.
 * `journalSegments` = `<instance>/<segment>` of every segment still in the journal.
 */
export async function resolveLiveFiles(conn: DuckDBConnection, files: readonly PartitionFile[], journalSegments: ReadonlySet<string>): Promise<LiveFile[]> {
  const dayPaths = files.filter((f) => f.kind === 'day').map((f) => f.path);
  const meta = await readKvMetadata(conn, dayPaths);
  const withSources: LiveFile[] = files.map((f) => ({ ...f, sources: f.kind === 'segment' ? [f.segment!] : parseSources(meta.get(f.path)) }));
  // Group day files by directory + instance: only those can supersede each other.
  const dayGroups = new Map<string, LiveFile[]>();
  for (const f of withSources) {
    if (f.kind !== 'day') continue;
    const k = `${f.table}/${f.exchange}/${f.date}/${f.instance}`;
    const g = dayGroups.get(k) ?? [];
    g.push(f);
    dayGroups.set(k, g);
  }
  return withSources.filter((f) => {
    if (f.kind === 'segment' && journalSegments.has(`${f.instance}/${f.segment}`)) return false;
    const days = dayGroups.get(`${f.table}/${f.exchange}/${f.date}/${f.instance}`) ?? [];
    for (const d of days) {
      if (d === f) continue;
      const ds = new Set(d.sources);
      const covered = f.sources.length > 0 && f.sources.every((s) => ds.has(s));
      // A strictly larger day file supersedes f; two files with equal sets cannot both come from compaction.
      if (covered && (f.kind === 'segment' || d.sources.length > f.sources.length)) return false;
    }
    return true;
  });
}

export async function liveFilesOf(conn: DuckDBConnection, dataDir: string, tables: readonly TableName[], journalSegments: ReadonlySet<string>): Promise<LiveFile[]> {
  return resolveLiveFiles(conn, listPartitionFiles(dataDir, tables), journalSegments);
}
