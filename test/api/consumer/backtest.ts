/**
 * A consumer of the published package, as a user writes one: simulator → recorder → seal, then
 * replay() and replayNormalized() over the recording, counted against SQL. Prints one JSON line.
 * Type-checked with `tsc --strict` against the installed package's declarations (test/api/pack.test.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OrderBook, TicktapeError, openStore, replay, replayNormalized, startRecorder, startSimulator, type BookUpdate, type Frame, type GapEvent, type Trade } from 'ticktape';

const data = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-consumer-'));
const sim = await startSimulator({ port: 0, seed: 3, rate: 50 });
const rec = await startRecorder({
  data,
  http: 'off',
  staggerMs: 0,
  exchanges: [{ name: 'coinstore', channels: ['btcusdt@trade', 'btcusdt@depth@20', 'ethusdt@ticker'], baseUrl: `ws://127.0.0.1:${sim.port}` }],
});
const recordedFrom = rec.urls.coinstore?.ws ?? '';
await new Promise((r) => setTimeout(r, Number(process.env.RECORD_MS ?? 3000)));
await rec.close();
await sim.close();

const store = await openStore(data);
await store.seal();
const [raw] = await store.query<{ frames: bigint; gaps: bigint }>(
  "SELECT count(*) FILTER (WHERE kind <> 'gap') AS frames, count(*) FILTER (WHERE kind = 'gap') AS gaps FROM raw WHERE (flags & 8) = 0",
);
const [norm] = await store.query<{ trades: bigint; books: bigint; tickers: bigint }>(
  'SELECT (SELECT count(*) FROM trades) AS trades, (SELECT count(DISTINCT (conn_id, seq)) FROM book) AS books, (SELECT count(*) FROM tickers) AS tickers',
);
const arrow = await store.queryArrow('SELECT recv_ns, price FROM trades ORDER BY recv_ns');
const inventory = await store.ls();
const verified = await store.verify();
store.close();

let frames = 0;
let gaps = 0;
let lastNs = 0n;
let ordered = true;
for await (const item of replay({ data, from: new Date(0) })) {
  if (item.recvNs < lastNs) ordered = false;
  lastNs = item.recvNs;
  if (item.type === 'gap') {
    const g: GapEvent = item;
    gaps += g.endNs >= g.startNs ? 1 : 0;
  } else {
    const f: Frame = item;
    frames += f.payload.byteLength >= 0 ? 1 : 0;
  }
}

// a backtest: the mid at every trade, from the book as it stood
const book = new OrderBook();
let trades = 0;
let books = 0;
let tickers = 0;
let priced = 0;
for await (const m of replayNormalized({ data, symbols: ['BTC-USDT', 'ETH/USDT'], kinds: ['trade', 'book_snapshot', 'book_change', 'ticker'] })) {
  if (m.type === 'book_snapshot' || m.type === 'book_change') {
    books++;
    book.apply(m as BookUpdate);
  } else if (m.type === 'trade') {
    const t: Trade = m;
    trades++;
    if (book.mid() !== undefined && t.price > 0) priced++;
  } else if (m.type === 'ticker') tickers++;
}

let lastBook: number | null = null;
try {
  const at = await OrderBook.bookAt({ data, exchange: 'coinstore', symbol: 'btcusdt' }, new Date());
  lastBook = at.bids().length;
} catch (err) {
  if (!(err instanceof TicktapeError)) throw err;
}

let deepImport = 'allowed';
try {
  await import('ticktape/dist/store/reader/index.js' as string);
} catch (err) {
  deepImport = (err as NodeJS.ErrnoException).code ?? String(err);
}

fs.rmSync(data, { recursive: true, force: true });
console.log(
  JSON.stringify({
    recordedFrom,
    sql: { frames: Number(raw.frames), gaps: Number(raw.gaps), trades: Number(norm.trades), books: Number(norm.books), tickers: Number(norm.tickers) },
    replay: { frames, gaps, ordered },
    normalized: { trades, books, tickers, priced },
    arrowRows: arrow.numRows,
    streams: inventory.streams.length,
    damaged: verified.damaged,
    lastBook,
    deepImport,
  }),
);
