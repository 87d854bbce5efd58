/**
 * Nexus frames → normalized rows (pure, stateless).
 *
 *  - API_MARKETDEPTH → book rows, one per level: `is_snapshot` true (each push replaces the top-N
 *    book, protocols.md §2.4), `level` = 0-based index within its side in message order, `cp` = the
 *    counterparty, `exchange_ts_ms` = that level's quote `time`, `levels` = the subscribed depth
 *    from the stream key. Crossed books are kept as sent: the crossing comes from internal
 *    counterparties and is information, not an error.
 *  - API_ORDER → one orders row per parent order (the client's order: what was asked, filled,
 *    and its state). Counterparty orders are the venue's routing of that order, not orders of the
 *    account, so they give no orders rows (they would double-count volume); their `executions`
 *    become fills rows, with `order_id` = the parent order. A counterparty order reports one
 *    cumulative `commission`; it becomes the fill's fee only when that order has exactly one
 *    execution covering its whole executed volume (otherwise the split is unknown: fee null).
 *  - API_RISK_POSITION → positions rows: amount = `netVolume` (BTHub: `openVolume`), side from its
 *    sign, `book`. The documents do not define the other figures (amount, mtmAmount, netPl, …), so
 *    they are not mapped; they stay in the raw frame.
 *  - BTHub pushes: API_QUOTE (one provider per message: `cp` from the message, snapshot of that
 *    provider's quote) and API_AGGREGATED_QUOTE → book rows; BTHub API_ORDER (one object, numeric
 *    enums kept as their digits, side 1 = buy / −1 = sell) → orders + fills.
 * Times are ms strings; no field is invented: what a message lacks is null.
 */
import type { BookRow, Dec, FillRow, NormalizedRow, OrderRow, PositionRow, Side } from '../../schemas/rows.js';
import type { Normalizer, RawFrame } from '../types.js';
import { compareDecimal } from './decimal.js';
import { isRecord } from './protocol.js';

type Obj = Record<string, unknown>;
const decoder = new TextDecoder('utf-8', { fatal: false });

function str(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
}

function ms(v: unknown): number | null {
  const s = str(v);
  if (s === null || !/^\d+$/.test(s)) return null;
  const n = Number(s);
  return n > 0 ? n : null;
}

function side(v: unknown): Side | null {
  if (typeof v === 'string') {
    const u = v.toUpperCase();
    return u === 'BUY' ? 'buy' : u === 'SELL' ? 'sell' : null;
  }
  // BTHub numeric side (its example: a sell order has "side": -1).
  if (v === 1) return 'buy';
  if (v === -1) return 'sell';
  return null;
}

function objects(v: unknown): Obj[] {
  if (Array.isArray(v)) return v.filter(isRecord);
  return isRecord(v) ? [v] : [];
}

function sameDecimal(a: string | null, b: string | null): boolean {
  if (a === null || b === null) return false;
  try {
    return compareDecimal(a, b) === 0;
  } catch {
    return false;
  }
}

/** `API_MARKETDEPTH:BTCUSDT:5` → 5 */
function levelsOfStream(stream: string): number | null {
  const m = /^API_MARKETDEPTH:[^:]+:(\d+)$/.exec(stream);
  return m ? Number(m[1]) : null;
}

function bookRows(data: Obj, opts: { levels: number | null; cp?: string | null }): BookRow[] {
  const symbol = str(data.symbol);
  if (symbol === null) return [];
  const rows: BookRow[] = [];
  for (const [key, bookSide] of [
    ['asks', 'ask'],
    ['bids', 'bid'],
  ] as const) {
    const levels = Array.isArray(data[key]) ? (data[key] as unknown[]) : [];
    let level = 0;
    for (const l of levels) {
      if (!isRecord(l)) continue;
      const price = str(l.price);
      const amount = str(l.volume);
      if (price === null || amount === null) continue;
      rows.push({
        table: 'book',
        symbol,
        exchange_ts_ms: ms(l.time),
        side: bookSide,
        level: level++,
        price,
        amount,
        is_snapshot: true,
        levels: opts.levels,
        cp: opts.cp !== undefined ? opts.cp : str(l.cp),
      });
    }
  }
  return rows;
}

/** BTHub executions say the fee currency only in prose: "CommissionAsset: USDT". */
function feeCurrency(exec: Obj): string | null {
  const c = str(exec.commissionCurrency);
  if (c !== null) return c;
  const m = /CommissionAsset:\s*([A-Za-z0-9]+)/.exec(str(exec.executeComment) ?? '');
  return m ? m[1] : null;
}

function orderRows(data: unknown): NormalizedRow[] {
  const rows: NormalizedRow[] = [];
  for (const parent of objects(data)) {
    const orderId = str(parent.orderId);
    const symbol = str(parent.symbol);
    if (orderId === null || symbol === null) continue;
    const order: OrderRow = {
      table: 'orders',
      symbol,
      exchange_ts_ms: ms(parent.executeTime) ?? ms(parent.orderTime),
      order_id: orderId,
      client_order_id: str(parent.clientOrderId),
      side: side(parent.side),
      order_type: str(parent.orderType),
      status: str(parent.status),
      price: null,
      amount: str(parent.orderVolume),
      filled_amount: str(parent.executeVolume),
      avg_price: null,
    };
    rows.push(order);
    for (const cpOrder of objects(parent.cpOrders)) {
      const executions = objects(cpOrder.executions);
      const onlyExecution = executions.length === 1 && sameDecimal(str(executions[0].executeVolume), str(cpOrder.executeVolume));
      for (const exec of executions) {
        const fill: FillRow = {
          table: 'fills',
          symbol: str(exec.symbol) ?? str(cpOrder.symbol) ?? symbol,
          exchange_ts_ms: ms(exec.executeTime),
          fill_id: str(exec.executeId) ?? str(exec.cpExecutionid),
          order_id: str(exec.orderId) ?? orderId,
          side: side(exec.side) ?? side(cpOrder.side) ?? order.side ?? null,
          price: str(exec.executePrice),
          amount: str(exec.executeVolume),
          fee: onlyExecution ? str(cpOrder.commission) : null,
          fee_currency: feeCurrency(exec),
          liquidity: null,
        };
        rows.push(fill);
      }
    }
  }
  return rows;
}

function positionSide(amount: Dec | null): 'long' | 'short' | null {
  if (amount === null || !/[1-9]/.test(amount)) return null;
  return amount.trim().startsWith('-') ? 'short' : 'long';
}

function positionRows(data: unknown): PositionRow[] {
  const rows: PositionRow[] = [];
  for (const p of objects(data)) {
    const symbol = str(p.symbol);
    if (symbol === null) continue;
    const amount = str(p.netVolume) ?? str(p.openVolume);
    rows.push({
      table: 'positions',
      symbol,
      exchange_ts_ms: null,
      side: positionSide(amount),
      amount,
      entry_price: null,
      unrealized_pnl: null,
      realized_pnl: null,
      margin: null,
      book: str(p.book),
    });
  }
  return rows;
}

/** Rows of one Nexus frame (exported for tests and tools; the Normalizer wraps it). */
export function normalizeFrame(frame: RawFrame): NormalizedRow[] {
  if (frame.kind !== 'text') return [];
  let msg: unknown;
  try {
    msg = JSON.parse(decoder.decode(frame.payload));
  } catch {
    return [];
  }
  if (!isRecord(msg)) return [];
  const data = msg.data;
  switch (msg.event) {
    case 'API_MARKETDEPTH':
      return isRecord(data) ? bookRows(data, { levels: levelsOfStream(frame.stream) }) : [];
    case 'API_QUOTE':
      return isRecord(data) ? bookRows(data, { levels: null, cp: str(data.cp) }) : [];
    case 'API_AGGREGATED_QUOTE':
      return isRecord(data) ? bookRows(data, { levels: null }) : [];
    case 'API_ORDER':
      return orderRows(data);
    case 'API_RISK_POSITION':
      return positionRows(data);
    default:
      return [];
  }
}

export function createNormalizer(): Normalizer {
  return { normalize: normalizeFrame, state: () => null };
}
