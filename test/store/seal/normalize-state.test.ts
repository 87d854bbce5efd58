/**
 * Normalized rows while sealing: the normalizer's state is carried across segments and seal runs
 * (so de-duplication of repeated trade windows works across segment boundaries), re-sealing after
 * a crash starts from the same state (same rows), and a failing normalizer never costs raw data.
 * The exchange module is swapped for a small windowed-trades one so the test controls the state.
 */
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXCHANGES } from '../../../exchanges/registry.js';
import type { ExchangeModule, Normalizer, RawFrame } from '../../../exchanges/types.js';
import type { TradeRow } from '../../../schemas/rows.js';
import type { TapeRecord } from '../../../schemas/record.js';
import { openTape } from '../../../store/duck/index.js';
import { InjectedCrash, sealClosedSegments } from '../../../store/seal/index.js';
import { tmpDataDir, writeJournal, T0 } from './fixtures.js';

/** Each frame repeats the last 3 trades: `{"w":[[id,"price","qty"],...]}`; `{"boom":1}` throws. */
class WindowNormalizer implements Normalizer {
  private seen: number[];
  constructor(state?: unknown) {
    this.seen = Array.isArray(state) ? (state as number[]) : [];
  }
  normalize(frame: RawFrame): TradeRow[] {
    const msg = JSON.parse(Buffer.from(frame.payload).toString('utf8')) as { w?: [number, string, string][]; boom?: number };
    if (msg.boom) throw new Error('cannot read this frame');
    const out: TradeRow[] = [];
    for (const [id, p, q] of msg.w ?? []) {
      if (this.seen.includes(id)) continue;
      this.seen = [...this.seen, id].slice(-10);
      out.push({ table: 'trades', symbol: 'BTC_USD', exchange_ts_ms: 1_768_471_200_000 + id, trade_id: String(id), price: p, amount: q, side: id % 2 ? 'buy' : 'sell' });
    }
    return out;
  }
  state(): unknown {
    return this.seen;
  }
}

const original = EXCHANGES.coinsuper;
beforeEach(() => {
  (EXCHANGES as Record<string, ExchangeModule>).coinsuper = { ...(original ?? ({} as ExchangeModule)), id: 'coinsuper', createNormalizer: (s) => new WindowNormalizer(s) };
});
afterEach(() => {
  (EXCHANGES as Record<string, ExchangeModule>).coinsuper = original;
});

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function windowFrames(connId: string, from: number, to: number, seq0: number): TapeRecord[] {
  const out: TapeRecord[] = [];
  for (let last = from; last <= to; last++) {
    const w = [last - 2, last - 1, last].filter((x) => x >= 1).map((id) => [id, `${100 + id}.10000000`, `0.${id}00`]);
    out.push({
      exchange: 'coinsuper',
      connId,
      seq: seq0 + out.length,
      recvNs: T0 + BigInt(last) * 1_000_000n,
      direction: 'in',
      kind: 'text',
      stream: 'BTC_USD/trades',
      endpoint: 'wss://sim/mqtt',
      payload: Buffer.from(JSON.stringify({ w })),
      flags: 0,
    });
  }
  return out;
}

/** Three segments of one connection; the windows overlap across the segment boundaries. */
function batches(): TapeRecord[][] {
  return [windowFrames('cs-k-1', 1, 10, 1), windowFrames('cs-k-1', 11, 20, 11), windowFrames('cs-k-1', 21, 30, 21)];
}

async function trades(dataDir: string, includeJournal = true): Promise<string[]> {
  const tape = await openTape(dataDir, { includeJournal });
  try {
    const r = await tape.conn.runAndReadAll(`SELECT trade_id, price, price_str, amount_str, seq FROM trades ORDER BY trade_id::INTEGER`);
    return r.getRows().map((row) => row.join('|'));
  } finally {
    tape.close();
  }
}

describe('normalized tables and normalizer state', () => {
  it('de-duplicates across segments and seal runs; decimals keep their text', async () => {
    const data = tmpDataDir('norm');
    dirs.push(data);
    const b = batches();
    await writeJournal(data, 'inst-n', [b[0]]);
    await sealClosedSegments(data); // first run: one segment
    await writeJournal(data, 'inst-n', [b[1], b[2]]);
    const onTheFly = await trades(data); // segment 1 sealed, 2 and 3 still journals
    await sealClosedSegments(data);
    const sealed = await trades(data);
    expect(sealed).toHaveLength(30); // trade ids 1..30, each exactly once
    expect(sealed[0]).toBe('1|101.1|101.10000000|0.100|1');
    expect(onTheFly).toEqual(sealed);
  });

  it('re-sealing after a crash uses the state from before the segment: identical rows', async () => {
    const ref = tmpDataDir('norm-ref');
    const crashed = tmpDataDir('norm-crash');
    dirs.push(ref, crashed);
    await writeJournal(ref, 'inst-n', batches());
    await sealClosedSegments(ref);
    await writeJournal(crashed, 'inst-n', [batches()[0]]);
    await sealClosedSegments(crashed);
    await writeJournal(crashed, 'inst-n', [batches()[1], batches()[2]]);
    // State after segment 2 saved, journal segment 2 not deleted: the re-run seals it again.
    await expect(sealClosedSegments(crashed, { crashAt: 'after-state' })).rejects.toBeInstanceOf(InjectedCrash);
    await sealClosedSegments(crashed);
    expect(await trades(crashed, false)).toEqual(await trades(ref, false));
    expect(await trades(crashed, false)).toHaveLength(30);
  });

  it('rows with values that cannot be stored are skipped and counted, the rest sealed', async () => {
    const data = tmpDataDir('norm-bad');
    dirs.push(data);
    (EXCHANGES as Record<string, ExchangeModule>).coinsuper = {
      ...(original ?? ({} as ExchangeModule)),
      id: 'coinsuper',
      createNormalizer: () => ({
        normalize: () =>
          [
            { table: 'trades', symbol: 'BTC_USD', exchange_ts_ms: 'not a number', trade_id: '1', price: '1.5', amount: 'abc', side: 'buy' },
            { table: 'no-such-table', symbol: 'X' },
            { table: 'trades', symbol: 'BTC_USD', exchange_ts_ms: 5, trade_id: { odd: true }, price: 2, amount: '0.1', side: null },
          ] as unknown as TradeRow[],
        state: () => null,
      }),
    };
    await writeJournal(data, 'inst-n', [windowFrames('cs-k-3', 1, 4, 1)]);
    const report = await sealClosedSegments(data);
    expect(report.failures).toEqual([]);
    expect(report.segments[0].badRows).toBe(4); // the unknown table, once per frame
    const tape = await openTape(data);
    try {
      const r = await tape.conn.runAndReadAll(`SELECT exchange_ts_ms, trade_id, price, price_str, amount, amount_str FROM trades ORDER BY seq, trade_id LIMIT 2`);
      expect(r.getRows()).toEqual([
        [null, '1', 1.5, '1.5', null, 'abc'],
        [5n, '{"odd":true}', 2, '2', 0.1, '0.1'],
      ]);
      const n = await tape.conn.runAndReadAll(`SELECT (SELECT count(*) FROM raw)::INTEGER, (SELECT count(*) FROM trades)::INTEGER`);
      expect(n.getRows()[0]).toEqual([4, 8]);
    } finally {
      tape.close();
    }
  });

  it('a failing normalizer leaves raw intact and is reported', async () => {
    const data = tmpDataDir('norm-fail');
    dirs.push(data);
    const frames = windowFrames('cs-k-2', 1, 5, 1);
    frames[2] = { ...frames[2], payload: Buffer.from('{"boom":1}') };
    const unknown: TapeRecord = { ...frames[0], exchange: 'no-such-exchange', seq: 6, connId: 'x-k-1' };
    await writeJournal(data, 'inst-n', [[...frames, unknown]]);
    const report = await sealClosedSegments(data);
    expect(report.records).toBe(6);
    expect(report.segments[0].normalize.failedFrames).toBe(1);
    expect(report.segments[0].normalize.missingExchanges).toEqual(['no-such-exchange']);
    expect(report.segments[0].normalize.messages[0]).toContain('cannot read this frame');
    const tape = await openTape(data);
    try {
      const r = await tape.conn.runAndReadAll(`SELECT (SELECT count(*) FROM raw)::INTEGER, (SELECT count(*) FROM trades)::INTEGER`);
      expect(r.getRows()[0]).toEqual([6, 5]); // frame 3's window still yields its trades from frames 4 and 5
    } finally {
      tape.close();
    }
  });
});
