/**
 * A sliding read window over a file: random access by file offset with bounded memory. Segments can
 * be 256 MiB; readers and recovery never load more than one chunk plus the largest record at once.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { TicktapeError } from '../../core/errors.js';

/** Bytes read per refill: large enough to amortize the syscall, small enough to stay in cache. */
export const READ_CHUNK_BYTES = 1024 * 1024;

export class FileWindow {
  /** Holds file bytes [start, start + len) at buf[0, len). Valid until the next ensure(). */
  buf: Buffer;
  private start = 0;
  private len = 0;
  readonly size: number;

  private constructor(
    private readonly fd: number,
    readonly path: string,
    size: number,
    private readonly chunkBytes: number,
  ) {
    this.size = size;
    this.buf = Buffer.allocUnsafe(Math.min(chunkBytes, Math.max(size, 64)));
  }

  /** Opens `path` read-only; the size is fixed at open (bytes appended later are not seen). */
  static open(path: string, chunkBytes = READ_CHUNK_BYTES): FileWindow {
    const fd = openSync(path, 'r');
    try {
      return new FileWindow(fd, path, fstatSync(fd).size, chunkBytes);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  /**
   * Makes file bytes [off, off + n) available and returns where they start in `buf`.
   * Requires off + n <= size (callers check bounds first, so a forged length never reaches here).
   */
  ensure(off: number, n: number): number {
    if (off >= this.start && off + n <= this.start + this.len) return off - this.start;
    const want = Math.min(Math.max(n, this.chunkBytes), this.size - off);
    if (want < n) throw new RangeError(`read past end of ${this.path}: ${off}+${n} > ${this.size}`);
    if (want > this.buf.length) this.buf = Buffer.allocUnsafe(want);
    let got = 0;
    while (got < want) {
      const r = readSync(this.fd, this.buf, got, want - got, off + got);
      if (r === 0) {
        throw new TicktapeError('TT_JOURNAL_IO', `${this.path} shrank while being read (at byte ${off + got}); run the command again`, {
          path: this.path,
        });
      }
      got += r;
    }
    this.start = off;
    this.len = want;
    return 0;
  }

  /** How many bytes from `off` are available without a read (at least `min` after ensuring). */
  ensureUpTo(off: number, max: number): { pos: number; avail: number } {
    const n = Math.min(max, this.size - off);
    const pos = this.ensure(off, Math.min(n, this.chunkBytes));
    return { pos, avail: Math.min(n, this.start + this.len - off) };
  }

  close(): void {
    closeSync(this.fd);
  }
}
