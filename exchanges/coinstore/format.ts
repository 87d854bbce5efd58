/**
 * Market events → Coinstore's native push bodies (protocols.md §1.6). Pure. The session adds the
 * envelope (`S`, `T`) in front; field order follows the documented examples, because clients and
 * byte-level comparisons see it.
 */
import type { BalanceEvent, KlineEvent, OrderEvent, OrderStatus, TickerEvent, TradeEvent, BookEvent } from '../market.js';
import { symbolOf } from './channels.js';
import { decDiv, decMul, decSign, decSub } from './decimal.js';

/** Account id the simulator reports in private pushes. ASSUMPTION: the value of the doc's account example. */
export const SIM_ACCOUNT_ID = 12;

const seconds = (ms: number) => Math.floor(ms / 1000);
const side = (s: 'buy' | 'sell') => (s === 'buy' ? 'BUY' : 'SELL');
/** Numeric ids stay numbers on the wire (as in every example); anything else is sent as text. */
const idValue = (id: string): number | string => (/^\d+$/.test(id) && Number.isSafeInteger(Number(id)) ? Number(id) : id);

/** One trade, field order of the documented batch example (the newest form, with `seq` and `ts`). */
export function tradeBody(channel: string, e: TradeEvent): Record<string, unknown> {
  return {
    channel,
    price: e.price,
    tradeId: e.tradeId,
    seq: e.seq,
    ts: e.tsMs,
    takerSide: side(e.side),
    time: seconds(e.tsMs),
    volume: e.amount,
    symbol: symbolOf(e.inst),
    instrumentId: e.inst.id,
  };
}

/** Top-N book, 2-element entries, bids descending, asks ascending (protocols.md §1.8). */
export function depthBody(channel: string, levels: number, e: BookEvent): Record<string, unknown> {
  return {
    channel,
    level: levels,
    instrumentId: e.inst.id,
    symbol: symbolOf(e.inst),
    b: e.bids.slice(0, levels).map(([p, q]) => [p, q]),
    a: e.asks.slice(0, levels).map(([p, q]) => [p, q]),
  };
}

/** Candle fields shared by the push and the REQ reply items. */
function candle(e: KlineEvent): { startTime: number; endTime: number } {
  // endTime is the last second of the candle (startTime 1603732500 → endTime 1603732559 in the doc).
  return { startTime: seconds(e.openTsMs), endTime: seconds(e.openTsMs + e.intervalMs) - 1 };
}

/**
 * Current candle. ASSUMPTION: `interval` carries the channel's interval name (min_1); the doc's
 * push example shows "1m", its REQ example "min_1" – normalizers read both.
 */
export function klineBody(channel: string, interval: string, e: KlineEvent): Record<string, unknown> {
  const { startTime, endTime } = candle(e);
  return {
    channel,
    instrumentId: e.inst.id,
    symbol: symbolOf(e.inst),
    interval,
    startTime,
    endTime,
    firstTradeId: e.firstTradeId,
    lastTradeId: e.lastTradeId,
    open: e.open,
    close: e.close,
    high: e.high,
    low: e.low,
    volume: e.volume,
    amount: e.quoteVolume,
  };
}

/** One item of a REQ kline reply, field order of the documented reply. */
export function klineItem(interval: string, e: KlineEvent): Record<string, unknown> {
  const { startTime, endTime } = candle(e);
  return {
    interval,
    startTime,
    endTime,
    lastTradeId: e.lastTradeId,
    firstTradeId: e.firstTradeId,
    close: e.close,
    open: e.open,
    high: e.high,
    low: e.low,
    volume: e.volume,
    amount: e.quoteVolume,
  };
}

export function tickerBody(channel: string, e: TickerEvent): Record<string, unknown> {
  return {
    channel,
    instrumentId: e.inst.id,
    symbol: symbolOf(e.inst),
    open: e.open,
    high: e.high,
    low: e.low,
    close: e.last,
    volume: e.volume,
    amount: e.quoteVolume,
  };
}

/** The fields of one `!@ticker` array element, in the doc example's order. */
const ALL_TICKERS_FIELDS = ['channel', 'open', 'high', 'low', 'close', 'volume', 'amount', 'symbol', 'instrumentId'] as const;

/** One element of the `!@ticker` array: the doc example names each by its instrument id (`80002@ticker`). */
export function allTickersElement(e: TickerEvent): Record<string, unknown> {
  return {
    channel: `${e.inst.id}@ticker`,
    open: e.open,
    high: e.high,
    low: e.low,
    close: e.last,
    volume: e.volume,
    amount: e.quoteVolume,
    symbol: symbolOf(e.inst),
    instrumentId: e.inst.id,
  };
}

/**
 * The `!@ticker` element of a recorded single-symbol ticker push (a replay serving `!@ticker` from
 * the recorded tickers): its values as recorded, in the element's order and named by id as above,
 * any further recorded fields after them. Null for a push that is not one symbol's ticker.
 */
export function recordedAllTickersElement(push: Record<string, unknown>): Record<string, unknown> | null {
  if (push.T !== 'ticker' || Array.isArray(push.data) || push.instrumentId === undefined) return null;
  const { S: _s, T: _t, sid: _sid, ...body } = push;
  const element: Record<string, unknown> = {};
  for (const f of ALL_TICKERS_FIELDS) if (f in body) element[f] = body[f];
  element.channel = `${String(body.instrumentId)}@ticker`;
  for (const [k, v] of Object.entries(body)) if (!(k in element)) element[k] = v;
  return element;
}

/** `!@ticker`: an array of per-symbol tickers. */
export function allTickersBody(elements: Array<Record<string, unknown>>): Record<string, unknown> {
  return { channel: '!@ticker', data: elements };
}

export function accountBody(channel: string, e: BalanceEvent): Record<string, unknown> {
  return {
    channel,
    accountId: SIM_ACCOUNT_ID,
    currency: e.currency.toUpperCase(),
    frozen: e.frozen,
    available: e.available,
    timestamp: seconds(e.tsMs),
  };
}

const ORDER_STATE: Record<OrderStatus, string> = {
  new: 'SUBMITTED',
  partially_filled: 'PARTIAL_FILLED',
  filled: 'FILLED',
  canceled: 'CANCELED',
  rejected: 'REJECTED',
};

/**
 * Order update, documented field order. `match*` fields describe the execution that caused the
 * update and are zero when there was none ("meaningful only when matchQty > 0"). `feeCurrencyId`
 * is the currency id of `currencyId` (see channels.ts: no id table is published).
 */
export function orderBody(channel: string, e: OrderEvent, currencyId: (currency: string) => number): Record<string, unknown> {
  const f = e.fill;
  const remaining = decSub(e.amount, e.filledAmount);
  const matchAmt = f ? decMul(f.price, f.amount) : '0';
  return {
    channel,
    version: e.version,
    accountId: SIM_ACCOUNT_ID,
    ordId: idValue(e.orderId),
    symbol: symbolOf(e.inst),
    side: side(e.side),
    ordType: e.orderType === 'limit' ? 'LIMIT' : 'MARKET',
    timeInForce: e.orderType === 'limit' ? 'GTC' : 'IOC',
    ordPrice: e.price,
    ordQty: e.amount,
    ordAmt: e.orderType === 'limit' ? decMul(e.price, e.amount) : e.filledQuote,
    ordState: ORDER_STATE[e.status],
    execQty: e.filledAmount,
    execAmt: e.filledQuote,
    remainingQty: e.status === 'canceled' || e.status === 'rejected' || decSign(remaining) < 0 ? '0' : remaining,
    matchId: f ? idValue(f.fillId) : 0,
    tradeId: f ? idValue(f.fillId) : 0,
    matchRole: f ? (f.liquidity === 'maker' ? 'MAKER' : 'TAKER') : null,
    matchQty: f ? f.amount : '0',
    matchAmt,
    selfDealingQty: '0',
    // The rate the fee of this execution was charged at: the account's own where it says (a paper
    // fill's fee in the base currency is no fraction of the match amount), else fee ÷ match amount.
    actualFeeRate: f ? (f.feeRate ?? decDiv(f.fee, matchAmt) ?? '0') : null,
    feeCurrencyId: f ? currencyId(f.feeCurrency) : 0,
    // A JSON number, as in the doc's example (`"fee":0.21`).
    fee: f ? Number(f.fee) : 0,
    timestamp: seconds(e.tsMs),
  };
}
