/**
 * Shipping sealed partitions to a bucket: every live sealed file of a data folder goes to the same
 * hive path under the prefix, with its SHA-256 sidecar, and is committed to its day's manifest.
 *
 * Per file: upload (multipart above PART_SIZE_BYTES, `If-None-Match: *` so nothing is ever
 * overwritten) → sidecar (same condition) → read the object back and compare its SHA-256 with the
 * sidecar → a raw, book or trades file's summary (summaries.ts, same condition) → commit to the
 * manifest → one ledger line (upload-ledger.ts). A kill -9 at any point is
 * finished by the next run: an object already there is read back and compared, never uploaded
 * again; another's bytes under our name are a TT_STORE_CONFLICT, never replaced; multipart uploads
 * a killed run left open on our keys are aborted first.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { Upload } from '@aws-sdk/lib-storage';
import { TicktapeError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { openDuckSession } from '../duck/session.js';
import { readKvMetadata, resolveLiveFiles, type LiveFile } from '../duck/live-files.js';
import { checksumPathFor, listPartitionFiles, META } from '../partitions.js';
import { journalSegmentKeys } from '../seal/compact.js';
import { readChecksumFile } from '../seal/parquet-file.js';
import { sidecarRelPath, type DayKey } from './layout.js';
import { commitManifest, withFile, type ManifestFile } from './manifest.js';
import { remoteCrashIf, type RemoteCrashMode, type RemoteCrashPoint } from './remote-crash.js';
import { abortMultipart, getText, headObject, isPreconditionFailed, listOpenMultipart, putConditional, sha256OfObject, storeError, type RemoteStore } from './s3-client.js';
import { objectKey } from './store-url.js';
import { putSummary, summarizeFile, type FileSummary } from './summaries.js';
import { acquireUploadLock, UploadLedger, type LedgerEntry } from './upload-ledger.js';

/** Multipart part size: files above it go up in parts of this size (S3's minimum is 5 MiB). */
const PART_SIZE_BYTES = 8 * 1024 * 1024;
/** Parts of one file in flight at once. */
const PART_QUEUE_SIZE = 4;
/** Files shipped at once (each commits its own manifest change). */
const FILE_CONCURRENCY = 3;

interface UploadOptions {
  log?: Logger;
  partSizeBytes?: number;
  crashAt?: RemoteCrashPoint;
  crashMode?: RemoteCrashMode;
  now?: () => number;
  /** Called after each file is committed (recorder metrics). */
  onFile?: (bytes: number) => void;
}

interface UploadFailure {
  path: string;
  code: string;
  message: string;
}

interface UploadReport {
  /** Files uploaded by this run. */
  uploaded: number;
  /** Files found in the bucket already (a crashed run's, or committed before the ledger line): verified and committed, not uploaded. */
  adopted: number;
  /** Files the ledger says are committed already. */
  skipped: number;
  bytes: number;
  elapsedMs: number;
  /** Multipart uploads left open by a killed run, aborted. */
  abortedMultipart: number;
  failures: UploadFailure[];
  /** false when another uploader holds this data folder's lock (nothing was done). */
  ran: boolean;
}

function relOf(dataDir: string, p: string): string {
  return path.relative(dataDir, p).split(path.sep).join('/');
}

/** SHA-256 of a local file without blocking the event loop (the recorder ships while it records). */
export async function sha256FileAsync(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of fs.createReadStream(file, { highWaterMark: 1 << 20 })) h.update(c as Buffer);
  return h.digest('hex');
}

/** Files of a data folder that are waiting to be shipped (for /health and `ls`): not in the ledger. */
export function uploadBacklog(dataDir: string, url: string): { files: number; bytes: number; oldestDate: string | null } {
  const ledger = UploadLedger.open(dataDir, url);
  let files = 0;
  let bytes = 0;
  let oldestDate: string | null = null;
  for (const f of listPartitionFiles(dataDir)) {
    const e = ledger.get(relOf(dataDir, f.path));
    if (e && e.sha256 === readChecksumFile(f.path)) continue;
    files++;
    bytes += f.bytes;
    if (oldestDate === null || f.date < oldestDate) oldestDate = f.date;
  }
  return { files, bytes, oldestDate };
}

async function pool<T>(items: readonly T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (i < items.length) await fn(items[i++]);
    }),
  );
}

/** Ships every live sealed file of `dataDir` that the ledger does not list yet. */
export async function uploadStore(dataDir: string, store: RemoteStore, opts: UploadOptions = {}): Promise<UploadReport> {
  const started = Date.now();
  const now = opts.now ?? Date.now;
  const report: UploadReport = { uploaded: 0, adopted: 0, skipped: 0, bytes: 0, elapsedMs: 0, abortedMultipart: 0, failures: [], ran: false };
  const release = acquireUploadLock(dataDir);
  if (!release) return report;
  report.ran = true;
  try {
    const ledger = UploadLedger.open(dataDir, store.cfg.url);
    const files = listPartitionFiles(dataDir);
    if (files.length === 0) return report;
    // One DuckDB session for the whole pass: live-file resolution, metadata, then the raw summaries.
    const session = await openDuckSession({ threads: 1 });
    let summariesDone: Summarizer | null = null;
    try {
      const live = await resolveLiveFiles(session.conn, files, journalSegmentKeys(dataDir));
      const meta = await readKvMetadata(
        session.conn,
        live.map((f) => f.path),
      );
      const todo: { f: LiveFile; rel: string; sha256: string }[] = [];
      for (const f of live) {
        const rel = relOf(dataDir, f.path);
        const sha256 = readChecksumFile(f.path) ?? (await sha256FileAsync(f.path));
        const e = ledger.get(rel);
        if (e && e.sha256 === sha256) {
          report.skipped++;
          continue;
        }
        if (e) {
          report.failures.push({ path: f.path, code: 'TT_STORE_CONFLICT', message: `${rel} was shipped with other bytes (SHA-256 ${e.sha256.slice(0, 12)}…); the local file changed since. It is kept; nothing in the bucket is replaced.` });
          continue;
        }
        todo.push({ f, rel, sha256 });
      }
      if (todo.length === 0) return report;
      // Multipart uploads a killed run left open on the keys we are about to write.
      const ours = new Set(todo.map((t) => objectKey(store.cfg, t.rel)));
      let open: Awaited<ReturnType<typeof listOpenMultipart>>;
      try {
        open = await listOpenMultipart(store, objectKey(store.cfg, ''));
      } catch (err) {
        // The store cannot be reached: every file this pass would ship failed to ship.
        const code = (err as { code?: unknown }).code;
        for (const t of todo) report.failures.push({ path: t.f.path, code: typeof code === 'string' ? code : 'TT_INTERNAL', message: (err as Error).message });
        return report;
      }
      for (const u of open) {
        if (!ours.has(u.key)) continue;
        await abortMultipart(store, u.key, u.uploadId);
        report.abortedMultipart++;
        opts.log?.info({ key: u.key }, 'aborted a multipart upload left open by an interrupted run');
      }
      // Summaries are computed one after the other on the session while the files transfer.
      const summaries = new Summarizer(session.conn, opts.log);
      summariesDone = summaries;
      await pool(todo, FILE_CONCURRENCY, async ({ f, rel, sha256 }) => {
        try {
          const how = await shipFile(store, f, rel, sha256, Number(meta.get(f.path)?.[META.rows] ?? 0), summaries.of(f, sha256), ledger, opts, now);
          if (how === 'uploaded') report.uploaded++;
          else report.adopted++;
          report.bytes += f.bytes;
          opts.onFile?.(f.bytes);
        } catch (err) {
          if ((err as Error).name === 'InjectedCrash') throw err;
          const code = (err as { code?: unknown }).code;
          report.failures.push({ path: f.path, code: typeof code === 'string' ? code : 'TT_INTERNAL', message: (err as Error).message });
          opts.log?.warn({ path: f.path, code, err: (err as Error).message }, 'upload failed; the file stays on disk and is retried');
        }
      });
      return report;
    } finally {
      await summariesDone?.idle();
      session.close();
    }
  } finally {
    report.elapsedMs = Date.now() - started;
    release();
  }
}

/**
 * Puts one local file and its sidecar at `rel` and proves the bucket holds exactly its bytes:
 * upload with `If-None-Match: *` (multipart above the part size), then a full read-back compared
 * with `sha256`. An object already there (a crashed run's) is read back the same way and adopted
 * when its bytes are ours; other bytes are a TT_STORE_CONFLICT and stay as they are.
 */
export async function putFileVerified(
  store: RemoteStore,
  local: { path: string; bytes: number; sha256: string },
  rel: string,
  sidecarRel: string,
  opts: Pick<UploadOptions, 'partSizeBytes' | 'crashAt' | 'crashMode'> = {},
): Promise<{ etag: string; how: 'uploaded' | 'adopted' }> {
  const key = objectKey(store.cfg, rel);
  let how: 'uploaded' | 'adopted' = 'adopted';
  const head = await headObject(store, key);
  if (head === null) {
    try {
      const up = new Upload({
        client: store.client,
        params: { Bucket: store.cfg.bucket, Key: key, Body: fs.createReadStream(local.path), ContentLength: local.bytes, IfNoneMatch: '*', ContentType: 'application/vnd.apache.parquet', Metadata: { 'ticktape-sha256': local.sha256 } },
        partSize: opts.partSizeBytes ?? PART_SIZE_BYTES,
        queueSize: PART_QUEUE_SIZE,
        leavePartsOnError: false,
      });
      await up.done();
      how = 'uploaded';
    } catch (err) {
      if (!isPreconditionFailed(err)) throw storeError(err, store, `uploading ${rel}`);
      // Someone wrote this name between our HEAD and our write: compared below like any existing object.
    }
  }
  // Read back what the bucket holds and compare it with the sidecar: the upload's verification,
  // and for an object found there already, the proof that it is ours.
  const back = await sha256OfObject(store, key);
  if (back.sha256 !== local.sha256 || back.bytes !== local.bytes) {
    throw new TicktapeError(
      'TT_STORE_CONFLICT',
      how === 'uploaded'
        ? `${key} reads back with SHA-256 ${back.sha256.slice(0, 12)}… (${back.bytes} bytes), not the sidecar's ${local.sha256.slice(0, 12)}… (${local.bytes} bytes): the store damaged the upload. The local file is kept; delete the object and run the upload again.`
        : `${key} already exists with other bytes (SHA-256 ${back.sha256.slice(0, 12)}…); nothing is overwritten. Two recorders share an instance id? Give each its own.`,
      { key },
    );
  }
  remoteCrashIf(opts.crashAt, 'upload-after-object', opts.crashMode);
  const sidecarKey = objectKey(store.cfg, sidecarRel);
  const name = path.basename(local.path);
  const sidecarText = fs.existsSync(checksumPathFor(local.path)) ? fs.readFileSync(checksumPathFor(local.path), 'utf8') : `${local.sha256}  ${name}\n`;
  if ((await putConditional(store, sidecarKey, sidecarText, { ifNoneMatch: true }, 'text/plain')) === false) {
    const there = await getText(store, sidecarKey);
    if (there && there.text.split(/\s+/)[0] !== local.sha256)
      throw new TicktapeError('TT_STORE_CONFLICT', `${sidecarKey} already names SHA-256 ${there.text.split(/\s+/)[0].slice(0, 12)}…, not ${local.sha256.slice(0, 12)}…; nothing is overwritten.`, { key: sidecarKey });
  }
  remoteCrashIf(opts.crashAt, 'upload-after-sidecar', opts.crashMode);
  return { etag: back.etag, how };
}

/**
 * The summaries of the files being shipped that have one (summaries.ts: raw, book and trades), one
 * scan each, one after the other on the pass's session (one thread: the recorder ships while it
 * records), overlapping the transfers. A file that cannot be summarized is shipped without one:
 * readers then summarize it from the file.
 */
class Summarizer {
  private turn: Promise<unknown> = Promise.resolve();
  constructor(
    private readonly conn: DuckDBConnection,
    private readonly log?: Logger,
  ) {}

  of(f: LiveFile, sha256: string): Promise<FileSummary | null> {
    const run = this.turn.then(() =>
      summarizeFile(this.conn, f.table, f.path, path.basename(f.path), sha256).catch((err: unknown) => {
        this.log?.warn({ path: f.path, err: (err as Error).message }, 'file not summarized: it is shipped without a summary (readers read the file instead)');
        return null;
      }),
    );
    this.turn = run;
    return run;
  }

  /** Resolves once no summary is being computed (the session can close). */
  async idle(): Promise<void> {
    await this.turn.catch(() => undefined);
  }
}

async function shipFile(store: RemoteStore, f: LiveFile, rel: string, sha256: string, rows: number, summaryOf: Promise<FileSummary | null>, ledger: UploadLedger, opts: UploadOptions, now: () => number): Promise<'uploaded' | 'adopted'> {
  const day: DayKey = { table: f.table, exchange: f.exchange, date: f.date };
  const name = path.basename(f.path);
  const { etag, how } = await putFileVerified(store, { path: f.path, bytes: f.bytes, sha256 }, rel, sidecarRelPath(day, name), opts);
  // Before the commit: a reader that sees the file finds its summary.
  const summary = await summaryOf;
  if (summary) await putSummary(store, day, summary);
  const entry: ManifestFile = { name, instance: f.instance, kind: f.kind, sources: f.sources, bytes: f.bytes, sha256, etag, rows, committedAtMs: now() };
  await commitManifest(store, day, (m) => withFile(m, entry, now()));
  remoteCrashIf(opts.crashAt, 'upload-after-commit', opts.crashMode);
  const line: LedgerEntry = { rel, sha256, bytes: f.bytes, etag, committedAtMs: now() };
  ledger.append(line);
  return how;
}

interface PruneReport {
  deleted: number;
  bytes: number;
}

/**
 * Deletes local sealed files that are committed in the bucket (a ledger line with the same
 * SHA-256 as the local sidecar) and were committed at least `keepLocalDays` ago. Nothing else is
 * ever deleted: a file not shipped, or shipped with other bytes, stays.
 */
export function pruneShipped(dataDir: string, url: string, keepLocalDays: number, nowMs = Date.now()): PruneReport {
  const out: PruneReport = { deleted: 0, bytes: 0 };
  const ledger = UploadLedger.open(dataDir, url);
  const byRel = new Map(listPartitionFiles(dataDir).map((f) => [relOf(dataDir, f.path), f]));
  for (const e of ledger.all()) {
    if (e.deletedAtMs !== undefined) continue;
    const f = byRel.get(e.rel);
    if (!f || nowMs - e.committedAtMs < keepLocalDays * 86_400_000) continue;
    if (readChecksumFile(f.path) !== e.sha256) continue;
    fs.rmSync(f.path, { force: true });
    fs.rmSync(checksumPathFor(f.path), { force: true });
    ledger.append({ ...e, deletedAtMs: nowMs });
    out.deleted++;
    out.bytes += f.bytes;
  }
  return out;
}
