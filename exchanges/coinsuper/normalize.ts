/**
 * Raw Coinsuper frames → normalized rows. A frame is a WebSocket message holding MQTT packets; the
 * PUBLISH packets' topics say what the JSON payload is (protocols.md §4.3). Pure, apart from the
 * de-duplication state of the trade windows, which `state()` exposes as plain JSON.
 *
 * Mapping rules: a field is mapped only where the doc or its sample shows its meaning.
 *  - depth (depth chart): not normalized. Its 50 "levels" are cumulative quantities on a fixed
 *    0.1 % price grid (the first bid bucket sits above the best bid with quantity 0), not orders
 *    resting at a price; as `book` rows they would corrupt every spread, depth or imbalance query.
 *    The orderBook topic carries the real book; the depth chart stays queryable in `raw`.
 *  - orderBook → book, a full top-15 snapshot per push (no update ids exist).
 *  - kline → klines; `interval` is the topic's range in ms.
 *  - tickers → trades, de-duplicated across the overlapping windows (see TradeWindowDeduper).
 *  - asset → balances, numbers read as their exact 30-decimal text; `frozen` is not sent.
 *  - order change → orders; trade change → fills.
 */
import type { BalanceRow, BookRow, FillRow, KlineRow, NormalizedRow, OrderRow, TradeRow } from '../../schemas/rows.js';
import type { Normalizer, RawFrame } from '../types.js';
import { decText, isObject, msOf, parseJson, strOf, type JsonValue } from './json-lossless.js';
import { readFrame } from './packets.js';
import { topicToSpec } from './topics.js';

type Obj = { [key: string]: JsonValue };

function sideOf(action: JsonValue | undefined): 'buy' | 'sell' | null {
  const a = strOf(action)?.toUpperCase();
  return a === 'BUY' ? 'buy' : a === 'SELL' ? 'sell' : null;
}

function orderBookRows(msg: Obj): BookRow[] {
  const symbol = strOf(msg.symbol) ?? '';
  const ts = msOf(msg.timestamp);
  const levels = msOf(msg.limitSize);
  const rows: BookRow[] = [];
  for (const [key, side] of [
    ['bids', 'bid'],
    ['asks', 'ask'],
  ] as const) {
    const list = msg[key];
    if (!Array.isArray(list)) continue;
    list.forEach((lv, level) => {
      if (!isObject(lv)) return;
      const price = decText(lv.limitPrice);
      const amount = decText(lv.quantity);
      if (price === null || amount === null) return;
      rows.push({ table: 'book', symbol, exchange_ts_ms: ts, side, level, price, amount, is_snapshot: true, levels });
    });
  }
  return rows;
}

function klineRows(msg: Obj, rangeMs: number): KlineRow[] {
  const open = decText(msg.first);
  const high = decText(msg.max);
  const low = decText(msg.min);
  const close = decText(msg.last);
  const openTs = msOf(msg.timestamp);
  if (open === null || high === null || low === null || close === null || openTs === null) return [];
  return [
    {
      table: 'klines',
      symbol: strOf(msg.symbol) ?? '',
      exchange_ts_ms: null, // `timestamp` is the candle start, not a send time
      interval: String(rangeMs),
      interval_ms: rangeMs,
      open_ts_ms: openTs,
      open,
      high,
      low,
      close,
      volume: decText(msg.quantity),
      quote_volume: null,
    },
  ];
}

function balanceRows(msg: Obj): BalanceRow[] {
  const list = msg.asset;
  if (!Array.isArray(list)) return [];
  const rows: BalanceRow[] = [];
  for (const a of list) {
    if (!isObject(a)) continue;
    const currency = strOf(a.currency);
    if (!currency) continue;
    rows.push({
      table: 'balances',
      symbol: currency,
      exchange_ts_ms: msOf(a.utcUpdate) ?? msOf(msg.timestamp),
      currency,
      available: decText(a.available),
      frozen: null,
      total: decText(a.total),
    });
  }
  return rows;
}

function orderRows(msg: Obj): OrderRow[] {
  const orderId = decText(msg.orderNo);
  if (!orderId) return [];
  return [
    {
      table: 'orders',
      symbol: strOf(msg.symbol) ?? '',
      exchange_ts_ms: msOf(msg.utcUpdate) ?? msOf(msg.utcCreate),
      order_id: orderId,
      client_order_id: null,
      side: sideOf(msg.action),
      order_type: strOf(msg.orderType), // not in the order-change field table; kept if a push carries it
      status: strOf(msg.state),
      price: decText(msg.priceLimit),
      amount: decText(msg.quantity),
      filled_amount: null, // only quantityRemaining is sent
      avg_price: decText(msg.priceAverage),
    },
  ];
}

function fillRows(msg: Obj): FillRow[] {
  const match = strOf(msg.matchType)?.toUpperCase();
  return [
    {
      table: 'fills',
      symbol: strOf(msg.symbol) ?? '',
      exchange_ts_ms: msOf(msg.utcDeal),
      fill_id: decText(msg.dealNo),
      order_id: decText(msg.orderNo),
      side: sideOf(msg.action),
      price: decText(msg.price),
      amount: decText(msg.quantity),
      fee: decText(msg.fee),
      fee_currency: null,
      liquidity: match === 'MAKER' ? 'maker' : match === 'TAKER' ? 'taker' : null,
    },
  ];
}

// ------------------------------------------------------------------------------- trade windows

/** What the deduper remembers of one tickers stream. */
interface WindowState {
  /** Trades older than this were behind the oldest trade of an earlier window: already seen or lost. */
  floorTs: number | null;
  /** Key → the most copies of that key seen in any one window. */
  seen: Record<string, number>;
}

interface CoinsuperNormalizerState {
  v: 1;
  windows: Record<string, WindowState>;
}

interface WindowTrade {
  symbol: string;
  ts: number;
  price: string;
  quantity: string;
  action: string;
}

function tradeKey(t: WindowTrade): string {
  return `${t.ts}|${t.price}|${t.quantity}|${t.action}`;
}

/** A deterministic id for a trade without one: its key and which copy of that key it is. */
function syntheticTradeId(t: WindowTrade, copy: number): string {
  return `${t.ts}-${t.action}-${t.price}-${t.quantity}-${copy}`;
}

/**
 * Each tickers push is the 50 latest trades, newest first, repeating most of the previous push and
 * naming no trade id. A trade is identified by (timestamp, price, quantity, action) with
 * multiplicity: the n-th copy of a key in a window is new when no earlier window held n copies.
 * Identical trades in one millisecond therefore stay distinct, and a trade seen once is never
 * emitted again, even by a later window that lags behind (its old trades fall under `floorTs`).
 * Rows come out oldest first, each with a synthetic id that is the same whichever window (or
 * recorder) saw it first, so data from two connections can be merged by id.
 */
function dedupeWindow(state: WindowState, window: readonly WindowTrade[]): Array<{ trade: WindowTrade; id: string }> {
  // Newest first on the wire: reversed, then a stable sort puts any out-of-order trade in place.
  const chronological = [...window].reverse().sort((a, b) => a.ts - b.ts);
  const copies = new Map<string, number>();
  const out: Array<{ trade: WindowTrade; id: string }> = [];
  for (const t of chronological) {
    if (state.floorTs !== null && t.ts < state.floorTs) continue;
    const key = tradeKey(t);
    const n = (copies.get(key) ?? 0) + 1;
    copies.set(key, n);
    if (n > (state.seen[key] ?? 0)) out.push({ trade: t, id: syntheticTradeId(t, n) });
  }
  for (const [key, n] of copies) state.seen[key] = Math.max(state.seen[key] ?? 0, n);
  if (chronological.length) {
    const oldest = chronological[0].ts;
    state.floorTs = state.floorTs === null ? oldest : Math.max(state.floorTs, oldest);
    // Keys under the floor can never be counted again: forget them, so the state stays ~one window.
    for (const key of Object.keys(state.seen)) if (Number(key.slice(0, key.indexOf('|'))) < state.floorTs) delete state.seen[key];
  }
  return out;
}

function windowTrades(msg: JsonValue): WindowTrade[] {
  if (!Array.isArray(msg)) return [];
  const out: WindowTrade[] = [];
  for (const t of msg) {
    if (!isObject(t)) continue;
    const ts = msOf(t.timestamp);
    const price = decText(t.price);
    const quantity = decText(t.quantity);
    const action = strOf(t.action)?.toUpperCase() ?? '';
    if (ts === null || price === null || quantity === null) continue;
    out.push({ symbol: strOf(t.symbol) ?? '', ts, price, quantity, action });
  }
  return out;
}

// ------------------------------------------------------------------------------- the normalizer

function isState(s: unknown): s is CoinsuperNormalizerState {
  return typeof s === 'object' && s !== null && (s as CoinsuperNormalizerState).v === 1 && typeof (s as CoinsuperNormalizerState).windows === 'object';
}

export class CoinsuperNormalizer implements Normalizer {
  private readonly st: CoinsuperNormalizerState;

  constructor(state?: unknown) {
    this.st = isState(state) ? (JSON.parse(JSON.stringify(state)) as CoinsuperNormalizerState) : { v: 1, windows: {} };
  }

  state(): CoinsuperNormalizerState {
    return JSON.parse(JSON.stringify(this.st)) as CoinsuperNormalizerState;
  }

  normalize(frame: RawFrame): NormalizedRow[] {
    if (frame.kind !== 'binary') return [];
    const rows: NormalizedRow[] = [];
    for (const p of readFrame(frame.payload).packets) {
      if (p.cmd !== 'publish') continue;
      rows.push(...this.publish(p.topic, Buffer.isBuffer(p.payload) ? p.payload.toString('utf8') : String(p.payload)));
    }
    return rows;
  }

  /** Rows of one PUBLISH (exported through the class for fixtures that hold only topic + payload). */
  publish(topic: string, payload: string): NormalizedRow[] {
    const spec = topicToSpec(topic);
    if (!spec) return [];
    let msg: JsonValue;
    try {
      msg = parseJson(payload);
    } catch {
      return []; // a payload that is not JSON: the raw frame keeps it
    }
    switch (spec.params.type) {
      case 'orderBook':
        return isObject(msg) ? orderBookRows(msg) : [];
      case 'kline':
        return isObject(msg) ? klineRows(msg, Number(spec.params.intervalMs)) : [];
      case 'tickers': {
        const w = (this.st.windows[topic] ??= { floorTs: null, seen: {} });
        return dedupeWindow(w, windowTrades(msg)).map(
          ({ trade, id }): TradeRow => ({
            table: 'trades',
            symbol: trade.symbol,
            exchange_ts_ms: trade.ts,
            trade_id: id,
            price: trade.price,
            amount: trade.quantity,
            side: trade.action === 'BUY' ? 'buy' : trade.action === 'SELL' ? 'sell' : null,
          }),
        );
      }
      case 'asset':
        return isObject(msg) ? balanceRows(msg) : [];
      case 'order':
        return isObject(msg) ? orderRows(msg) : [];
      case 'trade':
        return isObject(msg) ? fillRows(msg) : [];
      default:
        return []; // depth chart: see the header
    }
  }
}
