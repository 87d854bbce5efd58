/**
 * Request/response history served from the recording (Coinstore's REQ kline): the recorded candle
 * pushes of every exchange whose module reads candles (`ExchangeModule.recording.candles`). Each
 * candle keeps every recorded version (a push repeats the current candle as it grows), so an
 * answer at replay time T holds each candle as it stood at T and never a candle from after T: a bot
 * replaying a day sees the history it would have seen then. No exchange format is read here.
 */
import type { KlineEvent, Instrument } from '../exchanges/market.js';
import { EXCHANGES } from '../exchanges/registry.js';
import { EXCHANGE_IDS, type ExchangeId, type RecordedCandle } from '../exchanges/types.js';
import { FLAG_OVERLAP } from '../schemas/record.js';
import { sqlStr } from '../store/partitions.js';
import type { Tape } from '../store/duck/index.js';
import type { Catalog } from './catalog.js';

/** A candle version without its instrument (the answer names the instrument the client asked for). */
type Candle = Omit<KlineEvent, 'inst'>;

interface Version {
  recvNs: bigint;
  event: Candle;
}

interface CandleVersions {
  openTsMs: number;
  versions: Version[]; // by recvNs
}

/** Candle pushes kept in memory at most, per exchange (a year of 1-minute candles of a few symbols is far below). */
const MAX_KLINE_VERSIONS = 2_000_000;

/** Series key: the symbol's letters and digits, upper case (BTCUSDT, BTC_USDT and BTC/USDT are one series), and the interval. */
const seriesKey = (letters: string, intervalMs: number) => `${letters.replace(/[^a-z0-9]/gi, '').toUpperCase()}|${intervalMs}`;

export class KlineHistory {
  private readonly series = new Map<string, CandleVersions[]>();

  /** The intervals (ms) recorded for an instrument, shortest first. */
  intervalsMs(inst: Instrument): number[] {
    const prefix = seriesKey(`${inst.base}${inst.quote}`, 0).slice(0, -1);
    const out: number[] = [];
    for (const key of this.series.keys()) if (key.startsWith(prefix)) out.push(Number(key.slice(prefix.length)));
    return out.sort((a, b) => a - b);
  }

  add(symbol: string, intervalMs: number, recvNs: bigint, event: Candle): void {
    const key = seriesKey(symbol, intervalMs);
    let list = this.series.get(key);
    if (!list) this.series.set(key, (list = []));
    // pushes come in recorded order: the candle is the last one or a new one, rarely an older one
    let c = list[list.length - 1];
    if (!c || c.openTsMs !== event.openTsMs) {
      c = list.find((x) => x.openTsMs === event.openTsMs) ?? c;
      if (!c || c.openTsMs !== event.openTsMs) {
        c = { openTsMs: event.openTsMs, versions: [] };
        list.push(c);
        list.sort((a, b) => a.openTsMs - b.openTsMs);
      }
    }
    c.versions.push({ recvNs, event });
  }

  /**
   * Up to `limit` candles opening before `endTimeMs` (null: no bound), oldest first, each as it was
   * last recorded before `atNs`.
   */
  query(inst: Instrument, intervalMs: number, endTimeMs: number | null, limit: number, atNs: bigint): KlineEvent[] | null {
    const list = this.series.get(seriesKey(`${inst.base}${inst.quote}`, intervalMs));
    if (!list) return null;
    const out: KlineEvent[] = [];
    for (let i = list.length - 1; i >= 0 && out.length < limit; i--) {
      const c = list[i];
      if (endTimeMs !== null && c.openTsMs >= endTimeMs) continue;
      let v: Version | null = null;
      for (let j = c.versions.length - 1; j >= 0; j--) {
        if (c.versions[j].recvNs < atNs) {
          v = c.versions[j];
          break;
        }
      }
      if (v) out.push({ ...v.event, inst });
    }
    return out.reverse();
  }
}

function candleEvent(c: RecordedCandle, recvNs: bigint): Candle {
  return {
    type: 'kline',
    intervalMs: c.intervalMs,
    openTsMs: c.openTsMs,
    open: c.open,
    high: c.high,
    low: c.low,
    close: c.close,
    volume: c.volume,
    quoteVolume: c.quoteVolume,
    firstTradeId: c.firstTradeId,
    lastTradeId: c.lastTradeId,
    tradeCount: 0,
    tsMs: Number(recvNs / 1_000_000n),
  };
}

/** An empty history for every exchange whose module reads candles. */
export function emptyKlineHistory(): Map<ExchangeId, KlineHistory> {
  return new Map(EXCHANGE_IDS.filter((x) => EXCHANGES[x].recording?.candles).map((x) => [x, new KlineHistory()]));
}

/**
 * The candle history of every exchange whose module reads candles: its recorded candle streams
 * (as the module names them, from the catalog), overlapping frames of a rotation left out. `into`
 * gets the pushes added: a server over a bucket adds each day's as the day arrives, in date order.
 */
export async function loadKlineHistory(conn: Tape['conn'], catalog: Catalog, into: Map<ExchangeId, KlineHistory> = emptyKlineHistory()): Promise<Map<ExchangeId, KlineHistory>> {
  const out = into;
  for (const exchange of EXCHANGE_IDS) {
    const candles = EXCHANGES[exchange].recording?.candles;
    const h = out.get(exchange);
    if (!candles || !h) continue;
    const streams = [...catalog[exchange].streams.keys()].filter((k) => candles.isCandleStream(k));
    if (streams.length === 0) continue;
    const r = await conn.runAndReadAll(
      `SELECT recv_ns::VARCHAR, payload FROM raw
       WHERE exchange = ${sqlStr(exchange)} AND direction = 'in' AND kind = 'text' AND stream IN (${streams.map(sqlStr).join(', ')})
       AND (flags & ${FLAG_OVERLAP}) = 0
       ORDER BY recv_ns, conn_id, seq LIMIT ${MAX_KLINE_VERSIONS}`,
    );
    for (const [ns, payload] of r.getRows() as Array<[string, { bytes: Uint8Array }]>) {
      const c = candles.read(payload.bytes);
      if (!c) continue;
      const recvNs = BigInt(ns);
      h.add(c.symbol, c.intervalMs, recvNs, candleEvent(c, recvNs));
    }
  }
  return out;
}
