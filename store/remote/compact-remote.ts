/**
 * `Store.seal({ compact: true })` of an s3:// store (`ticktape seal --compact --data s3://…`):
 * compaction in the bucket. Per finished day and table,
 * each instance's committed files become one day file (more when they exceed DAY_FILE_MAX_BYTES),
 * under that day's lease:
 *
 *   lease → fetch the inputs (cache, checked) → merge locally (store/seal compactDay, verified
 *   against the inputs' tally) → upload with If-None-Match and read back → the day file's
 *   summary (summaries.ts: raw, book and trades) → one manifest commit that adds the day file and retires its inputs →
 *   release
 *
 * Readers switch at the commit. Retired inputs (and their sidecars and summaries) are deleted only once RETIRE_GRACE_MS has passed
 * since their retirement (by this or a later run), so a reader that listed them just before the
 * commit can finish. A crash at any step leaves at worst an uncommitted object (invisible, and
 * adopted by the next run, whose day file has the same name) or retired inputs not yet deleted.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../core/log.js';
import { compactDay } from '../seal/compact.js';
import { readChecksumFile } from '../seal/parquet-file.js';
import { checksumPathFor, META } from '../partitions.js';
import { openDuckSession } from '../duck/session.js';
import { readKvMetadata } from '../duck/live-files.js';
import { dayDir, localPathOf, sidecarRelPath, type DayKey } from './layout.js';
import { acquireLease, LEASE_TTL_MS } from './lease.js';
import { commitManifest, listManifestDays, readManifest, withFile, withoutRetired, type Manifest, type ManifestFile } from './manifest.js';
import { StoreCache } from './read-cache.js';
import { remoteCrashIf, type RemoteCrashMode, type RemoteCrashPoint } from './remote-crash.js';
import { deleteObject, type RemoteStore } from './s3-client.js';
import { objectKey } from './store-url.js';
import { deleteSummary, putSummary, summarizeFile, type FileSummary } from './summaries.js';
import { putFileVerified, sha256FileAsync } from './uploader.js';

/** Retired inputs stay this long after the commit that retired them (readers mid-query keep their files). */
const RETIRE_GRACE_MS = 60 * 60_000;
/** Day files aim at 128 MB-1 GB: inputs are merged up to this many bytes per output file. */
const DAY_FILE_MAX_BYTES = 1024 ** 3;

interface RemoteCompactOptions {
  /** Only days before this date (YYYY-MM-DD). */
  beforeDate?: string;
  instance?: string;
  zstdLevel?: number;
  leaseTtlMs?: number;
  graceMs?: number;
  maxFileBytes?: number;
  cacheDir?: string;
  cacheGb?: number;
  owner?: string;
  now?: () => number;
  crashAt?: RemoteCrashPoint;
  crashMode?: RemoteCrashMode;
  log?: Logger;
}

/** One day of one table and exchange in a bucket compaction: a day file written, retired inputs deleted, or the day left to another compactor. */
export interface BucketCompactResult extends DayKey {
  /** The instance whose files were merged (null for a deletion or a busy day). */
  instance: string | null;
  /** Input file names merged into `output`. */
  inputs: string[];
  output: string | null;
  rows: number;
  /** Retired objects deleted (their grace period was over). */
  deleted: number;
  /** Another compactor holds this day's lease: left alone. */
  busy?: boolean;
}

/** Groups one instance's files (by name) into runs of at most maxBytes; runs of one file are left out. */
function planMerges(files: readonly ManifestFile[], maxBytes: number): ManifestFile[][] {
  const sorted = [...files].sort((a, b) => (a.name < b.name ? -1 : 1));
  const out: ManifestFile[][] = [];
  let cur: ManifestFile[] = [];
  let bytes = 0;
  for (const f of sorted) {
    if (cur.length && bytes + f.bytes > maxBytes) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(f);
    bytes += f.bytes;
  }
  if (cur.length) out.push(cur);
  return out.filter((g) => g.length > 1);
}

async function collectGarbage(store: RemoteStore, m: Manifest, graceMs: number, now: number, opts: RemoteCompactOptions): Promise<number> {
  const due = m.retired.filter((r) => r.retiredAtMs + graceMs <= now && !m.files.some((f) => f.name === r.name));
  if (due.length === 0) return 0;
  let n = 0;
  for (const r of due) {
    await deleteObject(store, objectKey(store.cfg, `${dayDir(m)}/${r.name}`));
    await deleteObject(store, objectKey(store.cfg, sidecarRelPath(m, r.name)));
    await deleteSummary(store, m, r.name);
    if (++n === 1) remoteCrashIf(opts.crashAt, 'gc-after-delete-partial', opts.crashMode);
  }
  const names = new Set(due.map((r) => r.name));
  await commitManifest(store, m, (cur) => (cur.retired.some((r) => names.has(r.name)) ? withoutRetired(cur, names) : cur));
  return n;
}

export async function compactBucket(store: RemoteStore, opts: RemoteCompactOptions = {}): Promise<BucketCompactResult[]> {
  const now = opts.now ?? Date.now;
  const grace = opts.graceMs ?? RETIRE_GRACE_MS;
  const cache = new StoreCache(store, { dir: opts.cacheDir, cacheGb: opts.cacheGb, log: opts.log });
  const out: BucketCompactResult[] = [];
  const days = (await listManifestDays(store)).filter((d) => !opts.beforeDate || d.date < opts.beforeDate);
  for (const day of days) {
    const peek = (await readManifest(store, day)).manifest;
    const byInstance = new Map<string, ManifestFile[]>();
    for (const f of peek.files) if (!opts.instance || f.instance === opts.instance) byInstance.set(f.instance, [...(byInstance.get(f.instance) ?? []), f]);
    const work = [...byInstance.values()].some((fs2) => planMerges(fs2, opts.maxFileBytes ?? DAY_FILE_MAX_BYTES).length > 0);
    const garbage = peek.retired.some((r) => r.retiredAtMs + grace <= now());
    if (!work && !garbage) continue;
    const lease = await acquireLease(store, day, { owner: opts.owner, ttlMs: opts.leaseTtlMs ?? LEASE_TTL_MS, now });
    if (!lease) {
      out.push({ ...day, instance: null, inputs: [], output: null, rows: 0, deleted: 0, busy: true });
      continue;
    }
    try {
      remoteCrashIf(opts.crashAt, 'compact-after-lease', opts.crashMode);
      const m = (await readManifest(store, day)).manifest;
      const deleted = await collectGarbage(store, m, grace, now(), opts);
      if (deleted) out.push({ ...day, instance: null, inputs: [], output: null, rows: 0, deleted });
      const current = (await readManifest(store, day)).manifest;
      const groups = new Map<string, ManifestFile[]>();
      for (const f of current.files) if (!opts.instance || f.instance === opts.instance) groups.set(f.instance, [...(groups.get(f.instance) ?? []), f]);
      for (const [instance, files] of [...groups].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
        for (const inputs of planMerges(files, opts.maxFileBytes ?? DAY_FILE_MAX_BYTES)) {
          const merged = await mergeRun(cache, current, instance, inputs, opts);
          remoteCrashIf(opts.crashAt, 'compact-after-merge', opts.crashMode);
          try {
            const rel = `${dayDir(day)}/${merged.name}`;
            const { etag } = await putFileVerified(store, { path: merged.path, bytes: merged.bytes, sha256: merged.sha256 }, rel, sidecarRelPath(day, merged.name));
            if (merged.summary) await putSummary(store, day, merged.summary);
            remoteCrashIf(opts.crashAt, 'compact-after-upload', opts.crashMode);
            if (!(await lease.renew())) opts.log?.warn({ day: dayDir(day) }, 'compaction lease expired and was taken over; committing anyway (the commit is conditional)');
            const entry: ManifestFile = { name: merged.name, instance, kind: 'day', sources: merged.sources, bytes: merged.bytes, sha256: merged.sha256, etag, rows: merged.rows, committedAtMs: now() };
            await commitManifest(store, day, (cur) => withFile(cur, entry, now()));
            remoteCrashIf(opts.crashAt, 'compact-after-commit', opts.crashMode);
            out.push({ ...day, instance, inputs: inputs.map((f) => f.name), output: merged.name, rows: merged.rows, deleted: 0 });
          } finally {
            merged.cleanup();
          }
        }
      }
    } finally {
      await lease.release().catch(() => {});
    }
  }
  return out;
}

/** Merges committed files of one instance locally, in a staging folder of hard links to the cache. */
async function mergeRun(cache: StoreCache, day: Manifest, instance: string, inputs: ManifestFile[], opts: RemoteCompactOptions) {
  const staging = fs.mkdtempSync(path.join(cache.dir, '.compact-'));
  const cleanup = () => fs.rmSync(staging, { recursive: true, force: true });
  try {
    for (const f of inputs) {
      const { path: cached } = await cache.fetch(day, f);
      const dst = localPathOf(staging, day, f.name);
      fs.mkdirSync(path.dirname(dst), { recursive: true });
      fs.linkSync(cached, dst);
      fs.linkSync(checksumPathFor(cached), checksumPathFor(dst));
    }
    const res = await compactDay(staging, day.table, day.exchange, day.date, { instance, zstdLevel: opts.zstdLevel });
    const made = res.find((r) => r.output);
    if (!made?.output) throw new Error(`compaction of ${dayDir(day)} (${instance}) wrote no day file`);
    const name = path.basename(made.output);
    const sha256 = readChecksumFile(made.output) ?? (await sha256FileAsync(made.output));
    // One session for the day file's metadata and its summary (one scan).
    const session = await openDuckSession({ threads: 1 });
    let meta: Record<string, string> | undefined;
    let summary: FileSummary | null = null;
    try {
      meta = (await readKvMetadata(session.conn, [made.output])).get(made.output);
      summary = await summarizeFile(session.conn, day.table, made.output, name, sha256);
    } finally {
      session.close();
    }
    const sources = JSON.parse(meta?.[META.sourceSegments] ?? '[]') as string[];
    return {
      name,
      path: made.output,
      bytes: fs.statSync(made.output).size,
      sha256,
      summary,
      rows: made.rows,
      sources,
      cleanup,
    };
  } catch (err) {
    cleanup();
    throw err;
  }
}
