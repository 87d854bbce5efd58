/**
 * `replayNormalized()`: typed market messages — trades, book snapshots and changes, klines,
 * tickers — from the normalized tables, merged in recorded order (recv_ns, conn_id, seq) across
 * exchanges and tables. Nothing is parsed from JSON on this path: the values were extracted once,
 * when the data was sealed (unsealed journals are normalized on the fly), and come straight out
 * of typed columns (store/reader/read-normalized.ts).
 */
import { TicktapeError } from '../core/errors.js';
import { openData, type DataLocation } from '../store/open-data.js';
import { readNormalized, type BookMessage, type KlineMessage, type NormalizedKind, type TickerMessage, type TradeMessage } from '../store/reader/read-normalized.js';
import { exchangeFilter, rangeFilter, stringList, type TimeRange } from './filters.js';

export type { BookLevel } from '../store/reader/read-normalized.js';

/** A trade: price and amount as numbers and as the exact text the exchange sent. */
export type Trade = TradeMessage;
/** A book message: `book_snapshot` replaces the whole book, `book_change` updates levels (amount 0 removes one). */
export type BookUpdate = Omit<BookMessage, 'type'> & { type: 'book_snapshot' | 'book_change' };
/** A candle as the exchange pushed it (the last push of an open candle is its current state). */
export type Kline = KlineMessage;
/** A 24 h ticker push. */
export type Ticker = TickerMessage;
/** What `replayNormalized()` yields; `type` tells which. */
export type NormalizedMessage = Trade | BookUpdate | Kline | Ticker;

/** The message types `replayNormalized()` can select. */
export type NormalizedType = NormalizedMessage['type'];
export const NORMALIZED_TYPES: readonly NormalizedType[] = ['trade', 'book_snapshot', 'book_change', 'kline', 'ticker'];

export interface ReplayNormalizedOptions extends TimeRange {
  /** The data folder `ticktape record` wrote (a path or a `file:` URL). */
  data: DataLocation;
  /** Only these exchanges (default: all). */
  exchanges?: readonly string[];
  /** Only these symbols, however written: `btcusdt`, `BTC/USDT`, `BTC-USDT` and `BTC_USDT` are one instrument. */
  symbols?: readonly string[];
  /** Only these canonical stream keys (e.g. to pick one book depth). */
  streams?: readonly string[];
  /** Message types (default: all of NORMALIZED_TYPES). */
  kinds?: readonly NormalizedType[];
  /** Read unsealed journals too, normalized on the fly (default true). */
  includeJournal?: boolean;
}

const TABLE_KIND: Record<NormalizedType, NormalizedKind> = { trade: 'trade', book_snapshot: 'book', book_change: 'book', kline: 'kline', ticker: 'ticker' };

function typesOf(kinds: readonly NormalizedType[] | undefined): Set<NormalizedType> {
  if (!kinds?.length) return new Set(NORMALIZED_TYPES);
  for (const k of kinds) {
    if (!NORMALIZED_TYPES.includes(k)) {
      throw new TicktapeError('TT_CONFIG_INVALID', `Unknown message kind "${String(k)}": use ${NORMALIZED_TYPES.join(', ')}.`, { field: 'kinds' });
    }
  }
  return new Set(kinds);
}

/**
 * Typed messages in recorded order. Options are checked when it is called; the data is opened
 * when iteration starts and closed when it ends or the loop breaks.
 *
 * @example
 * for await (const m of replayNormalized({ data: './data', symbols: ['btc-usdt'], kinds: ['trade', 'book_snapshot'] })) {
 *   if (m.type === 'trade') console.log(m.exchange, m.price, m.amount, m.side);
 * }
 */
export function replayNormalized(options: ReplayNormalizedOptions): AsyncIterable<NormalizedMessage> {
  const exchanges = exchangeFilter(options.exchanges);
  const symbols = stringList('symbols', options.symbols);
  const streams = stringList('streams', options.streams);
  const types = typesOf(options.kinds);
  const { fromNs, toNs } = rangeFilter(options);
  const kinds = [...new Set([...types].map((t) => TABLE_KIND[t]))];
  const snapshots = types.has('book_snapshot');
  const changes = types.has('book_change');
  return {
    async *[Symbol.asyncIterator]() {
      const data = await openData(options.data);
      try {
        for await (const batch of readNormalized({ dataDir: data.dir, kinds, exchanges, symbols, streams, fromNs, toNs, includeJournal: options.includeJournal })) {
          for (const m of batch) {
            if (m.type === 'book') {
              if (m.isSnapshot ? !snapshots : !changes) continue;
              // The reader's book message, retyped in place (no copy on the hot path).
              (m as unknown as BookUpdate).type = m.isSnapshot ? 'book_snapshot' : 'book_change';
              yield m as unknown as BookUpdate;
            } else yield m;
          }
        }
      } finally {
        data.close();
      }
    },
  };
}
