/**
 * `openTape`: a DuckDB connection with one view per table (raw, gaps, trades, book, ...) covering
 * the sealed partitions and, by default, the unsealed journals normalized on the fly.
 *
 *   VIEW <table> = read_parquet(<live files>, hive_partitioning) UNION ALL BY NAME _journal_<table>
 *
 * The views have the sealed files' columns plus the hive key `date` (DATE); they exist, empty,
 * when there is no data. The file list is fixed when the tape opens (a session sees one snapshot;
 * files superseded by a finished seal or compaction are left out, see live-files.ts). Derived views
 * (analysis/) are installed on top of this connection by their owners.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { TABLE_NAMES, type TableName } from '../../schemas/tables.js';
import type { SegmentInfo } from '../journal/api.js';
import { sqlStr } from '../partitions.js';
import { rawRowsSql } from '../template/index.js';
import { stageJournals } from '../reader/journal-stage.js';
import { Stager } from '../seal/stage.js';
import { journalSegmentKeys } from '../seal/compact.js';
import { liveFilesOf, type LiveFile } from './live-files.js';
import { openDuckSession, type DuckSession, type DuckSessionOptions } from './session.js';

export const JOURNAL_TABLE_PREFIX = '_journal_';

export interface OpenTapeOptions extends DuckSessionOptions {
  /** Add the unsealed journals (default true). */
  includeJournal?: boolean;
}

export interface Tape {
  dataDir: string;
  conn: DuckDBConnection;
  session: DuckSession;
  /** Sealed files behind the views. */
  files: LiveFile[];
  /** Journal segments staged (empty when includeJournal is false). */
  journalSegments: SegmentInfo[];
  journalRecords: number;
  close(): void;
}

export async function openTape(dataDir: string, opts: OpenTapeOptions = {}): Promise<Tape> {
  const session = await openDuckSession(opts);
  try {
    const conn = session.conn;
    let journalSegments: SegmentInfo[] = [];
    let journalRecords = 0;
    if (opts.includeJournal !== false) {
      const staged = await stageJournals(conn, dataDir, JOURNAL_TABLE_PREFIX, { normalize: true });
      journalSegments = staged.segments;
      journalRecords = staged.records;
    } else {
      (await Stager.create(conn, JOURNAL_TABLE_PREFIX, '', null)).close();
    }
    const files = await liveFilesOf(conn, dataDir, TABLE_NAMES, journalSegmentKeys(dataDir));
    for (const t of TABLE_NAMES)
      await conn.run(
        viewSql(
          t,
          files.filter((f) => f.table === t),
        ),
      );
    return { dataDir, conn, session, files, journalSegments, journalRecords, close: () => session.close() };
  } catch (err) {
    session.close();
    throw err;
  }
}

/**
 * Re-creates a tape's views over the sealed files its folder holds now (files were added to it:
 * a replay server's bucket folder that grows by the days its reads need). Queries already running
 * keep the views they started with.
 */
export async function refreshTapeViews(tape: Tape): Promise<void> {
  const files = await liveFilesOf(tape.conn, tape.dataDir, TABLE_NAMES, journalSegmentKeys(tape.dataDir));
  for (const t of TABLE_NAMES)
    await tape.conn.run(
      viewSql(
        t,
        files.filter((f) => f.table === t),
      ),
    );
  tape.files = files;
}

function viewSql(table: TableName, files: LiveFile[]): string {
  const journal = `SELECT * FROM "${JOURNAL_TABLE_PREFIX}${table}"`;
  if (files.length === 0) return `CREATE OR REPLACE VIEW "${table}" AS ${journal}`;
  const list = `[${files.map((f) => sqlStr(f.path)).join(', ')}]`;
  const scan = `SELECT * FROM read_parquet(${list}, hive_partitioning = true, hive_types = {'exchange': VARCHAR, 'date': DATE}, union_by_name = true)`;
  // Raw files may store payloads as templates: the view rebuilds every payload byte for byte.
  const sealed = table === 'raw' ? rawRowsSql(scan) : scan;
  return `CREATE OR REPLACE VIEW "${table}" AS ${sealed} UNION ALL BY NAME ${journal}`;
}
