/**
 * Order statuses and types of paper orders, spelled as each exchange's recorded private data spells
 * them (the normalizers' `orders.status`), so paper results and recorded orders read alike:
 *  - Coinstore: `ordState` (SUBMITTING, SUBMITTED, PARTIAL_FILLED, FILLED, CANCELED, REJECTED);
 *  - Coinceres: the biz_type 15 status codes by name (protocol.ts ORDER_STATUS: reporting, reported, …);
 *  - Nexus: the OrderStatus enum of enum.md, its spellings kept (PENDING, EXCUTING, EXECUTED, CANCELLED, REJECTED);
 *  - Coinsuper: the order-change `state` (NEW, CANCEL); ASSUMPTION FILLED and REJECTED for what its
 *    document does not push (only creation and cancellation are).
 * `submitting` is the request on its way, before the order-in delay ends.
 */
import { isZeroDecimal } from '../../core/decimal.js';
import type { OrderEvent } from '../../exchanges/market.js';
import type { ExchangeId } from '../../exchanges/types.js';

type PaperStatus = OrderEvent['status'] | 'submitting';

const NAMES: Record<ExchangeId, Record<PaperStatus, string>> = {
  coinstore: { submitting: 'SUBMITTING', new: 'SUBMITTED', partially_filled: 'PARTIAL_FILLED', filled: 'FILLED', canceled: 'CANCELED', rejected: 'REJECTED' },
  coinceres: { submitting: 'reporting', new: 'reported', partially_filled: 'partially_filled', filled: 'filled', canceled: 'cancelled', rejected: 'rejected' },
  nexus: { submitting: 'PENDING', new: 'PENDING', partially_filled: 'EXCUTING', filled: 'EXECUTED', canceled: 'CANCELLED', rejected: 'REJECTED' },
  coinsuper: { submitting: 'NEW', new: 'NEW', partially_filled: 'NEW', filled: 'FILLED', canceled: 'CANCEL', rejected: 'REJECTED' },
};

export function statusName(exchange: ExchangeId, status: PaperStatus, filledAmount = '0'): string {
  // Coinceres names a cancel after fills "partially cancelled" (code 14)
  if (exchange === 'coinceres' && status === 'canceled' && !isZeroDecimal(filledAmount)) return 'partially_cancelled';
  return NAMES[exchange][status];
}

export function orderTypeName(exchange: ExchangeId, type: 'limit' | 'market'): string {
  if (exchange === 'coinsuper') return type === 'limit' ? 'LMT' : 'MKT';
  return type === 'limit' ? 'LIMIT' : 'MARKET';
}
