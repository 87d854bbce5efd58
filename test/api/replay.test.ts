/**
 * replay() and replayNormalized(): every frame and every gap of a data folder (sealed and unsealed
 * alike) in recorded order, equal to what SQL over the same folder says; filters, time forms and
 * symbol spellings; OrderBook.bookAt equal to the book rebuilt from the book table by hand.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shape } from '../../bench/peers/shapes.js';
import { FLAG_OVERLAP, FLAG_SYNTHETIC, type GapPayload, type TapeRecord } from '../../schemas/record.js';
import { openStore, OrderBook, replay, replayNormalized, type BookUpdate, type NormalizedMessage, type ReplayItem } from '../../api/index.js';
import { sealClosedSegments } from '../../store/seal/index.js';
import { T0, genRecords, hex, tmpDataDir, writeJournal } from '../store/seal/fixtures.js';

let data = '';

function gapRecord(exchange: string, connId: string, seq: number, recvNs: bigint, stream: string, cause: GapPayload['cause']): TapeRecord {
  const g: GapPayload = { stream, start_ns: String(recvNs - 5_000_000n), end_ns: String(recvNs), cause, detail: 'test', lost_frames: 3 };
  return { exchange, connId, seq, recvNs, direction: 'event', kind: 'gap', stream, endpoint: '', payload: Buffer.from(JSON.stringify(g)), flags: FLAG_SYNTHETIC };
}

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

function keyOf(x: { connId: string; seq: number }): string {
  return `${x.connId}#${x.seq}`;
}

beforeAll(async () => {
  data = tmpDataDir('api-replay');
  const a = genRecords(400, { connId: 'inst-a-k1-1', streams: ['btcusdt@trade', 'ethusdt@depth', ''] });
  // an overlap frame, a stream gap after frame 150 and a connection-wide gap after frame 250
  a[40] = { ...a[40], direction: 'in', flags: FLAG_OVERLAP };
  a.splice(151, 0, gapRecord('coinstore', 'inst-a-k1-1', 0, a[150].recvNs, 'btcusdt@trade', 'sequence'));
  a.splice(252, 0, gapRecord('coinstore', 'inst-a-k1-1', 0, a[251].recvNs, '', 'disconnect'));
  a.forEach((r, i) => (r.seq = i + 1));
  const b = genRecords(300, { exchange: 'nexus', connId: 'inst-a-k1-2', streams: ['API_MARKETDEPTH:BTCUSDT:5'], startNs: T0 + 333_333n });
  // the whole instance lost frames (a full disk): exchange '', stream ''
  const loss = gapRecord('', '', 1, T0 + 200_500_000n, '', 'journal_loss');
  const market = [...shape('coinstore-trades').frames(600), ...shape('coinsuper-orderbook').frames(600), ...shape('nexus-depth5').frames(600)];
  await writeJournal(data, 'api', [a.slice(0, 200), b.slice(0, 150), market.slice(0, 900)]);
  expect((await sealClosedSegments(data)).failures).toEqual([]);
  await writeJournal(data, 'api2', [[...a.slice(200), loss], b.slice(150), market.slice(900)]);
}, 120_000);

afterAll(() => fs.rmSync(data, { recursive: true, force: true }));

describe('replay()', () => {
  it('yields every frame of raw (overlaps left out) and every gap record as a GapEvent, in (recv_ns, conn_id, seq) order', async () => {
    const store = await openStore(data);
    const rows = await store.query<{ conn_id: string; seq: bigint; kind: string; payload: Uint8Array; flags: number }>(`SELECT conn_id, seq, kind, payload, flags FROM raw WHERE (flags & ${FLAG_OVERLAP}) = 0 ORDER BY recv_ns, conn_id, seq`);
    store.close();
    const got = await all(replay({ data }));
    expect(got.length).toBe(rows.length);
    expect(got.map((x) => keyOf(x))).toEqual(rows.map((r) => `${r.conn_id}#${Number(r.seq)}`));
    got.forEach((x, i) => {
      expect(x.type).toBe(rows[i].kind === 'gap' ? 'gap' : 'frame');
      if (x.type === 'frame') expect(hex(x.payload)).toBe(hex(rows[i].payload));
    });
    const gaps = got.filter((x) => x.type === 'gap');
    expect(gaps.map((g) => g.cause).sort()).toEqual(['disconnect', 'journal_loss', 'sequence']);
    const seqGap = gaps.find((g) => g.cause === 'sequence')!;
    expect(seqGap).toMatchObject({ exchange: 'coinstore', stream: 'btcusdt@trade', detail: 'test', lostFrames: 3 });
    expect(seqGap.endNs - seqGap.startNs).toBe(5_000_000n);
    expect(seqGap.localTimestamp.getTime()).toBe(Number(seqGap.recvNs / 1_000_000n));
  });

  it('keeps the gaps of a whole connection or instance through exchange, stream and direction filters', async () => {
    const got = await all(replay({ data, exchanges: ['COINSTORE'], streams: ['ethusdt@depth'], directions: ['in'] }));
    const frames = got.filter((x) => x.type === 'frame');
    expect(frames.length).toBeGreaterThan(50);
    expect(frames.every((f) => f.type === 'frame' && f.exchange === 'coinstore' && f.stream === 'ethusdt@depth' && f.direction === 'in')).toBe(true);
    // the btcusdt@trade gap is another stream's; the disconnect ('' stream) and the journal loss ('' exchange) concern this one
    expect(
      got
        .filter((x) => x.type === 'gap')
        .map((g) => (g as { cause: string }).cause)
        .sort(),
    ).toEqual(['disconnect', 'journal_loss']);
  });

  it('includes overlap frames when asked', async () => {
    const without = await all(replay({ data, exchanges: ['coinstore'] }));
    const withOverlap = await all(replay({ data, exchanges: ['coinstore'], overlap: true }));
    expect(withOverlap.length).toBe(without.length + 1);
    expect(withOverlap.filter((x) => x.type === 'frame' && x.overlap)).toHaveLength(1);
  });

  it('takes from/to as a Date, an ISO string, epoch ms or ns and gives the same frames', async () => {
    const fromMs = Number(T0 / 1_000_000n) + 50;
    const toMs = fromMs + 100;
    const forms = [
      { from: new Date(fromMs), to: new Date(toMs) },
      { from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString() },
      { from: fromMs, to: toMs },
      { from: BigInt(fromMs) * 1_000_000n, to: BigInt(toMs) * 1_000_000n },
    ];
    const results = await Promise.all(forms.map((f) => all(replay({ data, ...f }))));
    expect(results[0].length).toBeGreaterThan(100);
    for (const r of results) expect(r.map(keyOf)).toEqual(results[0].map(keyOf));
    expect(results[0].every((x) => x.recvNs >= BigInt(fromMs) * 1_000_000n && x.recvNs < BigInt(toMs) * 1_000_000n)).toBe(true);
  });

  it('text() and json() read the payload', async () => {
    for await (const x of replay({ data, exchanges: ['coinstore'], streams: ['btcusdt@trade'] })) {
      if (x.type !== 'frame' || x.kind !== 'text' || !x.text().startsWith('{')) continue;
      expect(x.json<{ T: string }>().T).toBe('trade');
      expect(x.localTimestamp).toBeInstanceOf(Date);
      break;
    }
  });

  it('with parse, gives each text frame its JSON value as message (what json() gives), and none without', async () => {
    let n = 0;
    for await (const x of replay({ data, exchanges: ['coinstore'], parse: true })) {
      if (x.type !== 'frame' || x.kind !== 'text') continue;
      let want: unknown;
      try {
        want = x.json();
      } catch {
        want = undefined;
      }
      expect(JSON.stringify(x.message), x.text()).toBe(JSON.stringify(want));
      n++;
    }
    expect(n).toBeGreaterThan(10);
    for await (const x of replay({ data, exchanges: ['coinstore'] })) if (x.type === 'frame') expect(x.message).toBeUndefined();
  });

  it('checks its options when called: a bad exchange, time, range or direction is a TicktapeError at once', () => {
    expect(() => replay({ data, exchanges: ['binance'] })).toThrow(expect.objectContaining({ code: 'TT_UNKNOWN_EXCHANGE' }));
    expect(() => replay({ data, from: 'yesterday-ish' })).toThrow(expect.objectContaining({ code: 'TT_BAD_TIME' }));
    expect(() => replay({ data, from: new Date('nope') })).toThrow(expect.objectContaining({ code: 'TT_BAD_TIME' }));
    expect(() => replay({ data, from: 2000, to: 1000 })).toThrow(expect.objectContaining({ code: 'TT_BAD_TIME' }));
    expect(() => replay({ data, directions: ['sideways' as 'in'] })).toThrow(expect.objectContaining({ code: 'TT_CONFIG_INVALID' }));
  });

  it('a missing data folder is TT_NO_DATA when iteration starts', async () => {
    await expect(all(replay({ data: `${data}-missing` }))).rejects.toMatchObject({ code: 'TT_NO_DATA' });
  });

  it('stops reading when the loop breaks', async () => {
    let n = 0;
    for await (const _ of replay({ data })) if (++n === 10) break;
    expect(n).toBe(10);
  });
});

describe('replayNormalized()', () => {
  it('yields the normalized tables merged in (recv_ns, conn_id, seq) order across exchanges, books as book_snapshot/book_change', async () => {
    const store = await openStore(data);
    const counts = await store.query<{ n: bigint }>(`SELECT (SELECT count(*) FROM trades) + (SELECT count(*) FROM (SELECT DISTINCT conn_id, seq FROM book)) + (SELECT count(*) FROM klines) + (SELECT count(*) FROM tickers) AS n`);
    const snapshots = await store.query<{ n: bigint }>(`SELECT count(*) AS n FROM (SELECT DISTINCT conn_id, seq FROM book WHERE is_snapshot)`);
    store.close();
    const items = await all(replayNormalized({ data }));
    const got = items.filter((m): m is NormalizedMessage => m.type !== 'gap');
    expect(got.length).toBe(Number(counts[0].n));
    // every gap replay() gives, as a typed event, in its place in the order
    const gaps = (await all(replay({ data }))).filter((x) => x.type === 'gap');
    expect(gaps.length).toBe(3);
    expect(items.filter((m) => m.type === 'gap')).toEqual(gaps);
    for (let i = 1; i < items.length; i++) {
      const a = items[i - 1];
      const b = items[i];
      expect(a.recvNs < b.recvNs || (a.recvNs === b.recvNs && (a.connId < b.connId || (a.connId === b.connId && a.seq <= b.seq)))).toBe(true);
    }
    expect(new Set(got.map((m) => m.exchange))).toEqual(new Set(['coinstore', 'coinsuper', 'nexus']));
    for (let i = 1; i < got.length; i++) {
      const a = got[i - 1];
      const b = got[i];
      expect(a.recvNs < b.recvNs || (a.recvNs === b.recvNs && (a.connId < b.connId || (a.connId === b.connId && a.seq < b.seq)))).toBe(true);
    }
    expect(got.filter((m) => m.type === 'book_snapshot').length).toBe(Number(snapshots[0].n));
    expect(got.some((m) => m.type === ('book' as string))).toBe(false);
  });

  it('matches symbols however written, across the exchanges’ spellings', async () => {
    const forms = ['btcusdt', 'BTC/USDT', 'BTC-USDT', 'BTC_USDT'];
    const results = await Promise.all(forms.map((s) => all(replayNormalized({ data, symbols: [s], kinds: ['trade', 'book_snapshot', 'book_change'] }))));
    const spellings = new Set(results[0].map((m) => m.symbol));
    expect(spellings.size).toBeGreaterThan(1); // BTCUSDT and BTC/USDT, from different exchanges
    expect(results[0].length).toBeGreaterThan(0);
    for (const r of results) expect(r.map(keyOf)).toEqual(results[0].map(keyOf));
    // another symbol: no message, and of the gaps only those of a whole connection or recorder
    const doge = await all(replayNormalized({ data, symbols: ['DOGE-EUR'] }));
    expect(doge.map((m) => [m.type, m.stream])).toEqual([
      ['gap', ''],
      ['gap', ''],
    ]);
    const btcGaps = results[0].filter((m) => m.type === 'gap').map((m) => m.stream);
    expect(btcGaps).toContain('btcusdt@trade');
  });

  it('selects kinds: book_change only, trades only', async () => {
    const changes = await all(replayNormalized({ data, kinds: ['book_change'] }));
    const snaps = await all(replayNormalized({ data, kinds: ['book_snapshot'] }));
    const books = await all(replayNormalized({ data, kinds: ['book_snapshot', 'book_change'] }));
    expect(changes.every((m) => m.type === 'book_change' || m.type === 'gap')).toBe(true);
    expect(snaps.every((m) => m.type === 'book_snapshot' || m.type === 'gap')).toBe(true);
    const messages = (xs: { type: string }[]) => xs.filter((m) => m.type !== 'gap').length;
    expect(messages(changes) + messages(snaps)).toBe(messages(books));
    expect(changes.filter((m) => m.type === 'gap').length).toBe(3);
    const trades = await all(replayNormalized({ data, kinds: ['trade'], exchanges: ['coinstore'] }));
    expect(trades.length).toBeGreaterThan(0);
    expect(trades.every((m) => (m.type === 'trade' && m.exchange === 'coinstore' && typeof m.price === 'number' && m.priceStr.length > 0) || (m.type === 'gap' && m.exchange !== 'nexus'))).toBe(true);
    expect(() => replayNormalized({ data, kinds: ['depth' as 'trade'] })).toThrow(expect.objectContaining({ code: 'TT_CONFIG_INVALID' }));
  });
});

describe('OrderBook', () => {
  it('apply: a snapshot replaces, a change sets and removes levels; best bid/ask, levels best first', () => {
    const head = { exchange: 'x', symbol: 'S', stream: 's', connId: 'c', seq: 1, recvNs: 1n, exchangeTsMs: null, depth: null, isSnapshot: true };
    const lv = (price: number, amount: number) => ({ price, amount, priceStr: String(price), amountStr: String(amount) });
    const book = new OrderBook();
    book.apply({ ...head, type: 'book_snapshot', bids: [lv(99, 1), lv(98, 2)], asks: [lv(101, 1), lv(102, 3)] });
    book.apply({ ...head, seq: 2, recvNs: 2n, isSnapshot: false, type: 'book_change', bids: [lv(99, 0), lv(100, 5)], asks: [lv(101.5, 1)] });
    expect(book.bestBid()?.price).toBe(100);
    expect(book.bestAsk()?.price).toBe(101);
    expect(book.bids().map((l) => l.price)).toEqual([100, 98]);
    expect(book.asks(2).map((l) => l.price)).toEqual([101, 101.5]);
    expect(book.spread()).toBe(1);
    expect(book.lastUpdateNs).toBe(2n);
    book.apply({ ...head, seq: 3, type: 'book_snapshot', bids: [lv(50, 1)], asks: [] });
    expect(book.bids().map((l) => l.price)).toEqual([50]);
    expect(book.bestAsk()).toBeUndefined();
  });

  it('bookAt(time) is the latest snapshot at or before the time plus the changes after it, as the book table says', async () => {
    const msgs = (await all(replayNormalized({ data, exchanges: ['coinsuper'], kinds: ['book_snapshot', 'book_change'] }))) as BookUpdate[];
    expect(msgs.length).toBeGreaterThan(10);
    const target = msgs[Math.floor(msgs.length * 0.7)];
    const stream = target.stream;
    // by hand: every message of that stream up to the time, applied in order
    const byHand = new OrderBook();
    for (const m of msgs) if (m.stream === stream && m.recvNs <= target.recvNs) byHand.apply(m);
    const book = await OrderBook.bookAt({ data, exchange: 'coinsuper', symbol: target.symbol.toLowerCase(), stream }, target.recvNs);
    expect(book.bids().map((l) => [l.priceStr, l.amountStr])).toEqual(byHand.bids().map((l) => [l.priceStr, l.amountStr]));
    expect(book.asks().map((l) => [l.priceStr, l.amountStr])).toEqual(byHand.asks().map((l) => [l.priceStr, l.amountStr]));
    expect(book.bids().length).toBeGreaterThan(0);
    expect(book.lastUpdateNs).toBe(target.recvNs);
    await expect(OrderBook.bookAt({ data, exchange: 'coinsuper', symbol: target.symbol }, T0 - 10n ** 12n)).rejects.toMatchObject({ code: 'TT_NO_DATA' });
  });
});

// keep the type import used (ReplayItem is part of the API the tests exercise)
export type _Item = ReplayItem;
