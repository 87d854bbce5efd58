/**
 * Pure formatters from exchange-neutral events to Coinceres' native messages, in the shapes of the
 * captured samples (push-*: keys in alphabetical order, as the real server's JSON mapper wrote them)
 * and of the trading PDF's responses (keys in the order the PDF shows them).
 */
import type { BalanceEvent, BookEvent, FillEvent, Instrument, KlineEvent, OrderEvent, PositionEvent, TickerEvent, TradeEvent } from '../market.js';
import { absDecimal, addDecimal, mulDecimal, stepOf } from './decimal.js';
import { ACCOUNT_TYPE_SPOT, DEPTH_LEVELS, RESULT_BAD, RESULT_BAD_MESSAGE, RESULT_OK, RESULT_OK_MESSAGE, SPOT_FUTURE_DIR, type EntrustNotice, type EntrustStatus, type PushCandle, type PushDepth10, type PushTick, type PushTrade } from './protocol.js';
import { formatWallTime } from './time.js';

/** A derived decimal, or undefined when an input is not plain decimal text (the field is then left out). */
function derived(fn: () => string): string | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

interface PushTarget {
  venue: string;
  contract: string;
}

export function pushTick(t: TickerEvent, to: PushTarget): PushTick {
  return {
    change: t.change,
    change_rate: t.changeRate,
    contract: to.contract,
    exchange: to.venue,
    high: t.high,
    last: t.last,
    low: t.low,
    msg_type: 'push-tick',
    open: t.open,
    time: String(t.tsMs),
    volume: t.volume,
  };
}

export function pushTrade(t: TradeEvent, to: PushTarget): PushTrade {
  return {
    contract: to.contract,
    exchange: to.venue,
    msg_type: 'push-trade',
    price: t.price,
    side: t.side === 'buy' ? 'b' : 's',
    time: String(t.tsMs),
    volume: t.amount,
  };
}

/** The top 10 levels of each side: each push is a full snapshot (no update id exists). */
export function pushDepth10(b: BookEvent, to: PushTarget): PushDepth10 {
  const levels = (side: BookEvent['bids']) => side.slice(0, DEPTH_LEVELS).map(([price, volume]) => ({ price, volume }));
  return { asks: levels(b.asks), bids: levels(b.bids), contract: to.contract, exchange: to.venue, msg_type: 'push-depth10' };
}

/** `time` is the candle's open time (the samples are whole minutes). */
export function pushCandle(k: KlineEvent, to: PushTarget & { duration: string }): PushCandle {
  return {
    close: k.close,
    contract: to.contract,
    duration: to.duration,
    exchange: to.venue,
    high: k.high,
    low: k.low,
    msg_type: 'push-candle',
    open: k.open,
    time: String(k.openTsMs),
    volume: k.volume,
  };
}

// ------------------------------------------------------------------------------------------------
// Trading socket responses

/** The trading documents spell contracts `ADA_BTC` in orders and fills, `ETH/USDT` in the pair list. */
const tradeContract = (i: Instrument) => `${i.base}_${i.quote}`.toUpperCase();
const marketContract = (i: Instrument) => `${i.base}/${i.quote}`.toUpperCase();

export function badRequest(bizType?: number): Record<string, unknown> {
  return bizType === undefined ? { code: RESULT_BAD, message: RESULT_BAD_MESSAGE } : { code: RESULT_BAD, message: RESULT_BAD_MESSAGE, biz_type: bizType };
}

/** An order the server will not carry out at all (no account to trade with): the documented error code, the reason as `message`. */
export function noTradingRefusal(bizType: number, message: string): Record<string, unknown> {
  return { code: RESULT_BAD, message, biz_type: bizType };
}

/** biz_type 13 (key order as in the PDF: code, data, biz_type, message). */
export function contractsResponse(instruments: Instrument[], venue: string): Record<string, unknown> {
  const data = instruments.map((i) => ({
    min_change: stepOf(i.priceDecimals),
    min_volume: stepOf(i.amountDecimals),
    contract: marketContract(i),
    exchange: venue,
  }));
  return { code: RESULT_OK, data, biz_type: 13, message: RESULT_OK_MESSAGE };
}

/** biz_type 14. `balance` is the available amount (999.99912 + frozen 0.00088 = market_value 1000 in the PDF). */
export function accountResponse(balances: BalanceEvent[], venue: string): Record<string, unknown> {
  const data = balances.map((b) => ({
    market_value: derived(() => addDecimal(b.available, b.frozen)),
    account_type: ACCOUNT_TYPE_SPOT,
    balance: b.available,
    frozen: b.frozen,
    exchange: venue,
    currency: b.currency,
  }));
  return { code: RESULT_OK, data, biz_type: 14, message: RESULT_OK_MESSAGE };
}

/** Order status code of the PDF's table for a demo-account order. */
export function statusCode(o: OrderEvent): number {
  switch (o.status) {
    case 'new':
      return 3; // reported
    case 'partially_filled':
      return 4;
    case 'filled':
      return 5;
    case 'rejected':
      return 6;
    case 'canceled':
      return Number(o.filledAmount) > 0 ? 14 : 15; // partially cancelled | cancelled
  }
}

/** biz_type 15. `commission` is the sum of the order's fills' fees. */
export function ordersResponse(orders: OrderEvent[], fills: FillEvent[]): Record<string, unknown> {
  const fees = new Map<string, string>();
  for (const f of fills) fees.set(f.orderId, derived(() => addDecimal(fees.get(f.orderId) ?? '0', f.fee)) ?? fees.get(f.orderId) ?? '0');
  const data = orders.map((o) => ({
    entrust_bs: o.side,
    entrust_price: o.price,
    contract: tradeContract(o.inst),
    entrust_time: formatWallTime(o.createdMs),
    dealt_amount: o.filledAmount,
    lever: '1',
    client_oid: o.clientOrderId,
    system_oid: o.orderId,
    entrust_amount: o.amount,
    stop_value: '0',
    profit_value: '0',
    commission: fees.get(o.orderId) ?? '0',
    status: statusCode(o),
    average_dealt_price: o.avgPrice,
  }));
  return { code: RESULT_OK, data, biz_type: 15, message: RESULT_OK_MESSAGE };
}

/** biz_type 11 (key order as in the PDF: biz_type, code, data, message). */
export function placeOrderResponse(o: OrderEvent): Record<string, unknown> {
  return { biz_type: 11, code: RESULT_OK, data: { client_oid: o.clientOrderId, system_oid: o.orderId }, message: RESULT_OK_MESSAGE };
}

/**
 * biz_type 12. The WebSocket PDF nests `message` inside `data` (the REST doc puts it top-level); we
 * reproduce the WebSocket shape. ERROR elements: ASSUMPTION `{"system_oid": ...}` like SUCCESS ones.
 */
export function cancelResponse(ok: string[], failed: string[]): Record<string, unknown> {
  return {
    biz_type: 12,
    code: RESULT_OK,
    data: { ERROR: failed.map((system_oid) => ({ system_oid })), SUCCESS: ok.map((system_oid) => ({ system_oid })), message: RESULT_OK_MESSAGE },
  };
}

/**
 * biz_type 16. The demo account is spot with lever 1: margin is the position value and there is no
 * forced-liquidation price ("0"). `dealId` is derived from the instrument id (one position per
 * instrument).
 */
export function positionsResponse(positions: PositionEvent[], venue: string): Record<string, unknown> {
  const data = positions.map((p) => {
    const vol = absDecimal(p.amount);
    const value = derived(() => mulDecimal(vol, p.entryPrice));
    return {
      close_profit: p.realizedPnl,
      contract: tradeContract(p.inst),
      dealId: String(p.inst.id),
      exchange: venue,
      force_price: '0',
      lever: '1',
      margin: value,
      open_price: p.entryPrice,
      position_dir: p.amount.trim().startsWith('-') ? 'sell' : 'buy',
      position_profit: p.unrealizedPnl,
      position_value: value,
      vol,
    };
  });
  return { biz_type: 16, code: RESULT_OK, data, message: RESULT_OK_MESSAGE };
}

/** biz_type 17 (key order of the PDF: code, data, biz_type, message). */
export function fillsResponse(fills: FillEvent[]): Record<string, unknown> {
  const data = fills.map((f) => ({
    entrust_bs: f.side,
    commission_currency: f.feeCurrency,
    dealt_time: formatWallTime(f.tsMs),
    contract: tradeContract(f.inst),
    dealt_price: f.price,
    system_tid: f.fillId,
    commission: f.fee,
    dealt_amount: f.amount,
    system_oid: f.orderId,
    future_dir: SPOT_FUTURE_DIR,
  }));
  return { code: RESULT_OK, data, biz_type: 17, message: RESULT_OK_MESSAGE };
}

// ------------------------------------------------------------------------------------------------
// Notification socket pushes

/** `entrustStatus` of a demo-account order (the enum's spellings; the same states as statusCode()). */
function entrustStatus(o: OrderEvent): EntrustStatus {
  switch (o.status) {
    case 'new':
      // The simulator accepts an order at once: it is reported (已报) when first seen.
      return 'SUBMITTED';
    case 'partially_filled':
      return 'PART_FILLED';
    case 'filled':
      return 'FILLED';
    case 'rejected':
      return 'FAILURE';
    case 'canceled':
      return Number(o.filledAmount) > 0 ? 'PART_CANCELED' : 'CANCELED';
  }
}

const isZero = (v: string) => !/[1-9]/.test(v);

/**
 * messageType 1 for one order change, keys and spellings of the 2019-05 document's sample: every
 * value a string, `contract` as BASE/QUOTE, `lever` the text "null" (spot), times
 * `YYYY-MM-DD HH:mm:ss` (UTC+8, time.ts). ASSUMPTIONS (the document shows one notice, of a fresh
 * order): `dealVol` is the amount of the fill that caused the change ("0" otherwise), `totalDealVol`
 * the order's cumulative dealt amount, the text "null" before the first fill as in the sample.
 */
export function entrustNotice(o: OrderEvent, product: string, venue: string): EntrustNotice {
  return {
    product,
    exchange: venue,
    contract: marketContract(o.inst),
    entrustId: o.orderId,
    avgDealPrice: o.avgPrice,
    entrustTime: formatWallTime(o.createdMs),
    entrustStatus: entrustStatus(o),
    entrustDir: o.side === 'buy' ? 'BUY' : 'SELL',
    entrustType: o.orderType === 'market' ? 'MARKET' : 'LIMIT',
    lever: 'null',
    entrustPrice: o.price,
    entrustVol: o.amount,
    dealVol: o.fill?.amount ?? '0',
    totalDealVol: isZero(o.filledAmount) ? 'null' : o.filledAmount,
    messageType: '1',
  };
}
