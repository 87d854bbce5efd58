/**
 * Klines and the rolling 24 h ticker, computed from the trades and nothing else (prices in ticks,
 * volumes in lots, quote volume as ticks × lots in a bigint, so sums are exact). A candle covers
 * [openTsMs, openTsMs + intervalMs) of trade time and only exists when a trade fell in it.
 */
export const KLINE_INTERVALS_MS = [60_000, 300_000, 900_000, 1_800_000, 3_600_000, 14_400_000, 86_400_000] as const;

/** Closed candles kept per interval: more than a day of 1 m candles, which the 24 h ticker reads. */
const MAX_CANDLE_HISTORY = 1_500;
const DAY_MS = 86_400_000;

export interface Candle {
  openTsMs: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  quoteVolume: bigint;
  firstTradeId: number;
  lastTradeId: number;
  tradeCount: number;
  /** Time of the last trade in it. */
  tsMs: number;
}

interface TickTrade {
  tradeId: number;
  px: number;
  qty: number;
  tsMs: number;
}

export class CandleSeries {
  current: Candle | null = null;
  /** Closed candles, oldest first. */
  readonly history: Candle[] = [];

  constructor(readonly intervalMs: number) {}

  add(t: TickTrade): Candle {
    const openTsMs = Math.floor(t.tsMs / this.intervalMs) * this.intervalMs;
    let c = this.current;
    if (c && c.openTsMs !== openTsMs) {
      this.history.push(c);
      if (this.history.length > MAX_CANDLE_HISTORY) this.history.splice(0, this.history.length - MAX_CANDLE_HISTORY);
      c = null;
    }
    if (!c) {
      c = { openTsMs, open: t.px, high: t.px, low: t.px, close: t.px, volume: 0, quoteVolume: 0n, firstTradeId: t.tradeId, lastTradeId: t.tradeId, tradeCount: 0, tsMs: t.tsMs };
      this.current = c;
    }
    if (t.px > c.high) c.high = t.px;
    if (t.px < c.low) c.low = t.px;
    c.close = t.px;
    c.volume += t.qty;
    c.quoteVolume += BigInt(t.px) * BigInt(t.qty);
    c.lastTradeId = t.tradeId;
    c.tradeCount += 1;
    c.tsMs = t.tsMs;
    return c;
  }

  /** Candles (closed and current) that opened at or before `endTimeMs`, the latest `limit`, oldest first. */
  range(endTimeMs: number | null, limit: number): Candle[] {
    const all = this.current ? [...this.history, this.current] : this.history.slice();
    const upTo = endTimeMs === null ? all : all.filter((c) => c.openTsMs <= endTimeMs);
    return upTo.slice(Math.max(0, upTo.length - limit));
  }
}

interface TickerTicks {
  open: number;
  high: number;
  low: number;
  last: number;
  volume: number;
  quoteVolume: bigint;
}

/**
 * The rolling 24 h figures at minute resolution: the 1 m candles that opened after `nowMs − 24 h`.
 * Without a trade in that window the ticker is flat at `lastPx`.
 */
export function rollingDay(minutes: CandleSeries, nowMs: number, lastPx: number): TickerTicks {
  const from = nowMs - DAY_MS;
  const out: TickerTicks = { open: lastPx, high: lastPx, low: lastPx, last: lastPx, volume: 0, quoteVolume: 0n };
  let first = true;
  const visit = (c: Candle) => {
    if (c.openTsMs <= from) return;
    if (first) {
      out.open = c.open;
      out.high = c.high;
      out.low = c.low;
      first = false;
    } else {
      if (c.high > out.high) out.high = c.high;
      if (c.low < out.low) out.low = c.low;
    }
    out.volume += c.volume;
    out.quoteVolume += c.quoteVolume;
  };
  for (const c of minutes.history) visit(c);
  if (minutes.current) visit(minutes.current);
  return out;
}
