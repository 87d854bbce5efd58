/**
 * Coinstore frames → normalized rows. Pure: one frame in, rows out, no state between frames.
 *
 * Mapping rules (protocols.md §1.6, §1.8):
 *  - trade: single pushes and `data` batches (sorted by seq, then tradeId); `volume` is the amount;
 *    `takerSide` BUY/SELL (anything else, like the doc's "BULL" typo, → side null).
 *  - depth: every push is a complete top-N snapshot → book rows with is_snapshot = true; entries
 *    with 2 or 3 elements (REST adds a side flag) are read alike.
 *  - kline: `interval` in either spelling (min_1, 1m, REST 1min); `startTime` seconds → ms.
 *  - ticker: single and `!@ticker` array; `close` is the last price, `amount` the quote volume.
 *  - account → balances; order → orders, plus a fill when `matchQty` > 0 (the doc: match fields
 *    are meaningful only then). Fill price and average price are amount ÷ quantity, exactly.
 *  - times: `ts` is ms, `time` / `timestamp` / `startTime` are seconds (the doc says "all times
 *    are seconds", `ts` was added later in ms); `toMs` tells them apart by magnitude.
 *  - echo / resp / welcome / LIST / REQ replies carry no market data → no rows.
 */
import type { BalanceRow, BookRow, FillRow, KlineRow, NormalizedRow, OrderRow, TickerRow, TradeRow } from '../../schemas/rows.js';
import type { Normalizer, RawFrame } from '../types.js';
import { decDiv, decSign, isDecimal } from './decimal.js';
import { KLINE_INTERVAL_ALIASES, toMs } from './protocol.js';
import { channelInterval, parseServerFrame } from './read-frame.js';

type Msg = Record<string, unknown>;

/** Decimal text of a field: strings as sent, JSON numbers in their shortest spelling. */
function dec(v: unknown): string | null {
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
}

function idText(v: unknown): string | null {
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
}

function side(v: unknown): 'buy' | 'sell' | null {
  return v === 'BUY' ? 'buy' : v === 'SELL' ? 'sell' : null;
}

function symbolOf(m: Msg): string {
  if (typeof m.symbol === 'string' && m.symbol !== '') return m.symbol;
  // No symbol field: the channel's own spelling (an id) is all there is.
  return typeof m.channel === 'string' ? (m.channel.split('@')[0] ?? '').toUpperCase() : '';
}

function trades(m: Msg): TradeRow[] {
  const items = (Array.isArray(m.data) ? m.data : [m]).filter((d): d is Msg => !!d && typeof d === 'object');
  const num = (v: unknown) => (typeof v === 'number' ? v : Number.MAX_SAFE_INTEGER);
  // The changelog says the batch is descending, the example is ascending: sort.
  const sorted = [...items].sort((a, b) => num(a.seq) - num(b.seq) || num(a.tradeId) - num(b.tradeId));
  const rows: TradeRow[] = [];
  for (const t of sorted) {
    const price = dec(t.price);
    const amount = dec(t.volume);
    if (price === null || amount === null) continue;
    rows.push({
      table: 'trades',
      symbol: symbolOf(t),
      exchange_ts_ms: toMs(t.ts) ?? toMs(t.time),
      trade_id: idText(t.tradeId),
      price,
      amount,
      side: side(t.takerSide),
    });
  }
  return rows;
}

function depthLevels(m: Msg): number | null {
  const fromChannel = typeof m.channel === 'string' ? Number(m.channel.split('@')[2]) : NaN;
  if (Number.isInteger(fromChannel) && fromChannel > 0) return fromChannel;
  return typeof m.level === 'number' ? m.level : null;
}

function book(m: Msg): BookRow[] {
  const symbol = symbolOf(m);
  const levels = depthLevels(m);
  const ts = toMs(m.ts) ?? null;
  const rows: BookRow[] = [];
  const sideRows = (entries: unknown, s: 'bid' | 'ask') => {
    if (!Array.isArray(entries)) return;
    entries.forEach((e, level) => {
      if (!Array.isArray(e)) return;
      const price = dec(e[0]);
      const amount = dec(e[1]);
      if (price === null || amount === null) return;
      rows.push({ table: 'book', symbol, exchange_ts_ms: ts, side: s, level, price, amount, is_snapshot: true, levels });
    });
  };
  sideRows(m.b, 'bid');
  sideRows(m.a, 'ask');
  return rows;
}

function kline(m: Msg): KlineRow[] {
  const fromChannel = typeof m.channel === 'string' ? m.channel.split('@')[2] : undefined;
  const interval = typeof m.interval === 'string' ? m.interval : fromChannel;
  const open_ts_ms = toMs(m.startTime);
  const [open, high, low, close] = [dec(m.open), dec(m.high), dec(m.low), dec(m.close)];
  if (!interval || open_ts_ms === null || open === null || high === null || low === null || close === null) return [];
  const intervalMs = KLINE_INTERVAL_ALIASES[interval] ?? KLINE_INTERVAL_ALIASES[channelInterval(interval)] ?? null;
  return [
    {
      table: 'klines',
      symbol: symbolOf(m),
      // The push carries no time of its own; the candle's start is in open_ts_ms.
      exchange_ts_ms: toMs(m.ts),
      interval,
      interval_ms: intervalMs,
      open_ts_ms,
      open,
      high,
      low,
      close,
      volume: dec(m.volume),
      quote_volume: dec(m.amount),
    },
  ];
}

function tickers(m: Msg): TickerRow[] {
  const items = (Array.isArray(m.data) ? m.data : [m]).filter((d): d is Msg => !!d && typeof d === 'object');
  return items.map((t) => ({
    table: 'tickers',
    symbol: symbolOf(t),
    exchange_ts_ms: toMs(t.ts),
    last: dec(t.close),
    open: dec(t.open),
    high: dec(t.high),
    low: dec(t.low),
    volume: dec(t.volume),
    quote_volume: dec(t.amount),
    change: null,
    // REST tickers carry bid/ask; WS tickers may (unknown): read them when present.
    bid: dec(t.bid),
    ask: dec(t.ask),
  }));
}

function balances(m: Msg): BalanceRow[] {
  if (typeof m.currency !== 'string') return [];
  return [
    {
      table: 'balances',
      symbol: m.currency,
      exchange_ts_ms: toMs(m.timestamp),
      currency: m.currency,
      available: dec(m.available),
      frozen: dec(m.frozen),
      total: null,
    },
  ];
}

function orders(m: Msg): Array<OrderRow | FillRow> {
  const orderId = idText(m.ordId);
  if (orderId === null) return [];
  const ts = toMs(m.timestamp);
  const symbol = symbolOf(m);
  const execQty = dec(m.execQty);
  const execAmt = dec(m.execAmt);
  const rows: Array<OrderRow | FillRow> = [
    {
      table: 'orders',
      symbol,
      exchange_ts_ms: ts,
      order_id: orderId,
      client_order_id: idText(m.clOrdId),
      side: side(m.side),
      order_type: typeof m.ordType === 'string' ? m.ordType : null,
      status: typeof m.ordState === 'string' ? m.ordState : null,
      price: dec(m.ordPrice),
      amount: dec(m.ordQty),
      filled_amount: execQty,
      avg_price: isDecimal(execQty) && isDecimal(execAmt) && decSign(execQty) > 0 ? decDiv(execAmt, execQty) : null,
    },
  ];
  const matchQty = dec(m.matchQty);
  if (isDecimal(matchQty) && decSign(matchQty) > 0) {
    const matchAmt = dec(m.matchAmt);
    const role = m.matchRole === 'MAKER' ? 'maker' : m.matchRole === 'TAKER' ? 'taker' : null;
    rows.push({
      table: 'fills',
      symbol,
      exchange_ts_ms: ts,
      fill_id: idText(m.matchId) ?? idText(m.tradeId),
      order_id: orderId,
      side: side(m.side),
      price: isDecimal(matchAmt) ? decDiv(matchAmt, matchQty) : null,
      amount: matchQty,
      fee: dec(m.fee),
      // Only a currency id is sent; no id → code table is published, so the id is kept as text.
      fee_currency: idText(m.feeCurrencyId),
      liquidity: role,
    });
  }
  return rows;
}

/** Rows of one Coinstore frame (text bytes). */
function normalizeFrameBytes(payload: Uint8Array): NormalizedRow[] {
  const f = parseServerFrame(payload);
  if (f.kind !== 'data') return [];
  switch (f.T) {
    case 'trade':
      return trades(f.msg);
    case 'depth':
      return book(f.msg);
    case 'kline':
      return kline(f.msg);
    case 'ticker':
      return tickers(f.msg);
    case 'account':
      return balances(f.msg);
    case 'order':
      return orders(f.msg);
    default:
      return [];
  }
}

/** Coinstore frames are self-contained: the normalizer carries no state. */
export function createNormalizer(_state?: unknown): Normalizer {
  return {
    normalize(frame: RawFrame): NormalizedRow[] {
      if (frame.kind !== 'text' && frame.kind !== 'binary') return [];
      return normalizeFrameBytes(frame.payload);
    },
    state: () => null,
  };
}
