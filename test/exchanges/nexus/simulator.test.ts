/**
 * The simulator's market through the Nexus server session, read back by the client side and the
 * normalizer: what the recorder would store from the simulator must say what the market did.
 * No sockets here (the server tests cover them): the session gets a SessionLink that collects frames.
 */
import { describe, expect, it } from 'vitest';
import type { FillEvent, MarketEvent, OrderEvent, PositionEvent } from '../../../exchanges/market.js';
import { nexus } from '../../../exchanges/nexus/index.js';
import { addDecimal } from '../../../exchanges/nexus/decimal.js';
import type { NormalizedRow } from '../../../schemas/rows.js';
import type { SessionLink, StreamSpec } from '../../../exchanges/types.js';
import { createMarketFeed } from '../../../simulator/feed.js';
import { Market } from '../../../simulator/market.js';

interface Run {
  frames: string[];
  events: MarketEvent[];
  books: Map<number, { bids: Map<string, string>; asks: Map<string, string> }>;
}

function run(seed: number, steps: number): Run {
  const market = new Market({ seed, symbols: ['BTC-USDT', 'ETH-USDT'] });
  const feed = createMarketFeed(market, { throttle: { bookMs: 50 } });
  const frames: string[] = [];
  const events: MarketEvent[] = [];
  const books = new Map<number, { bids: Map<string, string>; asks: Map<string, string> }>();
  market.on({ account: (e) => events.push(e) });
  const link: SessionLink = {
    url: new URL('ws://sim/nexus/api/realtime?X-API-TOKEN=x'),
    send: (data) => frames.push(typeof data === 'string' ? data : new TextDecoder().decode(data)),
    ping: () => undefined,
    close: () => undefined,
    bufferedAmount: () => 0,
    claim() {},
    maxMessageBytes: 1 << 20,
    cork: (fn) => fn(),
    sendWith: () => undefined,
    subscribe: (stream: StreamSpec) =>
      feed.subscribe(stream, (item) => {
        if (item.type === 'event' && item.event.type === 'book') {
          books.set(item.event.version * 10 + item.event.inst.id, { bids: new Map(item.event.bids), asks: new Map(item.event.asks) });
        }
        session.deliver(stream, item);
      }),
    unsubscribe: (key) => feed.unsubscribe(key),
  };
  const session = nexus.server.createSession('realtime', link, {
    instruments: market.instruments,
    credentials: [nexus.demoCredentials],
    nowMs: () => market.nowMs(),
    timing: { idleTimeoutMs: 0 },
    random: () => 0.5,
  });
  for (const req of [
    { id: '1', action: 'SUBSCRIBE', event: 'API_MARKETDEPTH', symbol: 'BTCUSDT', depth: 5 },
    { id: '2', action: 'SUBSCRIBE', event: 'API_MARKETDEPTH', symbol: 'ETHUSDT', depth: 20 },
    { id: '3', action: 'SUBSCRIBE', event: 'API_ORDER' },
    { id: '4', action: 'SUBSCRIBE', event: 'API_RISK_POSITION', symbol: 'ALL', book: 'A' },
  ]) {
    session.onMessage(new TextEncoder().encode(JSON.stringify(req)), false);
  }
  market.step(steps);
  session.onClose();
  feed.close();
  return { frames, events, books };
}

function readBack(frames: string[]): Array<{ stream: string; rows: NormalizedRow[] }> {
  const client = nexus.client.createSession({
    endpointUrl: 'ws://sim/nexus/api/realtime',
    endpoint: 'realtime',
    streams: ['BTCUSDT@depth@5', 'ETHUSDT@depth@20', 'orders', 'positions@A'].map((c) => nexus.client.parseChannel(c)),
    credentials: nexus.demoCredentials,
    nowMs: () => 0,
  });
  client.onOpen();
  const normalizer = nexus.createNormalizer();
  return frames.map((f) => {
    const payload = new TextEncoder().encode(f);
    const info = client.onFrame(payload, false);
    expect(info.malformed).toBe(false);
    return { stream: info.stream, rows: normalizer.normalize({ payload, kind: 'text', stream: info.stream, endpoint: client.safeUrl, recvNs: 0n }) };
  });
}

describe('nexus on the simulator’s market', () => {
  const STEPS = 6000;
  const a = run(11, STEPS);
  const read = readBack(a.frames);

  it('is deterministic: the same seed gives the same frames byte for byte', () => {
    expect(run(11, STEPS).frames).toEqual(a.frames);
    expect(run(12, 600).frames).not.toEqual(a.frames.slice(0, run(12, 600).frames.length));
  });

  it('publishes every stream, books at the requested depth, sometimes crossed', () => {
    const count = (s: string) => read.filter((r) => r.stream === s).length;
    for (const s of ['API_MARKETDEPTH:BTCUSDT:5', 'API_MARKETDEPTH:ETHUSDT:20', 'API_ORDER', 'API_RISK_POSITION:A:ALL']) expect(count(s), s).toBeGreaterThan(0);
    let crossed = 0;
    for (const { stream, rows } of read) {
      if (!stream.startsWith('API_MARKETDEPTH')) continue;
      const depth = Number(stream.split(':')[2]);
      const book = rows.filter((r): r is Extract<NormalizedRow, { table: 'book' }> => r.table === 'book');
      expect(book.filter((r) => r.side === 'bid')).toHaveLength(depth);
      expect(book.filter((r) => r.side === 'ask')).toHaveLength(depth);
      const bid = book.find((r) => r.side === 'bid' && r.level === 0)!;
      const ask = book.find((r) => r.side === 'ask' && r.level === 0)!;
      if (Number(bid.price) >= Number(ask.price)) {
        crossed++;
        expect(bid.cp).toBe('xs_mm');
      }
    }
    expect(crossed).toBeGreaterThan(0);
  });

  it('book levels add up, per price, to the market’s own volume there (internal crossing quotes and the cut deepest level aside)', () => {
    const byVersion = [...a.books.values()];
    let checked = 0;
    for (const { stream, rows } of read) {
      if (!stream.startsWith('API_MARKETDEPTH:ETHUSDT')) continue;
      const sums = new Map<string, string>();
      // the deepest price of a side may be a shared level cut in two by the depth limit: left out
      const deepest = new Set(['bid', 'ask'].map((side) => rows.filter((r) => r.table === 'book' && r.side === side).at(-1)).map((r) => r && r.table === 'book' && `${r.side}|${r.price}`));
      for (const r of rows) {
        if (r.table !== 'book' || r.cp === 'xs_mm' || r.cp === 'xs_hedge' || deepest.has(`${r.side}|${r.price}`)) continue;
        const k = `${r.side}|${r.price}`;
        sums.set(k, addDecimal(sums.get(k) ?? '0', r.amount));
      }
      // some book the market published has exactly these volumes at these prices
      const match = byVersion.some((b) => [...sums].every(([k, v]) => (k.startsWith('bid') ? b.bids : b.asks).get(k.split('|')[1]) === v));
      expect(match).toBe(true);
      if (++checked >= 40) break;
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('every fill of the demo account becomes exactly one fills row, with its id, price, amount and side', () => {
    const fills = a.events.filter((e): e is FillEvent => e.type === 'fill');
    expect(fills.length).toBeGreaterThan(0);
    const rows = read.flatMap((r) => r.rows).filter((r): r is Extract<NormalizedRow, { table: 'fills' }> => r.table === 'fills');
    expect(rows.map((r) => [r.fill_id, r.order_id, r.price, r.amount, r.side, r.fee_currency])).toEqual(fills.map((f) => [f.fillId, f.orderId, f.price, f.amount, f.side, f.feeCurrency]));
    // the fee is known when the fill is its counterparty order's only execution so far
    const orders = a.events.filter((e): e is OrderEvent => e.type === 'order');
    for (const [i, r] of rows.entries()) {
      const f = fills[i];
      const first = orders.find((o) => o.fill?.fillId === f.fillId)!;
      if (first.filledAmount === f.amount) expect(r.fee).toBe(f.fee);
      else expect(r.fee).toBeNull();
    }
  });

  it('every order update becomes one orders row with the state the market gave it', () => {
    const orders = a.events.filter((e): e is OrderEvent => e.type === 'order');
    const rows = read.flatMap((r) => r.rows).filter((r): r is Extract<NormalizedRow, { table: 'orders' }> => r.table === 'orders');
    const status = { new: 'PENDING', partially_filled: 'EXCUTING', filled: 'EXECUTED', canceled: 'CANCELLED', rejected: 'REJECTED' };
    expect(rows.map((r) => [r.order_id, r.client_order_id, r.side, r.status, r.amount, r.filled_amount])).toEqual(orders.map((o) => [o.orderId, o.clientOrderId, o.side, status[o.status], o.amount, o.filledAmount]));
  });

  it('every position update becomes one positions row with the market’s net position', () => {
    const positions = a.events.filter((e): e is PositionEvent => e.type === 'position');
    const rows = read.flatMap((r) => r.rows).filter((r): r is Extract<NormalizedRow, { table: 'positions' }> => r.table === 'positions');
    expect(positions.length).toBeGreaterThan(0);
    expect(rows.map((r) => [r.symbol, r.amount, r.book])).toEqual(positions.map((p) => [`${p.inst.base}${p.inst.quote}`, p.amount, 'A']));
  });
});
