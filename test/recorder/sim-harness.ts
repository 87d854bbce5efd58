/**
 * Recorder tests against the simulator: the simulator runs in the test process (so its per-route
 * frame counters are readable), the recorder runs as a child process from a generated config, and
 * the checks read the sealed store through DuckDB.
 */
import fs from 'node:fs';
import path from 'node:path';
import { EXCHANGES } from '../../exchanges/registry.js';
import { EXCHANGE_IDS } from '../../exchanges/types.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../simulator/server.js';
import { openTape } from '../../store/duck/index.js';
import { RecorderProcess } from './harness.js';

export async function startSim(opts: SimulatorOptions = {}): Promise<Simulator> {
  return startSimulator({ port: 0, seed: 7, rate: 200, ...opts });
}

export interface SimConfigOptions {
  exchanges?: readonly string[];
  extra?: Record<string, unknown>;
  perExchange?: Record<string, unknown>;
  /** Leave out the private channels. */
  publicOnly?: boolean;
}

/** Every exchange's default public channels plus its private ones, pointed at the simulator. */
export function writeSimConfig(dir: string, sim: Simulator, data: string, o: SimConfigOptions = {}): string {
  const instruments = sim.market.instruments;
  const exchanges = (o.exchanges ?? EXCHANGE_IDS).map((id) => {
    const m = EXCHANGES[id as keyof typeof EXCHANGES];
    return {
      name: id,
      channels: [...m.defaultChannels(instruments), ...(o.publicOnly ? [] : m.privateChannels(instruments))],
      baseUrl: `ws://127.0.0.1:${sim.port}`,
      credentials: { ...m.demoCredentials },
      ...(o.perExchange ?? {}),
    };
  });
  const cfg = { instance: 'simtest', data, http: '127.0.0.1:0', staggerMs: 0, backoff: { initialMs: 100, maxMs: 1000 }, exchanges, ...(o.extra ?? {}) };
  const file = path.join(dir, `ticktape-${Math.random().toString(36).slice(2, 8)}.json`);
  fs.writeFileSync(file, JSON.stringify(cfg, null, 1), { mode: 0o600 });
  return file;
}

export function startRecorder(config: string, extraArgs: string[] = []): RecorderProcess {
  return new RecorderProcess(['--config', config, ...extraArgs]);
}

export type Row = Record<string, unknown>;

/** Bytes of a BLOB value as DuckDB returns it. */
export function blobBytes(v: unknown): Buffer {
  const b = (v as { bytes?: Uint8Array }).bytes ?? (v as Uint8Array);
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

export async function query(data: string, sql: string): Promise<Row[]> {
  const tape = await openTape(data);
  try {
    return (await tape.conn.runAndReadAll(sql)).getRowObjects() as Row[];
  } finally {
    tape.close();
  }
}

/** Several queries over one tape. */
export async function queries(data: string, sqls: Record<string, string>): Promise<Record<string, Row[]>> {
  const tape = await openTape(data);
  try {
    const out: Record<string, Row[]> = {};
    for (const [k, sql] of Object.entries(sqls)) out[k] = (await tape.conn.runAndReadAll(sql)).getRowObjects() as Row[];
    return out;
  } finally {
    tape.close();
  }
}

export interface GapRow {
  exchange: string;
  stream: string;
  start_ns: bigint;
  end_ns: bigint;
  cause: string;
  detail?: string;
  expected?: number;
  got?: number;
}

/** Gap records with their full payload (expected / got) from raw. */
export async function gapRecords(data: string): Promise<GapRow[]> {
  const rows = await query(data, `SELECT exchange, payload FROM raw WHERE direction = 'event' AND kind = 'gap' ORDER BY recv_ns`);
  return rows.map((r) => {
    const p = JSON.parse(blobBytes(r.payload).toString('utf8'));
    return {
      exchange: String(r.exchange),
      stream: p.stream,
      start_ns: BigInt(p.start_ns),
      end_ns: BigInt(p.end_ns),
      cause: p.cause,
      detail: p.detail,
      ...(p.expected !== undefined ? { expected: Number(p.expected), got: Number(p.got) } : {}),
    };
  });
}

/**
 * Checks that a stream's consecutive data frames from different connections are bridged by a gap
 * row (no silent hole across a reconnect): a gap of that stream that starts no later than the last
 * record the first connection left (what it lost came after it) and ends no earlier than the next
 * frame. Returns the holes found.
 */
export async function unbridgedReconnects(data: string): Promise<string[]> {
  const frames = await query(data, `SELECT exchange, stream, conn_id, recv_ns FROM raw WHERE direction = 'in' AND stream <> '' AND NOT malformed AND (flags & 8) = 0 ORDER BY exchange, stream, recv_ns`);
  const connEnd = new Map((await query(data, `SELECT conn_id, max(recv_ns) AS last FROM raw GROUP BY conn_id`)).map((r) => [String(r.conn_id), BigInt(r.last as bigint)]));
  const gaps = await gapRecords(data);
  const holes: string[] = [];
  for (let i = 1; i < frames.length; i++) {
    const a = frames[i - 1];
    const b = frames[i];
    if (a.exchange !== b.exchange || a.stream !== b.stream || a.conn_id === b.conn_id) continue;
    const aEnd = connEnd.get(String(a.conn_id))!;
    const bn = BigInt(b.recv_ns as bigint);
    const bridged = gaps.some((g) => g.exchange === a.exchange && g.stream === a.stream && g.start_ns <= aEnd && g.end_ns >= bn);
    if (!bridged) holes.push(`${String(a.exchange)} ${String(a.stream)}: ${String(a.conn_id)} → ${String(b.conn_id)} at ${bn}`);
  }
  return holes;
}

/**
 * Recorded data frames that lie strictly inside a gap of their own stream (a gap must start at or
 * after the last frame before it and end at or before the first after it). Returns them, by gap.
 */
export async function framesInsideGaps(data: string): Promise<Row[]> {
  return query(
    data,
    `SELECT g.exchange, g.stream, g.cause, g.detail, g.start_ns, g.end_ns, count(*) AS inside
     FROM gaps g JOIN raw r ON r.exchange = g.exchange AND r.stream = g.stream AND r.recv_ns > g.start_ns AND r.recv_ns < g.end_ns
     WHERE g.stream <> '' AND r.direction = 'in' AND NOT r.malformed AND r.kind IN ('text', 'binary')
     GROUP BY ALL ORDER BY ALL`,
  );
}

/**
 * Coinstore trade ids: recorded (normalized) ids plus the ranges gap rows declare lost must cover
 * every id from the first to the last, and no id may be normalized twice.
 */
export async function coinstoreTradeCoverage(data: string): Promise<{ symbols: number; trades: number; duplicates: number; uncovered: string[] }> {
  const rows = await query(data, `SELECT symbol, stream, CAST(trade_id AS BIGINT) AS id FROM trades WHERE exchange = 'coinstore' ORDER BY symbol, id`);
  const gaps = (await gapRecords(data)).filter((g) => g.exchange === 'coinstore' && g.expected !== undefined);
  const bySymbol = new Map<string, { stream: string; ids: number[] }>();
  for (const r of rows) {
    const e = bySymbol.get(String(r.symbol)) ?? { stream: String(r.stream), ids: [] };
    e.ids.push(Number(r.id));
    bySymbol.set(String(r.symbol), e);
  }
  let duplicates = 0;
  const uncovered: string[] = [];
  for (const [symbol, { stream, ids }] of bySymbol) {
    const set = new Set(ids);
    duplicates += ids.length - set.size;
    const lost = gaps.filter((g) => g.stream === stream);
    for (let id = ids[0]; id <= ids[ids.length - 1]; id++) {
      if (set.has(id)) continue;
      if (lost.some((g) => id >= g.expected! && id < g.got!)) continue;
      uncovered.push(`${symbol} trade ${id}`);
    }
  }
  return { symbols: bySymbol.size, trades: rows.length, duplicates, uncovered };
}
