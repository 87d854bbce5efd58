/**
 * Normalization of Coinceres frames (pure: frame in, rows out).
 *
 * Mapping rules (a field is mapped only when a document or a captured message shows its meaning):
 * - push-trade → trades. Upstream trades carry no id; `trade_id` is a deterministic synthetic id,
 *   `syn-` + the first 16 hex digits of sha256("exchange|contract|time|price|volume|side"), so a
 *   trade seen twice (two connections, a reconnect overlap) gets the same id and de-duplicates.
 *   Two genuinely distinct trades identical in all six fields within the same millisecond collapse:
 *   the protocol cannot tell them apart either. `venue` = the upstream exchange.
 * - push-depth10 → book, every push a full top-10 snapshot (no update id exists), `levels` 10.
 * - push-candle → klines: `time` is the candle's open time, not a message time (exchange_ts_ms null).
 * - push-tick → tickers (no bid/ask on this feed; `change_rate` has no column).
 * - biz_type 14 → balances (`balance` is the available amount, `frozen` the locked one; `market_value`
 *   is a valuation, not a total, so `total` stays null); 15 → orders (status codes named from the
 *   PDF's table); 16 → positions (buy = long); 17 → fills; 11 → orders (the ids it returns, with the
 *   request's fields when the recorded request was seen); 12 → orders with status `cancel_success`
 *   or `cancel_error` per id. Responses carry no time apart from `entrust_time` / `dealt_time`
 *   (UTC+8 ASSUMPTION, see time.ts).
 * - Notification socket: messageType 1 (and the LMT era's snake_case `message_type` 1) → orders,
 *   status named like biz_type 15's (`SUBMITTED` → `reported`, …). messageType 2 → nothing (see
 *   normalizeNotice).
 *
 * State: the normalizer remembers place-order requests (by client_oid) and the contract of recent
 * order ids, so the id-only answers of biz_type 11 and 12 get their symbol. Both are bounded.
 */
import { createHash } from 'node:crypto';
import type { BalanceRow, BookRow, FillRow, KlineRow, NormalizedRow, OrderRow, PositionRow, TickerRow, TradeRow } from '../../schemas/rows.js';
import type { Normalizer, RawFrame } from '../types.js';
import { BIZ_ACCOUNT, BIZ_CANCEL_ORDER, BIZ_FILLS, BIZ_ORDERS, BIZ_PLACE_ORDER, BIZ_POSITIONS, CANDLE_DURATIONS, DEPTH_LEVELS, ENTRUST_STATUS_CODES, NOTICE_ORDER, noticeType, ORDER_STATUS, RESULT_OK } from './protocol.js';
import { parseMsString, parseWallTime } from './time.js';

/** Bounds of the normalizer's memory (entries). */
const MAX_PENDING_ORDERS = 1_000;
const MAX_REMEMBERED_ORDERS = 10_000;

type Obj = Record<string, unknown>;

interface PendingOrder {
  contract: string | null;
  side: 'buy' | 'sell' | null;
  orderType: string | null;
  price: string | null;
  amount: string | null;
}

interface CoinceresNormalizerState {
  /** client_oid → the place-order request that used it (oldest first). */
  pending: Array<[string, PendingOrder]>;
  /** system_oid → contract (oldest first). */
  orders: Array<[string, string]>;
}

const decoder = new TextDecoder('utf-8', { fatal: true });
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
/** A decimal field as sent (the wire uses strings; a number is kept as its JSON text). */
const dec = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : null);
const text = (v: unknown): string | null => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null);
const sideOf = (v: unknown): 'buy' | 'sell' | null => {
  const s = typeof v === 'string' ? v.toLowerCase() : '';
  return s === 'b' || s === 'buy' ? 'buy' : s === 's' || s === 'sell' ? 'sell' : null;
};

export function syntheticTradeId(exchange: string, contract: string, time: string, price: string, volume: string, side: string): string {
  const h = createHash('sha256').update(`${exchange}|${contract}|${time}|${price}|${volume}|${side}`, 'utf8').digest('hex');
  return `syn-${h.slice(0, 16)}`;
}

/** A notice's decimal: the text "null" (Java's `String.valueOf(null)`) is no value. */
const noticeDec = (v: unknown): string | null => (v === 'null' ? null : dec(v));
/** `BUY`, `OPEN_BUY`, `BUY_OPEN`, `CLOSE_BUY` → buy; the SELL ones → sell. */
const noticeSide = (v: unknown): 'buy' | 'sell' | null => {
  const s = typeof v === 'string' ? v.toUpperCase() : '';
  return s.includes('BUY') ? 'buy' : s.includes('SELL') ? 'sell' : null;
};

/** `SUBMITTED` → `reported`: the status names of biz_type 15, so both sockets' rows agree. */
function entrustStatusName(status: unknown): string | null {
  if (typeof status === 'number' || (typeof status === 'string' && /^\d+$/.test(status))) return orderStatusName(status);
  if (typeof status !== 'string' || status === '' || status === 'null') return null;
  const code = ENTRUST_STATUS_CODES[status.toUpperCase()];
  return code === undefined ? status : (ORDER_STATUS[code] ?? status);
}

function orderStatusName(code: unknown): string | null {
  if (code === undefined || code === null) return null;
  const n = Number(code);
  return ORDER_STATUS[n] ?? String(code);
}

function normalizePush(o: Obj): NormalizedRow[] {
  const contract = text(o.contract);
  const venue = text(o.exchange);
  if (!contract) return [];
  switch (o.msg_type) {
    case 'push-trade': {
      const price = dec(o.price);
      const amount = dec(o.volume);
      if (!price || !amount) return [];
      const row: TradeRow = {
        table: 'trades',
        symbol: contract,
        exchange_ts_ms: parseMsString(o.time),
        trade_id: syntheticTradeId(venue ?? '', contract, text(o.time) ?? '', price, amount, text(o.side) ?? ''),
        price,
        amount,
        side: sideOf(o.side),
        venue,
      };
      return [row];
    }
    case 'push-depth10': {
      const rows: BookRow[] = [];
      for (const [key, side] of [
        ['bids', 'bid'],
        ['asks', 'ask'],
      ] as const) {
        const levels = Array.isArray(o[key]) ? (o[key] as unknown[]) : [];
        levels.forEach((l, level) => {
          if (!isObj(l)) return;
          const price = dec(l.price);
          const amount = dec(l.volume);
          if (!price || !amount) return;
          rows.push({ table: 'book', symbol: contract, exchange_ts_ms: null, side, level, price, amount, is_snapshot: true, levels: DEPTH_LEVELS, venue });
        });
      }
      return rows;
    }
    case 'push-candle': {
      const openTs = parseMsString(o.time);
      const [open, high, low, close] = [dec(o.open), dec(o.high), dec(o.low), dec(o.close)];
      if (openTs === null || !open || !high || !low || !close) return [];
      const interval = text(o.duration) ?? '';
      const row: KlineRow = {
        table: 'klines',
        symbol: contract,
        exchange_ts_ms: null,
        interval,
        interval_ms: CANDLE_DURATIONS[interval] ?? null,
        open_ts_ms: openTs,
        open,
        high,
        low,
        close,
        volume: dec(o.volume),
        quote_volume: null,
        venue,
      };
      return [row];
    }
    case 'push-tick': {
      const row: TickerRow = {
        table: 'tickers',
        symbol: contract,
        exchange_ts_ms: parseMsString(o.time),
        last: dec(o.last),
        open: dec(o.open),
        high: dec(o.high),
        low: dec(o.low),
        volume: dec(o.volume),
        quote_volume: null,
        change: dec(o.change),
        bid: null,
        ask: null,
        venue,
      };
      return [row];
    }
    default:
      return [];
  }
}

class CoinceresNormalizer implements Normalizer {
  private pending: Map<string, PendingOrder>;
  private orders: Map<string, string>;

  constructor(state?: unknown) {
    const s = isObj(state) ? (state as Partial<CoinceresNormalizerState>) : {};
    this.pending = new Map(Array.isArray(s.pending) ? s.pending : []);
    this.orders = new Map(Array.isArray(s.orders) ? s.orders : []);
  }

  state(): CoinceresNormalizerState {
    return { pending: [...this.pending], orders: [...this.orders] };
  }

  normalize(frame: RawFrame): NormalizedRow[] {
    if (frame.kind !== 'text') return [];
    let msg: unknown;
    try {
      msg = JSON.parse(decoder.decode(frame.payload));
    } catch {
      return []; // `pong`, `ping` and unreadable frames carry no rows
    }
    if (!isObj(msg)) return []; // subscription acks (arrays)
    if (typeof msg.msg_type === 'string') return normalizePush(msg);
    const notice = noticeType(msg);
    if (notice !== null) return this.normalizeNotice(notice, msg);
    if (msg.biz_type === undefined) return [];
    const biz = Number(msg.biz_type);
    if (!('code' in msg)) {
      this.rememberRequest(biz, msg);
      return [];
    }
    if (String(msg.code) !== RESULT_OK) return [];
    return this.normalizeResponse(biz, msg.data);
  }

  private remember<V>(map: Map<string, V>, key: string, value: V, max: number): void {
    map.delete(key);
    map.set(key, value);
    while (map.size > max) map.delete(map.keys().next().value as string);
  }

  /** An outgoing place-order request (when the sealer passes outgoing frames): its fields for the answer. */
  private rememberRequest(biz: number, req: Obj): void {
    if (biz !== BIZ_PLACE_ORDER) return;
    this.remember(this.pending, text(req.client_oid) ?? '', { contract: text(req.contract), side: sideOf(req.entrust_bs), orderType: text(req.price_type), price: dec(req.entrust_price), amount: dec(req.entrust_vol) }, MAX_PENDING_ORDERS);
  }

  /**
   * A notice of the notification socket. messageType 1 (2019, camelCase) and the LMT era's
   * `message_type` 1 (snake_case) → one orders row. `totalDealVol` / `dealt_amount` is the
   * cumulative dealt amount (`dealVol` / `last_fill_amount` is the last fill's); the order's
   * `entrustTime` is its only time, as in biz_type 15.
   *
   * messageType 2 → nothing: it names no contract, side or amount, and its `profit` / `stop` are
   * take-profit and stop-loss prices, not profits. A positions row would carry a margin and nothing
   * to place it by, and as the latest row of its position it would hide the full one biz_type 16
   * gives. The notice stays in the raw table.
   */
  private normalizeNotice(type: number, o: Obj): NormalizedRow[] {
    if (type !== NOTICE_ORDER) return [];
    const lmt = o.messageType === undefined;
    const orderId = text(lmt ? o.system_oid : o.entrustId);
    if (!orderId) return [];
    const contract = text(lmt ? o.symbol : o.contract) ?? '';
    if (contract) this.remember(this.orders, orderId, contract, MAX_REMEMBERED_ORDERS);
    const orderType = text(lmt ? o.price_type : o.entrustType);
    const row: OrderRow = {
      table: 'orders',
      symbol: contract,
      exchange_ts_ms: parseWallTime(lmt ? o.entrust_time : o.entrustTime),
      order_id: orderId,
      client_order_id: lmt ? text(o.client_oid) : null,
      side: noticeSide(lmt ? o.entrust_bs : o.entrustDir),
      order_type: orderType && orderType !== 'null' ? orderType.toLowerCase() : null,
      status: entrustStatusName(lmt ? o.status : o.entrustStatus),
      price: noticeDec(lmt ? o.entrust_price : o.entrustPrice),
      amount: noticeDec(lmt ? o.entrust_amount : o.entrustVol),
      filled_amount: noticeDec(lmt ? o.dealt_amount : o.totalDealVol),
      avg_price: noticeDec(lmt ? o.average_dealt_price : o.avgDealPrice),
    };
    return [row];
  }

  private normalizeResponse(biz: number, data: unknown): NormalizedRow[] {
    const list = Array.isArray(data) ? data.filter(isObj) : [];
    switch (biz) {
      case BIZ_ACCOUNT:
        return list.flatMap((b): BalanceRow[] => {
          const currency = text(b.currency);
          if (!currency) return [];
          return [{ table: 'balances', symbol: currency, exchange_ts_ms: null, currency, available: dec(b.balance), frozen: dec(b.frozen), total: null }];
        });
      case BIZ_ORDERS:
        return list.flatMap((o): OrderRow[] => {
          const orderId = text(o.system_oid);
          if (!orderId) return [];
          const contract = text(o.contract) ?? '';
          if (contract) this.remember(this.orders, orderId, contract, MAX_REMEMBERED_ORDERS);
          return [
            {
              table: 'orders',
              symbol: contract,
              exchange_ts_ms: parseWallTime(o.entrust_time),
              order_id: orderId,
              client_order_id: text(o.client_oid),
              side: sideOf(o.entrust_bs),
              order_type: text(o.price_type),
              status: orderStatusName(o.status),
              price: dec(o.entrust_price),
              amount: dec(o.entrust_amount),
              filled_amount: dec(o.dealt_amount),
              avg_price: dec(o.average_dealt_price),
            },
          ];
        });
      case BIZ_POSITIONS:
        return list.flatMap((p): PositionRow[] => {
          const contract = text(p.contract);
          if (!contract) return [];
          const dir = text(p.position_dir);
          return [
            {
              table: 'positions',
              symbol: contract,
              exchange_ts_ms: null,
              side: dir === 'buy' ? 'long' : dir === 'sell' ? 'short' : null,
              amount: dec(p.vol),
              entry_price: dec(p.open_price),
              unrealized_pnl: dec(p.position_profit),
              realized_pnl: dec(p.close_profit),
              margin: dec(p.margin),
              book: null,
            },
          ];
        });
      case BIZ_FILLS:
        return list.flatMap((f): FillRow[] => {
          const contract = text(f.contract);
          if (!contract) return [];
          return [
            {
              table: 'fills',
              symbol: contract,
              exchange_ts_ms: parseWallTime(f.dealt_time),
              fill_id: text(f.system_tid),
              order_id: text(f.system_oid),
              side: sideOf(f.entrust_bs),
              price: dec(f.dealt_price),
              amount: dec(f.dealt_amount),
              fee: dec(f.commission),
              fee_currency: text(f.commission_currency),
              liquidity: null,
            },
          ];
        });
      case BIZ_PLACE_ORDER: {
        if (!isObj(data)) return [];
        const orderId = text(data.system_oid);
        if (!orderId) return [];
        const clientOid = text(data.client_oid);
        const req = this.pending.get(clientOid ?? '');
        if (req) this.pending.delete(clientOid ?? '');
        const contract = req?.contract ?? '';
        if (contract) this.remember(this.orders, orderId, contract, MAX_REMEMBERED_ORDERS);
        const row: OrderRow = {
          table: 'orders',
          symbol: contract,
          exchange_ts_ms: null,
          order_id: orderId,
          client_order_id: clientOid,
          side: req?.side ?? null,
          order_type: req?.orderType ?? null,
          status: null,
          price: req?.price ?? null,
          amount: req?.amount ?? null,
          filled_amount: null,
          avg_price: null,
        };
        return [row];
      }
      case BIZ_CANCEL_ORDER: {
        if (!isObj(data)) return [];
        const rows: OrderRow[] = [];
        for (const [key, status] of [
          ['SUCCESS', 'cancel_success'],
          ['ERROR', 'cancel_error'],
        ] as const) {
          const items = Array.isArray(data[key]) ? (data[key] as unknown[]) : [];
          for (const it of items) {
            const orderId = isObj(it) ? text(it.system_oid) : text(it);
            if (!orderId) continue;
            rows.push({ table: 'orders', symbol: this.orders.get(orderId) ?? '', exchange_ts_ms: null, order_id: orderId, status });
          }
        }
        return rows;
      }
      default:
        return [];
    }
  }
}

export function createNormalizer(state?: unknown): Normalizer {
  return new CoinceresNormalizer(state);
}
