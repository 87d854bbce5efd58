/**
 * Rows as the pure normalizers produce them. Decimal fields are the exact strings the exchange sent
 * (the sealer derives the DOUBLE column and keeps the string in `<field>_str`). The sealer adds the
 * provenance columns (exchange, recv_ns, conn_id, seq, stream) from the raw frame.
 */
export type Dec = string; // exact decimal text, e.g. "0.738763122563248000000000000000"
export type Side = 'buy' | 'sell';

interface Base {
  symbol: string;
  exchange_ts_ms: number | null;
}

export interface TradeRow extends Base {
  table: 'trades';
  trade_id: string | null;
  price: Dec;
  amount: Dec;
  side: Side | null;
  venue?: string | null;
}

export interface BookRow extends Base {
  table: 'book';
  side: 'bid' | 'ask';
  level: number;
  price: Dec;
  amount: Dec;
  is_snapshot: boolean;
  levels?: number | null;
  cp?: string | null;
  venue?: string | null;
}

export interface KlineRow extends Base {
  table: 'klines';
  interval: string;
  interval_ms: number | null;
  open_ts_ms: number;
  open: Dec;
  high: Dec;
  low: Dec;
  close: Dec;
  volume: Dec | null;
  quote_volume?: Dec | null;
  venue?: string | null;
}

export interface TickerRow extends Base {
  table: 'tickers';
  last?: Dec | null;
  open?: Dec | null;
  high?: Dec | null;
  low?: Dec | null;
  volume?: Dec | null;
  quote_volume?: Dec | null;
  change?: Dec | null;
  bid?: Dec | null;
  ask?: Dec | null;
  venue?: string | null;
}

export interface OrderRow extends Base {
  table: 'orders';
  order_id: string;
  client_order_id?: string | null;
  side?: Side | null;
  order_type?: string | null;
  status?: string | null;
  price?: Dec | null;
  amount?: Dec | null;
  filled_amount?: Dec | null;
  avg_price?: Dec | null;
}

export interface FillRow extends Base {
  table: 'fills';
  fill_id?: string | null;
  order_id?: string | null;
  side?: Side | null;
  price?: Dec | null;
  amount?: Dec | null;
  fee?: Dec | null;
  fee_currency?: string | null;
  liquidity?: 'maker' | 'taker' | null;
}

export interface BalanceRow extends Base {
  table: 'balances';
  currency: string;
  available?: Dec | null;
  frozen?: Dec | null;
  total?: Dec | null;
}

export interface PositionRow extends Base {
  table: 'positions';
  side?: 'long' | 'short' | null;
  amount?: Dec | null;
  entry_price?: Dec | null;
  unrealized_pnl?: Dec | null;
  realized_pnl?: Dec | null;
  margin?: Dec | null;
  book?: string | null;
}

export type NormalizedRow = TradeRow | BookRow | KlineRow | TickerRow | OrderRow | FillRow | BalanceRow | PositionRow;
