/**
 * `OrderBook`: the book of one instrument built from `book_snapshot` and `book_change` messages
 * (a snapshot replaces every level, a change sets levels and removes those with amount 0), with
 * best bid and ask and the levels best first. `OrderBook.bookAt()` builds the book of a recording
 * as it stood at a moment: the latest snapshot at or before it, then every change up to it.
 */
import { TicktapeError } from '../core/errors.js';
import { symbolMatchSql } from '../core/symbols.js';
import { timeInputNs, type TimeInput } from '../core/time-arg.js';
import { openTape } from '../store/duck/index.js';
import { openData, type DataLocation } from '../store/open-data.js';
import { sqlStr } from '../store/partitions.js';
import { exchangeFilter } from './filters.js';
import { replayNormalized, type BookLevel, type BookUpdate } from './replay-normalized.js';

/** Which book `OrderBook.bookAt()` builds. */
export interface BookSource {
  data: DataLocation;
  exchange: string;
  /** However written: `btcusdt`, `BTC/USDT`, `BTC-USDT`. */
  symbol: string;
  /** The stream to follow when the symbol has several book streams (depths); default: the one of the latest snapshot. */
  stream?: string;
  /** Read unsealed journals too (default true). */
  includeJournal?: boolean;
}

function sorted(side: Map<number, BookLevel>, descending: boolean): BookLevel[] {
  const levels = [...side.values()];
  levels.sort(descending ? (a, b) => b.price - a.price : (a, b) => a.price - b.price);
  return levels;
}

export class OrderBook {
  private readonly bidLevels = new Map<number, BookLevel>();
  private readonly askLevels = new Map<number, BookLevel>();
  private bidCache: BookLevel[] | null = null;
  private askCache: BookLevel[] | null = null;
  /** Receive time of the last message applied, ns (null before the first). */
  lastUpdateNs: bigint | null = null;
  /** Whether a snapshot has been applied: before one, changes describe a partial book. */
  hasSnapshot = false;

  /**
   * Applies one message. A snapshot replaces both sides; a change sets each level it carries
   * (amount 0 removes the level). Levels are keyed by price, so `100.10` and `100.1` are one level.
   */
  apply(m: BookUpdate): this {
    if (m.type === 'book_snapshot') {
      this.bidLevels.clear();
      this.askLevels.clear();
      this.hasSnapshot = true;
    }
    for (const l of m.bids) this.set(this.bidLevels, l);
    for (const l of m.asks) this.set(this.askLevels, l);
    this.bidCache = this.askCache = null;
    this.lastUpdateNs = m.recvNs;
    return this;
  }

  private set(side: Map<number, BookLevel>, l: BookLevel): void {
    if (l.amount === 0) side.delete(l.price);
    else side.set(l.price, l);
  }

  /** Bids, best (highest) first; the first `depth` when given. */
  bids(depth?: number): BookLevel[] {
    this.bidCache ??= sorted(this.bidLevels, true);
    return depth === undefined ? [...this.bidCache] : this.bidCache.slice(0, depth);
  }

  /** Asks, best (lowest) first; the first `depth` when given. */
  asks(depth?: number): BookLevel[] {
    this.askCache ??= sorted(this.askLevels, false);
    return depth === undefined ? [...this.askCache] : this.askCache.slice(0, depth);
  }

  bestBid(): BookLevel | undefined {
    this.bidCache ??= sorted(this.bidLevels, true);
    return this.bidCache[0];
  }

  bestAsk(): BookLevel | undefined {
    this.askCache ??= sorted(this.askLevels, false);
    return this.askCache[0];
  }

  /** Best ask minus best bid (negative when the book is crossed, as Nexus' can be); undefined when a side is empty. */
  spread(): number | undefined {
    const b = this.bestBid();
    const a = this.bestAsk();
    return a && b ? a.price - b.price : undefined;
  }

  /** Midpoint of best bid and ask; undefined when a side is empty. */
  mid(): number | undefined {
    const b = this.bestBid();
    const a = this.bestAsk();
    return a && b ? (a.price + b.price) / 2 : undefined;
  }

  /**
   * The book of `source` as it stood at `time` (messages received at or before it): the latest
   * snapshot at or before `time`, then the changes after it. TT_NO_DATA when the recording holds no
   * snapshot of that book by then.
   */
  static async bookAt(source: BookSource, time: TimeInput): Promise<OrderBook> {
    const [exchange] = exchangeFilter([source.exchange])!;
    const atNs = timeInputNs(time, 'time');
    const data = await openData(source.data);
    let start: { recvNs: bigint; stream: string } | null;
    try {
      const tape = await openTape(data.dir, { includeJournal: source.includeJournal });
      try {
        const streamCond = source.stream === undefined ? '' : ` AND stream = ${sqlStr(source.stream)}`;
        const row = (
          await tape.conn.runAndReadAll(
            `SELECT recv_ns, stream FROM book WHERE exchange = ${sqlStr(exchange)} AND ${symbolMatchSql('symbol', [source.symbol])} AND is_snapshot AND recv_ns <= ${atNs}${streamCond} ORDER BY recv_ns DESC, conn_id DESC, seq DESC LIMIT 1`,
          )
        ).getRows()[0] as [bigint, string] | undefined;
        start = row ? { recvNs: row[0], stream: row[1] } : null;
      } finally {
        tape.close();
      }
    } finally {
      data.close();
    }
    if (!start) {
      throw new TicktapeError(
        'TT_NO_DATA',
        `No book snapshot of ${exchange} ${source.symbol}${source.stream ? ` on ${source.stream}` : ''} at or before ${new Date(Number(atNs / 1_000_000n)).toISOString()}: check the symbol and time with \`ticktape ls\`.`,
        { exchange, symbol: source.symbol },
      );
    }
    const book = new OrderBook();
    const messages = replayNormalized({
      data: source.data,
      exchanges: [exchange],
      symbols: [source.symbol],
      streams: [start.stream],
      kinds: ['book_snapshot', 'book_change'],
      from: start.recvNs,
      to: atNs + 1n,
      includeJournal: source.includeJournal,
    });
    // A gap after the snapshot leaves the book as the recording has it (the next snapshot repairs it).
    for await (const m of messages) if (m.type !== 'gap') book.apply(m as BookUpdate);
    return book;
  }
}
