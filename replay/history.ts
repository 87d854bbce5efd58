/**
 * Coinstore's REQ kline history, served from recorded kline pushes. Each candle keeps every
 * recorded version (a push repeats the current candle as it grows), so an answer at replay time T
 * holds each candle as it stood at T and never a candle from after T: a bot replaying a day sees
 * the history it would have seen then.
 */
import type { KlineEvent, Instrument } from '../exchanges/market.js';
import { KLINE_INTERVALS } from '../exchanges/coinstore/protocol.js';
import type { Tape } from '../store/duck/index.js';
import { splitSymbol } from './catalog.js';

interface Version {
  recvNs: bigint;
  event: KlineEvent;
}

interface Candle {
  openTsMs: number;
  versions: Version[]; // by recvNs
}

/** Kline pushes kept in memory at most (a year of 1-minute candles of a few symbols is far below). */
export const MAX_KLINE_VERSIONS = 2_000_000;

export class KlineHistory {
  /** `BASE/QUOTE|intervalMs` → candles by open time. */
  private readonly series = new Map<string, Candle[]>();

  add(inst: Instrument, intervalMs: number, recvNs: bigint, event: KlineEvent): void {
    const key = `${inst.base}/${inst.quote}|${intervalMs}`;
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
  query(inst: Instrument, intervalMs: number, endTimeMs: number | null, limit: number, atNs: bigint): KlineEvent[] {
    const list = this.series.get(`${inst.base}/${inst.quote}|${intervalMs}`) ?? [];
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

interface CoinstoreKlinePush {
  symbol?: string;
  instrumentId?: number;
  interval?: string;
  startTime?: number;
  open?: string;
  high?: string;
  low?: string;
  close?: string;
  volume?: string;
  amount?: string;
  firstTradeId?: number;
  lastTradeId?: number;
}

/** Reads the recorded Coinstore kline pushes of a data folder. */
export async function loadKlineHistory(conn: Tape['conn']): Promise<KlineHistory> {
  const h = new KlineHistory();
  const r = await conn.runAndReadAll(
    `SELECT recv_ns::VARCHAR, TRY(decode(payload)) FROM raw
     WHERE exchange = 'coinstore' AND direction = 'in' AND kind = 'text' AND stream LIKE '%@kline@%' AND (flags & 8) = 0
     ORDER BY recv_ns, conn_id, seq LIMIT ${MAX_KLINE_VERSIONS}`,
  );
  for (const [ns, text] of r.getRows() as [string, string | null][]) {
    if (!text) continue;
    let p: CoinstoreKlinePush;
    try {
      p = JSON.parse(text) as CoinstoreKlinePush;
    } catch {
      continue;
    }
    const bq = p.symbol ? splitSymbol(p.symbol) : null;
    const intervalMs = p.interval ? KLINE_INTERVALS[p.interval as keyof typeof KLINE_INTERVALS] : undefined;
    if (!bq || !intervalMs || typeof p.startTime !== 'number') continue;
    const inst: Instrument = { ...bq, id: p.instrumentId ?? 0, priceDecimals: 8, amountDecimals: 8 };
    const recvNs = BigInt(ns);
    h.add(inst, intervalMs, recvNs, {
      type: 'kline',
      inst,
      intervalMs,
      openTsMs: p.startTime * 1000,
      open: p.open ?? '0',
      high: p.high ?? '0',
      low: p.low ?? '0',
      close: p.close ?? '0',
      volume: p.volume ?? '0',
      quoteVolume: p.amount ?? '0',
      firstTradeId: p.firstTradeId ?? 0,
      lastTradeId: p.lastTradeId ?? 0,
      tradeCount: 0,
      tsMs: Number(recvNs / 1_000_000n),
    });
  }
  return h;
}
