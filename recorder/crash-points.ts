/**
 * Where a crashed run's recording really ends, read from its journal at the next start (after the
 * journal's recovery cut the torn tail). The last-seen state (last-seen.ts) is saved once a second,
 * so after a SIGKILL it lags the journal by up to a second of frames: a restart gap started there
 * would cover frames that were recorded (a replay, which closes the client at the start of a
 * disconnect gap, never sends them) and overstate what was lost. So the gap of each stream starts at
 * the last record its connection wrote to the journal: one connection delivers in order and the
 * journal keeps its records in order, so everything that connection received up to its last
 * journaled record is in the journal, and what the exchange sent after it is what the crash lost.
 *
 * Only records after the last state save (minus a margin) are read: whatever came before, the
 * state file knows. The newest segments are read first, back to the first one that starts before
 * that point.
 */
import { listSegments, readSegment } from '../store/journal/index.js';
import { FLAG_MALFORMED, FLAG_OVERLAP, type TapeRecord } from '../schemas/record.js';
import type { ExchangeModule, StreamSpec } from '../exchanges/types.js';

/** Records this long before the last state save are read too (segment names have 1 s resolution). */
export const CRASH_SCAN_MARGIN_NS = 2_000_000_000n;

export interface CrashScan {
  /** `<exchange> <stream>` → its last data frame in the journal after the scan start. */
  lastData: Map<string, TapeRecord>;
  /** `<exchange> <stream>` → its last data frame not flagged overlap (the connection that carried it). */
  lastKept: Map<string, TapeRecord>;
  /** conn_id → receive time of that connection's last journaled record. */
  connLastNs: Map<string, bigint>;
  /** Segments read. */
  segments: number;
}

/** Start of a segment from its name (`<yyyymmddThhmmssZ>-...`), ns, or null. */
function segmentStartNs(name: string): bigint | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z-/.exec(name);
  return m ? BigInt(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6])) * 1_000_000n : null;
}

const key = (r: TapeRecord): string => `${r.exchange} ${r.stream}`;

/** Reads the instance's closed segments from the newest back to the one that starts before `sinceNs`. */
export function scanCrashPoints(dataDir: string, instance: string, sinceNs: bigint): CrashScan {
  const out: CrashScan = { lastData: new Map(), lastKept: new Map(), connLastNs: new Map(), segments: 0 };
  const segments = listSegments(dataDir, instance).filter((s) => !s.open);
  for (let i = segments.length - 1; i >= 0; i--) {
    const seg = segments[i];
    const newer = { data: new Map<string, TapeRecord>(), kept: new Map<string, TapeRecord>(), conn: new Map<string, bigint>() };
    try {
      for (const r of readSegment(seg.path)) {
        if (r.recvNs < sinceNs) continue;
        const last = newer.conn.get(r.connId);
        if (r.connId && (last === undefined || r.recvNs > last)) newer.conn.set(r.connId, r.recvNs);
        if (r.direction !== 'in' || !r.stream || (r.flags & FLAG_MALFORMED) !== 0 || (r.kind !== 'text' && r.kind !== 'binary')) continue;
        const k = key(r);
        const prev = newer.data.get(k);
        if (!prev || r.recvNs >= prev.recvNs) newer.data.set(k, r);
        if ((r.flags & FLAG_OVERLAP) === 0) newer.kept.set(k, r);
      }
    } catch {
      continue; // sealed and deleted while we read: what it held is sealed, and older than the rest
    }
    out.segments += 1;
    // a newer segment's records win over an older one's
    for (const [k, r] of newer.data) if (!out.lastData.has(k)) out.lastData.set(k, r);
    for (const [k, r] of newer.kept) if (!out.lastKept.has(k)) out.lastKept.set(k, r);
    for (const [c, ns] of newer.conn) if (!out.connLastNs.has(c)) out.connLastNs.set(c, ns);
    const start = segmentStartNs(seg.name);
    if (start === null || start <= sinceNs) break;
  }
  return out;
}

/** What a data frame says about its stream: its highest exchange sequence and its timestamp, as the live reader saw them. */
export function frameKeyOf(mod: ExchangeModule, spec: StreamSpec, rec: TapeRecord, credentials: Record<string, string> | null): { seq: number | null; tsMs: number | null } {
  try {
    const session = mod.client.createSession({ endpointUrl: rec.endpoint, endpoint: spec.endpoint, streams: [spec], ...(credentials ? { credentials } : {}), nowMs: () => Date.now() });
    const info = session.onFrame(rec.payload, rec.kind === 'binary');
    let seq: number | null = null;
    for (const s of info.sequences ?? []) if (s.scope === spec.key && (seq === null || s.value > seq)) seq = s.value;
    return { seq, tsMs: info.exchangeTsMs ?? null };
  } catch {
    return { seq: null, tsMs: null };
  }
}
