/**
 * Commits. Each (table, exchange, date) has one small manifest object listing the files that
 * hold its data; a file in the bucket that no manifest lists is invisible to ticktape's readers
 * (an upload in flight, or the leftover of a crash). Every change is a read-modify-write with a
 * conditional PUT (`If-None-Match: *` for the first version, `If-Match: <etag>` after), retried
 * on a lost race: recorders and compactors change one day's manifest without any other
 * coordination, and none overwrites another's change.
 *
 * A file whose segments a newer file of the same instance holds (a day file) is moved to
 * `retired` in the same commit: readers stop seeing it at once, and its objects are deleted only
 * after a grace period, so a reader that listed it just before keeps a file to read.
 */
import { TicktapeError } from '../../core/errors.js';
import { TABLE_NAMES } from '../../schemas/tables.js';
import { getText, listObjects, putConditional, storeError, type RemoteStore } from './s3-client.js';
import { manifestRelPath, MANIFEST_DIR, parseManifestRelPath, type DayKey } from './layout.js';
import { objectKey, relativeKey } from './store-url.js';

const MANIFEST_FORMAT = 'ticktape.manifest';
const MANIFEST_VERSION = 1;
/** Lost races on one manifest before giving up (each retry re-reads it). */
const MANIFEST_MAX_ATTEMPTS = 50;
/** Wait before the read-back that checks a commit survived (see commitManifest). */
const MANIFEST_SETTLE_MS = 150;

export interface ManifestFile {
  name: string;
  instance: string;
  kind: 'segment' | 'day';
  /** Journal segments the file holds (from its name, or a day file's metadata). */
  sources: string[];
  bytes: number;
  sha256: string;
  etag: string;
  rows: number;
  committedAtMs: number;
}

interface RetiredFile {
  name: string;
  retiredAtMs: number;
  /** The file that holds its data now (null: it was committed after a file that already held it). */
  replacedBy: string | null;
}

export interface Manifest extends DayKey {
  format: typeof MANIFEST_FORMAT;
  version: number;
  files: ManifestFile[];
  retired: RetiredFile[];
}

function emptyManifest(d: DayKey): Manifest {
  return { format: MANIFEST_FORMAT, version: MANIFEST_VERSION, table: d.table, exchange: d.exchange, date: d.date, files: [], retired: [] };
}

export function parseManifest(text: string, where: string): Manifest {
  let m: Manifest;
  try {
    m = JSON.parse(text) as Manifest;
  } catch {
    throw new TicktapeError('TT_PARTITION_DAMAGED', `Manifest ${where} is not JSON; the store's commit record is damaged. Restore it from a copy or rewrite it from the files (\`ticktape verify\`).`, { where });
  }
  if (m?.format !== MANIFEST_FORMAT || !Array.isArray(m.files) || !Array.isArray(m.retired)) {
    throw new TicktapeError('TT_PARTITION_DAMAGED', `Manifest ${where} is not a ticktape manifest.`, { where });
  }
  if (m.version > MANIFEST_VERSION) throw new TicktapeError('TT_CONFIG_INVALID', `Manifest ${where} has version ${m.version}; this ticktape reads ${MANIFEST_VERSION}: upgrade ticktape.`, { where });
  return m;
}

function covers(outer: readonly string[], inner: readonly string[]): boolean {
  if (inner.length === 0) return false;
  const s = new Set(outer);
  return inner.every((x) => s.has(x));
}

/**
 * The manifest with `file` committed (pure). Same name already there: unchanged when the bytes are
 * the same, a conflict otherwise. Files of the same instance whose segments `file` holds are
 * retired; a `file` whose segments a listed file already holds is retired itself (it came late).
 */
export function withFile(m: Manifest, file: ManifestFile, nowMs: number): Manifest {
  const same = m.files.find((f) => f.name === file.name);
  if (same) {
    if (same.sha256 !== file.sha256) {
      throw new TicktapeError(
        'TT_STORE_CONFLICT',
        `${file.name} is already committed with other bytes (SHA-256 ${same.sha256.slice(0, 12)}… vs ${file.sha256.slice(0, 12)}…); nothing is overwritten. Two recorders share an instance id? Give each its own.`,
        { name: file.name },
      );
    }
    return m;
  }
  const mine = m.files.filter((f) => f.instance === file.instance);
  const holder = mine.find((f) => covers(f.sources, file.sources) && f.sources.length >= file.sources.length);
  if (holder) {
    if (m.retired.some((r) => r.name === file.name)) return m;
    return { ...m, retired: [...m.retired, { name: file.name, retiredAtMs: nowMs, replacedBy: null }] };
  }
  const superseded = new Set(mine.filter((f) => covers(file.sources, f.sources)).map((f) => f.name));
  return {
    ...m,
    files: [...m.files.filter((f) => !superseded.has(f.name)), file].sort((a, b) => (a.name < b.name ? -1 : 1)),
    retired: [...m.retired.filter((r) => r.name !== file.name), ...[...superseded].map((name) => ({ name, retiredAtMs: nowMs, replacedBy: file.name }))],
  };
}

/** The manifest without the retired entries in `names` (their objects are deleted). */
export function withoutRetired(m: Manifest, names: ReadonlySet<string>): Manifest {
  return { ...m, retired: m.retired.filter((r) => !names.has(r.name)) };
}

export async function readManifest(store: RemoteStore, d: DayKey): Promise<{ manifest: Manifest; etag: string | null }> {
  const key = objectKey(store.cfg, manifestRelPath(d));
  const got = await getText(store, key);
  if (!got) return { manifest: emptyManifest(d), etag: null };
  return { manifest: parseManifest(got.text, key), etag: got.etag };
}

/**
 * Applies `change` to the current manifest and writes it conditionally, re-reading and re-applying
 * on every lost race. `change` returns the same object for "nothing to do".
 */
export async function commitManifest(store: RemoteStore, d: DayKey, change: (m: Manifest) => Manifest): Promise<Manifest> {
  const key = objectKey(store.cfg, manifestRelPath(d));
  for (let attempt = 0; attempt < MANIFEST_MAX_ATTEMPTS; attempt++) {
    const { manifest, etag } = await readManifest(store, d);
    const next = change(manifest);
    if (next === manifest) return manifest;
    const ok = await putConditional(store, key, JSON.stringify(next, null, 1), etag === null ? { ifNoneMatch: true } : { ifMatch: etag });
    if (ok !== false) {
      // Read back after a moment: a store whose conditional writes are not atomic (moto, some
      // S3-compatible servers) can let two racing writers both succeed, the later one dropping
      // the earlier one's change. `change` is idempotent, so "nothing to do" on the re-read proves
      // the change is in; otherwise it is applied again on top of the winner's version.
      await new Promise((r) => setTimeout(r, MANIFEST_SETTLE_MS));
      const again = await readManifest(store, d);
      const redo = change(again.manifest);
      if (redo === again.manifest) return again.manifest;
      continue;
    }
    await new Promise((r) => setTimeout(r, Math.min(1000, 10 * 2 ** Math.min(attempt, 6)) * Math.random()));
  }
  throw storeError(new Error(`${MANIFEST_MAX_ATTEMPTS} lost races`), store, `committing ${key}`);
}

/** The days that have a manifest, optionally under a table / exchange / date prefix. */
export async function listManifestDays(store: RemoteStore, filter: { table?: string; exchange?: string; date?: string } = {}): Promise<DayKey[]> {
  let rel = `${MANIFEST_DIR}/`;
  if (filter.table) {
    rel += `${filter.table}/`;
    if (filter.exchange !== undefined) {
      rel += `exchange=${filter.exchange === '' ? 'no-exchange' : filter.exchange}/`;
      if (filter.date) rel += `date=${filter.date}.json`;
    }
  }
  const out: DayKey[] = [];
  for (const o of await listObjects(store, objectKey(store.cfg, rel))) {
    const r = relativeKey(store.cfg, o.key);
    const d = r ? parseManifestRelPath(r, TABLE_NAMES) : null;
    if (d) out.push(d);
  }
  return out;
}
