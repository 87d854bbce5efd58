/**
 * Summary objects in a bucket: a raw file's (raw-summary.ts: streams, times, edges, gaps) and a
 * `book` or `trades` file's (market-summary.ts: its markets). Written next to each file before its
 * manifest commit (upload, compaction), deleted with it, and read instead of the files: by a replay
 * server for its catalog (raw) and by its paper desk for the recording's markets (book, trades). A
 * file committed by an older ticktape has no summary: it is fetched into the cache and summarized
 * there (correct, only slower). Summaries read are kept in the cache folder beside the cached files
 * (`.<file>.summary.json`), so a restart reads none again.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { openDuckSession } from '../duck/session.js';
import { summaryRelPath, localPathOf, type DayKey } from './layout.js';
import type { Manifest, ManifestFile } from './manifest.js';
import { MARKET_TABLES, parseMarketSummary, summarizeMarketFile, type MarketSummary } from './market-summary.js';
import { parseRawSummary, summarizeRawFile, summaryText, type RawSummary } from './raw-summary.js';
import type { StoreCache } from './read-cache.js';
import { deleteObject, getText, putConditional, type RemoteStore } from './s3-client.js';
import { objectKey } from './store-url.js';

/** Summary objects read at once. */
const SUMMARY_CONCURRENCY = 8;

/** The tables whose files have a summary object. */
const SUMMARIZED_TABLES: readonly string[] = ['raw', ...MARKET_TABLES];

/** Does a file of `table` get a summary object? */
function hasSummary(table: string): boolean {
  return SUMMARIZED_TABLES.includes(table);
}

/** The summary of a local sealed file of `table` (null for a table without summaries). */
export async function summarizeFile(conn: DuckDBConnection, table: string, file: string, name: string, sha256: string): Promise<FileSummary | null> {
  if (table === 'raw') return summarizeRawFile(conn, file, name, sha256);
  if (MARKET_TABLES.includes(table)) return summarizeMarketFile(conn, table, file, name, sha256);
  return null;
}

export type FileSummary = RawSummary | MarketSummary;

function textOf(s: FileSummary): string {
  return s.format === 'ticktape.raw-summary' ? summaryText(s) : JSON.stringify(s);
}

/** Writes a file's summary object; one already there (a crashed run's, of the same file) is left as it is. */
export async function putSummary(store: RemoteStore, day: DayKey, summary: FileSummary): Promise<void> {
  await putConditional(store, objectKey(store.cfg, summaryRelPath(day, summary.name)), textOf(summary), { ifNoneMatch: true });
}

/** Deletes a file's summary object (nothing for a table without summaries). */
export async function deleteSummary(store: RemoteStore, day: DayKey, name: string): Promise<void> {
  if (hasSummary(day.table)) await deleteObject(store, objectKey(store.cfg, summaryRelPath(day, name)));
}

interface DaySummary<S> {
  day: Manifest;
  file: ManifestFile;
  summary: S;
}

interface SummariesRead<S> {
  summaries: DaySummary<S>[];
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

interface SummaryKind<S> {
  tables: readonly string[];
  parse(text: string, name: string, sha256: string): S | null;
  summarize(conn: DuckDBConnection, table: string, file: string, name: string, sha256: string): Promise<S>;
  text(s: S): string;
}

/**
 * The summaries of every committed file of the manifests in `days` whose table `kind` reads
 * (others are skipped), in the manifests' order: from the cache, else the bucket, else from the
 * file itself.
 */
async function readSummaries<S>(cache: StoreCache, days: readonly Manifest[], online: boolean, kind: SummaryKind<S>): Promise<SummariesRead<S>> {
  const wanted = days.filter((m) => kind.tables.includes(m.table)).flatMap((m) => m.files.map((f) => ({ day: m, file: f })));
  const got: Array<DaySummary<S> | null> = new Array(wanted.length).fill(null);
  const res: SummariesRead<S> = { summaries: [], fromFiles: 0, missing: 0 };
  let session: { conn: DuckDBConnection; close(): void } | null = null;
  let opening: Promise<{ conn: DuckDBConnection; close(): void }> | null = null;
  // One session for the files without a summary, one file at a time on it.
  let turn: Promise<unknown> = Promise.resolve();
  const summarize = (p: string, day: Manifest, file: ManifestFile): Promise<S> => {
    const run = turn.then(async () => {
      opening ??= openDuckSession({ threads: 1 }).then((s) => (session = s));
      return kind.summarize((await opening).conn, day.table, p, file.name, file.sha256);
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
          const cached = fs.existsSync(local) ? kind.parse(fs.readFileSync(local, 'utf8'), file.name, file.sha256) : null;
          if (cached) {
            got[at] = { day, file, summary: cached };
            continue;
          }
          if (online) {
            const obj = await getText(cache.store, objectKey(cache.store.cfg, summaryRelPath(day, file.name)));
            const s = obj ? kind.parse(obj.text, file.name, file.sha256) : null;
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
          const s = await summarize(p, day, file);
          writeAtomic(local, kind.text(s));
          res.fromFiles++;
          got[at] = { day, file, summary: s };
        }
      }),
    );
  } finally {
    (session as { close(): void } | null)?.close();
  }
  res.summaries = got.filter((x): x is DaySummary<S> => x !== null);
  return res;
}

/** The summaries of every committed raw file of `days` (the replay catalog's input). */
export function readRawSummaries(cache: StoreCache, days: readonly Manifest[], online: boolean): Promise<SummariesRead<RawSummary>> {
  return readSummaries(cache, days, online, { tables: ['raw'], parse: parseRawSummary, summarize: (conn, _t, file, name, sha) => summarizeRawFile(conn, file, name, sha), text: summaryText });
}

/** The summaries of every committed `book` and `trades` file of `days` (the paper desk's markets). */
export function readMarketSummaries(cache: StoreCache, days: readonly Manifest[], online: boolean): Promise<SummariesRead<MarketSummary>> {
  return readSummaries(cache, days, online, { tables: MARKET_TABLES, parse: parseMarketSummary, summarize: summarizeMarketFile, text: (s) => JSON.stringify(s) });
}
