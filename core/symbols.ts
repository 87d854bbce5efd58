/**
 * Symbols, however a user writes them. Exchanges spell one instrument differently (Coinstore and
 * Nexus `BTCUSDT`, Coinsuper and Coinceres `BTC/USDT`), and users write `btcusdt`, `BTC-USDT` or
 * `BTC_USDT`: all of them select the same instrument. The rule is one pure function, `symbolKey`
 * (upper case, letters and digits only), with its SQL twin `symbolKeySql` (and the `tt_symbol_key`
 * macro of analysis/sql/views.sql, kept equal by a test), so a filter written in TypeScript and one
 * run in DuckDB agree.
 *
 * ASSUMPTION: no exchange lists two instruments whose names differ only in case or separators
 * (none of the four does: their symbols are BASE + QUOTE with at most one separator).
 */

/** The comparison key of a symbol: `BTC/USDT`, `btc-usdt`, `BTC_USDT` → `BTCUSDT`. */
export function symbolKey(symbol: string): string {
  return symbol.replace(/[^A-Za-z0-9]/g, '').toUpperCase();
}

/** True when two spellings name the same instrument. */
export function sameSymbol(a: string, b: string): boolean {
  return symbolKey(a) === symbolKey(b);
}

/** The data's spellings that a user's symbol selects (in the order given), e.g. `btcusdt` → [`BTCUSDT`, `BTC/USDT`]. */
export function matchSymbols(wanted: string, known: Iterable<string>): string[] {
  const key = symbolKey(wanted);
  const out: string[] = [];
  for (const s of known) if (symbolKey(s) === key && !out.includes(s)) out.push(s);
  return out;
}

/** The SQL expression of `symbolKey` over a column or expression (DuckDB). */
export function symbolKeySql(expr: string): string {
  return `upper(regexp_replace(${expr}, '[^A-Za-z0-9]', '', 'g'))`;
}

/** A SQL condition: `expr` names one of the symbols (however each is written). */
export function symbolMatchSql(expr: string, symbols: readonly string[]): string {
  const keys = [...new Set(symbols.map(symbolKey))];
  if (keys.length === 0) return 'true';
  return `${symbolKeySql(expr)} IN (${keys.map((k) => `'${k}'`).join(', ')})`;
}

/** Quote currencies a symbol without a separator is split on (longest first where one ends another). */
const QUOTE_CURRENCIES = ['USDT', 'USDC', 'BUSD', 'USD', 'EUR', 'BTC', 'ETH', 'BNB', 'KRW', 'JPY'];

/** Splits an exchange's symbol spelling (BTCUSDT, BTC_USD, BTC/USDT, btc-usdt) into base and quote. */
export function splitSymbol(symbol: string): { base: string; quote: string } | null {
  const s = symbol.toUpperCase();
  const parts = s.split(/[_/\-:]/).filter(Boolean);
  if (parts.length === 2) return QUOTE_CURRENCIES.includes(parts[1]) ? { base: parts[0], quote: parts[1] } : null;
  if (parts.length > 2) return null;
  for (const q of QUOTE_CURRENCIES) if (s.length > q.length && s.endsWith(q)) return { base: s.slice(0, -q.length), quote: q };
  return null;
}
