/**
 * A small deterministic demo account for the trading-socket tests: limit orders rest, market orders
 * fill at a fixed price, balances move with fills. Enough state to check every biz_type answer.
 */
import type { BalanceEvent, DemoAccount, FillEvent, Instrument, OrderEvent, PositionEvent, Side } from '../../../exchanges/market.js';

export const TEST_MARKET_PRICE = '100.00';
const T0 = Date.UTC(2026, 0, 2, 3, 4, 5); // 2026-01-02 11:04:05 UTC+8

export function createTestAccount(instruments: Instrument[]): DemoAccount & { fillsMade: FillEvent[] } {
  const orders: OrderEvent[] = [];
  const fillsMade: FillEvent[] = [];
  let nextOrder = 1;
  let nextFill = 1;
  let t = T0;
  const bal = new Map<string, { available: number; frozen: number }>([['USDT', { available: 10000, frozen: 0 }], ...instruments.map((i) => [i.base, { available: 10, frozen: 0 }] as [string, { available: number; frozen: number }])]);

  return {
    fillsMade,
    balances(): BalanceEvent[] {
      return [...bal].map(([currency, b]) => ({ type: 'balance', currency, available: b.available.toFixed(2), frozen: b.frozen.toFixed(2), tsMs: t }));
    },
    openOrders: () => orders.filter((o) => o.status === 'new' || o.status === 'partially_filled'),
    orders: () => [...orders],
    fills: (limit: number) => fillsMade.slice(-limit).reverse(),
    positions(): PositionEvent[] {
      return instruments.map((inst) => {
        let net = 0;
        for (const f of fillsMade) if (f.inst === inst) net += (f.side === 'buy' ? 1 : -1) * Number(f.amount);
        return { type: 'position', inst, amount: net.toFixed(inst.amountDecimals), entryPrice: TEST_MARKET_PRICE, unrealizedPnl: '0.00', realizedPnl: '0.00', tsMs: t };
      });
    },
    placeOrder(req: { inst: Instrument; side: Side; orderType: 'limit' | 'market'; price?: string; amount: string; clientOrderId?: string }) {
      if (Number(req.amount) <= 0) return { ok: false, reason: 'amount must be positive' };
      t += 1000;
      const id = String(900000 + nextOrder++);
      const order: OrderEvent = {
        type: 'order',
        inst: req.inst,
        orderId: id,
        clientOrderId: req.clientOrderId ?? `c${id}`,
        side: req.side,
        orderType: req.orderType,
        price: req.price ?? '0',
        amount: req.amount,
        filledAmount: '0',
        filledQuote: '0',
        avgPrice: '0',
        status: 'new',
        version: 1,
        createdMs: t,
        tsMs: t,
      };
      if (req.orderType === 'market') {
        const fill: FillEvent = {
          type: 'fill',
          inst: req.inst,
          fillId: String(500000 + nextFill++),
          orderId: id,
          side: req.side,
          price: TEST_MARKET_PRICE,
          amount: req.amount,
          fee: '0.10',
          feeCurrency: req.inst.quote,
          liquidity: 'taker',
          tsMs: t,
        };
        fillsMade.push(fill);
        Object.assign(order, { filledAmount: req.amount, avgPrice: TEST_MARKET_PRICE, status: 'filled', fill });
        const q = bal.get(req.inst.quote)!;
        const b = bal.get(req.inst.base)!;
        const notional = Number(req.amount) * Number(TEST_MARKET_PRICE);
        if (req.side === 'buy') {
          q.available -= notional;
          b.available += Number(req.amount);
        } else {
          q.available += notional;
          b.available -= Number(req.amount);
        }
      } else {
        bal.get(req.inst.quote)!.frozen += Number(req.amount) * Number(req.price);
      }
      orders.push(order);
      return { ok: true, order };
    },
    cancelOrder(orderId: string) {
      const o = orders.find((x) => x.orderId === orderId);
      if (!o || (o.status !== 'new' && o.status !== 'partially_filled')) return { ok: false, reason: 'not open' };
      o.status = 'canceled';
      bal.get(o.inst.quote)!.frozen -= Number(o.amount) * Number(o.price);
      return { ok: true, order: o };
    },
  };
}
