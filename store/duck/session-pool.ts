/**
 * DuckDB sessions for readers, kept between passes. Opening an in-memory DuckDB instance, and above
 * all closing it (`closeSync`: 0.2–0.3 s on a 2-vCPU machine), costs more than reading a small day;
 * readRecords, readNormalized and what is built on them (the library's `replay()`) borrow a session
 * here and give it back when their pass ends.
 *
 * - At most IDLE_SESSIONS idle sessions are kept; one given back beyond that is closed.
 * - An idle session is closed after IDLE_CLOSE_MS on an unref'd timer: the pool never keeps a
 *   process alive (a script that reads and ends exits by itself).
 * - Before a session goes back, what the pass left in it is dropped: tables and views it created
 *   (staged journals, temp views). The macros and tables every session is opened with stay.
 * - A session whose pass failed is closed, not given back (its state is not known).
 */
import { openDuckSession, type DuckSession } from './session.js';

/** Idle sessions kept at most. */
const IDLE_SESSIONS = 2;
/** An idle session is closed after this long. */
const IDLE_CLOSE_MS = 30_000;

interface Idle {
  session: DuckSession;
  timer: NodeJS.Timeout;
}

const idle: Idle[] = [];
/** The catalog objects (tables and views) of each pooled session as it was opened. */
const baseline = new WeakMap<DuckSession, Set<string>>();
let opened = 0;

/** Tables and views of a session (not DuckDB's own), as `kind\0database\0schema\0name` keys. */
async function catalogObjects(session: DuckSession): Promise<string[]> {
  const r = await session.conn.runAndReadAll(
    `SELECT 'TABLE', database_name, schema_name, table_name FROM duckdb_tables() WHERE NOT internal
     UNION ALL SELECT 'VIEW', database_name, schema_name, view_name FROM duckdb_views() WHERE NOT internal`,
  );
  return (r.getRows() as string[][]).map((row) => row.join('\0'));
}

function quoteIdent(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}

/** A session for one pass: an idle one, else a new one. */
export async function borrowSession(): Promise<DuckSession> {
  const e = idle.pop();
  if (e) {
    clearTimeout(e.timer);
    return e.session;
  }
  const session = await openDuckSession();
  baseline.set(session, new Set(await catalogObjects(session)));
  opened++;
  return session;
}

/**
 * Gives a session back after its pass: `failed` closes it; otherwise what the pass created is
 * dropped and the session kept idle (or closed beyond IDLE_SESSIONS, or if dropping fails).
 */
export async function releaseSession(session: DuckSession, failed: boolean): Promise<void> {
  const base = baseline.get(session);
  if (failed || !base || idle.length >= IDLE_SESSIONS) {
    session.close();
    return;
  }
  try {
    const left = (await catalogObjects(session)).filter((k) => !base.has(k));
    // Views first: a view over a staged table would otherwise block the table's drop.
    left.sort((a, b) => (a.startsWith('VIEW') === b.startsWith('VIEW') ? 0 : a.startsWith('VIEW') ? -1 : 1));
    for (const k of left) {
      const [kind, db, schema, name] = k.split('\0');
      await session.conn.run(`DROP ${kind} IF EXISTS ${quoteIdent(db)}.${quoteIdent(schema)}.${quoteIdent(name)}`);
    }
  } catch {
    session.close();
    return;
  }
  if (idle.length >= IDLE_SESSIONS) {
    session.close();
    return;
  }
  const entry: Idle = {
    session,
    timer: setTimeout(() => {
      const i = idle.indexOf(entry);
      if (i >= 0) idle.splice(i, 1);
      session.close();
    }, IDLE_CLOSE_MS),
  };
  entry.timer.unref();
  idle.push(entry);
}

/** Closes every idle session now (a borrowed one is closed or kept when it comes back). */
export function closeIdleSessions(): void {
  for (const e of idle.splice(0)) {
    clearTimeout(e.timer);
    e.session.close();
  }
}

/** Sessions opened by the pool so far, and how many are idle now (tests, diagnostics). */
export function sessionPoolStats(): { opened: number; idle: number } {
  return { opened, idle: idle.length };
}
