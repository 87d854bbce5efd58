/**
 * `verify`: checks every sealed file and every journal segment without changing anything.
 *
 * A sealed file must open, hold the schema version this build writes, name the table, instance
 * and segment(s) its path says, and hold exactly the rows, per-connection sequence ranges and
 * content checksum its metadata records. A journal segment is scanned record by record (length +
 * CRC): a corrupt region anywhere, or a torn tail in a closed segment, is damage. A torn tail in
 * an open segment is what a crash leaves and recovery truncates: reported, not damage.
 */
import fs from 'node:fs';
import { SCHEMA_VERSION, type TableName } from '../../schemas/tables.js';
import { readKvMetadata, parseSources, resolveLiveFiles } from '../duck/live-files.js';
import { journalSegmentKeys } from './compact.js';
import { openDuckSession } from '../duck/session.js';
import { listSegments, scanSegment } from '../journal/index.js';
import { listPartitionFiles, listTempFiles, META } from '../partitions.js';
import { compareTally, rankProblems, readChecksumFile, sha256File, tallyParquet, type ConnRange, type FileExpectation } from './parquet-file.js';

type FindingSeverity = 'damage' | 'notice';

export interface Finding {
  severity: FindingSeverity;
  path: string;
  message: string;
}

export interface VerifyReport {
  files: number;
  rows: number;
  segments: number;
  records: number;
  findings: Finding[];
  damaged: boolean;
}

function expectationFromMeta(meta: Record<string, string>): FileExpectation | string {
  const rows = Number(meta[META.rows]);
  if (!Number.isInteger(rows)) return 'row count missing from metadata';
  let ranges: Record<string, [number, number]>;
  try {
    ranges = JSON.parse(meta[META.seqRanges] ?? 'null') as Record<string, [number, number]>;
    if (!ranges || typeof ranges !== 'object') return 'sequence ranges missing from metadata';
  } catch {
    return 'sequence ranges unreadable in metadata';
  }
  const conns = new Map<string, ConnRange>();
  for (const [c, [min, max]] of Object.entries(ranges)) conns.set(c, { rows: -1, min, max });
  return { rows, conns, checksum: meta[META.checksum] };
}

export async function verifyStore(dataDir: string): Promise<VerifyReport> {
  const report: VerifyReport = { files: 0, rows: 0, segments: 0, records: 0, findings: [], damaged: false };
  const damage = (p: string, message: string) => report.findings.push({ severity: 'damage', path: p, message });
  const notice = (p: string, message: string) => report.findings.push({ severity: 'notice', path: p, message });

  const files = listPartitionFiles(dataDir);
  if (files.length) {
    const session = await openDuckSession();
    try {
      for (const f of files) {
        report.files++;
        const recorded = readChecksumFile(f.path);
        if (recorded === null) notice(f.path, 'no checksum file (sealed by an older version or copied without it): content checked, file bytes not');
        else if (recorded !== sha256File(f.path)) damage(f.path, 'file bytes changed since sealing (SHA-256 mismatch)');
        let meta: Record<string, string> | undefined;
        try {
          meta = (await readKvMetadata(session.conn, [f.path])).get(f.path);
        } catch (err) {
          damage(f.path, `unreadable Parquet file: ${(err as Error).message.split('\n')[0]}`);
          continue;
        }
        if (!meta) {
          damage(f.path, 'no ticktape metadata');
          continue;
        }
        if (meta[META.schemaVersion] !== String(SCHEMA_VERSION)) damage(f.path, `schema version ${meta[META.schemaVersion]} (this build reads ${SCHEMA_VERSION})`);
        if (meta[META.table] !== f.table) damage(f.path, `metadata says table ${meta[META.table]}, the folder says ${f.table}`);
        if (meta[META.instance] !== f.instance) damage(f.path, `metadata says instance ${meta[META.instance]}, the name says ${f.instance}`);
        if (f.kind === 'segment' && JSON.stringify(parseSources(meta)) !== JSON.stringify([f.segment])) damage(f.path, `metadata lists segments ${meta[META.sourceSegments]}, the name says ${f.segment}`);
        const expected = expectationFromMeta(meta);
        if (typeof expected === 'string') {
          damage(f.path, expected);
          continue;
        }
        let got: FileExpectation;
        try {
          got = await tallyParquet(session.conn, [f.path], f.table as TableName);
        } catch (err) {
          damage(f.path, `cannot read rows: ${(err as Error).message.split('\n')[0]}`);
          continue;
        }
        report.rows += got.rows;
        for (const p of compareTally(got, expected, false)) damage(f.path, p);
        if (f.table === 'raw') for (const p of await rankProblems(session.conn, f.path)) damage(f.path, p);
        try {
          const r = await session.conn.runAndReadAll(`SELECT count(*) FROM read_parquet('${f.path.replace(/'/g, "''")}', hive_partitioning=false) WHERE exchange <> '${f.exchange.replace(/'/g, "''")}'`);
          if (Number(r.getRows()[0][0]) > 0) damage(f.path, `rows of another exchange than ${f.exchange}`);
        } catch {
          /* already reported above */
        }
      }
    } finally {
      session.close();
    }
  }
  for (const t of listTempFiles(dataDir)) notice(t, 'temp file of an interrupted seal or compaction (the next `ticktape seal` removes it)');
  if (files.length) {
    // Files readers skip: left by a seal or compaction interrupted between rename and delete.
    const session = await openDuckSession();
    try {
      const pending = journalSegmentKeys(dataDir);
      const live = new Set((await resolveLiveFiles(session.conn, files, pending)).map((f) => f.path));
      for (const f of files) {
        if (live.has(f.path)) continue;
        if (f.kind === 'segment' && pending.has(`${f.instance}/${f.segment}`)) notice(f.path, 'its journal segment is still there (a seal was interrupted): readers use the journal; `ticktape seal` finishes');
        else notice(f.path, 'covered by a compacted day file (a compaction was interrupted): readers skip it; `ticktape seal --compact` removes it');
      }
    } catch {
      /* unreadable files are reported above */
    } finally {
      session.close();
    }
  }

  for (const seg of listSegments(dataDir)) {
    report.segments++;
    let scan;
    try {
      scan = scanSegment(seg.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      damage(seg.path, `unreadable segment: ${(err as Error).message}`);
      continue;
    }
    report.records += scan.records;
    for (const c of scan.corrupt) damage(seg.path, `corrupt region at byte ${c.offset}, ${c.length} bytes (run \`ticktape seal\` or restart the recorder to quarantine it)`);
    if (scan.tornTailBytes > 0) {
      if (seg.open) notice(seg.path, `torn tail of ${scan.tornTailBytes} bytes in the open segment (cut by recovery)`);
      else damage(seg.path, `torn tail of ${scan.tornTailBytes} bytes in a closed segment`);
    }
    if (scan.validBytes === 0 && fs.statSync(seg.path).size > 0) damage(seg.path, 'segment header damaged');
  }
  report.damaged = report.findings.some((f) => f.severity === 'damage');
  return report;
}
