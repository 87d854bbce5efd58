/**
 * What paper orders must get, computed by the tests on their own from the recording with SQL over
 * the store (the normalized book and trades), never by calling the matching engine: a taker walks
 * the latest recorded book at its time; a resting order waits for the recorded size ahead of it.
 */
import path from 'node:path';
import { openTape, type Tape } from '../../../store/duck/index.js';

export type Row = Record<string, unknown>;

export class Store {
  private constructor(private readonly tape: Tape) {}

  static async open(dir: string): Promise<Store> {
    return new Store(await openTape(dir));
  }

  async rows(sql: string): Promise<Row[]> {
    return (await this.tape.conn.runAndReadAll(sql)).getRowObjectsJS() as Row[];
  }

  close(): void {
    this.tape.close();
  }
}

const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
const dec = (s: string) => `CAST(${lit(s)} AS DECIMAL(38, 18))`;

export interface MarketRef {
  exchange: string;
  symbol: string;
  /** The book stream the account matches against (the deepest of the symbol). */
  bookStream: string;
}

/** Fills a taker of `amount` gets at recorded time `atNs`: the other side of the latest book at or before it, walked by cumulative size. */
export async function takerFills(store: Store, m: MarketRef, atNs: bigint, side: 'buy' | 'sell', amount: string): Promise<Array<{ price: number; amount: number }>> {
  const bookSide = side === 'buy' ? 'ask' : 'bid';
  const rows = await store.rows(`
    WITH f AS (SELECT recv_ns, conn_id, seq FROM book WHERE exchange = ${lit(m.exchange)} AND stream = ${lit(m.bookStream)} AND recv_ns <= ${atNs}
               ORDER BY recv_ns DESC, conn_id DESC, seq DESC LIMIT 1),
         a AS (SELECT b.level, b.price_str, CAST(b.amount_str AS DECIMAL(38, 18)) AS amt FROM book b JOIN f USING (recv_ns, conn_id, seq)
               WHERE b.stream = ${lit(m.bookStream)} AND b.side = '${bookSide}'),
         c AS (SELECT *, coalesce(sum(amt) OVER (ORDER BY level ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before FROM a)
    SELECT price_str, CAST(least(amt, ${dec(amount)} - before) AS VARCHAR) AS take FROM c WHERE before < ${dec(amount)} ORDER BY level`);
  return rows.map((r) => ({ price: Number(r.price_str), amount: Number(r.take) }));
}

/** The recorded size at `price` on the order's own side of the latest book at or before `atNs`. */
export async function sizeAhead(store: Store, m: MarketRef, atNs: bigint, side: 'buy' | 'sell', price: string): Promise<number> {
  const [r] = await store.rows(`
    WITH f AS (SELECT recv_ns, conn_id, seq FROM book WHERE exchange = ${lit(m.exchange)} AND stream = ${lit(m.bookStream)} AND recv_ns <= ${atNs}
               ORDER BY recv_ns DESC, conn_id DESC, seq DESC LIMIT 1)
    SELECT coalesce(sum(CAST(b.amount_str AS DECIMAL(38, 18))), 0)::DOUBLE AS s FROM book b JOIN f USING (recv_ns, conn_id, seq)
    WHERE b.stream = ${lit(m.bookStream)} AND b.side = '${side === 'buy' ? 'bid' : 'ask'}' AND CAST(b.price_str AS DECIMAL(38, 18)) = ${dec(price)}`);
  return Number(r.s);
}

/**
 * The first fill of a resting `side` order at `price` placed at `atNs` (queue `position`): the
 * recorded trades after it whose taker is on the other side, at or through the price, in order;
 * trades at the price first eat the size that was ahead. Null when it never fills.
 */
export async function firstRestingFill(store: Store, m: MarketRef, atNs: bigint, side: 'buy' | 'sell', price: string, toNs?: bigint): Promise<{ recvNs: bigint; amount: number; aheadAtStart: number; atPriceBefore: number } | null> {
  const ahead = await sizeAhead(store, m, atNs, side, price);
  const cmp = side === 'buy' ? '<=' : '>=';
  const trades = await store.rows(`
    SELECT recv_ns, price_str, CAST(amount_str AS DECIMAL(38, 18))::DOUBLE AS amt FROM trades
    WHERE exchange = ${lit(m.exchange)} AND symbol = ${lit(m.symbol)} AND recv_ns > ${atNs} ${toNs !== undefined ? `AND recv_ns <= ${toNs}` : ''}
    AND side IS DISTINCT FROM '${side}' AND CAST(price_str AS DECIMAL(38, 18)) ${cmp} ${dec(price)} ORDER BY recv_ns, conn_id, seq`);
  let left = ahead;
  let atPrice = 0;
  for (const t of trades) {
    const through = Number(t.price_str) !== Number(price);
    const amt = Number(t.amt);
    if (through || amt > left + 1e-12) return { recvNs: t.recv_ns as bigint, amount: through ? amt : amt - left, aheadAtStart: ahead, atPriceBefore: atPrice };
    left -= amt;
    atPrice++;
  }
  return null;
}

/** The paper results of a session folder as rows. */
export async function results(folder: string, sql: string): Promise<Row[]> {
  const s = await Store.open(path.resolve(folder));
  try {
    return await s.rows(sql);
  } finally {
    s.close();
  }
}
