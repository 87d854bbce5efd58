/**
 * Analysis fixtures: a data folder recorded by the real recorder (a child process) from the
 * simulator running in the test process, so the simulator's market can be watched while it runs.
 * Every book the market publishes is captured (top levels, by version) so `book_at` can be
 * compared with the book the simulator really had. Built once per test file.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { EXCHANGES } from '../../exchanges/registry.js';
import { EXCHANGE_IDS } from '../../exchanges/types.js';
import type { BookEvent } from '../../exchanges/market.js';
import { startSimulator, type Simulator } from '../../simulator/server.js';
import type { FaultConfig } from '../../simulator/faults.js';
import { openAnalysis, type AnalysisTape } from '../../analysis/open.js';
import { RecorderProcess, getJson, tmpDir, until } from '../recorder/harness.js';

export { tmpDir };

/** Levels per side kept of each captured book (every exchange here publishes at most 20). */
export const CAPTURED_LEVELS = 25;
export const FIXTURE_SEED = 7;

export interface CapturedBook {
  /** The market's event with bids/asks cut to CAPTURED_LEVELS (formatters read no deeper). */
  event: BookEvent;
  symbol: string; // BASE-QUOTE
}

export interface Fixture {
  dir: string;
  data: string;
  /** Captured books per instrument ('BTC-USDT'), in version order. */
  books: Map<string, CapturedBook[]>;
  faults: { drops: number; malformed: number };
  cleanup(): void;
}

export interface FixtureOptions {
  faults?: Partial<FaultConfig>;
  /** Frames every exchange must have delivered before the recorder is stopped. */
  minFrames?: number;
  /** Also wait until every exchange reconnected this many times (fault runs). */
  minReconnects?: number;
}

function writeConfig(dir: string, sim: Simulator, data: string): string {
  const instruments = sim.market.instruments;
  const exchanges = EXCHANGE_IDS.map((id) => {
    const m = EXCHANGES[id as keyof typeof EXCHANGES];
    return {
      name: id,
      channels: [...m.defaultChannels(instruments)],
      baseUrl: `ws://127.0.0.1:${sim.port}`,
      credentials: { ...m.demoCredentials },
    };
  });
  const cfg = { instance: 'antest', data, http: '127.0.0.1:0', staggerMs: 0, backoff: { initialMs: 100, maxMs: 1000 }, exchanges };
  const file = path.join(dir, 'ticktape.json');
  fs.writeFileSync(file, JSON.stringify(cfg, null, 1), { mode: 0o600 });
  return file;
}

/** Records the simulator (all four exchanges, public channels) until enough frames arrived; the recorder seals on SIGTERM. */
export async function recordFixture(o: FixtureOptions = {}): Promise<Fixture> {
  const dir = tmpDir('tt-analysis-');
  const data = path.join(dir, 'data');
  const sim = await startSimulator({ port: 0, seed: FIXTURE_SEED, rate: 200, faults: o.faults });
  const books = new Map<string, CapturedBook[]>();
  // Every version of every book, as the market announces it: whatever a server publishes is one of them.
  const off = sim.market.on({
    book: (inst) => {
      const ev = sim.market.book(inst);
      const symbol = `${inst.base}-${inst.quote}`;
      const list = books.get(symbol) ?? [];
      list.push({ symbol, event: { ...ev, bids: ev.bids.slice(0, CAPTURED_LEVELS), asks: ev.asks.slice(0, CAPTURED_LEVELS) } });
      books.set(symbol, list);
    },
  });
  const rec = new RecorderProcess(['--config', writeConfig(dir, sim, data)]);
  try {
    const port = await rec.httpPort();
    const minFrames = o.minFrames ?? 150;
    await until(
      async () => {
        const h = await getJson(port, '/health');
        const frames = new Map<string, number>();
        const reconnects = new Map<string, number>();
        for (const s of h.streams) {
          frames.set(s.exchange, (frames.get(s.exchange) ?? 0) + s.frames);
          reconnects.set(s.exchange, Math.max(reconnects.get(s.exchange) ?? 0, s.reconnects ?? 0));
        }
        return frames.size === 4 && [...frames.values()].every((n) => n >= minFrames) && [...reconnects.values()].every((n) => n >= (o.minReconnects ?? 0));
      },
      'every exchange to deliver enough frames',
      60_000,
    );
    const exit = await rec.stop('SIGTERM');
    if (exit.code !== 0) throw new Error(`recorder exited with ${exit.code}: ${rec.stderr.slice(-2000)}`);
  } catch (err) {
    await rec.stop('SIGKILL');
    throw err;
  } finally {
    off();
  }
  const stats = sim.stats();
  await sim.close();
  return {
    dir,
    data,
    books,
    faults: { drops: stats.faults.drops, malformed: stats.faults.malformed },
    cleanup: () => {
      if (process.env.TT_KEEP_TEST_DATA) process.stderr.write(`test data kept in ${dir}\n`);
      else fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type Row = Record<string, unknown>;

export async function rowsOf(conn: DuckDBConnection, sql: string): Promise<Row[]> {
  return (await conn.runAndReadAll(sql)).getRowObjectsJS() as Row[];
}

export async function withAnalysis<T>(data: string, fn: (tape: AnalysisTape) => Promise<T>): Promise<T> {
  const tape = await openAnalysis(data);
  try {
    return await fn(tape);
  } finally {
    tape.close();
  }
}

export const num = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : Number(v));
export const big = (v: unknown): bigint => (typeof v === 'bigint' ? v : BigInt(String(v)));
