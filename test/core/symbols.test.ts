/**
 * One symbol rule: however a user writes a symbol, it selects the same instrument — in TypeScript
 * (core/symbols.ts) and in DuckDB (the tt_symbol_key macro of views.sql and symbolKeySql), which
 * must agree on every spelling.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { matchSymbols, sameSymbol, splitSymbol, symbolKey, symbolKeySql, symbolMatchSql } from '../../core/symbols.js';
import { readSqlFile, splitStatements } from '../../analysis/sql-files.js';
import { EXCHANGE_IDS } from '../../exchanges/types.js';

const SPELLINGS = ['btcusdt', 'BTCUSDT', 'BTC/USDT', 'BTC_USDT', 'BTC-USDT', 'btc-usdt', ' BTC/usdt ', 'BTC:USDT'];
const OTHERS = ['ETHUSDT', 'BTC/USD', 'BTCUSDC', 'XBTUSDT', '1000PEPE-USDT', 'ETH_BTC', 'Ümlaut/X', "o'brien"];

describe('symbolKey', () => {
  it('gives every spelling of one instrument the same key, and other instruments other keys', () => {
    for (const s of SPELLINGS) expect(symbolKey(s), s).toBe('BTCUSDT');
    for (const s of OTHERS) expect(symbolKey(s), s).not.toBe('BTCUSDT');
    expect(sameSymbol('btc_usdt', 'BTC/USDT')).toBe(true);
    expect(sameSymbol('BTC/USD', 'BTC/USDT')).toBe(false);
  });

  it('matchSymbols picks the data’s spellings a user’s symbol selects', () => {
    expect(matchSymbols('btc-usdt', ['BTCUSDT', 'BTC/USDT', 'ETHUSDT', 'BTCUSDT'])).toEqual(['BTCUSDT', 'BTC/USDT']);
    expect(matchSymbols('xrpusdt', ['BTCUSDT'])).toEqual([]);
  });

  it('splits base and quote as every module does', () => {
    expect(splitSymbol('btcusdt')).toEqual({ base: 'BTC', quote: 'USDT' });
    expect(splitSymbol('BTC_USD')).toEqual({ base: 'BTC', quote: 'USD' });
    expect(splitSymbol('BTC/USDT')).toEqual({ base: 'BTC', quote: 'USDT' });
    expect(splitSymbol('nonsense')).toBeNull();
  });

  it('DuckDB computes the same key: symbolKeySql and the views.sql macro tt_symbol_key', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      const macro = splitStatements(readSqlFile('views.sql')).find((s) => /MACRO tt_symbol_key/.test(s));
      expect(macro).toBeDefined();
      await conn.run(macro!);
      for (const s of [...SPELLINGS, ...OTHERS]) {
        const lit = `'${s.replace(/'/g, "''")}'`;
        const [[viaMacro, viaTs]] = (await conn.runAndReadAll(`SELECT tt_symbol_key(${lit}), ${symbolKeySql(lit)}`)).getRows() as [[string, string]];
        expect(viaMacro, s).toBe(symbolKey(s));
        expect(viaTs, s).toBe(symbolKey(s));
      }
      const [[hits]] = (await conn.runAndReadAll(`SELECT count(*)::INTEGER FROM (SELECT unnest(['BTCUSDT', 'BTC/USDT', 'ETHUSDT']) AS symbol) WHERE ${symbolMatchSql('symbol', ['btc-usdt'])}`)).getRows() as [[number]];
      expect(hits).toBe(2);
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  });

  it('the views.sql exchange check lists exactly the registry’s exchanges', () => {
    const macro = splitStatements(readSqlFile('views.sql')).find((s) => /MACRO tt_exchange/.test(s))!;
    const listed = /IN \(([^)]*)\)/
      .exec(macro)![1]
      .split(',')
      .map((s) => s.trim().replace(/'/g, ''));
    expect(listed).toEqual([...EXCHANGE_IDS]);
    expect(macro).toContain(`use one of ${EXCHANGE_IDS.join(', ')}`);
  });
});
