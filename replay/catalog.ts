/**
 * What a data folder holds, per exchange: its streams (with first/last time and frame count), the
 * time range, and the instruments the recording names (for server sides that map ids to symbols:
 * read by the exchange's `ExchangeModule.recording`, from the first and last frame of each
 * stream). Read once when the replay server starts: from the files of a local folder (readCatalog), or
 * from the files' summaries of a bucket (catalogOf), before any file is fetched.
 */
import type { Tape } from '../store/duck/index.js';
import type { Instrument } from '../exchanges/market.js';
import type { GapPayload } from '../schemas/record.js';
import { EXCHANGES } from '../exchanges/registry.js';
import { EXCHANGE_IDS, type ExchangeId, type RecordedInstrument } from '../exchanges/types.js';
import { FLAG_MALFORMED } from '../schemas/record.js';
import { sqlStr } from '../store/partitions.js';
import { splitSymbol } from '../core/symbols.js';
import type { RawSummary } from '../store/remote/raw-summary.js';

export interface StreamInfo {
  firstNs: bigint;
  lastNs: bigint;
  frames: number;
}

/**
 * Where the recording lost a connection (cause 'disconnect'; not a rotation's planned handoff): the
 * replay closes there. A stale stream needs nothing: its silence replays by itself.
 */
export interface DisconnectSpan {
  /** Stream that lost data ('' = the whole connection). */
  stream: string;
  startNs: bigint;
  endNs: bigint;
}

interface ExchangeCatalog {
  streams: Map<string, StreamInfo>;
  /** Sorted by startNs. */
  disconnects: DisconnectSpan[];
  firstNs: bigint | null;
  lastNs: bigint | null;
  instruments: Instrument[];
}

export type Catalog = Record<ExchangeId, ExchangeCatalog>;

/** Base and quote of a symbol spelling: one rule for every module (core/symbols.ts). */
export { splitSymbol };

function emptyCatalog(): ExchangeCatalog {
  return { streams: new Map(), disconnects: [], firstNs: null, lastNs: null, instruments: [] };
}

/** A recorded gap's payload: a lost connection (not a rotation's handoff) is a disconnect the replay reproduces. */
function addDisconnect(c: ExchangeCatalog, text: string | null): void {
  if (text === null) return;
  try {
    const g = JSON.parse(text) as GapPayload;
    if (g.cause !== 'disconnect' || g.detail?.startsWith('rotation')) return;
    c.disconnects.push({ stream: g.stream, startNs: BigInt(g.start_ns), endNs: BigInt(g.end_ns) });
  } catch {
    // a gap record that cannot be read changes nothing in the replay
  }
}

function sortDisconnects(catalog: Catalog): void {
  for (const c of Object.values(catalog)) c.disconnects.sort((a, b) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0));
}

export async function readCatalog(conn: Tape['conn']): Promise<Catalog> {
  const catalog = Object.fromEntries(EXCHANGE_IDS.map((id) => [id, emptyCatalog()])) as Catalog;
  const r = await conn.runAndReadAll(`SELECT exchange, stream, min(recv_ns)::VARCHAR, max(recv_ns)::VARCHAR, count(*)::INTEGER FROM raw WHERE direction = 'in' GROUP BY exchange, stream`);
  for (const [ex, stream, first, last, n] of r.getRows() as [string, string, string, string, number][]) {
    const c = catalog[ex as ExchangeId];
    if (!c) continue;
    const info = { firstNs: BigInt(first), lastNs: BigInt(last), frames: n };
    if (stream) c.streams.set(stream, info);
    if (c.firstNs === null || info.firstNs < c.firstNs) c.firstNs = info.firstNs;
    if (c.lastNs === null || info.lastNs > c.lastNs) c.lastNs = info.lastNs;
  }
  const rg = await conn.runAndReadAll(`SELECT exchange, TRY(decode(payload)) FROM raw WHERE direction = 'event' AND kind = 'gap'`);
  for (const [ex, text] of rg.getRows() as [string, string][]) {
    const c = catalog[ex as ExchangeId];
    if (c) addDisconnect(c, text);
  }
  sortDisconnects(catalog);
  for (const id of EXCHANGE_IDS) {
    const reader = EXCHANGES[id].recording?.instruments;
    if (reader) catalog[id].instruments = await recordedInstruments(conn, id, catalog[id].streams, reader);
  }
  return catalog;
}

/** Instruments for exchanges whose frames carry no ids: from the symbols their stream keys name. */
export function instrumentsFromStreamKeys(keys: Iterable<string>): Instrument[] {
  const out: Instrument[] = [];
  const seen = new Set<string>();
  let id = 1;
  for (const key of keys) {
    const bq = [...key.split(/[@:]/), ...key.split('/')].map(splitSymbol).find((x) => x !== null);
    if (!bq) continue;
    const k = `${bq.base}/${bq.quote}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push({ ...bq, id: id++, priceDecimals: 8, amountDecimals: 8 });
  }
  return out;
}

/** Streams per query when the first and last frames of every stream are fetched. */
const INSTRUMENT_LOOKUP_STREAMS_PER_QUERY = 200;

/**
 * The instruments an exchange's recorded frames name, with their ids, as its module reads them:
 * from the first and the last data frame of each stream. Raw is sorted by time, so each lookup by
 * exact receive time reads one row group, not the recording.
 */
async function recordedInstruments(conn: Tape['conn'], exchange: ExchangeId, streams: ReadonlyMap<string, StreamInfo>, read: (payload: Uint8Array) => RecordedInstrument[]): Promise<Instrument[]> {
  const bySymbol = new Map<string, Instrument>();
  const entries = [...streams.entries()];
  for (let i = 0; i < entries.length; i += INSTRUMENT_LOOKUP_STREAMS_PER_QUERY) {
    const branches = entries.slice(i, i + INSTRUMENT_LOOKUP_STREAMS_PER_QUERY).map(
      ([key, info]) =>
        `SELECT payload FROM raw WHERE exchange = ${sqlStr(exchange)} AND stream = ${sqlStr(key)} AND direction = 'in' AND kind = 'text'
         AND (flags & ${FLAG_MALFORMED}) = 0 AND recv_ns IN (${info.firstNs}, ${info.lastNs})`,
    );
    const r = await conn.runAndReadAll(branches.join('\nUNION ALL\n'));
    addInstruments(
      bySymbol,
      (r.getRows() as Array<[{ bytes: Uint8Array }]>).map(([p]) => p.bytes),
      read,
    );
  }
  return sortedInstruments(bySymbol);
}

function addInstruments(bySymbol: Map<string, Instrument>, payloads: Iterable<Uint8Array>, read: (payload: Uint8Array) => RecordedInstrument[]): void {
  for (const payload of payloads) {
    for (const { symbol, id } of read(payload)) {
      const known = bySymbol.get(symbol.toUpperCase());
      if (known) {
        if (!known.id && id) known.id = id;
        continue;
      }
      const bq = splitSymbol(symbol);
      // ASSUMPTION: id 0 when no frame names one; no channel names instrument 0.
      if (bq) bySymbol.set(symbol.toUpperCase(), { ...bq, id: id ?? 0, priceDecimals: 8, amountDecimals: 8 });
    }
  }
}

function sortedInstruments(bySymbol: Map<string, Instrument>): Instrument[] {
  return [...bySymbol.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, inst]) => inst);
}

/**
 * The catalog from the summaries of a store's raw files (store/remote/raw-summary.ts), without
 * reading them: what `readCatalog` reads from the same files. A replay server over a bucket starts
 * with it before any file is fetched.
 */
export function catalogOf(summaries: Iterable<RawSummary>): Catalog {
  const catalog = Object.fromEntries(EXCHANGE_IDS.map((id) => [id, emptyCatalog()])) as Catalog;
  const all = [...summaries];
  for (const s of all) {
    for (const x of s.streams) {
      const c = catalog[x.exchange as ExchangeId];
      if (!c) continue;
      const first = BigInt(x.firstNs);
      const last = BigInt(x.lastNs);
      if (x.stream) {
        const known = c.streams.get(x.stream);
        if (!known) c.streams.set(x.stream, { firstNs: first, lastNs: last, frames: x.frames });
        else {
          if (first < known.firstNs) known.firstNs = first;
          if (last > known.lastNs) known.lastNs = last;
          known.frames += x.frames;
        }
      }
      if (c.firstNs === null || first < c.firstNs) c.firstNs = first;
      if (c.lastNs === null || last > c.lastNs) c.lastNs = last;
    }
    for (const g of s.gaps) {
      const c = catalog[g.exchange as ExchangeId];
      if (c) addDisconnect(c, g.text);
    }
  }
  sortDisconnects(catalog);
  for (const id of EXCHANGE_IDS) {
    const reader = EXCHANGES[id].recording?.instruments;
    if (!reader) continue;
    const streams = catalog[id].streams;
    const payloads: Uint8Array[] = [];
    for (const s of all) {
      for (const e of s.edges) {
        const info = e.exchange === id ? streams.get(e.stream) : undefined;
        if (!info) continue;
        const ns = BigInt(e.recvNs);
        if (ns === info.firstNs || ns === info.lastNs) payloads.push(Buffer.from(e.payload, 'base64'));
      }
    }
    const bySymbol = new Map<string, Instrument>();
    addInstruments(bySymbol, payloads, reader);
    catalog[id].instruments = sortedInstruments(bySymbol);
  }
  return catalog;
}
