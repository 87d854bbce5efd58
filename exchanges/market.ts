/**
 * Exchange-neutral market events. The simulator produces them from its synthetic market; each
 * exchange's server side formats them into its native messages. Decimal values are strings.
 */
export type Side = 'buy' | 'sell';
export type Level = [price: string, amount: string];

/** An instrument as the simulator knows it; each exchange spells the symbol its own way. */
export interface Instrument {
  base: string; // 'BTC'
  quote: string; // 'USDT'
  /** Numeric instrument id (Coinstore channels accept `<id>@trade`). Stable per symbol. */
  id: number;
  priceDecimals: number;
  amountDecimals: number;
}

export interface TradeEvent {
  type: 'trade';
  inst: Instrument;
  /** Consecutive per instrument, from 1, like a matching engine's. */
  tradeId: number;
  /** Consecutive per instrument: the exchange-level sequence. */
  seq: number;
  price: string;
  amount: string;
  side: Side; // taker side
  tsMs: number;
}

/** The book as it stands: bids descending, asks ascending, as deep as the market keeps (formatters truncate). */
export interface BookEvent {
  type: 'book';
  inst: Instrument;
  bids: Level[];
  asks: Level[];
  /** Book version, consecutive per instrument. */
  version: number;
  tsMs: number;
}

/** The current (possibly still open) candle of one interval. */
export interface KlineEvent {
  type: 'kline';
  inst: Instrument;
  intervalMs: number;
  openTsMs: number;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
  quoteVolume: string;
  firstTradeId: number;
  lastTradeId: number;
  tradeCount: number;
  tsMs: number;
}

/** Rolling 24 h ticker. */
export interface TickerEvent {
  type: 'ticker';
  inst: Instrument;
  open: string;
  high: string;
  low: string;
  last: string;
  volume: string;
  quoteVolume: string;
  change: string;
  changeRate: string;
  bid: string;
  bidSize: string;
  ask: string;
  askSize: string;
  tsMs: number;
}

/** The latest trades, newest first (Coinsuper's "tickers" topic pushes such windows). */
export interface TradeWindowEvent {
  type: 'trade_window';
  inst: Instrument;
  trades: TradeEvent[];
  tsMs: number;
}

export type OrderStatus = 'new' | 'partially_filled' | 'filled' | 'canceled' | 'rejected';

/** A demo-account order after a change; `fill` is set when the change was an execution. */
export interface OrderEvent {
  type: 'order';
  inst: Instrument;
  orderId: string;
  clientOrderId: string;
  side: Side;
  orderType: 'limit' | 'market';
  price: string;
  amount: string;
  filledAmount: string;
  filledQuote: string;
  avgPrice: string;
  status: OrderStatus;
  version: number;
  createdMs: number;
  tsMs: number;
  fill?: FillEvent;
  /** Where the account knows it (paper orders): how long the order stands; absent: GTC for limits, IOC for market orders. */
  timeInForce?: 'GTC' | 'IOC' | 'FOK';
  /** A post-only limit order (Coinstore `POST_ONLY`). */
  postOnly?: boolean;
}

export interface FillEvent {
  type: 'fill';
  inst: Instrument;
  fillId: string;
  orderId: string;
  side: Side;
  price: string;
  amount: string;
  fee: string;
  feeCurrency: string;
  liquidity: 'maker' | 'taker';
  /** The rate the fee was charged at, where the account knows it (paper fills): a fraction, 0.002 = 0.2 %. */
  feeRate?: string;
  tsMs: number;
}

export interface BalanceEvent {
  type: 'balance';
  currency: string;
  available: string;
  frozen: string;
  tsMs: number;
}

export interface PositionEvent {
  type: 'position';
  inst: Instrument;
  amount: string; // signed net position in base
  entryPrice: string;
  unrealizedPnl: string;
  realizedPnl: string;
  tsMs: number;
}

export type MarketEvent = TradeEvent | BookEvent | KlineEvent | TickerEvent | TradeWindowEvent | OrderEvent | FillEvent | BalanceEvent | PositionEvent;

/** What a server session can ask of the demo account (Coinceres' request/response trading socket). */
export interface DemoAccount {
  balances(): BalanceEvent[];
  openOrders(): OrderEvent[];
  orders(): OrderEvent[];
  fills(limit: number): FillEvent[];
  positions(): PositionEvent[];
  placeOrder(req: { inst: Instrument; side: Side; orderType: 'limit' | 'market'; price?: string; amount: string; clientOrderId?: string }): { ok: true; order: OrderEvent } | { ok: false; reason: string };
  cancelOrder(orderId: string): { ok: true; order: OrderEvent } | { ok: false; reason: string };
}

/** Finds the instrument an exchange's symbol spelling names: BTCUSDT, btcusdt, BTC_USDT, BTC/USDT, BTC-USDT. */
export function matchInstrument(instruments: readonly Instrument[], symbol: string): Instrument | undefined {
  const letters = symbol.replace(/[^a-z0-9]/gi, '').toUpperCase();
  return instruments.find((i) => `${i.base}${i.quote}`.toUpperCase() === letters);
}
