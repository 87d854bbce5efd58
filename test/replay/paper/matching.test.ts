import { describe, expect, it } from 'vitest';
import { BookView } from '../../../replay/paper/book-view.js';
import { Ledger } from '../../../replay/paper/ledger.js';
import { fillFromBook, fillFromTrade, walkBook } from '../../../replay/paper/matching.js';

const lv = (price: string, amount: string) => ({ price, amount });

describe('walkBook', () => {
  const asks = [lv('100', '1'), lv('101', '2'), lv('103', '5')];
  it('takes levels best first, each at its own price, up to the quantity', () => {
    expect(walkBook(asks, 'buy', { amount: '2.5' }, null, 8)).toEqual([lv('100', '1'), lv('101', '1.5')]);
  });
  it('stops at the limit price', () => {
    expect(walkBook(asks, 'buy', { amount: '10' }, '101', 8)).toEqual([lv('100', '1'), lv('101', '2')]);
    expect(walkBook([lv('99', '1'), lv('98', '1')], 'sell', { amount: '5' }, '98.5', 8)).toEqual([lv('99', '1')]);
  });
  it('spends a quote amount, each level rounded down to the amount digits', () => {
    // 100 + 101 × 2 = 302 spent on the first two levels; 48 left buys 48 / 103 = 0.466 (3 digits)
    expect(walkBook(asks, 'buy', { quote: '350' }, null, 3)).toEqual([lv('100', '1'), lv('101', '2'), lv('103', '0.466')]);
  });
  it('returns what there is when the book runs out', () => {
    expect(walkBook(asks, 'buy', { amount: '100' }, null, 8)).toEqual(asks);
    expect(walkBook([], 'buy', { amount: '1' }, null, 8)).toEqual([]);
  });
});

describe('fillFromTrade', () => {
  const buy = { side: 'buy' as const, price: '100', remaining: '2', ahead: '3' };
  const trade = (price: string, amount: string, side: 'buy' | 'sell' | null = 'sell') => ({ price, amount, side, tradeId: null });
  it('a trade at the price first eats the queue ahead', () => {
    expect(fillFromTrade(buy, trade('100', '2'), '2', 'position')).toEqual({ fill: '0', ahead: '1' });
    expect(fillFromTrade({ ...buy, ahead: '1' }, trade('100', '2'), '2', 'position')).toEqual({ fill: '1', ahead: '0' });
    expect(fillFromTrade({ ...buy, ahead: '0' }, trade('100', '5'), '5', 'position')).toEqual({ fill: '2', ahead: '0' });
  });
  it('a trade through the price means the whole level traded', () => {
    expect(fillFromTrade(buy, trade('99.5', '1.5'), '1.5', 'position')).toEqual({ fill: '1.5', ahead: '0' });
  });
  it('touch fills at the price whatever the queue', () => {
    expect(fillFromTrade(buy, trade('100', '1'), '1', 'touch')).toEqual({ fill: '1', ahead: '0' });
  });
  it('no fill from a trade above a buy, from a buyer taker, or from nothing left', () => {
    expect(fillFromTrade(buy, trade('100.5', '9'), '9', 'touch').fill).toBe('0');
    expect(fillFromTrade(buy, trade('99', '9', 'buy'), '9', 'touch').fill).toBe('0');
    expect(fillFromTrade(buy, trade('99', '9'), '0', 'touch').fill).toBe('0');
    // an unknown taker side may be either
    expect(fillFromTrade(buy, trade('99', '1', null), '1', 'position').fill).toBe('1');
  });
  it('sell orders mirror buys', () => {
    const sell = { side: 'sell' as const, price: '100', remaining: '1', ahead: '0' };
    expect(fillFromTrade(sell, trade('100.1', '5', 'buy'), '5', 'position').fill).toBe('1');
    expect(fillFromTrade(sell, trade('99.9', '5', 'buy'), '5', 'position').fill).toBe('0');
  });
});

describe('fillFromBook', () => {
  it('takes the other side at or through the price, up to what remains', () => {
    const order = { side: 'buy' as const, price: '100', remaining: '1.5', ahead: '0' };
    expect(fillFromBook(order, [lv('99', '1'), lv('100', '1'), lv('101', '9')])).toEqual([lv('99', '1'), lv('100', '0.5')]);
    expect(fillFromBook(order, [lv('100.01', '1')])).toEqual([]);
  });
});

describe('BookView', () => {
  it('a snapshot replaces the book; the account consumes levels until the next snapshot', () => {
    const b = new BookView();
    b.apply({ bids: [lv('99', '1'), lv('98', '2')], asks: [lv('100', '1'), lv('101', '1')], snapshot: true });
    expect(b.mid()).toBe('99.5');
    b.consume('ask', '100', '0.4');
    expect(b.levels('ask')).toEqual([lv('100', '0.6'), lv('101', '1')]);
    b.consume('ask', '100.0', '0.6');
    expect(b.best('ask')).toEqual(lv('101', '1'));
    expect(b.recordedSizeAt('ask', '100')).toBe('1');
    b.apply({ bids: [lv('99', '1')], asks: [lv('100', '3')], snapshot: true });
    expect(b.levels('ask')).toEqual([lv('100', '3')]);
  });
  it('updates change and remove levels, keeping price order', () => {
    const b = new BookView();
    b.apply({ bids: [lv('99', '1')], asks: [lv('101', '1')], snapshot: true });
    b.apply({ bids: [lv('99.5', '2'), lv('99', '0')], asks: [lv('100.5', '1')], snapshot: false });
    expect(b.levels('bid')).toEqual([lv('99.5', '2')]);
    expect(b.levels('ask')).toEqual([lv('100.5', '1'), lv('101', '1')]);
  });
  it('sums the counterparties quoting one price', () => {
    const b = new BookView();
    b.apply({ bids: [lv('99', '1'), lv('99', '0.5'), lv('98', '1')], asks: [], snapshot: true });
    expect(b.recordedSizeAt('bid', '99')).toBe('1.5');
    b.consume('bid', '99', '1.2');
    expect(b.levels('bid')).toEqual([lv('99', '0.3'), lv('98', '1')]);
  });
});

describe('Ledger', () => {
  it('freezes, releases, credits and debits exactly, and never goes negative', () => {
    const l = new Ledger({ USDT: '1000', BTC: '0.5' });
    l.freeze('USDT', '300.25');
    expect([l.available('USDT'), l.frozen('USDT'), l.total('USDT')]).toEqual(['699.75', '300.25', '1000']);
    l.unfreeze('USDT', '300.25');
    l.debit('USDT', '300');
    l.credit('BTC', '0.003');
    expect([l.available('USDT'), l.frozen('USDT'), l.available('BTC')]).toEqual(['700', '0', '0.503']);
    expect(() => l.debit('USDT', '700.0000001')).toThrow(/negative/);
    expect(l.takeChanged()).toEqual(['USDT', 'BTC']);
    expect(l.takeChanged()).toEqual([]);
  });
  it('tracks a position: average cost, partial close realizing profit, flip', () => {
    const l = new Ledger({});
    l.applyToPosition('X', 'buy', '100', '1');
    l.applyToPosition('X', 'buy', '110', '1');
    expect(l.entryPrice('X')).toBe('105');
    l.applyToPosition('X', 'sell', '120', '1.5');
    expect(l.position('X')).toEqual({ net: '0.5', cost: '52.5', realized: '22.5' });
    expect(l.unrealized('X', '100')).toBe('-2.5');
    l.applyToPosition('X', 'sell', '100', '1');
    expect(l.position('X')).toEqual({ net: '-0.5', cost: '50', realized: '20' });
    expect(l.unrealized('X', '90')).toBe('5');
  });
});
