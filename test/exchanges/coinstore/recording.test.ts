/**
 * What the replay reads out of recorded Coinstore frames (`coinstore.recording`), on the documents'
 * own example messages: the instruments a push names with their ids (a single push, a trade batch,
 * the `!@ticker` array), and the candle of a k-line push in either interval spelling the documents
 * use (`"interval":"1m"` in the push example, `min_1` in the channel names).
 */
import { describe, expect, it } from 'vitest';
import { FIXTURES, TRANSCRIPT } from '../../../exchanges/coinstore/fixtures/messages.js';
import { coinstore } from '../../../exchanges/coinstore/index.js';

const fixture = (name: string) => {
  const f = [...TRANSCRIPT, ...FIXTURES].find((x) => x.name === name);
  if (!f) throw new Error(`no fixture "${name}"`);
  return Buffer.from(f.text, 'utf8');
};
const reader = coinstore.recording!;

describe('coinstore recording reader', () => {
  it('names the instruments of a push, a trade batch and the !@ticker array, with their ids', () => {
    expect(reader.instruments!(fixture('transcript: trade'))).toEqual([{ symbol: 'EOSUSD', id: 80004 }]);
    expect(reader.instruments!(fixture('trade batch (param.size)'))).toEqual([
      { symbol: 'BTCJJ', id: 28 },
      { symbol: 'BTCJJ', id: 28 },
    ]);
    expect(reader.instruments!(fixture('!@ticker push'))).toEqual([
      { symbol: 'BTCUSD', id: 80002 },
      { symbol: 'ETHUSD', id: 80001 },
    ]);
    expect(reader.instruments!(fixture('depth push (with envelope)'))).toEqual([{ symbol: 'BTCUSDT', id: 88066 }]);
    // control frames and account pushes name no instrument
    expect(reader.instruments!(fixture('transcript: welcome'))).toEqual([]);
    expect(reader.instruments!(fixture('account push'))).toEqual([]);
    expect(reader.instruments!(Buffer.from('{not json'))).toEqual([]);
  });

  it('reads the candle of a k-line push whose interval is written "1m", as the document\'s push example does', () => {
    expect(reader.candles!.isCandleStream('usdtbtc@kline@min_1')).toBe(true);
    expect(reader.candles!.isCandleStream('usdtbtc@trade')).toBe(false);
    expect(reader.candles!.read(fixture('kline push (with envelope)'))).toEqual({
      symbol: 'USDTBTC',
      intervalMs: 60_000,
      openTsMs: 1_603_732_500_000,
      open: '0.0010',
      high: '0.0025',
      low: '0.0015',
      close: '0.0020',
      volume: '1000',
      quoteVolume: '1.0000',
      firstTradeId: 100,
      lastTradeId: 200,
    });
    const minOne = fixture('kline push (with envelope)').toString().replace('"interval":"1m"', '"interval":"min_1"');
    expect(reader.candles!.read(Buffer.from(minOne))?.intervalMs).toBe(60_000);
    expect(reader.candles!.read(fixture('transcript: trade'))).toBeNull();
  });
});
