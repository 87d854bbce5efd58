/**
 * Raw files' summary objects in a bucket (raw-summary.ts): written next to each raw file before its
 * manifest commit (upload, compaction), deleted with it, and read by a replay server for its catalog
 * instead of the files. A file committed by an older ticktape has no summary: it is fetched into the
 * cache and summarized there (correct, only slower). Summaries read are kept in the cache folder
 * beside the cached files (`.<file>.summary.json`), so a restart reads none again.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { openDuckSession } from '../duck/session.js';
import { summaryRelPath, localPathOf, type DayKey } from './layout.js';
import type { Manifest, ManifestFile } from './manifest.js';
import { parseRawSummary, summarizeRawFile, summaryText, type RawSummary } from './raw-summary.js';
import type { StoreCache } from './read-cache.js';
import { deleteObject, getText, putConditional, type RemoteStore } from './s3-client.js';
import { objectKey } from './store-url.js';

/** Summary objects read at once. */
const SUMMARY_CONCURRENCY = 8;

/** Writes a raw file's summary object; one already there (a crashed run's, of the same file) is left as it is. */
export async function putRawSummary(store: RemoteStore, day: DayKey, summary: RawSummary): Promise<void> {
  await putConditional(store, objectKey(store.cfg, summaryRelPath(day, summary.name)), summaryText(summary), { ifNoneMatch: true });
}

export async function deleteRawSummary(store: RemoteStore, day: DayKey, name: string): Promise<void> {
  await deleteObject(store, objectKey(store.cfg, summaryRelPath(day, name)));
}

interface DaySummary {
  day: Manifest;
  file: ManifestFile;
  summary: RawSummary;
}

interface SummariesRead {
  summaries: DaySummary[];
  /** Files without a summary object, fetched and summarized instead. */
  fromFiles: number;
  /** Files neither summarized in the cache nor reachable (offline). */
  missing: number;
}

function writeAtomic(p: string, text: string): void {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  const tmp = `${p}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, p);
}

/**
 * The summaries of every committed file of the raw manifests in `days` (others are skipped), in
 * the manifests' order: from the cache, else the bucket, else from the file itself.
 */
export async function readRawSummaries(cache: StoreCache, days: readonly Manifest[], online: boolean): Promise<SummariesRead> {
  const wanted = days.filter((m) => m.table === 'raw').flatMap((m) => m.files.map((f) => ({ day: m, file: f })));
  const got: Array<DaySummary | null> = new Array(wanted.length).fill(null);
  const res: SummariesRead = { summaries: [], fromFiles: 0, missing: 0 };
  let session: { conn: DuckDBConnection; close(): void } | null = null;
  let opening: Promise<{ conn: DuckDBConnection; close(): void }> | null = null;
  // One session for the files without a summary, one file at a time on it.
  let turn: Promise<unknown> = Promise.resolve();
  const summarize = (p: string, file: ManifestFile): Promise<RawSummary> => {
    const run = turn.then(async () => {
      opening ??= openDuckSession({ threads: 1 }).then((s) => (session = s));
      return summarizeRawFile((await opening).conn, p, file.name, file.sha256);
    });
    turn = run.catch(() => undefined);
    return run;
  };
  let i = 0;
  try {
    await Promise.all(
      Array.from({ length: Math.min(SUMMARY_CONCURRENCY, wanted.length) }, async () => {
        while (i < wanted.length) {
          const at = i++;
          const { day, file } = wanted[at];
          const local = localPathOf(cache.dir, day, `.${file.name}.summary.json`);
          const cached = fs.existsSync(local) ? parseRawSummary(fs.readFileSync(local, 'utf8'), file.name, file.sha256) : null;
          if (cached) {
            got[at] = { day, file, summary: cached };
            continue;
          }
          if (online) {
            const obj = await getText(cache.store, objectKey(cache.store.cfg, summaryRelPath(day, file.name)));
            const s = obj ? parseRawSummary(obj.text, file.name, file.sha256) : null;
            if (s) {
              writeAtomic(local, obj!.text);
              got[at] = { day, file, summary: s };
              continue;
            }
          }
          if (!online && !cache.has(day, file)) {
            res.missing++;
            continue;
          }
          // No summary (an older ticktape uploaded the file): the file itself, through the cache.
          const { path: p } = await cache.fetch(day, file);
          const s = await summarize(p, file);
          writeAtomic(local, summaryText(s));
          res.fromFiles++;
          got[at] = { day, file, summary: s };
        }
      }),
    );
  } finally {
    (session as { close(): void } | null)?.close();
  }
  res.summaries = got.filter((x): x is DaySummary => x !== null);
  return res;
}
