/**
 * `ls`: what a data folder holds, per exchange and stream (first and last receive time, frames in,
 * records of every direction, gaps), bytes on disk per exchange, and the journals waiting to be sealed.
 */
import { listSegments } from '../journal/index.js';
import { listPartitionFiles } from '../partitions.js';
import { openTape } from './open-tape.js';

export interface StreamInventory {
  exchange: string;
  stream: string;
  firstNs: bigint | null;
  lastNs: bigint | null;
  /** Incoming frames (direction 'in'). */
  frames: number;
  /** Every record: frames in and out, events. */
  records: number;
  gaps: number;
}

export interface ExchangeBytes {
  exchange: string;
  files: number;
  bytes: number;
  rawBytes: number;
}

export interface JournalInventory {
  instance: string;
  closedSegments: number;
  openSegments: number;
  bytes: number;
}

export interface Inventory {
  streams: StreamInventory[];
  exchanges: ExchangeBytes[];
  journals: JournalInventory[];
}

export async function inventory(dataDir: string): Promise<Inventory> {
  const tape = await openTape(dataDir, { includeJournal: true });
  let streams: StreamInventory[];
  try {
    const r = await tape.conn.runAndReadAll(`
      WITH r AS (
        SELECT exchange, stream, min(recv_ns) AS first_ns, max(recv_ns) AS last_ns,
               count(*) FILTER (WHERE direction = 'in') AS frames, count(*) AS records
        FROM raw GROUP BY exchange, stream),
      g AS (SELECT exchange, stream, count(*) AS gaps FROM gaps GROUP BY exchange, stream)
      SELECT coalesce(r.exchange, g.exchange), coalesce(r.stream, g.stream), r.first_ns, r.last_ns,
             coalesce(r.frames, 0)::BIGINT, coalesce(r.records, 0)::BIGINT, coalesce(g.gaps, 0)::BIGINT
      FROM r FULL OUTER JOIN g ON r.exchange = g.exchange AND r.stream = g.stream
      ORDER BY 1, 2`);
    streams = (r.getRows() as [string, string, bigint | null, bigint | null, bigint, bigint, bigint][]).map(([exchange, stream, f, l, frames, records, gaps]) => ({
      exchange,
      stream,
      firstNs: f,
      lastNs: l,
      frames: Number(frames),
      records: Number(records),
      gaps: Number(gaps),
    }));
  } finally {
    tape.close();
  }
  const byEx = new Map<string, ExchangeBytes>();
  for (const f of listPartitionFiles(dataDir)) {
    const e = byEx.get(f.exchange) ?? { exchange: f.exchange, files: 0, bytes: 0, rawBytes: 0 };
    e.files++;
    e.bytes += f.bytes;
    if (f.table === 'raw') e.rawBytes += f.bytes;
    byEx.set(f.exchange, e);
  }
  const byInst = new Map<string, JournalInventory>();
  for (const s of listSegments(dataDir)) {
    const j = byInst.get(s.instance) ?? { instance: s.instance, closedSegments: 0, openSegments: 0, bytes: 0 };
    if (s.open) j.openSegments++;
    else j.closedSegments++;
    j.bytes += s.bytes;
    byInst.set(s.instance, j);
  }
  return {
    streams,
    exchanges: [...byEx.values()].sort((a, b) => (a.exchange < b.exchange ? -1 : 1)),
    journals: [...byInst.values()].sort((a, b) => (a.instance < b.instance ? -1 : 1)),
  };
}
