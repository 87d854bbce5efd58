/**
 * Reads of the store for the replay's timelines and primers, on pooled DuckDB sessions. Closing a
 * DuckDB instance is synchronous and takes tens of milliseconds: done at the end of a read, it would
 * stall every paced client of the server. A read borrows a session and gives it back; only sessions
 * beyond IDLE_DUCK_SESSIONS idle ones are closed, and never on the sending path's turn.
 */
import { openDuckSession, type DuckSession } from '../store/duck/index.js';
import { readRecords, type ReadRecordsOptions } from '../store/reader/index.js';
import type { TapeRecord } from '../schemas/record.js';

/** DuckDB sessions kept open between reads. */
const IDLE_DUCK_SESSIONS = 2;

type ReadOptions = Omit<ReadRecordsOptions, 'dataDir' | 'session'>;

export class ReadPool {
  private readonly idle: DuckSession[] = [];
  private closing = false;

  constructor(private readonly dataDir: string) {}

  /** Records of the data folder in recorded order, in batches, on a borrowed session. */
  async *read(o: ReadOptions): AsyncGenerator<TapeRecord[]> {
    const session = this.idle.pop() ?? (await openDuckSession());
    try {
      yield* readRecords({ ...o, dataDir: this.dataDir, session });
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
