/**
 * Reads of the store for the replay's timelines and primers, on pooled DuckDB sessions. Closing a
 * DuckDB instance is synchronous and takes tens of milliseconds: done at the end of a read, it would
 * stall every paced client of the server. A read borrows a session and gives it back; only sessions
 * beyond IDLE_DUCK_SESSIONS idle ones are closed, and never on the sending path's turn.
 */
import { openDuckSession, type DuckSession } from '../store/duck/index.js';
import { readRecords, type ReadRecordsOptions } from '../store/reader/index.js';
import type { TapeRecord } from '../schemas/record.js';
import { dayBoundsNs } from '../store/partitions.js';
import type { ServedDays } from './served-days.js';

/** DuckDB sessions kept open between reads. */
const IDLE_DUCK_SESSIONS = 2;

type ReadOptions = Omit<ReadRecordsOptions, 'dataDir' | 'session'>;

export class ReadPool {
  private readonly idle: DuckSession[] = [];
  private closing = false;

  /** A data folder, or a bucket's days as the server reaches them (served-days.ts). */
  constructor(private readonly data: string | ServedDays) {}

  /**
   * Records of the data folder in recorded order, in batches, on a borrowed session. Over a
   * bucket, the days of the range one after the other, each held while it is read (its folder
   * waits for its files; the next days download meanwhile).
   */
  async *read(o: ReadOptions): AsyncGenerator<TapeRecord[]> {
    const session = this.idle.pop() ?? (await openDuckSession());
    try {
      const served = this.data;
      if (typeof served === 'string') yield* readRecords({ ...o, dataDir: served, session });
      else {
        for (const date of served.datesIn(o.fromNs, o.toNs)) {
          const dir = await served.acquire(date);
          try {
            const { startNs, endNs } = dayBoundsNs(date);
            yield* readRecords({ ...o, dataDir: dir, session, fromNs: o.fromNs !== undefined && o.fromNs > startNs ? o.fromNs : startNs, toNs: o.toNs !== undefined && o.toNs < endNs ? o.toNs : endNs });
          } finally {
            served.release(date);
          }
        }
      }
    } finally {
      if (!this.closing && this.idle.length < IDLE_DUCK_SESSIONS) this.idle.push(session);
      else setImmediate(() => session.close());
    }
  }

  /** Closes the idle sessions; a read still running closes its own when it ends. */
  close(): void {
    this.closing = true;
    for (const d of this.idle.splice(0)) d.close();
  }
}
