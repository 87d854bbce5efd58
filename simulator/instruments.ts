/**
 * The instruments the simulator trades. Known symbols have fixed ids and precisions (BTC/USDT is 4
 * and ETH/USDT is 5, as in Coinstore's `4@trade` examples); any other `BASE-QUOTE` gets an id
 * derived from its letters, so the same symbol list always gives the same ids.
 */
import { TicktapeError } from '../core/errors.js';
import type { Instrument } from '../exchanges/market.js';

interface KnownInstrument extends Instrument {
  /** Mid price the random walk starts from. */
  startPrice: number;
}

const KNOWN: KnownInstrument[] = [
  { base: 'BTC', quote: 'USDT', id: 4, priceDecimals: 2, amountDecimals: 4, startPrice: 65_000 },
  { base: 'ETH', quote: 'USDT', id: 5, priceDecimals: 2, amountDecimals: 4, startPrice: 3_200 },
  { base: 'LTC', quote: 'USDT', id: 6, priceDecimals: 2, amountDecimals: 3, startPrice: 85 },
  { base: 'EOS', quote: 'USDT', id: 7, priceDecimals: 4, amountDecimals: 2, startPrice: 0.8 },
  { base: 'LTC', quote: 'BTC', id: 20, priceDecimals: 6, amountDecimals: 3, startPrice: 0.0013 },
  { base: 'ETH', quote: 'BTC', id: 21, priceDecimals: 6, amountDecimals: 3, startPrice: 0.049 },
  { base: 'BTC', quote: 'USD', id: 80002, priceDecimals: 2, amountDecimals: 4, startPrice: 65_000 },
  { base: 'EOS', quote: 'USD', id: 80004, priceDecimals: 4, amountDecimals: 2, startPrice: 0.8 },
];

export const DEFAULT_SYMBOLS = ['BTC-USDT', 'ETH-USDT'];

/** Ids given to symbols that are not in the table start here (above every known id). */
const DERIVED_ID_BASE = 100_000;

export interface SimInstrument {
  inst: Instrument;
  startPrice: number;
}

/** `BTC-USDT`, `btc_usdt`, `BTC/USDT` → ['BTC', 'USDT']; a bare `BTCUSDT` is split on a known quote currency. */
function splitSymbol(symbol: string): [string, string] | null {
  const parts = symbol
    .toUpperCase()
    .split(/[-_/:]/)
    .filter(Boolean);
  if (parts.length === 2) return [parts[0], parts[1]];
  if (parts.length === 1) {
    for (const q of ['USDT', 'USDC', 'USD', 'BTC', 'ETH']) {
      if (parts[0].endsWith(q) && parts[0].length > q.length) return [parts[0].slice(0, -q.length), q];
    }
  }
  return null;
}

function derivedId(base: string, quote: string): number {
  let h = 0;
  for (const ch of `${base}/${quote}`) h = (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0;
  return DERIVED_ID_BASE + (h % 900_000);
}

/** Builds the instrument list from `--symbols`; throws TT_CONFIG_INVALID for a symbol it cannot read. */
export function resolveInstruments(symbols: readonly string[] = DEFAULT_SYMBOLS): SimInstrument[] {
  const out: SimInstrument[] = [];
  const ids = new Set<number>();
  for (const symbol of symbols) {
    const pair = splitSymbol(symbol);
    if (!pair || !/^[A-Z0-9]+$/.test(pair[0]) || !/^[A-Z0-9]+$/.test(pair[1])) {
      throw new TicktapeError('TT_CONFIG_INVALID', `Cannot read symbol "${symbol}": write it as BASE-QUOTE, e.g. BTC-USDT.`, { symbol });
    }
    const [base, quote] = pair;
    if (out.some((s) => s.inst.base === base && s.inst.quote === quote)) continue;
    const known = KNOWN.find((k) => k.base === base && k.quote === quote);
    let sim: SimInstrument;
    if (known) {
      const { startPrice, ...inst } = known;
      sim = { inst, startPrice };
    } else {
      // Unknown pairs: a quote in a fiat-like currency trades like a mid-cap coin, a crypto quote like a ratio.
      const fiatQuote = /^(USDT|USDC|USD|EUR)$/.test(quote);
      sim = {
        inst: { base, quote, id: derivedId(base, quote), priceDecimals: fiatQuote ? 4 : 8, amountDecimals: fiatQuote ? 2 : 3 },
        startPrice: fiatQuote ? 10 : 0.01,
      };
    }
    let id = sim.inst.id;
    while (ids.has(id)) id += 1; // a derived-id collision moves to the next free id, in list order
    sim.inst.id = id;
    ids.add(id);
    out.push(sim);
  }
  if (out.length === 0) throw new TicktapeError('TT_CONFIG_INVALID', 'No symbols given: pass --symbols BTC-USDT,ETH-USDT or leave it out for the default.');
  return out;
}
