/**
 * What a data folder holds, per exchange: its streams (with first/last time and frame count), the
 * time range, and the instruments the recording names (for server sides that map ids to symbols).
 * Read once when the replay server starts.
 */
import type { Tape } from '../store/duck/index.js';
import type { Instrument } from '../exchanges/market.js';
import type { GapPayload } from '../schemas/record.js';
import type { ExchangeId } from '../exchanges/types.js';

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

export interface ExchangeCatalog {
  streams: Map<string, StreamInfo>;
  /** Sorted by startNs. */
  disconnects: DisconnectSpan[];
  firstNs: bigint | null;
  lastNs: bigint | null;
  instruments: Instrument[];
}

export type Catalog = Record<ExchangeId, ExchangeCatalog>;

const QUOTES = ['USDT', 'USDC', 'BUSD', 'USD', 'EUR', 'BTC', 'ETH', 'BNB', 'KRW', 'JPY'];

/** Splits an exchange's symbol spelling (BTCUSDT, BTC_USD, BTC/USDT, btc-usdt) into base and quote. */
export function splitSymbol(symbol: string): { base: string; quote: string } | null {
  const s = symbol.toUpperCase();
  const parts = s.split(/[_/\-:]/).filter(Boolean);
  if (parts.length === 2) return QUOTES.includes(parts[1]) ? { base: parts[0], quote: parts[1] } : null;
  if (parts.length > 2) return null;
  for (const q of QUOTES) if (s.length > q.length && s.endsWith(q)) return { base: s.slice(0, -q.length), quote: q };
  return null;
}

function emptyCatalog(): ExchangeCatalog {
  return { streams: new Map(), disconnects: [], firstNs: null, lastNs: null, instruments: [] };
}

export async function readCatalog(conn: Tape['conn']): Promise<Catalog> {
  const catalog: Catalog = { coinstore: emptyCatalog(), coinsuper: emptyCatalog(), nexus: emptyCatalog(), coinceres: emptyCatalog() };
  const r = await conn.runAndReadAll(
    `SELECT exchange, stream, min(recv_ns)::VARCHAR, max(recv_ns)::VARCHAR, count(*)::INTEGER FROM raw WHERE direction = 'in' GROUP BY exchange, stream`,
  );
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
    if (!c) continue;
    try {
      const g = JSON.parse(text) as GapPayload;
      if (g.cause !== 'disconnect' || g.detail?.startsWith('rotation')) continue;
      c.disconnects.push({ stream: g.stream, startNs: BigInt(g.start_ns), endNs: BigInt(g.end_ns) });
    } catch {
      // a gap record that cannot be read changes nothing in the replay
    }
  }
  for (const c of Object.values(catalog)) c.disconnects.sort((a, b) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0));
  // Instruments: Coinstore frames carry symbol and instrumentId; others are split from their symbols.
  const ri = await conn.runAndReadAll(
    `SELECT json_extract_string(p, '$.symbol') AS symbol, max(TRY_CAST(json_extract(p, '$.instrumentId') AS INTEGER)) AS id
     FROM (SELECT TRY(decode(payload)) AS p FROM raw WHERE exchange = 'coinstore' AND direction = 'in' AND kind = 'text' LIMIT 100000)
     WHERE json_valid(p) AND json_extract_string(p, '$.symbol') IS NOT NULL GROUP BY symbol ORDER BY symbol`,
  );
  const seen = new Set<string>();
  for (const [symbol, id] of ri.getRows() as [string, number | null][]) {
    const bq = splitSymbol(symbol);
    if (!bq || seen.has(symbol)) continue;
    seen.add(symbol);
    catalog.coinstore.instruments.push({ ...bq, id: id ?? 0, priceDecimals: 8, amountDecimals: 8 });
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
