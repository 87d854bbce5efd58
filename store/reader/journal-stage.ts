/**
 * Unsealed journals as DuckDB tables: every `.ttj` and `.ttj.open` segment (read, never modified)
 * is staged into `<prefix><table>` tables shaped like the sealed ones, so that queries and the
 * reader treat sealed and unsealed data alike. Normalizers run per segment in order, starting from
 * the sealed state of the instance, so on-the-fly rows match what sealing will write.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { TapeRecord } from '../../schemas/record.js';
import { listSegments, readSegment } from '../journal/index.js';
import type { SegmentInfo } from '../journal/api.js';
import { NormalizerSet } from '../seal/normalizers.js';
import { Stager } from '../seal/stage.js';
import { loadStateFile, stateBefore } from '../seal/state-file.js';

export interface JournalStageOptions {
  /** Run the exchange normalizers (views need them; the raw reader does not). */
  normalize: boolean;
  /** Keep only records this returns true for (the reader's filters). */
  filter?: (rec: TapeRecord) => boolean;
}

export interface JournalStageResult {
  stager: Stager;
  segments: SegmentInfo[];
  records: number;
}

/**
 * Whether a data folder has journal segments to stage. Staging creates its tables even when there
 * is none (views over them need them: open-tape.ts); a reader with nothing to stage skips it, and
 * with it the ten tables created and dropped again per pass.
 */
export function hasJournalSegments(dataDir: string): boolean {
  return listSegments(dataDir).length > 0;
}

export async function stageJournals(conn: DuckDBConnection, dataDir: string, prefix: string, opts: JournalStageOptions): Promise<JournalStageResult> {
  const segments = listSegments(dataDir);
  const stager = await Stager.create(conn, prefix, '', null);
  let records = 0;
  const byInstance = new Map<string, SegmentInfo[]>();
  for (const s of segments) byInstance.set(s.instance, [...(byInstance.get(s.instance) ?? []), s]);
  try {
    for (const [instance, segs] of byInstance) {
      stager.setInstance(instance);
      segs.sort((a, b) => (a.name < b.name ? -1 : 1));
      const stateFile = opts.normalize ? loadStateFile(dataDir, instance) : null;
      // One normalizer set per instance, fed its segments in order, as the sealer will.
      stager.setNormalizers(stateFile ? new NormalizerSet(stateBefore(stateFile, segs[0].name)) : null);
      for (const seg of segs) {
        try {
          for (const rec of readSegment(seg.path)) {
            if (opts.filter && !opts.filter(rec)) continue;
            stager.add(rec);
            records++;
          }
        } catch (err) {
          // A segment being written may end mid-record; what was read so far is used.
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // sealed meanwhile
          throw err;
        }
      }
    }
    stager.flush();
  } finally {
    stager.close();
  }
  return { stager, segments, records };
}
