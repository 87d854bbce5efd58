/**
 * The frames the peer benchmark records, in four shapes real feeds have, made by the exchanges' own
 * server-side formatters over the simulator's market (so keys, field order and number spelling are
 * exactly what a recording holds):
 *  - Coinstore trade pushes (~210 B), four symbols on one connection, `S` counting every push;
 *  - Coinstore depth@20 pushes (~1.5 KB), the same four symbols;
 *  - Nexus API_MARKETDEPTH depth 5 pushes;
 *  - Coinsuper MQTT PUBLISH packets of order books (binary WebSocket frames), one connection per topic.
 * Receive times are 100 µs apart with nanosecond jitter, as a recorder's clock gives them.
 * Frames are generated lazily, in receive order, so a million of them never sit in memory at once.
 */
import { depthBody, tradeBody } from '../../exchanges/coinstore/format.js';
import { orderBookPayload } from '../../exchanges/coinsuper/format.js';
import { publishPacket } from '../../exchanges/coinsuper/packets.js';
import { orderBookSpec } from '../../exchanges/coinsuper/topics.js';
import { formatMarketDepth } from '../../exchanges/nexus/book-format.js';
import type { BookEvent, TradeEvent } from '../../exchanges/market.js';
import type { TapeRecord } from '../../schemas/record.js';
import { Market } from '../../simulator/market.js';

export type ShapeName = 'coinstore-trades' | 'coinstore-depth20' | 'nexus-depth5' | 'coinsuper-orderbook';
export const SHAPES: readonly ShapeName[] = ['coinstore-trades', 'coinstore-depth20', 'nexus-depth5', 'coinsuper-orderbook'];

/** 2026-01-15T10:00:00Z, in ns. */
export const PEER_T0_NS = 1_768_471_200_000_000_000n;
/** Mean spacing of receive times. */
const SPACING_NS = 100_000;
const SYMBOLS = ['BTC-USDT', 'ETH-USDT', 'SOL-USDT', 'XRP-USDT'];
const PLAIN_SYMBOLS = SYMBOLS.map((s) => s.replace('-', ''));

export interface Shape {
  name: ShapeName;
  exchange: 'coinstore' | 'nexus' | 'coinsuper';
  /** Symbols of the frames, as the exchange spells them in Coinstore channels (BTCUSDT). */
  symbols: string[];
  /** The frames, in receive order. */
  frames(n: number): Generator<TapeRecord>;
  /**
   * The line a tardis-dev cache holds for the frame: the message text. Binary MQTT frames have no
   * text form, so the line carries the topic and the JSON payload (the content, without the few
   * bytes of MQTT framing), as a JSON capture of that feed would.
   */
  tardisMessage(rec: TapeRecord): string;
}

function jitter(): () => number {
  let x = 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % (SPACING_NS >> 1);
  };
}

/** Market events in step order: every trade, and every book that changed in a step. */
function* marketEvents(kind: 'trade' | 'book'): Generator<TradeEvent | BookEvent> {
  const market = new Market({ seed: 7, symbols: SYMBOLS });
  const pending: Array<TradeEvent | BookEvent> = [];
  if (kind === 'trade') market.on({ trade: (t) => void pending.push(t) });
  const versions = new Map<number, number>();
  for (;;) {
    market.step(1);
    if (kind === 'book') {
      for (const inst of market.instruments) {
        const v = market.bookVersion(inst);
        if (versions.get(inst.id) !== v) {
          versions.set(inst.id, v);
          pending.push(market.book(inst));
        }
      }
    }
    while (pending.length) yield pending.shift()!;
  }
}

const utf8 = new TextEncoder();
const text = new TextDecoder();

function record(exchange: string, connId: string, seq: number, i: number, jit: () => number, stream: string, endpoint: string, payload: Uint8Array, kind: 'text' | 'binary'): TapeRecord {
  return { exchange, connId, seq, recvNs: PEER_T0_NS + BigInt(i * SPACING_NS + jit()), direction: 'in', kind, stream, endpoint, payload, flags: 0 };
}

function coinstoreShape(name: ShapeName, kind: 'trade' | 'book'): Shape {
  return {
    name,
    exchange: 'coinstore',
    symbols: PLAIN_SYMBOLS,
    *frames(n) {
      const jit = jitter();
      let i = 0;
      for (const ev of marketEvents(kind)) {
        if (i >= n) return;
        const sym = `${ev.inst.base}${ev.inst.quote}`.toLowerCase();
        const channel = kind === 'trade' ? `${sym}@trade` : `${sym}@depth@20`;
        const body = kind === 'trade' ? { T: 'trade', ...tradeBody(channel, ev as TradeEvent) } : { T: 'depth', ...depthBody(channel, 20, ev as BookEvent) };
        const payload = utf8.encode(`{"S":${i + 4},${JSON.stringify(body).slice(1)}`);
        yield record('coinstore', 'peer-cs-1', i + 3, i, jit, channel, 'wss://sim/coinstore/s/ws', payload, 'text');
        i++;
      }
    },
    tardisMessage: (rec) => text.decode(rec.payload),
  };
}

function nexusShape(): Shape {
  return {
    name: 'nexus-depth5',
    exchange: 'nexus',
    symbols: PLAIN_SYMBOLS,
    *frames(n) {
      const jit = jitter();
      let i = 0;
      for (const ev of marketEvents('book')) {
        if (i >= n) return;
        const b = ev as BookEvent;
        const symbol = `${b.inst.base}${b.inst.quote}`;
        yield record('nexus', 'peer-nx-1', i + 2, i, jit, `API_MARKETDEPTH:${symbol}:5`, 'wss://sim/nexus/api/realtime', utf8.encode(JSON.stringify(formatMarketDepth(b, 5))), 'text');
        i++;
      }
    },
    tardisMessage: (rec) => text.decode(rec.payload),
  };
}

function coinsuperShape(): Shape {
  return {
    name: 'coinsuper-orderbook',
    exchange: 'coinsuper',
    symbols: PLAIN_SYMBOLS,
    *frames(n) {
      const jit = jitter();
      const seqs = new Map<string, number>();
      let i = 0;
      for (const ev of marketEvents('book')) {
        if (i >= n) return;
        const b = ev as BookEvent;
        const topic = orderBookSpec(`${b.inst.base}_${b.inst.quote}`, '0.01').key;
        const conn = `peer-su-${b.inst.id}`;
        const seq = (seqs.get(conn) ?? 2) + 1;
        seqs.set(conn, seq);
        const packet = publishPacket(topic, utf8.encode(orderBookPayload(b, '0.01')), 0, undefined);
        yield record('coinsuper', conn, seq, i, jit, topic, 'wss://sim/coinsuper/mqtt', packet, 'binary');
        i++;
      }
    },
    tardisMessage: (rec) => {
      // PUBLISH, QoS 0: fixed header, remaining length (varint), topic (u16 length), payload.
      const p = rec.payload;
      let off = 1;
      while (p[off] & 0x80) off++;
      off++;
      const topicLen = (p[off] << 8) | p[off + 1];
      const topic = text.decode(p.subarray(off + 2, off + 2 + topicLen));
      return `{"topic":${JSON.stringify(topic)},"data":${text.decode(p.subarray(off + 2 + topicLen))}}`;
    },
  };
}

export function shape(name: ShapeName): Shape {
  switch (name) {
    case 'coinstore-trades':
      return coinstoreShape(name, 'trade');
    case 'coinstore-depth20':
      return coinstoreShape(name, 'book');
    case 'nexus-depth5':
      return nexusShape();
    case 'coinsuper-orderbook':
      return coinsuperShape();
  }
}
