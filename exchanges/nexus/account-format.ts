/**
 * Demo-account events → Nexus API_ORDER and API_RISK_POSITION pushes (pure).
 *
 * API_ORDER: one parent order (the client's), routed whole to one counterparty order (`cpOrders`,
 * the provider chosen by a hash of the order id), whose `executions` list the fill of this update.
 * Field names are exactly the documents', including `cpOrderid` (orders) vs `cpOrderId`
 * (executions). ASSUMPTIONs (the documents show one single-fill example only):
 *  - `executions` carries the executions of this update only, not the order's whole history;
 *  - `commission` of the counterparty order is the cumulative fee, `executeTime` the last fill's
 *    time ("0" before any fill) — both come from the session, which follows each open order;
 *  - the parent's `cp` is "" and `cpOrderid` "0", as in the example.
 *
 * API_RISK_POSITION: the documents do not define the fields; the mapping used here (ASSUMPTION):
 *   netVolume = signed position in base,  volume = |netVolume|,
 *   amount = grossAmount = −(netVolume × entry price)  (quote cash spent on the open position),
 *   mtmAmount = amount − unrealized P&L  (the position marked to market, same sign convention),
 *   netPl = realized + unrealized P&L, hedge/daily fields "0", broker "DEMO".
 */
import type { OrderEvent, OrderStatus, PositionEvent } from '../market.js';
import { EXTERNAL_CPS, fnv1a } from './book-format.js';
import { absDecimal, addDecimal, compareDecimal, isZero, mulDecimal, negDecimal, subDecimal } from './decimal.js';
import type { CpOrder, Execution, OrderPush, ParentOrder, RiskPosition, RiskPositionPush } from './protocol.js';
import { nexusSymbol } from './protocol.js';

/** The counterparty order is placed this long after the parent (the example: 1631950584467 → …476). */
const ROUTING_DELAY_MS = 9;
/** `broker` of the simulated risk positions. */
const DEMO_BROKER = 'DEMO';

const STATUS: Record<OrderStatus, string> = {
  new: 'PENDING',
  partially_filled: 'EXCUTING', // sic: enum.md spells it so
  filled: 'EXECUTED',
  canceled: 'CANCELLED',
  rejected: 'REJECTED',
};

/** What the session knows of an order across its updates. */
export interface OrderProgress {
  /** ms of the latest fill, or null before any. */
  lastExecuteMs: number | null;
  /** cumulative fee (decimal string). */
  commission: string;
}

export function nextProgress(prev: OrderProgress | undefined, ev: OrderEvent): OrderProgress {
  const p = prev ?? { lastExecuteMs: null, commission: '0' };
  if (!ev.fill) return p;
  return { lastExecuteMs: ev.fill.tsMs, commission: addDecimal(p.commission, ev.fill.fee) };
}

export function cpOrderIdFor(orderId: string): string {
  // 19 digits, like the documents' ids, stable per parent order.
  return (1_500_000_000_000_000_000n + BigInt(fnv1a(orderId)) * 1_000_000_000n + BigInt(fnv1a(`${orderId}#cp`) % 1_000_000_000)).toString();
}

function cpFor(orderId: string): string {
  return EXTERNAL_CPS[fnv1a(orderId) % EXTERNAL_CPS.length];
}

function orderResult(ev: OrderEvent): string {
  if (isZero(ev.filledAmount)) return 'NONE';
  return compareDecimal(ev.filledAmount, ev.amount) >= 0 ? 'FILLED' : 'PARTIAL';
}

export function formatOrder(ev: OrderEvent, progress: OrderProgress): OrderPush {
  const symbol = nexusSymbol(ev.inst);
  const side = ev.side === 'buy' ? 'BUY' : 'SELL';
  const orderType = ev.orderType === 'market' ? 'MARKET' : 'LIMIT';
  const timeInForce = ev.orderType === 'market' ? 'IOC' : 'GTC';
  const status = STATUS[ev.status];
  const result = orderResult(ev);
  const pendingVolume = ev.status === 'new' || ev.status === 'partially_filled' ? subDecimal(ev.amount, ev.filledAmount) : '0';
  const executeTime = progress.lastExecuteMs === null ? '0' : String(progress.lastExecuteMs);
  const cp = cpFor(ev.orderId);
  const cpOrderid = cpOrderIdFor(ev.orderId);
  const executions: Execution[] = ev.fill
    ? [
        {
          commissionCurrency: ev.fill.feeCurrency,
          cp,
          cpOrderId: cpOrderid,
          executeAmount: mulDecimal(ev.fill.price, ev.fill.amount),
          executeId: ev.fill.fillId,
          executePrice: ev.fill.price,
          executeTime: String(ev.fill.tsMs),
          executeVolume: ev.fill.amount,
          orderId: ev.orderId,
          orderType,
          side,
          symbol,
        },
      ]
    : [];
  const child: CpOrder = {
    commission: progress.commission,
    cp,
    cpOrderid,
    executeAmount: ev.filledQuote,
    executeTime,
    executeVolume: ev.filledAmount,
    executions,
    orderComment: `[B:${ev.orderId}.0`,
    orderId: ev.orderId,
    orderResult: result,
    orderTime: String(ev.createdMs + ROUTING_DELAY_MS),
    orderType,
    orderVolume: ev.amount,
    pendingVolume,
    side,
    status,
    symbol,
    timeInForce,
  };
  const parent: ParentOrder = {
    clientOrderId: ev.clientOrderId,
    cp: '',
    cpOrderid: '0',
    cpOrders: [child],
    executeAmount: ev.filledQuote,
    executeTime,
    executeVolume: ev.filledAmount,
    orderId: ev.orderId,
    orderResult: result,
    orderTime: String(ev.createdMs),
    orderType,
    orderVolume: ev.amount,
    pendingVolume,
    side,
    status,
    symbol,
    timeInForce,
  };
  return { event: 'API_ORDER', data: [parent] };
}

export function formatPosition(ev: PositionEvent, book: string): RiskPositionPush {
  const amount = negDecimal(mulDecimal(ev.amount, ev.entryPrice));
  const position: RiskPosition = {
    amount,
    book,
    broker: DEMO_BROKER,
    dailyAmount: '0',
    dailyVolume: '0',
    grossAmount: amount,
    hedgePl: '0',
    hedgeVolume: '0',
    mtmAmount: subDecimal(amount, ev.unrealizedPnl),
    netPl: addDecimal(ev.realizedPnl, ev.unrealizedPnl),
    netVolume: ev.amount,
    symbol: nexusSymbol(ev.inst),
    volume: absDecimal(ev.amount),
  };
  return { event: 'API_RISK_POSITION', data: [position] };
}
