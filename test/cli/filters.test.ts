/**
 * Filters a user can get wrong, on a real recording (`ticktape record --simulate`), through the
 * built CLI and the replay server: symbols select the same instrument however they are written;
 * an unknown exchange is a usage error (exit 2); a filter that selects nothing is exit 4 with a
 * hint listing what the data holds; an interval or a time range that makes no sense is refused
 * before any SQL runs; the replay refuses a range outside the recording and /normalized an
 * unknown exchange.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../core/errors.js';
import { startReplay, type ReplayServer } from '../../replay/server.js';
import { converse, runCli, type RunResult } from '../hardening/helpers.js';
import { fixtureData } from '../replay/fixture.js';
import { query } from '../recorder/sim-harness.js';

let data: string;
let replay: ReplayServer;
let firstNs: bigint;
let lastNs: bigint;

beforeAll(async () => {
  data = await fixtureData('tt-filters-');
  replay = await startReplay({ dataDir: data, port: 0, speed: 'max', graceMs: 20 });
  const [r] = await query(data, `SELECT min(recv_ns) AS a, max(recv_ns) AS b FROM raw WHERE direction = 'in'`);
  firstNs = BigInt(r.a as bigint);
  lastNs = BigInt(r.b as bigint);
}, 180_000);

afterAll(async () => {
  await replay?.close();
});

const iso = (ns: bigint) => new Date(Number(ns / 1_000_000n)).toISOString();

function expectError(r: RunResult, exit: number, code: string, message: RegExp): void {
  expect(r.code, r.stderr).toBe(exit);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).toMatch(new RegExp(`\\[${code}\\]\\n$`));
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

/** The hint of an exit-4 error: every exchange, its symbols as the data spells them, and a time range. */
function expectHoldings(stderr: string): void {
  expect(stderr).toMatch(/The data holds coinceres: BTC\/USDT, ETH\/USDT, \d{4}-\d\d-\d\dT[\d:.]+Z to \d{4}-/);
  expect(stderr).toMatch(/coinstore: BTCUSDT, ETHUSDT, /);
  expect(stderr).toMatch(/coinsuper: BTC\/USDT, ETH\/USDT, /);
  expect(stderr).toMatch(/nexus: BTCUSDT, ETHUSDT, /);
}

describe('symbols match however a user writes them', () => {
  it('analyze: btcusdt, BTCUSDT, BTC/USDT, BTC_USDT and BTC-USDT give the same rows', async () => {
    const outputs = new Set<string>();
    for (const spelling of ['btcusdt', 'BTCUSDT', 'BTC/USDT', 'BTC_USDT', 'BTC-USDT']) {
      const r = await runCli(['analyze', 'spread', '--data', data, '--exchange', 'coinstore', '--symbol', spelling, '--format', 'csv']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim().split('\n').length, spelling).toBeGreaterThan(1);
      expect(r.stdout).toContain('coinstore,BTCUSDT,');
      outputs.add(r.stdout);
    }
    expect(outputs.size).toBe(1);
  }, 300_000); // five CLI runs of DuckDB on a shared 2-core machine

  it('analyze without --exchange: one spelling selects the instrument on every exchange (BTCUSDT and BTC/USDT)', async () => {
    const r = await runCli(['analyze', 'spread', '--data', data, '--symbol', 'btc-usdt', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<{ exchange: string; symbol: string }>;
    expect(new Set(rows.map((x) => `${x.exchange} ${x.symbol}`))).toEqual(new Set(['coinceres BTC/USDT', 'coinstore BTCUSDT', 'coinsuper BTC/USDT', 'nexus BTCUSDT']));
  });

  it('report --symbol btc_usdt focuses on the instrument', async () => {
    const r = await runCli(['report', '--data', data, '--exchange', 'coinsuper', '--symbol', 'btc_usdt', '--out', `${data}/../r.html`]);
    expect(r.code, r.stderr).toBe(0);
  });

  it('query: bars() and book_at() take any spelling', async () => {
    const bars = await runCli(['query', '--data', data, "SELECT count(*) AS n FROM bars('1 second', 'coinsuper', 'btcusdt')"]);
    expect(bars.code, bars.stderr).toBe(0);
    expect(Number(bars.stdout.split('\n')[1])).toBeGreaterThan(0);
    const book = await runCli(['query', '--data', data, `SELECT count(*) AS n FROM book_at('coinstore', 'BTC-USDT', '${iso(lastNs).replace('T', ' ').replace('Z', '')}')`]);
    expect(book.code, book.stderr).toBe(0);
    expect(Number(book.stdout.split('\n')[1])).toBeGreaterThan(0);
  });

  it('/normalized?symbol= matches the same way', async () => {
    const res = await fetch(`http://127.0.0.1:${replay.port}/normalized?exchange=coinstore&kinds=trade&symbol=btc-usdt`);
    expect(res.status).toBe(200);
    const rows = (await res.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { symbol: string });
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((x) => x.symbol))).toEqual(new Set(['BTCUSDT']));
  });

  it('/normalized: every spelling, in symbol= or symbols=, selects the same rows', async () => {
    const bodies = new Set<string>();
    for (const spelling of ['btcusdt', 'BTCUSDT', 'BTC/USDT', 'BTC_USDT', 'BTC-USDT']) {
      for (const param of ['symbol', 'symbols']) {
        const res = await fetch(`http://127.0.0.1:${replay.port}/normalized?exchange=coinsuper&kinds=trade&${param}=${encodeURIComponent(spelling)}`);
        expect(res.status, `${param}=${spelling}`).toBe(200);
        const body = await res.text();
        expect(
          new Set(
            body
              .trim()
              .split('\n')
              .map((l) => (JSON.parse(l) as { symbol: string }).symbol),
          ),
        ).toEqual(new Set(['BTC/USDT']));
        bodies.add(body);
      }
    }
    expect(bodies.size).toBe(1);
  });

  it('/normalized refuses a parameter it does not know (400) instead of streaming everything unfiltered', async () => {
    const res = await fetch(`http://127.0.0.1:${replay.port}/normalized?exchange=coinstore&symbl=btcusdt`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/unknown parameter "symbl": \/normalized takes exchange, symbol, kinds, from and to/);
  });
});

describe('an unknown exchange is a usage error (exit 2)', () => {
  it('analyze --exchange binance', async () => {
    expectError(await runCli(['analyze', 'bars', '--data', data, '--exchange', 'binance']), EXIT.USAGE, 'TT_UNKNOWN_EXCHANGE', /--exchange "binance" is not one of coinstore, coinsuper, nexus, coinceres/);
  });

  it('analyze --exchange coinstor suggests the exchange meant', async () => {
    expectError(await runCli(['analyze', 'bars', '--data', data, '--exchange', 'coinstor']), EXIT.USAGE, 'TT_UNKNOWN_EXCHANGE', /did you mean coinstore\?/);
  });

  it('report --exchange binance', async () => {
    expectError(await runCli(['report', '--data', data, '--exchange', 'binance', '--out', '/dev/null']), EXIT.USAGE, 'TT_UNKNOWN_EXCHANGE', /--exchange "binance"/);
  });

  it("query: bars('1 minute', 'binance') and book_at('binance', …)", async () => {
    expectError(await runCli(['query', '--data', data, "SELECT * FROM bars('1 minute', 'binance', 'BTCUSDT')"]), EXIT.USAGE, 'TT_UNKNOWN_EXCHANGE', /unknown exchange "binance": use one of coinstore/);
    expectError(await runCli(['query', '--data', data, "SELECT * FROM book_at('binance', 'BTCUSDT', now()::TIMESTAMP)"]), EXIT.USAGE, 'TT_UNKNOWN_EXCHANGE', /unknown exchange "binance"/);
  });

  it('GET /normalized?exchange=binance → 400 naming the exchanges', async () => {
    const res = await fetch(`http://127.0.0.1:${replay.port}/normalized?exchange=binance`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/unknown exchange "binance": use one of coinstore, coinsuper, nexus, coinceres/);
  });
});

describe('a filter that selects nothing exits 4 and says what the data holds', () => {
  it('analyze --symbol XRPUSDT', async () => {
    const r = await runCli(['analyze', 'bars', '--data', data, '--symbol', 'XRPUSDT']);
    expectError(r, EXIT.NO_DATA, 'TT_NO_DATA', /Nothing in .* matches symbol XRPUSDT\./);
    expectHoldings(r.stderr);
    expect(r.stdout).toBe('');
  });

  it('analyze --from/--to before the recording', async () => {
    const r = await runCli(['analyze', 'trade_summary', '--data', data, '--from', '2020-01-01T00:00:00Z', '--to', '2020-01-02T00:00:00Z']);
    expectError(r, EXIT.NO_DATA, 'TT_NO_DATA', /matches from 2020-01-01T00:00:00\.000Z, to 2020-01-02T00:00:00\.000Z/);
    expectHoldings(r.stderr);
  });

  it('report --symbol xrp-usdt', async () => {
    const r = await runCli(['report', '--data', data, '--symbol', 'xrp-usdt', '--out', '/dev/null']);
    expectError(r, EXIT.NO_DATA, 'TT_NO_DATA', /matches symbol xrp-usdt/);
    expectHoldings(r.stderr);
  });

  it('query: a result without rows (a symbol the data spells otherwise) prints its header and exits 4', async () => {
    const r = await runCli(['query', '--data', data, '--format', 'csv', "SELECT exchange, price FROM trades WHERE symbol = 'btcusdt'"]);
    expectError(r, EXIT.NO_DATA, 'TT_NO_DATA', /The query returned no rows\. /);
    expectHoldings(r.stderr);
    expect(r.stdout).toBe('exchange,price\n');
  });
});

describe('values with no sane meaning are refused before anything runs', () => {
  it('analyze bars --interval banana: exit 2 naming --interval and the accepted forms (not a DuckDB error)', async () => {
    expectError(await runCli(['analyze', 'bars', '--data', data, '--interval', 'banana']), EXIT.USAGE, 'TT_CONFIG_INVALID', /--interval "banana" is not an interval: use a positive length like '1 second'/);
    expectError(await runCli(['analyze', 'bars', '--data', data, '--interval', '0 seconds']), EXIT.USAGE, 'TT_CONFIG_INVALID', /--interval "0 seconds" is not an interval/);
    expectError(await runCli(['analyze', 'bars', '--data', data, '--interval', '1 month']), EXIT.USAGE, 'TT_CONFIG_INVALID', /months and years have no fixed length/);
  });

  it('analyze --interval 1m is the same as "1 minute"', async () => {
    const a = await runCli(['analyze', 'bars', '--data', data, '--interval', '1m', '--format', 'csv']);
    const b = await runCli(['analyze', 'bars', '--data', data, '--interval', '1 minute', '--format', 'csv']);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toBe(b.stdout);
  });

  it('a reversed range is TT_BAD_TIME (exit 2)', async () => {
    expectError(await runCli(['analyze', 'bars', '--data', data, '--from', '2026-01-02', '--to', '2026-01-01']), EXIT.USAGE, 'TT_BAD_TIME', /--to must be after --from: the range is empty or reversed/);
    expectError(await runCli(['replay', '--data', data, '--port', '0', '--from', '2026-01-02', '--to', '2026-01-01']), EXIT.USAGE, 'TT_BAD_TIME', /--to must be after --from/);
  });
});

describe('replay --from/--to against the recording', () => {
  it('a range with no recorded frame is refused at start (exit 4) with the recorded range', async () => {
    const r = await runCli(['replay', '--data', data, '--port', '0', '--from', '2020-01-01T00:00:00Z', '--to', '2020-01-02T00:00:00Z'], { timeoutMs: 60_000 });
    expectError(r, EXIT.NO_DATA, 'TT_NO_DATA', /No recorded frame in the range --from 2020-01-01T00:00:00\.000Z --to 2020-01-02T00:00:00\.000Z: the recording runs from /);
    expect(r.stderr).toContain(iso(firstNs));
    expect(r.stdout).toBe('');
  });

  it('a connection whose own ?from= is after the recording is closed with 1008 and the reason', async () => {
    const after = iso(lastNs + 3_600_000_000_000n);
    const c = await converse(`ws://127.0.0.1:${replay.port}/coinstore/s/ws?from=${after}`, [JSON.stringify({ op: 'SUB', channel: ['btcusdt@trade'], id: 1 })]);
    expect(c.close?.code).toBe(1008);
    expect(c.close?.reason).toMatch(/^bad replay parameter: nothing recorded in this range \(recorded /);
  });

  it('a connection with ?from= after ?to= is closed with 1008', async () => {
    const c = await converse(`ws://127.0.0.1:${replay.port}/coinstore/s/ws?from=${iso(lastNs)}&to=${iso(firstNs)}`, []);
    expect(c.close?.code).toBe(1008);
    expect(c.close?.reason).toMatch(/to must be after from/);
  });
});
