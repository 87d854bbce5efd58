/**
 * The derived views on a real recording of the simulator (all four exchanges, seed 7): bars against
 * bars computed here from the trade rows, book_at against the books the simulator had, spreads and
 * crossed books, top of book, latency and imbalance bounds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregatedBook } from '../../exchanges/nexus/book-format.js';
import type { BookEvent } from '../../exchanges/market.js';
import { big, num, recordFixture, rowsOf, withAnalysis, type CapturedBook, type Fixture, type Row } from './fixture.js';

let fx: Fixture;

beforeAll(async () => {
  fx = await recordFixture({ minFrames: 200 });
}, 120_000);

afterAll(() => fx?.cleanup());

// --- bars, computed independently -------------------------------------------------------------

interface RefBar {
  exchange: string;
  symbol: string;
  bucket: bigint;
  openSet: Set<number>;
  closeSet: Set<number>;
  firstKey: bigint;
  lastKey: bigint;
  high: number;
  low: number;
  volume: number;
  notional: number;
  trades: number;
  buy: number;
  sell: number;
}

/** The documented trade order key: event time, then arrival (µs after the exchange time, offset 0.5 s) within its millisecond. */
function tradeKey(tsMs: bigint | null, recvNs: bigint): bigint {
  if (tsMs === null) return recvNs;
  const base = tsMs * 1_000_000n;
  let sub = (recvNs - base) / 1000n + 500_000n;
  // BigInt division truncates towards zero; SQL's // floors: equal for the non-negative values that matter, clamp the rest.
  if (recvNs - base < 0n && (recvNs - base) % 1000n !== 0n) sub -= 1n;
  if (sub < 0n) sub = 0n;
  if (sub > 999_999n) sub = 999_999n;
  return base + sub;
}

function referenceBars(trades: Row[], intervalNs: bigint): Map<string, RefBar> {
  const out = new Map<string, RefBar>();
  for (const t of trades) {
    const k = tradeKey(t.exchange_ts_ms == null ? null : big(t.exchange_ts_ms), big(t.recv_ns));
    const bucket = k / intervalNs;
    const id = `${String(t.exchange)}|${String(t.symbol)}|${bucket}`;
    const price = num(t.price);
    const amount = num(t.amount);
    let b = out.get(id);
    if (!b) {
      b = { exchange: String(t.exchange), symbol: String(t.symbol), bucket, openSet: new Set(), closeSet: new Set(), firstKey: k, lastKey: k, high: price, low: price, volume: 0, notional: 0, trades: 0, buy: 0, sell: 0 };
      out.set(id, b);
    }
    if (k < b.firstKey) (b.firstKey = k), (b.openSet = new Set());
    if (k === b.firstKey) b.openSet.add(price);
    if (k > b.lastKey) (b.lastKey = k), (b.closeSet = new Set());
    if (k === b.lastKey) b.closeSet.add(price);
    b.high = Math.max(b.high, price);
    b.low = Math.min(b.low, price);
    b.volume += amount;
    b.notional += price * amount;
    b.trades += 1;
    if (t.side === 'buy') b.buy += amount;
    if (t.side === 'sell') b.sell += amount;
  }
  return out;
}

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

describe('bars', () => {
  for (const [iv, ns] of [
    ['1 second', 1_000_000_000n],
    ['1 minute', 60_000_000_000n],
  ] as const) {
    it(`equal bars computed from the trade rows at ${iv}`, async () => {
      const { trades, bars } = await withAnalysis(fx.data, async (t) => ({
        trades: await rowsOf(t.conn, `SELECT exchange, symbol, price, amount, side, exchange_ts_ms, recv_ns FROM trades`),
        bars: await rowsOf(t.conn, `SELECT *, epoch_ns(ts) AS ts_ns FROM bars('${iv}')`),
      }));
      expect(trades.length).toBeGreaterThan(500);
      const ref = referenceBars(trades, ns);
      expect(new Set(trades.map((t) => t.exchange)).size).toBeGreaterThanOrEqual(3);
      expect(bars.length).toBe(ref.size);
      let tiedOpens = 0;
      for (const b of bars) {
        const r = ref.get(`${String(b.exchange)}|${String(b.symbol)}|${big(b.ts_ns) / ns}`);
        expect(r, `bar ${String(b.exchange)} ${String(b.symbol)} ${String(b.ts)}`).toBeDefined();
        expect(r!.openSet.has(num(b.open))).toBe(true);
        expect(r!.closeSet.has(num(b.close))).toBe(true);
        if (r!.openSet.size > 1) tiedOpens++;
        expect(num(b.high)).toBe(r!.high);
        expect(num(b.low)).toBe(r!.low);
        expect(num(b.trades)).toBe(r!.trades);
        expect(close(num(b.volume), r!.volume)).toBe(true);
        expect(close(num(b.vwap), r!.notional / r!.volume)).toBe(true);
        expect(close(num(b.buy_volume), r!.buy)).toBe(true);
        expect(close(num(b.sell_volume), r!.sell)).toBe(true);
      }
      // Ties (several trades of one frame in the same millisecond) are the exception, not the rule.
      expect(tiedOpens).toBeLessThan(bars.length / 4);
    });
  }

  it('filters by exchange, symbol and event time without changing the bars it keeps', async () => {
    await withAnalysis(fx.data, async (t) => {
      const all = await rowsOf(t.conn, `SELECT *, epoch_ns(ts) AS ts_ns FROM bars('1 second', ex := 'coinstore', sym := 'BTCUSDT')`);
      expect(all.length).toBeGreaterThan(2);
      const mid = all[Math.floor(all.length / 2)];
      const part = await rowsOf(t.conn, `SELECT *, epoch_ns(ts) AS ts_ns FROM bars('1 second', ex := 'coinstore', sym := 'BTCUSDT', from_ns := ${big(mid.ts_ns)})`);
      expect(part.map((r) => String(r.ts))).toEqual(all.slice(Math.floor(all.length / 2)).map((r) => String(r.ts)));
      expect(part[0].volume).toBe(mid.volume);
      expect(new Set(all.map((r) => `${String(r.exchange)} ${String(r.symbol)}`))).toEqual(new Set(['coinstore BTCUSDT']));
      // a misspelled exchange is an error naming the valid ones, not an empty answer
      await expect(rowsOf(t.conn, `SELECT * FROM bars('1 second', ex := 'nowhere')`)).rejects.toThrow(/TT_UNKNOWN_EXCHANGE: unknown exchange "nowhere": use one of coinstore/);
      // a symbol however written selects the same bars
      for (const spelling of ['btcusdt', 'BTC/USDT', 'BTC_USDT', 'btc-usdt']) {
        expect(await rowsOf(t.conn, `SELECT *, epoch_ns(ts) AS ts_ns FROM bars('1 second', ex := 'coinstore', sym := '${spelling}')`), spelling).toEqual(all);
      }
    });
  });
});

// --- book_at against the simulator ---------------------------------------------------------------

type Lv = { price: number; amount: number; cp: string | null };

/** Letters of a symbol: BTCUSDT, BTC/USDT, BTC_USDT → BTCUSDT. */
const letters = (s: string) => s.replace(/[^a-z0-9]/gi, '').toUpperCase();

function expectedSides(ex: string, cap: CapturedBook, nBids: number, nAsks: number, depth: number): { bids: Lv[]; asks: Lv[] } {
  const ev: BookEvent = cap.event;
  if (ex === 'nexus') {
    const b = aggregatedBook(ev, depth);
    const lv = (l: { price: string; volume: string; cp: string }) => ({ price: Number(l.price), amount: Number(l.volume), cp: l.cp });
    return { bids: b.bids.map(lv), asks: b.asks.map(lv) };
  }
  const lv = ([p, a]: [string, string]) => ({ price: Number(p), amount: Number(a), cp: null });
  return { bids: ev.bids.slice(0, nBids).map(lv), asks: ev.asks.slice(0, nAsks).map(lv) };
}

/** Same levels in the same order (Nexus: shared prices may list their counterparties either way). */
function sameSide(got: Lv[], want: Lv[]): boolean {
  if (got.length !== want.length) return false;
  const key = (l: Lv) => `${l.price}|${l.amount}|${l.cp ?? ''}`;
  const sorted = (ls: Lv[]) => ls.map(key).sort();
  for (let i = 0; i < got.length; i++) if (got[i].price !== want[i].price) return false;
  return JSON.stringify(sorted(got)) === JSON.stringify(sorted(want));
}

describe('book_at', () => {
  for (const ex of ['coinstore', 'coinsuper', 'nexus', 'coinceres']) {
    it(`${ex}: equals the book the simulator published, at sampled instants, in time order`, async () => {
      await withAnalysis(fx.data, async (t) => {
        const msgs = await rowsOf(t.conn, `SELECT symbol, recv_ns, any_value(levels) AS depth FROM book WHERE exchange = '${ex}' AND is_snapshot GROUP BY symbol, recv_ns, conn_id, seq ORDER BY symbol, recv_ns`);
        expect(msgs.length).toBeGreaterThan(10);
        const bySymbol = new Map<string, Row[]>();
        for (const m of msgs) bySymbol.set(String(m.symbol), [...(bySymbol.get(String(m.symbol)) ?? []), m]);
        let checked = 0;
        for (const [symbol, list] of bySymbol) {
          const caps = [...fx.books.entries()].find(([k]) => letters(k) === letters(symbol))?.[1];
          expect(caps, `captured books of ${symbol}`).toBeDefined();
          let lastIndex = -1;
          // Instants: exactly at a message, and just before the next one (the same book must stand).
          const picks = [1, 3, Math.floor(list.length / 3), Math.floor(list.length / 2), list.length - 2].filter((i, k, a) => i > 0 && i < list.length - 1 && a.indexOf(i) === k);
          for (const i of picks) {
            for (const at of [big(list[i].recv_ns), big(list[i + 1].recv_ns) - 1n]) {
              const rows = await rowsOf(t.conn, `SELECT * FROM book_at_ns('${ex}', '${symbol}', ${at})`);
              expect(rows.every((r) => big(r.recv_ns) === big(list[i].recv_ns))).toBe(true);
              const side = (s: string) => rows.filter((r) => r.side === s).map((r) => ({ price: num(r.price), amount: num(r.amount), cp: (r.cp as string | null) ?? null }));
              const bids = side('bid');
              const asks = side('ask');
              expect(bids.length).toBeGreaterThan(0);
              expect(asks.length).toBeGreaterThan(0);
              const depth = num(list[i].depth ?? bids.length);
              const found = caps!.findIndex((c) => {
                const want = expectedSides(ex, c, bids.length, asks.length, depth);
                return sameSide(bids, want.bids) && sameSide(asks, want.asks);
              });
              expect(found, `${ex} ${symbol} at ${at}: book_at matches a book the simulator had`).toBeGreaterThanOrEqual(0);
              expect(found).toBeGreaterThanOrEqual(lastIndex);
              lastIndex = found;
              checked++;
            }
          }
          // Before the first snapshot there is no book.
          expect(await rowsOf(t.conn, `SELECT * FROM book_at_ns('${ex}', '${symbol}', ${big(list[0].recv_ns) - 1n})`)).toEqual([]);
        }
        expect(checked).toBeGreaterThanOrEqual(10);
      });
    });
  }

  it('book_at takes a timestamp; book_at_ns the same instant in ns', async () => {
    await withAnalysis(fx.data, async (t) => {
      const [m] = await rowsOf(t.conn, `SELECT max(recv_ns) AS ns FROM book WHERE exchange = 'coinstore' AND symbol = 'BTCUSDT'`);
      const a = await rowsOf(t.conn, `SELECT side, level, price, amount FROM book_at_ns('coinstore', 'BTCUSDT', ${big(m.ns)})`);
      const b = await rowsOf(t.conn, `SELECT side, level, price, amount FROM book_at('coinstore', 'BTCUSDT', make_timestamp(${big(m.ns) / 1000n + 1n}))`);
      expect(a.length).toBeGreaterThan(0);
      expect(b).toEqual(a);
    });
  });
});

// --- spread and top of book ------------------------------------------------------------------------

describe('spread and top of book', () => {
  it('is never negative on consistent books; Nexus crossed books are flagged and kept as sent', async () => {
    await withAnalysis(fx.data, async (t) => {
      const rows = await rowsOf(t.conn, `SELECT exchange, bid_price, ask_price, spread, spread_bps, crossed FROM spread`);
      const byEx = new Map<string, Row[]>();
      for (const r of rows) byEx.set(String(r.exchange), [...(byEx.get(String(r.exchange)) ?? []), r]);
      expect([...byEx.keys()].sort()).toEqual(['coinceres', 'coinstore', 'coinsuper', 'nexus']);
      for (const [ex, list] of byEx) {
        for (const r of list) {
          expect(r.crossed).toBe(num(r.bid_price) >= num(r.ask_price));
          if (!r.crossed) {
            expect(num(r.spread), ex).toBeGreaterThan(0);
            expect(num(r.spread_bps)).toBeGreaterThan(0);
          }
        }
        // The simulator's market never crosses; only Nexus' internal counterparties do.
        const crossed = list.filter((r) => r.crossed);
        if (ex === 'nexus') {
          expect(crossed.length).toBeGreaterThan(0);
          for (const r of crossed) expect(num(r.spread)).toBeLessThanOrEqual(0);
        } else expect(crossed).toEqual([]);
      }
    });
  });

  it('best sizes sum every level at the best price (Nexus counterparties quoting one price)', async () => {
    await withAnalysis(fx.data, async (t) => {
      const levels = await rowsOf(t.conn, `SELECT symbol, recv_ns, conn_id, seq, side, price, amount FROM book WHERE exchange = 'nexus' AND amount > 0`);
      const tob = await rowsOf(t.conn, `SELECT symbol, recv_ns, conn_id, seq, bid_price, bid_amount, ask_price, ask_amount, bid_levels, ask_levels FROM top_of_book WHERE exchange = 'nexus'`);
      const msgs = new Map<string, Row[]>();
      for (const l of levels) {
        const k = `${String(l.symbol)}|${String(l.recv_ns)}|${String(l.conn_id)}|${String(l.seq)}`;
        msgs.set(k, [...(msgs.get(k) ?? []), l]);
      }
      expect(tob.length).toBe(msgs.size);
      let shared = 0;
      for (const r of tob) {
        const ls = msgs.get(`${String(r.symbol)}|${String(r.recv_ns)}|${String(r.conn_id)}|${String(r.seq)}`)!;
        const bids = ls.filter((l) => l.side === 'bid');
        const asks = ls.filter((l) => l.side === 'ask');
        const bestBid = Math.max(...bids.map((l) => num(l.price)));
        const bestAsk = Math.min(...asks.map((l) => num(l.price)));
        const atBid = bids.filter((l) => num(l.price) === bestBid);
        if (atBid.length > 1) shared++;
        expect(num(r.bid_price)).toBe(bestBid);
        expect(num(r.ask_price)).toBe(bestAsk);
        expect(
          close(
            num(r.bid_amount),
            atBid.reduce((a, l) => a + num(l.amount), 0),
          ),
        ).toBe(true);
        expect(
          close(
            num(r.ask_amount),
            asks.filter((l) => num(l.price) === bestAsk).reduce((a, l) => a + num(l.amount), 0),
          ),
        ).toBe(true);
        expect(num(r.bid_levels)).toBe(bids.length);
        expect(num(r.ask_levels)).toBe(asks.length);
      }
      // Crossed books put two internal counterparties on one price: the sum is exercised.
      expect(shared).toBeGreaterThan(0);
    });
  });
});

describe('latency and imbalance', () => {
  it('latency has samples per stream with ordered percentiles; imbalances stay in [-1, 1]', async () => {
    await withAnalysis(fx.data, async (t) => {
      const lat = await rowsOf(t.conn, `SELECT * FROM latency`);
      expect(lat.length).toBeGreaterThan(3);
      for (const r of lat) {
        expect(num(r.samples)).toBeGreaterThan(0);
        expect(num(r.min_ms)).toBeLessThanOrEqual(num(r.p50_ms));
        expect(num(r.p50_ms)).toBeLessThanOrEqual(num(r.p90_ms));
        expect(num(r.p90_ms)).toBeLessThanOrEqual(num(r.p99_ms));
        expect(num(r.p99_ms)).toBeLessThanOrEqual(num(r.max_ms));
      }
      // One sample per book message, however many levels it has.
      const [n] = await rowsOf(t.conn, `SELECT (SELECT count(*) FROM latency_samples WHERE exchange = 'nexus') AS s, (SELECT count(DISTINCT (conn_id, seq)) FROM book WHERE exchange = 'nexus' AND exchange_ts_ms IS NOT NULL) AS m`);
      expect(num(n.s)).toBe(num(n.m));
      const imb = await rowsOf(t.conn, `SELECT * FROM imbalance`);
      expect(imb.length).toBeGreaterThan(0);
      for (const r of imb) for (const c of ['depth_imbalance', 'depth_imbalance_top5', 'trade_imbalance']) if (r[c] != null) expect(Math.abs(num(r[c]))).toBeLessThanOrEqual(1);
    });
  });
});
