/**
 * What this data folder has shipped to one store: `<data>/uploads/<hash of the URL>.jsonl`, one
 * JSON line per event, appended and fsynced. A line is written only after the file is verified in
 * the bucket and committed to its manifest, so a kill -9 anywhere leaves either no line (the next
 * run finds the object, checks its bytes and commits it without uploading again) or a complete
 * one (a torn last line is ignored). Local files are deleted only for files with a line.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fsyncPath } from '../partitions.js';
import { pidAlive } from '../seal/seal-lock.js';

const UPLOADS_DIR = 'uploads';
/** The ledger is rewritten (temp, fsync, rename) once it holds this many times more lines than entries. */
const LEDGER_REWRITE_FACTOR = 4;

export interface LedgerEntry {
  /** Path relative to the data folder, forward slashes. */
  rel: string;
  sha256: string;
  bytes: number;
  etag: string;
  committedAtMs: number;
  /** Set when the local copy was deleted (kept so a re-created file of that name is noticed). */
  deletedAtMs?: number;
}

function ledgerPath(dataDir: string, url: string): string {
  const h = createHash('sha256').update(url).digest('hex').slice(0, 16);
  return path.join(dataDir, UPLOADS_DIR, `${h}.jsonl`);
}

export class UploadLedger {
  private readonly entries = new Map<string, LedgerEntry>();
  private lines = 0;

  private constructor(readonly file: string) {}

  static open(dataDir: string, url: string): UploadLedger {
    const l = new UploadLedger(ledgerPath(dataDir, url));
    let text = '';
    try {
      text = fs.readFileSync(l.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const e = JSON.parse(line) as LedgerEntry;
        if (typeof e.rel === 'string' && typeof e.sha256 === 'string') l.entries.set(e.rel, e);
        l.lines++;
      } catch {
        /* a torn last line from a kill: that file is simply checked again */
      }
    }
    return l;
  }

  get(rel: string): LedgerEntry | undefined {
    return this.entries.get(rel);
  }

  all(): LedgerEntry[] {
    return [...this.entries.values()];
  }

  append(e: LedgerEntry): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const fd = fs.openSync(this.file, 'a');
    try {
      fs.writeSync(fd, JSON.stringify(e) + '\n');
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    this.entries.set(e.rel, e);
    this.lines++;
    if (this.lines > LEDGER_REWRITE_FACTOR * Math.max(16, this.entries.size)) this.rewrite();
  }

  /** Drops entries whose local file is gone for good; one line per remaining entry. */
  rewrite(exists: (rel: string) => boolean = () => true): void {
    for (const [rel, e] of this.entries) if (e.deletedAtMs !== undefined && !exists(rel)) this.entries.delete(rel);
    const tmp = `${this.file}.tmp`;
    fs.writeFileSync(tmp, [...this.entries.values()].map((e) => JSON.stringify(e) + '\n').join(''));
    fsyncPath(tmp);
    fs.renameSync(tmp, this.file);
    fsyncPath(path.dirname(this.file));
    this.lines = this.entries.size;
  }
}

/** One uploader per data folder: `<data>/uploads/UPLOAD.LOCK` holds its pid (a dead holder's lock is taken over). */
export function acquireUploadLock(dataDir: string): (() => void) | null {
  const dir = path.join(dataDir, UPLOADS_DIR);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'UPLOAD.LOCK');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx');
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      return () => {
        try {
          if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.unlinkSync(file);
        } catch {
          /* already gone */
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(fs.readFileSync(file, 'utf8').trim());
      if (pid !== process.pid && pidAlive(pid)) return null;
      if (pid === process.pid) return null;
      fs.rmSync(file, { force: true });
    }
  }
  return null;
}
