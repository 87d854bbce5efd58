/**
 * `npm run bench -- peers`: ticktape next to tardis-dev (a pinned devDependency) on the same
 * generated frames, in one process run, alternating the two for several rounds and printing
 * medians and ratios. Shapes (shapes.ts): Coinstore trades, Coinstore depth@20, Nexus depth 5,
 * Coinsuper MQTT order books. Figures per shape:
 *  - raw frames in order, frames/s: tardis-dev `replay({ skipDecoding: true })` against `readRecords`;
 *  - JSON-parsed frames/s: tardis-dev `replay()` (it parses every line) against `readRecords` with
 *    `parse` (each frame's value built from its payload template; Coinsuper: the MQTT packet's JSON
 *    payload), and, as the before, `readRecords` + `JSON.parse` of each payload;
 *  - bytes per frame on disk: tardis-dev's cache (gzip'd NDJSON minute slices, as it downloads them)
 *    against ticktape's raw files as a user has them after a day: the frames are journaled in
 *    STORE_SEGMENTS segments (hourly seals), sealed, and compacted into one day file at the default
 *    levels (every column: times, ids, streams, payloads). The same sealed files compacted at zstd 9
 *    for every table (the earlier default) are measured and read too: the before of the level;
 *  - seal with normalization, frames/s (journal → verified Parquet, raw and normalized tables);
 *  - trades only: normalized messages/s, tardis-dev `replayNormalized(normalizeTrades)` against
 *    `readNormalized` over the same trades. tardis-dev has no Coinstore mapper, so its cache holds
 *    the same trades (ids, prices, sizes, sides, times) in Binance's trade shape, whose mapper it has.
 * ticktape's raw and parsed figures are measured twice: through `readRecords` (TapeRecords) and
 * through the reader's column batches (`readRecordBatches`, no object per frame). Every runner
 * (tardis-dev included) gets an untimed warm-up pass, then each round runs every runner once, in an
 * order rotated round by round, with a full GC before each pass (`npm run bench` runs node with
 * --expose-gc); medians and ratios to tardis-dev are printed.
 * tardis-dev reads its local cache only: its API endpoint points at a closed local port, so a slice
 * missing from the cache would fail the run instead of reaching a network.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TapeRecord } from '../../schemas/record.js';
import { openJournalWriter } from '../../store/journal/index.js';
import { listPartitionFiles } from '../../store/partitions.js';
import { readNormalized } from '../../store/reader/read-normalized.js';
import { readRecordBatches, readRecords } from '../../store/reader/read-records.js';
import type { ParsedTapeRecord } from '../../store/reader/record-batch.js';
import { compactAll } from '../../store/seal/compact.js';
import { sealClosedSegments } from '../../store/seal/sealer.js';
import type { BenchResult } from '../types.js';
import { shape, SHAPES, type Shape, type ShapeName } from './shapes.js';
import { tardisCacheWriter, type TardisFilter } from './tardis-cache.js';

const require = createRequire(import.meta.url);
// tardis-dev is CommonJS; its `handy` module computes the cache key of normalized replays.
const tardis = require('tardis-dev') as {
  init(o: { cacheDir: string; endpoint?: string; datasetsEndpoint?: string; apiKey?: string }): void;
  replay(o: { exchange: string; from: string; to: string; skipDecoding?: boolean; filters?: TardisFilter[] }): AsyncIterable<{ localTimestamp: unknown; message: unknown } | undefined>;
  replayNormalized(o: { exchange: string; symbols: string[]; from: string; to: string }, ...normalizers: unknown[]): AsyncIterable<{ type: string; price?: number } | undefined>;
  normalizeTrades: unknown;
};
const tardisHandy = require('tardis-dev/dist/handy.js') as {
  getFilters(mappers: unknown[], symbols: string[]): TardisFilter[];
  optimizeFilters(f: TardisFilter[]): TardisFilter[];
};
const tardisVersion = (require('tardis-dev/package.json') as { version: string }).version;

/** The tardis-dev exchange whose cache folder holds the raw frames (replay with no filters reads any lines). */
const TARDIS_RAW_EXCHANGE = 'binance';
/** Where tardis-dev would download from: a closed local port, so nothing leaves the machine. */
const CLOSED_ENDPOINT = 'http://127.0.0.1:9/v1';

const ROUNDS = Number(process.env.TICKTAPE_BENCH_PEER_ROUNDS ?? 3);
const TRADE_FRAMES = Number(process.env.TICKTAPE_BENCH_PEER_FRAMES ?? 1_000_000);
/** Frames per shape: the book shapes are 5–7× larger per frame, so fewer of them. */
const FRAMES: Record<ShapeName, number> = {
  'coinstore-trades': TRADE_FRAMES,
  'coinstore-depth20': Math.max(1000, Math.round(TRADE_FRAMES / 5)),
  'nexus-depth5': Math.max(1000, Math.round(TRADE_FRAMES / 5)),
  'coinsuper-orderbook': Math.max(1000, Math.round(TRADE_FRAMES / 10)),
};
/** Journal segments per store (a day has 24 hourly seals; more than one, so the day is compacted). */
const STORE_SEGMENTS = 4;
/** The level the same sealed files are also compacted at (the earlier default for every table). */
const BEFORE_LEVEL = 9;
const WANTED = (process.env.TICKTAPE_BENCH_PEER_SHAPES ?? '').split(',').filter(Boolean) as ShapeName[];

const decoder = new TextDecoder();

/**
 * TICKTAPE_BENCH_PEER_BASELINE: the `dist` folder of an earlier build of ticktape (`npm run build`,
 * then copy dist/ aside). Its readRecords, readRecordBatches and readNormalized read the same stores, alternating with
 * this build's in the same rounds: the before and after of a reader change from one run.
 */
const BASELINE_DIST = process.env.TICKTAPE_BENCH_PEER_BASELINE ?? '';
interface Readers {
  readRecords: typeof readRecords;
  readRecordBatches: typeof readRecordBatches;
  readNormalized: typeof readNormalized;
}
const current: Readers = { readRecords, readRecordBatches, readNormalized };
const baselineRecords = BASELINE_DIST ? ((await import(pathToFileURL(path.join(BASELINE_DIST, 'store/reader/read-records.js')).href)) as Partial<Readers>) : null;
const baseline: Readers | null = baselineRecords
  ? {
      readRecords: baselineRecords.readRecords!,
      // Builds before column batches had none: their batches runner is left out.
      readRecordBatches: baselineRecords.readRecordBatches!,
      readNormalized: ((await import(pathToFileURL(path.join(BASELINE_DIST, 'store/reader/read-normalized.js')).href)) as Readers).readNormalized,
    }
  : null;
/**
 * TICKTAPE_BENCH_PEER_LAYOUTS=0 leaves out the runners of the earlier layout and of the zstd-9
 * store (the before of the layout and of the level): fewer passes per round, for a reader change.
 */
const LAYOUT_RUNNERS = process.env.TICKTAPE_BENCH_PEER_LAYOUTS !== '0';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Full garbage collection (node --expose-gc, as `npm run bench` runs it), so no pass pays for the garbage of the one before. */
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) process.stderr.write('peers: global.gc is not exposed (run node with --expose-gc): passes are measured without a full GC before each\n');

async function timed(fn: () => Promise<number>): Promise<{ n: number; secs: number }> {
  gc?.();
  const t0 = process.hrtime.bigint();
  const n = await fn();
  return { n, secs: Number(process.hrtime.bigint() - t0) / 1e9 };
}

/** The same trade in Binance's stream shape, for tardis-dev's Binance trade mapper. */
function binanceTrade(rec: TapeRecord): string {
  const t = JSON.parse(decoder.decode(rec.payload)) as { channel: string; price: string; tradeId: number; ts: number; takerSide: string; volume: string; symbol: string };
  const data = { e: 'trade', E: t.ts, s: t.symbol, t: t.tradeId, p: t.price, q: t.volume, b: 0, a: 0, T: t.ts, m: t.takerSide === 'SELL', M: true };
  return JSON.stringify({ stream: t.channel, data });
}

/** Offset of the JSON payload in a Coinsuper PUBLISH frame (QoS 0). */
function mqttJsonOffset(p: Uint8Array): number {
  let off = 1;
  while (p[off] & 0x80) off++;
  off++;
  return off + 2 + ((p[off] << 8) | p[off + 1]);
}

interface Prepared {
  shape: Shape;
  frames: number;
  payloadBytes: number;
  dataDir: string;
  /** The same frames sealed in the previous version's layout. */
  earlierDir: string;
  earlierSealSecs: number;
  earlierRawBytes: number;
  cacheDir: string;
  raw: { from: string; to: string; bytes: number };
  normalized: { from: string; to: string; symbols: string[] } | null;
  sealSecs: number;
  compactSecs: number;
  /** The same sealed files compacted at BEFORE_LEVEL. */
  levelDir: string;
  levelCompactSecs: number;
  levelRawBytes: number;
  ticktapeRawBytes: number;
  ticktapeOtherBytes: number;
}

async function prepare(s: Shape, n: number, root: string): Promise<Prepared> {
  const dataDir = path.join(root, `${s.name}-tt`);
  const earlierDir = path.join(root, `${s.name}-tt-earlier`);
  const earlierJournal = openJournalWriter({ dataDir: earlierDir, instance: 'peer' });
  const cacheDir = path.join(root, `${s.name}-tardis`);
  const journal = openJournalWriter({ dataDir, instance: 'peer' });
  const raw = tardisCacheWriter(cacheDir, TARDIS_RAW_EXCHANGE, []);
  const trades = s.name === 'coinstore-trades';
  const symbols = trades ? s.symbols.map((x) => x.toLowerCase()) : [];
  const norm = trades ? tardisCacheWriter(path.join(cacheDir, 'n'), 'binance', normFilters(symbols)) : null;
  let i = 0;
  let payloadBytes = 0;
  for (const rec of s.frames(n)) {
    journal.append(rec);
    earlierJournal.append(rec);
    payloadBytes += rec.payload.byteLength;
    if (++i % 1000 === 0) {
      journal.flush();
      earlierJournal.flush();
    }
    if (i % Math.ceil(n / STORE_SEGMENTS) === 0 && i < n) {
      journal.rotate();
      earlierJournal.rotate();
    }
    await raw.add(rec, s.tardisMessage(rec));
    if (norm) await norm.add(rec, binanceTrade(rec));
  }
  await journal.close();
  await earlierJournal.close();
  const rawInfo = await raw.close();
  let normalized: Prepared['normalized'] = null;
  if (norm) {
    const info = await norm.close();
    normalized = { from: info.fromIso, to: info.toIso, symbols };
  }
  const t0 = process.hrtime.bigint();
  const report = await sealClosedSegments(dataDir);
  const sealSecs = Number(process.hrtime.bigint() - t0) / 1e9;
  if (report.records !== n || report.failures.length) throw new Error(`${s.name}: sealed ${report.records} of ${n} (${report.failures.map((f) => f.error).join('; ')})`);
  const levelDir = path.join(root, `${s.name}-tt-level${BEFORE_LEVEL}`);
  fs.cpSync(dataDir, levelDir, { recursive: true });
  const c0 = process.hrtime.bigint();
  await compactAll(dataDir);
  const compactSecs = Number(process.hrtime.bigint() - c0) / 1e9;
  const l0 = process.hrtime.bigint();
  await compactAll(levelDir, { zstdLevel: BEFORE_LEVEL });
  const levelCompactSecs = Number(process.hrtime.bigint() - l0) / 1e9;
  const levelRawBytes = listPartitionFiles(levelDir, ['raw']).reduce((a, f) => a + f.bytes, 0);
  if (listPartitionFiles(dataDir, ['raw']).length !== 1) throw new Error(`${s.name}: the store was not compacted into one raw day file`);
  // The same frames in the layout of the previous version (payloads as they are): before and after.
  const e0 = process.hrtime.bigint();
  const earlier = await sealClosedSegments(earlierDir, { payloadTemplates: false });
  const earlierSealSecs = Number(process.hrtime.bigint() - e0) / 1e9;
  if (earlier.records !== n) throw new Error(`${s.name}: earlier layout sealed ${earlier.records} of ${n}`);
  await compactAll(earlierDir);
  const earlierRawBytes = listPartitionFiles(earlierDir, ['raw']).reduce((a, f) => a + f.bytes, 0);
  const files = listPartitionFiles(dataDir);
  const ticktapeRawBytes = files.filter((f) => f.table === 'raw').reduce((a, f) => a + f.bytes, 0);
  const ticktapeOtherBytes = files.filter((f) => f.table !== 'raw').reduce((a, f) => a + f.bytes, 0);
  return {
    shape: s,
    frames: n,
    payloadBytes,
    compactSecs,
    levelDir,
    levelCompactSecs,
    levelRawBytes,
    earlierDir,
    earlierSealSecs,
    earlierRawBytes,
    dataDir,
    cacheDir,
    raw: { from: rawInfo.fromIso, to: rawInfo.toIso, bytes: rawInfo.bytes },
    normalized,
    sealSecs,
    ticktapeRawBytes,
    ticktapeOtherBytes,
  };
}

/** The filters tardis-dev's replayNormalized(normalizeTrades) asks for, as its worker keys them. */
function normFilters(symbols: string[]): TardisFilter[] {
  const mapper = (tardis.normalizeTrades as (ex: string, d: Date) => unknown)('binance', new Date());
  return tardisHandy.optimizeFilters(
    tardisHandy.getFilters(
      [mapper],
      symbols.map((x) => x.toUpperCase()),
    ),
  );
}

async function tardisRaw(p: Prepared, skipDecoding: boolean): Promise<number> {
  tardis.init({ cacheDir: p.cacheDir, endpoint: CLOSED_ENDPOINT, datasetsEndpoint: CLOSED_ENDPOINT });
  let n = 0;
  let sink = 0;
  for await (const m of tardis.replay({ exchange: TARDIS_RAW_EXCHANGE, from: p.raw.from, to: p.raw.to, skipDecoding })) {
    if (!m) continue;
    n++;
    if (skipDecoding) sink += (m.message as Buffer).length;
    else sink += typeof m.message === 'object' ? 1 : 0;
  }
  if (sink === 0) throw new Error('tardis-dev read nothing');
  return n;
}

/**
 * How a parsed runner gets each frame's value: `message`, the reader's `parse` option (values built
 * from the payload templates); `json`, JSON.parse of each payload's text (the path before it, and
 * what a baseline build without the option runs).
 */
type ParseMode = false | 'message' | 'json';

/** The value of a frame read with `parse`, or JSON.parse of its payload (Coinsuper: of the MQTT packet's JSON payload). */
function jsonOf(payload: Uint8Array, binary: boolean): unknown {
  return JSON.parse(decoder.decode(binary ? payload.subarray(mqttJsonOffset(payload)) : payload));
}

async function ticktapeRaw(p: Prepared, parse: ParseMode, dataDir = p.dataDir, readers = current): Promise<number> {
  let n = 0;
  let sink = 0;
  const binary = p.shape.name === 'coinsuper-orderbook';
  for await (const batch of readers.readRecords({ dataDir, includeJournal: false, parse: parse === 'message' })) {
    n += batch.length;
    if (!parse) for (const r of batch) sink += r.payload.byteLength;
    else if (parse === 'message' && batch.length > 0 && 'message' in batch[0]) for (const r of batch as ParsedTapeRecord[]) sink += typeof r.message === 'object' ? 1 : 0;
    else for (const r of batch) sink += typeof jsonOf(r.payload, binary) === 'object' ? 1 : 0;
  }
  if (sink === 0) throw new Error('ticktape read nothing');
  return n;
}

/** The same as ticktapeRaw on the reader's column batches (readRecordBatches): no object per frame. */
async function ticktapeBatches(p: Prepared, parse: ParseMode, readers = current): Promise<number> {
  let n = 0;
  let sink = 0;
  const binary = p.shape.name === 'coinsuper-orderbook';
  for await (const b of readers.readRecordBatches({ dataDir: p.dataDir, includeJournal: false, parse: parse === 'message' })) {
    n += b.length;
    const { payload, offsets } = b;
    if (!parse) sink += offsets[b.length] - offsets[0];
    else if (parse === 'message' && b.messages) for (let i = 0; i < b.length; i++) sink += typeof b.messages[i] === 'object' ? 1 : 0;
    else for (let i = 0; i < b.length; i++) sink += typeof jsonOf(payload.subarray(offsets[i], offsets[i + 1]), binary) === 'object' ? 1 : 0;
  }
  if (sink === 0) throw new Error('ticktape read nothing');
  return n;
}

async function tardisNormalized(p: Prepared): Promise<number> {
  const nz = p.normalized!;
  tardis.init({ cacheDir: path.join(p.cacheDir, 'n'), endpoint: CLOSED_ENDPOINT, datasetsEndpoint: CLOSED_ENDPOINT });
  let n = 0;
  let sink = 0;
  for await (const m of tardis.replayNormalized({ exchange: 'binance', symbols: nz.symbols, from: nz.from, to: nz.to }, tardis.normalizeTrades)) {
    if (m?.type !== 'trade') continue;
    n++;
    sink += m.price!;
  }
  if (!(sink > 0)) throw new Error('tardis-dev normalized nothing');
  return n;
}

async function ticktapeNormalized(p: Prepared, readers = current): Promise<number> {
  let n = 0;
  let sink = 0;
  for await (const batch of readers.readNormalized({ dataDir: p.dataDir, kinds: ['trade'], includeJournal: false })) {
    n += batch.length;
    for (const m of batch) if (m.type === 'trade') sink += m.price;
  }
  if (!(sink > 0)) throw new Error('ticktape normalized nothing');
  return n;
}

/** One way of reading, timed against tardis-dev in the same rounds. */
interface Runner {
  /** What the result line says after "ticktape" (empty for this build's readRecords). */
  label: string;
  fn: () => Promise<number>;
}

interface Pair {
  figure: string;
  unit: string;
  tardis: () => Promise<number>;
  /** This build's readRecords first; then its batches, the earlier layout, the zstd-9 store, the baseline build. */
  runners: Runner[];
  expect: number;
  goal: string;
}

/**
 * The pair's runners measured fairly: one untimed warm-up pass each (JIT, the reader's pooled
 * DuckDB session, the file cache), then ROUNDS rounds in which every runner reads once, the order
 * rotated each round, a full GC before each pass. Rates per runner, tardis-dev's first.
 */
async function measure(name: string, pair: Pair): Promise<number[][]> {
  const all = [{ label: 'tardis-dev', fn: pair.tardis }, ...pair.runners];
  for (const r of all) {
    const w = await timed(r.fn);
    if (w.n !== pair.expect) throw new Error(`${name} ${pair.figure}: ${r.label || 'ticktape'} read ${w.n} of ${pair.expect}`);
  }
  const rates = all.map(() => [] as number[]);
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < all.length; k++) {
      const at = (k + round) % all.length;
      const t = await timed(all[at].fn);
      if (t.n !== pair.expect) throw new Error(`${name} ${pair.figure}: ${all[at].label || 'ticktape'} read ${t.n} of ${pair.expect}`);
      rates[at].push(t.n / t.secs);
    }
  }
  return rates;
}

export async function run(): Promise<BenchResult[]> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ticktape-bench-peers-'));
  const out: BenchResult[] = [];
  try {
    for (const name of WANTED.length ? WANTED : SHAPES) {
      const s = shape(name);
      const n = FRAMES[name];
      process.stderr.write(`peers: ${name}: generating ${n} frames, sealing, compacting...\n`);
      const p = await prepare(s, n, root);
      const b = baseline;
      const runners = (parse: boolean): Runner[] => {
        const mode: ParseMode = parse ? 'message' : false;
        return [
          { label: '', fn: () => ticktapeRaw(p, mode) },
          { label: ', column batches (readRecordBatches)', fn: () => ticktapeBatches(p, mode) },
          // The parsed path before the reader's `parse` option: JSON.parse of every payload.
          ...(parse
            ? [
                { label: ', JSON.parse of each payload (before)', fn: () => ticktapeRaw(p, 'json') },
                { label: ', column batches, JSON.parse of each payload (before)', fn: () => ticktapeBatches(p, 'json') },
              ]
            : []),
          ...(LAYOUT_RUNNERS
            ? [
                { label: ', earlier layout (before)', fn: () => ticktapeRaw(p, mode, p.earlierDir) },
                { label: `, compacted at zstd ${BEFORE_LEVEL} (before)`, fn: () => ticktapeRaw(p, mode, p.levelDir) },
              ]
            : []),
          ...(b ? [{ label: ', baseline build (before)', fn: () => ticktapeRaw(p, mode, p.dataDir, b) }] : []),
          ...(b?.readRecordBatches ? [{ label: ', baseline build, column batches (before)', fn: () => ticktapeBatches(p, mode, b) }] : []),
        ];
      };
      const pairs: Pair[] = [
        { figure: 'raw frames in order', unit: 'frames/s', tardis: () => tardisRaw(p, true), runners: runners(false), expect: n, goal: '≥ 2' },
        { figure: 'JSON-parsed frames', unit: 'frames/s', tardis: () => tardisRaw(p, false), runners: runners(true), expect: n, goal: '≥ 2' },
      ];
      if (p.normalized)
        pairs.push({
          figure: 'normalized trades',
          unit: 'msgs/s',
          tardis: () => tardisNormalized(p),
          runners: [{ label: '', fn: () => ticktapeNormalized(p) }, ...(b ? [{ label: ', baseline build (before)', fn: () => ticktapeNormalized(p, b) }] : [])],
          expect: n,
          goal: '≥ 3',
        });
      for (const pair of pairs) {
        const [td, ...rs] = await measure(name, pair);
        const mt = median(td);
        const how = `median of ${ROUNDS} after a warm-up pass, order rotated each round${gc ? ', full GC before each pass' : ''}`;
        out.push({ name: `${name}: ${pair.figure}, tardis-dev ${tardisVersion}`, value: Math.round(mt), unit: pair.unit, note: how });
        pair.runners.forEach((r, k) => {
          const m = median(rs[k]);
          out.push({ name: `${name}: ${pair.figure}, ticktape${r.label}`, value: Math.round(m), unit: pair.unit, note: `ratio to tardis-dev ${(m / mt).toFixed(2)}${r.label.startsWith(', baseline build') ? `; ${BASELINE_DIST}` : ''}` });
        });
        out.push({ name: `${name}: ${pair.figure}, ticktape / tardis-dev`, value: median(rs[0]) / mt, unit: 'ratio', note: `readRecords; goal ${pair.goal}` });
        if (pair.runners.length > 1 && pair.runners[1].label.includes('batches')) out.push({ name: `${name}: ${pair.figure}, ticktape batches / tardis-dev`, value: median(rs[1]) / mt, unit: 'ratio', note: `readRecordBatches; goal ${pair.goal}` });
      }
      out.push({ name: `${name}: bytes per frame, tardis-dev cache`, value: p.raw.bytes / n, unit: 'B/frame', note: `gzip NDJSON minute slices; payloads average ${(p.payloadBytes / n).toFixed(0)} B` });
      out.push({
        name: `${name}: bytes per frame, ticktape raw`,
        value: p.ticktapeRawBytes / n,
        unit: 'B/frame',
        note: `sealed in ${STORE_SEGMENTS} segments + compacted (default levels), every column; normalized tables another ${(p.ticktapeOtherBytes / n).toFixed(1)} B/frame`,
      });
      out.push({
        name: `${name}: bytes, ticktape / tardis-dev`,
        value: p.ticktapeRawBytes / p.raw.bytes,
        unit: 'ratio',
        note: `goal ≤ 0.5; earlier layout (before) ${(p.earlierRawBytes / n).toFixed(2)} B/frame, ratio ${(p.earlierRawBytes / p.raw.bytes).toFixed(2)}`,
      });
      out.push({
        name: `${name}: bytes per frame, ticktape raw, compacted at zstd ${BEFORE_LEVEL} (before)`,
        value: p.levelRawBytes / n,
        unit: 'B/frame',
        note: `ratio to tardis-dev ${(p.levelRawBytes / p.raw.bytes).toFixed(2)}`,
      });
      out.push({
        name: `${name}: compaction of the day, default levels`,
        value: p.compactSecs,
        unit: 's',
        note: `${STORE_SEGMENTS} sealed segments → one day file per table; every table at zstd ${BEFORE_LEVEL} (before): ${p.levelCompactSecs.toFixed(2)} s`,
      });
      out.push({
        name: `${name}: seal with normalization`,
        value: Math.round(n / p.sealSecs),
        unit: 'frames/s',
        note: `${n} frames, journal → verified Parquet (raw + normalized); earlier layout (before) ${Math.round(n / p.earlierSealSecs)} frames/s`,
      });
      fs.rmSync(p.dataDir, { recursive: true, force: true });
      fs.rmSync(p.earlierDir, { recursive: true, force: true });
      fs.rmSync(p.levelDir, { recursive: true, force: true });
      fs.rmSync(p.cacheDir, { recursive: true, force: true });
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  return out;
}
