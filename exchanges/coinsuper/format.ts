/**
 * Market events → Coinsuper's JSON payloads, key for key in the order of the documented samples
 * (protocols.md §4.3). Pure; decimals are computed on scaled bigints (decimal.ts).
 */
import { md5Hex } from './auth.js';
import { decimalsOf, divRound, fromUnits, pow10, toUnits } from './decimal.js';
import type { BalanceEvent, BookEvent, FillEvent, Instrument, KlineEvent, Level, OrderEvent, TradeEvent } from '../market.js';
import { ASSET_DECIMALS, DEPTH_CHART_BUCKETS, DEPTH_CHART_BUCKET_PER_MILLE, DEPTH_CHART_PERCENT, ORDER_BOOK_LEVELS, TRADE_WINDOW_SIZE } from './protocol.js';

function instSymbol(inst: Instrument): string {
  return `${inst.base}/${inst.quote}`;
}

const q = JSON.stringify;
/** Quotes text that needs no escaping: decimals made here or validated by toUnits. */
const d = (text: string) => `"${text}"`;

/**
 * Depth chart (§4.3 (1)): 50 buckets per side on a grid of 0.1 % of the mid price, each carrying the
 * cumulative quantity of the book up to that price. The sample fits this reading: the first bid
 * bucket sits at the mid, above the best bid, with quantity 0.0000, and the next holds exactly the
 * best bid's 0.8490. Asks take buckets mid·(1 + k‰), k = 1…50; bids mid·(1 − k‰), k = 0…49.
 */
export function depthChartPayload(ev: BookEvent): string | null {
  const pd = ev.inst.priceDecimals;
  const ad = ev.inst.amountDecimals;
  const bestBid = ev.bids[0];
  const bestAsk = ev.asks[0];
  if (!bestBid || !bestAsk) return null;
  // The mid truncated to the price's decimals, then each bucket truncated: this reproduces all four
  // prices of the sample (mid 6674.72 → 6681.39, 6688.06, 6674.72, 6668.04).
  const mid = (toUnits(bestBid[0], pd) + toUnits(bestAsk[0], pd)) / 2n;
  const bucketPrice = (perMille: bigint) => (mid * perMille) / 1000n;
  // Levels are sorted best first and buckets move away from the mid: one pass per side.
  const side = (levels: Level[], isAsk: boolean) => {
    const out: string[] = [];
    let i = 0;
    let sum = 0n;
    for (let k = 0; k < DEPTH_CHART_BUCKETS; k++) {
      const step = BigInt(isAsk ? k + 1 : k) * DEPTH_CHART_BUCKET_PER_MILLE;
      const price = bucketPrice(isAsk ? 1000n + step : 1000n - step);
      for (; i < levels.length; i++) {
        const pu = toUnits(levels[i][0], pd);
        if (isAsk ? pu > price : pu < price) break;
        sum += toUnits(levels[i][1], ad);
      }
      out.push(`{"price":${d(fromUnits(price, pd))},"quantity":${d(fromUnits(sum, ad))},"stepValue":null}`);
    }
    return out.join(',');
  };
  return `{"symbol":${q(instSymbol(ev.inst))},"asks":[${side(ev.asks, true)}],"bids":[${side(ev.bids, false)}],` + `"depthPercent":${q(DEPTH_CHART_PERCENT)},"asksMinPrice":${q(bestAsk[0])},"bidsMaxPrice":${q(bestBid[0])}}`;
}

/** Levels aggregated by the topic's step: bids down, asks up to a multiple of it, quantities summed. */
function aggregate(levels: Level[], step: string, isAsk: boolean, inst: Instrument): Array<[bigint, bigint]> {
  const sd = Math.max(decimalsOf(step), inst.priceDecimals);
  const stepU = toUnits(step, sd);
  const out: Array<[bigint, bigint]> = [];
  for (const [p, a] of levels) {
    const pu = toUnits(p, sd);
    let bucket = (pu / stepU) * stepU;
    if (isAsk && bucket < pu) bucket += stepU;
    const amount = toUnits(a, inst.amountDecimals);
    const last = out[out.length - 1];
    if (last && last[0] === bucket) last[1] += amount;
    else {
      if (out.length === ORDER_BOOK_LEVELS) break;
      out.push([bucket, amount]);
    }
  }
  return out.map(([b, a]) => [sd === decimalsOf(step) ? b : b / pow10(sd - decimalsOf(step)), a]);
}

/**
 * Order book (§4.3 (2)): top 15 per side, prices with the step's decimals, `amount` = price ×
 * quantity in the quote currency (the sample's 6674.89 × 0.0524 = 349.76).
 */
export function orderBookPayload(ev: BookEvent, step: string): string {
  const pd = decimalsOf(step);
  const ad = ev.inst.amountDecimals;
  const qd = ev.inst.priceDecimals;
  const side = (levels: Level[], isAsk: boolean) =>
    aggregate(levels, step, isAsk, ev.inst)
      .map(([p, a]) => {
        const notional = divRound(p * a * pow10(qd), pow10(pd + ad));
        return `{"amount":${d(fromUnits(notional, qd))},"limitPrice":${d(fromUnits(p, pd))},"quantity":${d(fromUnits(a, ad))}}`;
      })
      .join(',');
  return `{"asks":[${side(ev.asks, true)}],"bids":[${side(ev.bids, false)}],"limitSize":${ORDER_BOOK_LEVELS},"step":${q(step)},"symbol":${q(instSymbol(ev.inst))},"timestamp":${ev.tsMs}}`;
}

/** k-line (§4.3 (3)): first/last/max/min = open/close/high/low, `timestamp` = candle start. */
export function klinePayload(ev: KlineEvent): string {
  return `{"symbol":${q(instSymbol(ev.inst))},"first":${q(ev.open)},"last":${q(ev.close)},"max":${q(ev.high)},"min":${q(ev.low)},"quantity":${q(ev.volume)},"timestamp":${ev.openTsMs}}`;
}

/** tickers (§4.3 (4)): up to 50 latest trades, newest first, no trade id. */
export function tickersPayload(trades: readonly TradeEvent[]): string {
  return `[${trades
    .slice(0, TRADE_WINDOW_SIZE)
    .map((t) => `{"symbol":${q(instSymbol(t.inst))},"price":${q(t.price)},"quantity":${q(t.amount)},"action":${q(t.side === 'buy' ? 'BUY' : 'SELL')},"timestamp":${t.tsMs}}`)
    .join(',')}]`;
}

/** A user number in Coinsuper's 19-digit form, stable per e-mail ([ASSUMPTION]: the real one is an account id). */
function userNoFor(email: string): string {
  return `16${(BigInt(`0x${md5Hex(email).slice(0, 16)}`) % 10n ** 17n).toString().padStart(17, '0')}`;
}

/** A decimal as a JSON number with exactly 30 decimals, as the asset push writes them. */
function n30(text: string): string {
  return fromUnits(toUnits(text, ASSET_DECIMALS), ASSET_DECIMALS);
}

/** asset change (§4.3 (5)): `total` = available + frozen; numbers, not strings. */
export function assetPayload(balances: readonly BalanceEvent[], email: string, tsMs: number): string {
  const assets = balances.map((b) => {
    const total = fromUnits(toUnits(b.available, ASSET_DECIMALS) + toUnits(b.frozen, ASSET_DECIMALS), ASSET_DECIMALS);
    return `{"available":${n30(b.available)},"currency":${q(b.currency)},"total":${total},"utcUpdate":${b.tsMs}}`;
  });
  return `{"asset":[${assets.join(',')}],"email":${q(email)},"timestamp":${tsMs},"userNo":${q(userNoFor(email))}}`;
}

/** Only creation and cancellation are pushed on the order topic (§4.3 (6)). */
export function orderState(ev: OrderEvent): 'NEW' | 'CANCEL' | null {
  if (ev.status === 'new') return 'NEW';
  if (ev.status === 'canceled' || ev.status === 'rejected') return 'CANCEL';
  return null;
}

function sub(a: string, b: string, d: number): string {
  return fromUnits(toUnits(a, d) - toUnits(b, d), d);
}

/**
 * order change (§4.3 (6), shape [ASSUMPTION] from the field table): quantities in base, `amount` the
 * filled quote, `amountRemaining` the limit order's unfilled quote (price × remaining quantity).
 */
export function orderPayload(ev: OrderEvent, state: 'NEW' | 'CANCEL'): string {
  const ad = ev.inst.amountDecimals;
  const pd = ev.inst.priceDecimals;
  const remaining = sub(ev.amount, ev.filledAmount, ad);
  const amountRemaining = ev.orderType === 'limit' ? fromUnits(divRound(toUnits(ev.price, pd) * toUnits(remaining, ad), pow10(ad)), pd) : '0';
  return (
    `{"symbol":${q(instSymbol(ev.inst))},"orderNo":${q(ev.orderId)},"quantity":${q(ev.amount)},"quantityRemaining":${q(remaining)},` +
    `"priceLimit":${q(ev.orderType === 'limit' ? ev.price : '0')},"action":${q(ev.side === 'buy' ? 'BUY' : 'SELL')},"priceAverage":${q(ev.avgPrice)},` +
    `"amount":${q(ev.filledQuote)},"amountRemaining":${q(amountRemaining)},"fee":"0","state":${q(state)},"utcCreate":${ev.createdMs},"utcUpdate":${ev.tsMs}}`
  );
}

/** trade change (§4.3 (7)); `utcDeal` is a string in the sample. */
export function fillPayload(f: FillEvent, orderType: 'limit' | 'market'): string {
  return (
    `{"action":${q(f.side === 'buy' ? 'BUY' : 'SELL')},"dealNo":${q(f.fillId)},"matchType":${q(f.liquidity === 'maker' ? 'MAKER' : 'TAKER')},` +
    `"orderNo":${q(f.orderId)},"orderType":${q(orderType === 'market' ? 'MKT' : 'LMT')},"price":${q(f.price)},"quantity":${q(f.amount)},` +
    `"symbol":${q(instSymbol(f.inst))},"utcDeal":${q(String(f.tsMs))}}`
  );
}
