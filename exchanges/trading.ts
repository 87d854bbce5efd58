/**
 * The account a server side trades with when a bot sends orders over an exchange's own protocol
 * (Coinceres biz_type 11–17, Coinstore's REST API): the replay's paper account, or the simulator's
 * demo account behind `tradingFromDemo`. Every answer is a promise — a paper account answers after
 * its order-in and fill-out delays on the session's clock — and refusals carry a reason code each
 * exchange maps to its own documented error code.
 */
import type { BalanceEvent, DemoAccount, FillEvent, Instrument, OrderEvent, PositionEvent, Side } from './market.js';

export type TimeInForce = 'GTC' | 'IOC' | 'FOK';

export interface OrderRequest {
  inst: Instrument;
  /** Aggregators (Coinceres): the upstream venue the order is for; matched case-insensitively. */
  venue?: string | null;
  side: Side;
  orderType: 'limit' | 'market';
  /** Limit price. */
  price?: string;
  /** Quantity in base currency (limit orders, market sells, market buys by quantity). */
  amount?: string;
  /** Quote currency to spend (market buys by amount: Coinstore `ordAmt`, Coinceres market buy `entrust_vol`). */
  quoteAmount?: string;
  timeInForce?: TimeInForce;
  postOnly?: boolean;
  clientOrderId?: string;
}

export interface OrderRef {
  orderId?: string;
  clientOrderId?: string;
}

/** Why a request was refused. */
export type RejectCode =
  | 'bad_request' // a field is missing or malformed
  | 'bad_symbol' // no such instrument
  | 'insufficient_balance'
  | 'unknown_order' // no such order in this account
  | 'order_closed' // the order is already filled or canceled
  | 'duplicate_order'; // a client order id already in use by an open order

export interface Rejection {
  ok: false;
  code: RejectCode;
  message: string;
}

export type OrderResult = { ok: true; order: OrderEvent } | Rejection;

export function rejection(code: RejectCode, message: string): Rejection {
  return { ok: false, code, message };
}

export interface TradingAccount {
  balances(): Promise<BalanceEvent[]>;
  /** Every order the account knows, oldest first. */
  orders(): Promise<OrderEvent[]>;
  openOrders(): Promise<OrderEvent[]>;
  order(ref: OrderRef): Promise<OrderEvent | null>;
  /** The latest `limit` fills, newest first. */
  fills(limit: number): Promise<FillEvent[]>;
  positions(): Promise<PositionEvent[]>;
  placeOrder(req: OrderRequest): Promise<OrderResult>;
  cancelOrder(ref: OrderRef): Promise<OrderResult>;
  /** Cancels the open orders of one instrument, or all; returns them as canceled. */
  cancelAll(inst: Instrument | null): Promise<OrderEvent[]>;
}

/**
 * The simulator's demo account as a TradingAccount. It trades limit and market orders by quantity
 * only: a market buy by quote amount is placed for that many units (the simulator's behaviour
 * before quote amounts existed), and time in force and post-only are not modelled.
 */
export function tradingFromDemo(demo: DemoAccount): TradingAccount {
  const reasonCode = (reason: string): RejectCode => (/insufficient/.test(reason) ? 'insufficient_balance' : /not found/.test(reason) ? 'unknown_order' : /^order is /.test(reason) ? 'order_closed' : 'bad_request');
  const find = (ref: OrderRef) => demo.orders().find((o) => (ref.orderId !== undefined ? o.orderId === ref.orderId : ref.clientOrderId !== undefined && o.clientOrderId === ref.clientOrderId)) ?? null;
  return {
    balances: async () => demo.balances(),
    orders: async () => demo.orders(),
    openOrders: async () => demo.openOrders(),
    order: async (ref) => find(ref),
    fills: async (limit) => demo.fills(limit),
    positions: async () => demo.positions(),
    async placeOrder(req) {
      const amount = req.amount ?? req.quoteAmount;
      if (amount === undefined) return rejection('bad_request', 'an order needs a quantity');
      const r = demo.placeOrder({ inst: req.inst, side: req.side, orderType: req.orderType, price: req.price, amount, clientOrderId: req.clientOrderId });
      return r.ok ? r : rejection(reasonCode(r.reason), r.reason);
    },
    async cancelOrder(ref) {
      const o = find(ref);
      if (!o) return rejection('unknown_order', 'order not found');
      const r = demo.cancelOrder(o.orderId);
      return r.ok ? r : rejection(reasonCode(r.reason), r.reason);
    },
    async cancelAll(inst) {
      const out: OrderEvent[] = [];
      for (const o of demo.openOrders()) {
        if (inst && o.inst.id !== inst.id) continue;
        const r = demo.cancelOrder(o.orderId);
        if (r.ok) out.push(r.order);
      }
      return out;
    },
  };
}
