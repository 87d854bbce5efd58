/** A JournalFs over node:fs whose writes can be made to fail (disk full, I/O error) or come up short. */
import fs from 'node:fs';
import type { JournalFs } from '../../../store/journal/api.js';

export class FaultyFs implements JournalFs {
  /** When set, writes fail with this errno code once `spaceLeft` bytes have been written. */
  failWith: 'ENOSPC' | 'EIO' | null = null;
  /** Bytes that still fit while failing (a partial write before the error). */
  spaceLeft = 0;
  /** Largest byte count one writeSync call accepts (short writes). */
  maxChunk = Infinity;
  writeCalls = 0;

  openSync(p: string, flags: string, mode?: number): number {
    return fs.openSync(p, flags, mode);
  }
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number | null): number {
    this.writeCalls++;
    let n = Math.min(length, this.maxChunk);
    if (this.failWith !== null) {
      if (this.spaceLeft <= 0) throw Object.assign(new Error(`${this.failWith}: injected`), { code: this.failWith });
      n = Math.min(n, this.spaceLeft);
      this.spaceLeft -= n;
    }
    return fs.writeSync(fd, buffer, offset, n, position);
  }
  fdatasync(fd: number, cb: (err: NodeJS.ErrnoException | null) => void): void {
    fs.fdatasync(fd, cb);
  }
  fsyncSync(fd: number): void {
    fs.fsyncSync(fd);
  }
  ftruncateSync(fd: number, len: number): void {
    fs.ftruncateSync(fd, len);
  }
  closeSync(fd: number): void {
    fs.closeSync(fd);
  }
  renameSync(from: string, to: string): void {
    fs.renameSync(from, to);
  }
}

/** Resolves once `cond` holds (polling), or rejects after `maxMs` with `what` in the message. */
export async function waitFor(cond: () => boolean, what: string, maxMs = 10_000): Promise<void> {
  const until = Date.now() + maxMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));
