/**
 * The paper account's vocabulary: recorded market frames as the matching engine reads them, the
 * requests a bot's orders become, and the answers. Every decimal is a string and every sum is exact
 * (core/decimal.ts); every time is recorded (replay) time in ns.
 */
import type { BalanceEvent, FillEvent, Instrument, OrderEvent, PositionEvent, Side } from '../../exchanges/market.js';
import type { TimeInForce } from '../../exchanges/trading.js';

/** Where a recorded frame sits in the recording: the order the replay sends frames in. */
export interface FrameKey {
  recvNs: bigint;
  connId: string;
  seq: number;
}

export function compareKeys(a: FrameKey, b: FrameKey): number {
  if (a.recvNs !== b.recvNs) return a.recvNs < b.recvNs ? -1 : 1;
  if (a.connId !== b.connId) return a.connId < b.connId ? -1 : 1;
  return a.seq - b.seq;
}

export interface BookLevel {
  price: string;
  amount: string;
}

export interface MarketTrade {
  price: string;
  amount: string;
  /** Taker side; null when the exchange does not say (both sides' resting orders may fill). */
  side: Side | null;
  tradeId: string | null;
}

/** One recorded frame of one market, from the normalized tables: a book (snapshot or update) or trades. */
export interface MarketFrame {
  key: FrameKey;
  book?: { bids: BookLevel[]; asks: BookLevel[]; snapshot: boolean };
  trades?: MarketTrade[];
}

/**
 * How resting limit orders fill: on recorded trades at or through their price (`trades`), or — for
 * a market whose recording has no trades at all (Nexus publishes books only) — when the recorded
 * book's other side reaches their price (`book`).
 */
export type RestingFills = 'trades' | 'book';

/**
 * Queue model of resting orders: `position` — the size recorded at the order's price when it was
 * placed is ahead of it and must trade first; `touch` — optimistic, the first trade at the price fills it.
 */
export type QueueModel = 'position' | 'touch';

/** One market the account trades: an instrument of the exchange (and, for Coinceres, its upstream venue). */
export interface MarketSpec {
  /** Stable id within the account: `<symbol>` or `<venue>|<symbol>`. */
  id: string;
  inst: Instrument;
  /** The symbol as the normalized tables spell it. */
  symbol: string;
  venue: string | null;
  restingFills: RestingFills;
}

export type { TimeInForce, RejectCode, Rejection, OrderResult } from '../../exchanges/trading.js';
export { rejection } from '../../exchanges/trading.js';

/** A new order as the engine takes it: on one market of the account. */
export interface PlaceRequest {
  market: string;
  side: Side;
  type: 'limit' | 'market';
  /** Limit price (limit orders). */
  price?: string;
  /** Quantity in base currency (limit orders, market sells, market buys by quantity). */
  amount?: string;
  /** Quote currency to spend (market buys by amount). */
  quoteAmount?: string;
  timeInForce: TimeInForce;
  postOnly?: boolean;
  clientOrderId?: string;
}

export type PaperEvent = OrderEvent | FillEvent | BalanceEvent | PositionEvent;

/**
 * One thing the account did, at recorded time `atNs`. `push` is false for what the bot is not told
 * on its private channels (an order refused at once answers the request instead); every output is
 * written to the results.
 */
export interface EngineOutput {
  atNs: bigint;
  event: PaperEvent;
  push: boolean;
  /** For the first output of an order: when its request reached the exchange (before the order-in latency). */
  arrivalNs?: bigint;
  /** The market of an order, fill or position (balances have none). */
  market?: MarketSpec;
}
