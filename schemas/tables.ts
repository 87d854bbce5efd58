/**
 * Every table ticktape writes, in one place. The sealer builds its DuckDB tables from these
 * definitions, the Arrow schemas are derived from them (arrow.ts), and ARCHITECTURE.md documents
 * the same columns. A decimal field `x` becomes two columns: `x DOUBLE` for arithmetic and
 * `x_str VARCHAR`, the exact text the exchange sent (see ARCHITECTURE.md, "Numbers").
 */
import { SCHEMA_VERSION } from './version.js';

type ColumnType = 'VARCHAR' | 'BIGINT' | 'INTEGER' | 'UBIGINT' | 'DOUBLE' | 'BOOLEAN' | 'BLOB';

export interface ColumnDef {
  name: string;
  type: ColumnType;
  nullable: boolean;
  doc: string;
}

/** A decimal field: the DOUBLE column plus its exact `_str` twin. */
function dec(name: string, doc: string, nullable = true): ColumnDef[] {
  return [
    { name, type: 'DOUBLE', nullable, doc: `${doc} (as DOUBLE, for arithmetic)` },
    { name: `${name}_str`, type: 'VARCHAR', nullable, doc: `${doc}: the exact decimal text the exchange sent` },
  ];
}
const col = (name: string, type: ColumnType, doc: string, nullable = false): ColumnDef => ({ name, type, nullable, doc });

/** Columns every normalized table starts with: where the row came from. */
const NORMALIZED_HEAD: ColumnDef[] = [
  col('exchange', 'VARCHAR', 'exchange id (coinstore, coinsuper, nexus, coinceres)'),
  col('symbol', 'VARCHAR', 'instrument as the exchange names it (e.g. BTCUSDT, BTC/USD); for balances the currency'),
  col('recv_ns', 'BIGINT', 'receive time of the raw frame, ns since the Unix epoch (recorder clock)'),
  col('conn_id', 'VARCHAR', 'connection id of the raw frame'),
  col('seq', 'BIGINT', 'recorder sequence of the raw frame within its connection: (conn_id, seq) joins to raw'),
  col('stream', 'VARCHAR', 'canonical stream key of the raw frame'),
  col('exchange_ts_ms', 'BIGINT', 'exchange timestamp in ms since the epoch, where the message carries one (seconds are scaled)', true),
];

export const TABLES = {
  raw: [
    col('exchange', 'VARCHAR', 'exchange id'),
    col('conn_id', 'VARCHAR', 'connection id: <instance>-<process start base36>-<n>, globally unique'),
    col('seq', 'BIGINT', 'recorder sequence, strictly increasing per connection from 1, over in, out and event records'),
    col('recv_ns', 'BIGINT', 'receive time (direction in/event) or send time (out), ns since the Unix epoch'),
    col('direction', 'VARCHAR', "'in' from the exchange, 'out' sent by the recorder, 'event' a control record"),
    col('kind', 'VARCHAR', 'frames: text|binary|ping|pong; events: connected|disconnected|gap|clock|subscribed|refused|alert'),
    col('stream', 'VARCHAR', "canonical stream key, '' when the frame names none"),
    col('endpoint', 'VARCHAR', 'the URL of the connection, secrets removed'),
    col('payload', 'BLOB', 'the exact bytes of the frame (events: a JSON document)'),
    col('malformed', 'BOOLEAN', 'the exchange reader could not parse this frame (kept raw, flagged)'),
    col('redacted', 'BOOLEAN', 'an outgoing frame whose secret was replaced before storing'),
    col('instance', 'VARCHAR', 'id of the recorder instance that wrote the frame'),
    col('flags', 'INTEGER', 'the record flag bits as journaled: 1 malformed, 2 redacted, 4 synthetic, 8 overlap (schemas/record.ts)'),
  ],
  trades: [
    ...NORMALIZED_HEAD,
    col('trade_id', 'VARCHAR', 'exchange trade id; for exchanges without ids a deterministic synthetic id (see ARCHITECTURE.md)', true),
    ...dec('price', 'trade price'),
    ...dec('amount', 'trade quantity in base currency'),
    col('side', 'VARCHAR', "taker side: 'buy' | 'sell' (null when unknown)", true),
    col('venue', 'VARCHAR', 'upstream venue for aggregators (Coinceres exchange field)', true),
  ],
  book: [
    ...NORMALIZED_HEAD,
    col('side', 'VARCHAR', "'bid' | 'ask'"),
    col('level', 'INTEGER', '0-based position of the level in the message, best first'),
    ...dec('price', 'level price'),
    ...dec('amount', 'quantity at the level (0 = level removed, for updates)'),
    col('is_snapshot', 'BOOLEAN', 'the message replaces the whole book (true) or updates levels (false)'),
    col('levels', 'INTEGER', 'number of levels per side the stream carries (depth), where known', true),
    col('cp', 'VARCHAR', 'counterparty / liquidity provider of the level (Nexus)', true),
    col('venue', 'VARCHAR', 'upstream venue (Coinceres)', true),
  ],
  klines: [
    ...NORMALIZED_HEAD,
    col('interval', 'VARCHAR', "the exchange's interval name (min_1, 1m, 60000, ...)"),
    col('interval_ms', 'BIGINT', 'interval length in ms', true),
    col('open_ts_ms', 'BIGINT', 'candle start, ms since the epoch'),
    ...dec('open', 'open price'),
    ...dec('high', 'high price'),
    ...dec('low', 'low price'),
    ...dec('close', 'close price'),
    ...dec('volume', 'base volume'),
    ...dec('quote_volume', 'quote volume (amount)'),
    col('venue', 'VARCHAR', 'upstream venue (Coinceres)', true),
  ],
  tickers: [
    ...NORMALIZED_HEAD,
    ...dec('last', 'last price / close'),
    ...dec('open', '24h open'),
    ...dec('high', '24h high'),
    ...dec('low', '24h low'),
    ...dec('volume', '24h base volume'),
    ...dec('quote_volume', '24h quote volume'),
    ...dec('change', 'absolute change'),
    ...dec('bid', 'best bid'),
    ...dec('ask', 'best ask'),
    col('venue', 'VARCHAR', 'upstream venue (Coinceres)', true),
  ],
  orders: [
    ...NORMALIZED_HEAD,
    col('order_id', 'VARCHAR', 'exchange order id'),
    col('client_order_id', 'VARCHAR', 'client order id', true),
    col('side', 'VARCHAR', "'buy' | 'sell'", true),
    col('order_type', 'VARCHAR', 'order type as the exchange names it (LIMIT, MARKET, ...)', true),
    col('status', 'VARCHAR', 'order status as the exchange names it', true),
    ...dec('price', 'limit price'),
    ...dec('amount', 'order quantity'),
    ...dec('filled_amount', 'filled quantity'),
    ...dec('avg_price', 'average fill price'),
  ],
  fills: [
    ...NORMALIZED_HEAD,
    col('fill_id', 'VARCHAR', 'exchange fill / execution id', true),
    col('order_id', 'VARCHAR', 'order id', true),
    col('side', 'VARCHAR', "'buy' | 'sell'", true),
    ...dec('price', 'fill price'),
    ...dec('amount', 'fill quantity'),
    ...dec('fee', 'fee'),
    col('fee_currency', 'VARCHAR', 'fee currency', true),
    col('liquidity', 'VARCHAR', "'maker' | 'taker'", true),
  ],
  balances: [...NORMALIZED_HEAD, col('currency', 'VARCHAR', 'currency'), ...dec('available', 'available balance'), ...dec('frozen', 'frozen / locked balance'), ...dec('total', 'total balance')],
  positions: [
    ...NORMALIZED_HEAD,
    col('side', 'VARCHAR', "'long' | 'short' | null", true),
    ...dec('amount', 'position size (signed where the exchange signs it)'),
    ...dec('entry_price', 'average entry price'),
    ...dec('unrealized_pnl', 'unrealized profit'),
    ...dec('realized_pnl', 'realized profit'),
    ...dec('margin', 'margin'),
    col('book', 'VARCHAR', 'book / ledger (Nexus)', true),
  ],
  gaps: [
    col('exchange', 'VARCHAR', 'exchange id'),
    col('stream', 'VARCHAR', "stream key; '' when the whole connection is affected"),
    col('start_ns', 'BIGINT', 'last time data is known complete before the gap, ns'),
    col('end_ns', 'BIGINT', 'first time data is known complete after the gap, ns'),
    col('cause', 'VARCHAR', 'disconnect | sequence | journal_loss | corruption | stale | malformed | refused'),
    col('conn_id', 'VARCHAR', 'connection of the gap event record'),
    col('seq', 'BIGINT', 'sequence of the gap event record'),
    col('detail', 'VARCHAR', 'human-readable detail (close code, expected/got sequence, bytes lost)', true),
    col('lost_frames', 'BIGINT', 'number of frames known lost, where known', true),
  ],
} as const satisfies Record<string, ColumnDef[]>;

export type TableName = keyof typeof TABLES;
export const TABLE_NAMES = Object.keys(TABLES) as TableName[];
export type NormalizedTable = Exclude<TableName, 'raw' | 'gaps'>;
export const NORMALIZED_TABLES: NormalizedTable[] = ['trades', 'book', 'klines', 'tickers', 'orders', 'fills', 'balances', 'positions'];

/** DuckDB DDL for a table (used by the sealer's staging tables). */
export function createTableSql(table: TableName, name: string = table): string {
  const cols = TABLES[table].map((c) => `"${c.name}" ${c.type}`).join(', ');
  return `CREATE TABLE "${name}" (${cols})`;
}

/**
 * Sort order of sealed files: row-group statistics then prune by symbol (or stream) and time. Raw
 * files are in replay order instead, (recv_ns, conn_id, seq): the reader then streams them without
 * sorting (store/reader/), at the cost of row-group pruning by stream (time still prunes).
 */
export const SORT_KEYS: Record<TableName, string[]> = {
  raw: ['recv_ns', 'conn_id', 'seq'],
  trades: ['exchange', 'symbol', 'recv_ns', 'conn_id', 'seq'],
  book: ['exchange', 'symbol', 'recv_ns', 'conn_id', 'seq', 'side', 'level'],
  klines: ['exchange', 'symbol', 'recv_ns', 'conn_id', 'seq'],
  tickers: ['exchange', 'symbol', 'recv_ns', 'conn_id', 'seq'],
  orders: ['exchange', 'symbol', 'recv_ns', 'conn_id', 'seq'],
  fills: ['exchange', 'symbol', 'recv_ns', 'conn_id', 'seq'],
  balances: ['exchange', 'symbol', 'recv_ns', 'conn_id', 'seq'],
  positions: ['exchange', 'symbol', 'recv_ns', 'conn_id', 'seq'],
  gaps: ['exchange', 'stream', 'start_ns'],
};

export { SCHEMA_VERSION };
