/**
 * `replayNormalized()`: typed market messages — trades, book snapshots and changes, klines,
 * tickers — from the normalized tables, merged in recorded order (recv_ns, conn_id, seq) across
 * exchanges and tables. Nothing is parsed from JSON on this path: the values were extracted once,
 * when the data was sealed (unsealed journals are normalized on the fly), and come straight out
 * of typed columns (store/reader/read-normalized.ts). Every hole in the recording of the selected
 * exchanges comes as a typed `GapEvent` (`type: 'gap'`) where it happened, as `replay()` gives it:
 * the gap records are read from raw (events only) and merged in by the same order.
 */
import { TicktapeError } from '../core/errors.js';
import { symbolKey } from '../core/symbols.js';
import { daysOfRange, openDataSpans, type DataLocation, type DataSpan, type RemoteDataOptions } from '../store/open-data.js';
import type { TableName } from '../schemas/tables.js';
import { readRecords } from '../store/reader/index.js';
import { readNormalized, type BookMessage, type KlineMessage, type NormalizedKind, type TickerMessage, type TradeMessage } from '../store/reader/index.js';
import { exchangeFilter, rangeFilter, stringList, type TimeRange } from './filters.js';
import { gapEventOf, type GapEvent } from './frame.js';

export type { BookLevel } from '../store/reader/index.js';

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

/** What `replayNormalized()` yields: a message, or a hole in the recording (`type: 'gap'`). */
export type ReplayNormalizedItem = NormalizedMessage | GapEvent;

/** The message types `replayNormalized()` can select. */
export type NormalizedType = NormalizedMessage['type'];
export const NORMALIZED_TYPES: readonly NormalizedType[] = ['trade', 'book_snapshot', 'book_change', 'kline', 'ticker'];

export interface ReplayNormalizedOptions extends TimeRange {
  /** The data folder `ticktape record` wrote (a path or a `file:` URL), or an `s3://bucket/prefix` store it shipped to. */
  data: DataLocation;
  /** With an `s3://bucket/prefix` data location: endpoint, region and the local cache (default: the AWS_* environment). */
  remote?: RemoteDataOptions;
  /** Only these exchanges (default: all). Gaps of the whole recorder (a full disk) still come. */
  exchanges?: readonly string[];
  /** Only these symbols (gaps: those of streams naming one of them, and of whole connections), however written: `btcusdt`, `BTC/USDT`, `BTC-USDT` and `BTC_USDT` are one instrument. */
  symbols?: readonly string[];
  /** Only these canonical stream keys (e.g. to pick one book depth); gaps of other streams are left out, those of a whole connection still come. */
  streams?: readonly string[];
  /** Message types (default: all of NORMALIZED_TYPES); gap events come whatever this says. */
  kinds?: readonly NormalizedType[];
  /** Read unsealed journals too, normalized on the fly (default true). */
  includeJournal?: boolean;
}

const TABLE_KIND: Record<NormalizedType, NormalizedKind> = { trade: 'trade', book_snapshot: 'book', book_change: 'book', kline: 'kline', ticker: 'ticker' };
/** The tables a kind is read from (and raw, for the gap records): all an s3:// store fetches. */
const KIND_TABLE: Record<NormalizedKind, TableName> = { trade: 'trades', book: 'book', kline: 'klines', ticker: 'tickers' };

function typesOf(kinds: readonly NormalizedType[] | undefined): Set<NormalizedType> {
  if (!kinds?.length) return new Set(NORMALIZED_TYPES);
  for (const k of kinds) {
    if (!NORMALIZED_TYPES.includes(k)) {
      throw new TicktapeError('TT_CONFIG_INVALID', `Unknown message kind "${String(k)}": use ${NORMALIZED_TYPES.join(', ')}.`, { field: 'kinds' });
    }
  }
  return new Set(kinds);
}

type Item = ReplayNormalizedItem;

/** (recv_ns, conn_id, seq) order. */
function before(a: Item, b: Item): boolean {
  if (a.recvNs !== b.recvNs) return a.recvNs < b.recvNs;
  if (a.connId !== b.connId) return a.connId < b.connId;
  return a.seq < b.seq;
}

/** Two ordered streams of batches as one ordered stream of items. */
async function* mergeOrdered(a: AsyncIterator<readonly Item[]>, b: AsyncIterator<readonly Item[]>): AsyncGenerator<Item> {
  let ba: readonly Item[] | null = null;
  let bb: readonly Item[] | null = null;
  let ia = 0;
  let ib = 0;
  const next = async (it: AsyncIterator<readonly Item[]>): Promise<readonly Item[] | null> => {
    for (;;) {
      const r = await it.next();
      if (r.done) return null;
      if (r.value.length) return r.value;
    }
  };
  ba = await next(a);
  bb = await next(b);
  while (ba && bb) {
    if (before(bb[ib], ba[ia])) {
      yield bb[ib++];
      if (ib === bb.length) (bb = await next(b)), (ib = 0);
    } else {
      yield ba[ia++];
      if (ia === ba.length) (ba = await next(a)), (ia = 0);
    }
  }
  for (; ba; ba = await next(a), ia = 0) while (ia < ba.length) yield ba[ia++];
  for (; bb; bb = await next(b), ib = 0) while (ib < bb.length) yield bb[ib++];
}

/**
 * Typed messages and gap events in recorded order. Options are checked when it is called; the data is opened
 * when iteration starts and closed when it ends or the loop breaks.
 *
 * @example
 * for await (const m of replayNormalized({ data: './data', symbols: ['btc-usdt'], kinds: ['trade', 'book_snapshot'] })) {
 *   if (m.type === 'trade') console.log(m.exchange, m.price, m.amount, m.side);
 * }
 */
export function replayNormalized(options: ReplayNormalizedOptions): AsyncIterable<ReplayNormalizedItem> {
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
      // From a bucket the days stream: each is read once its files are in the cache while the next
      // ones download (store/open-data.ts openDataSpans); a local folder is one span.
      const tables: TableName[] = ['raw', ...kinds.map((k) => KIND_TABLE[k])];
      const data = await openDataSpans(options.data, { remote: options.remote, filter: { ...daysOfRange(fromNs, toNs), tables, exchanges: exchanges ? [...exchanges, ''] : undefined }, fromNs, toNs });
      const streamSet = streams ? new Set(streams) : null;
      // A stream key names its instrument (`btcusdt@trade`, `API_MARKETDEPTH:BTCUSDT:5`, `.../BTC/USDT`).
      const symbolKeys = symbols ? symbols.map(symbolKey) : null;
      async function* messages(span: DataSpan): AsyncGenerator<Item[]> {
        for await (const batch of readNormalized({ dataDir: span.dir, kinds, exchanges, symbols, streams, fromNs: span.fromNs, toNs: span.toNs, includeJournal: options.includeJournal })) {
          const out: Item[] = [];
          for (const m of batch) {
            if (m.type === 'book') {
              if (m.isSnapshot ? !snapshots : !changes) continue;
              // The reader's book message, retyped in place (no copy on the hot path).
              (m as unknown as BookUpdate).type = m.isSnapshot ? 'book_snapshot' : 'book_change';
              out.push(m as unknown as BookUpdate);
            } else out.push(m);
          }
          yield out;
        }
      }
      async function* gaps(span: DataSpan): AsyncGenerator<Item[]> {
        // '' holds what concerns a whole recorder instance (journal loss) or a whole connection.
        const batches = readRecords({
          dataDir: span.dir,
          exchanges: exchanges ? [...exchanges, ''] : undefined,
          streams: streams ? [...streams, ''] : undefined,
          directions: ['event'],
          fromNs: span.fromNs,
          toNs: span.toNs,
          includeJournal: options.includeJournal,
        });
        for await (const batch of batches) {
          const out: Item[] = [];
          for (const r of batch) {
            if (r.kind !== 'gap') continue;
            if (r.stream !== '' && ((streamSet && !streamSet.has(r.stream)) || (symbolKeys && !symbolKeys.some((k) => symbolKey(r.stream).includes(k))))) continue;
            out.push(gapEventOf(r));
          }
          yield out;
        }
      }
      try {
        // Days partition recv_ns: merging day by day gives the order one merge of the range gives.
        for await (const span of data.spans) {
          const a = messages(span);
          const b = gaps(span);
          try {
            yield* mergeOrdered(a, b);
          } finally {
            await Promise.all([a.return(undefined), b.return(undefined)]);
          }
        }
      } finally {
        data.close();
      }
    },
  };
}
