/**
 * The simulator's book → Nexus' aggregated multi-counterparty book (pure).
 *
 * Nexus aggregates the quotes of several liquidity providers ("cp"); each level names the provider
 * and carries that provider's quote time. The simulator has one book, so its levels are dealt out
 * to counterparties deterministically (a hash of symbol, side and price): the same book always
 * formats to the same message. Some levels are quoted by two providers at the same price (the
 * volume split between them, digit-exact), as in the document's example.
 *
 * Real Nexus books are not consistent: internal counterparties (market maker and hedge books,
 * `xs_mm`/`xs_hedge` in the example) are mixed in, and the document's example is crossed (best bid
 * 54220.43 above best ask 47914.06). Every CROSSED_BOOK_EVERY-th book version therefore gets two
 * internal bids above the best ask, so that consumers meet crossed books in the simulator too.
 */
import type { BookEvent, Level } from '../market.js';
import { addTicks, isZero, splitDecimal } from './decimal.js';
import type { DepthLevel, MarketDepthPush } from './protocol.js';
import { nexusSymbol } from './protocol.js';

/** External liquidity providers seen in the documents. */
export const EXTERNAL_CPS = ['b2c2', 'huobi', 'bitmart', 'okex', 'binance'] as const;
/** Internal counterparties (the example's crossed bids). */
const INTERNAL_CPS = ['xs_mm', 'xs_hedge'] as const;
/** One book version in this many is published crossed. */
export const CROSSED_BOOK_EVERY = 25;
/** A provider's quote is up to this old when the aggregate is published (per-level `time`). */
const MAX_QUOTE_AGE_MS = 800;
/** One level in this many (by hash) is quoted by two providers at the same price. */
const SHARED_LEVEL_EVERY = 3;
/** Levels per side per provider in a BTHub API_QUOTE message (its example shows 5). */
const LEGACY_QUOTE_LEVELS = 5;
/** Levels per side in a BTHub API_AGGREGATED_QUOTE message (its example shows 12). */
const LEGACY_AGGREGATED_LEVELS = 12;
/** Commission the BTHub API_QUOTE message carries (its example's value). */
const LEGACY_QUOTE_COMMISSION = '0.0001';

const FNV_OFFSET = 0x811c9dc5;

/** 32-bit FNV-1a: a stable hash for deterministic assignments. `from` continues a previous hash. */
export function fnv1a(s: string, from = FNV_OFFSET): number {
  let h = from;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function quoteTimeOf(cp: string, ev: BookEvent): string {
  return String(ev.tsMs - (fnv1a(`${cp}|${ev.version}`) % MAX_QUOTE_AGE_MS));
}

function dealSide(ev: BookEvent, side: 'bid' | 'ask', levels: Level[], max: number): DepthLevel[] {
  // hash(symbol|side|price) continued from the hash of the constant prefix: no string building per level
  const prefix = fnv1a(`${nexusSymbol(ev.inst)}|${side}|`);
  const out: DepthLevel[] = [];
  const times = new Map<string, string>();
  const quoteTime = (cp: string): string => {
    let t = times.get(cp);
    if (t === undefined) times.set(cp, (t = quoteTimeOf(cp, ev)));
    return t;
  };
  for (const [price, volume] of levels) {
    if (out.length >= max) break;
    const h = fnv1a(price, prefix);
    const cp = EXTERNAL_CPS[h % EXTERNAL_CPS.length];
    const other = EXTERNAL_CPS[(h >>> 8) % EXTERNAL_CPS.length];
    if (h % SHARED_LEVEL_EVERY === 0 && other !== cp) {
      const [a, b] = splitDecimal(volume, 3n, 5n);
      if (!isZero(a) && !isZero(b)) {
        out.push({ cp, price, time: quoteTime(cp), volume: a });
        if (out.length < max) out.push({ cp: other, price, time: quoteTime(other), volume: b });
        continue;
      }
    }
    out.push({ cp, price, time: quoteTime(cp), volume });
  }
  return out;
}

/** The aggregated book as Nexus publishes it: top `levels` entries per side, crossed now and then. */
export function aggregatedBook(ev: BookEvent, levels: number): { asks: DepthLevel[]; bids: DepthLevel[] } {
  const asks = dealSide(ev, 'ask', ev.asks, levels);
  let bids = dealSide(ev, 'bid', ev.bids, levels);
  if (ev.version % CROSSED_BOOK_EVERY === 0 && ev.asks.length > 0 && ev.bids.length > 0) {
    const ticks = 1 + (fnv1a(`${nexusSymbol(ev.inst)}|cross|${ev.version}`) % 50);
    const price = addTicks(ev.asks[0][0], ticks);
    const volume = ev.bids[0][1];
    const internal = INTERNAL_CPS.map((cp) => ({ cp, price, time: quoteTimeOf(cp, ev), volume }));
    bids = [...internal, ...bids].slice(0, levels);
  }
  return { asks, bids };
}

/** `{"event":"API_MARKETDEPTH","data":{"asks":[…],"bids":[…],"symbol":"BTCUSDT"}}` (keys in the documents' order). */
export function formatMarketDepth(ev: BookEvent, levels: number): MarketDepthPush {
  const { asks, bids } = aggregatedBook(ev, levels);
  return { event: 'API_MARKETDEPTH', data: { asks, bids, symbol: nexusSymbol(ev.inst) } };
}

/**
 * BTHub `API_QUOTE`: one message per provider with that provider's own levels (no `cp`/`time` per
 * level; `commission` and `cp` on the message), in EXTERNAL_CPS order.
 */
export function formatLegacyQuotes(ev: BookEvent): unknown[] {
  const deep = 4 * LEGACY_QUOTE_LEVELS * EXTERNAL_CPS.length;
  const asks = dealSide(ev, 'ask', ev.asks, deep);
  const bids = dealSide(ev, 'bid', ev.bids, deep);
  const out: unknown[] = [];
  for (const cp of EXTERNAL_CPS) {
    const mine = (ls: DepthLevel[]) =>
      ls
        .filter((l) => l.cp === cp)
        .slice(0, LEGACY_QUOTE_LEVELS)
        .map((l) => ({ price: l.price, volume: l.volume }));
    const a = mine(asks);
    const b = mine(bids);
    if (a.length === 0 && b.length === 0) continue;
    out.push({ event: 'API_QUOTE', data: { asks: a, bids: b, commission: LEGACY_QUOTE_COMMISSION, cp, symbol: nexusSymbol(ev.inst) } });
  }
  return out;
}

/** BTHub `API_AGGREGATED_QUOTE`: like API_MARKETDEPTH without per-level `time`. */
export function formatLegacyAggregatedQuote(ev: BookEvent): unknown {
  const strip = (ls: DepthLevel[]) => ls.map((l) => ({ cp: l.cp, price: l.price, volume: l.volume }));
  const asks = dealSide(ev, 'ask', ev.asks, LEGACY_AGGREGATED_LEVELS);
  const bids = dealSide(ev, 'bid', ev.bids, LEGACY_AGGREGATED_LEVELS);
  return { event: 'API_AGGREGATED_QUOTE', data: { asks: strip(asks), bids: strip(bids), symbol: nexusSymbol(ev.inst) } };
}
