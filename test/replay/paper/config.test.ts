import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FEES, loadPaperConfig, parsePaperConfig, paperSettings } from '../../../replay/paper/config.js';
import { TicktapeError } from '../../../core/errors.js';
import { ROOT } from '../../recorder/harness.js';

describe('paper config', () => {
  it("an empty document: demo balances, the documents' fees, no latency, queue position", () => {
    const s = paperSettings(parsePaperConfig({}));
    expect(s.balancesFor('any', 'coinstore')).toBeNull();
    expect(s.fees('coinstore')).toEqual(DEFAULT_FEES.coinstore);
    expect(s.fees('coinceres')).toEqual({ maker: '0.001', taker: '0.001', currency: 'quote' });
    expect(s.latency('nexus')).toEqual({ inNs: 0n, outNs: 0n });
    expect([s.queue, s.restingFills]).toEqual(['position', 'auto']);
  });

  it('balances per exchange and per session, fees, latency fixed and per exchange, matching', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tt-paper-cfg-')), 'paper.yaml');
    fs.writeFileSync(
      file,
      [
        'balances:',
        '  coinstore: { USDT: 5000, btc: "0.25" }',
        'sessions:',
        '  bot-b:',
        '    balances: { coinstore: { USDT: "10" } }',
        'fees:',
        '  coinstore: { maker: "0.0005", taker: 0.001 }',
        'latency:',
        '  inMs: 20',
        '  outMs: 5',
        '  exchanges:',
        '    coinceres: { inMs: 1.5 }',
        'matching: { queue: touch, restingFills: trades }',
      ].join('\n'),
    );
    const s = paperSettings(loadPaperConfig(file));
    expect(s.balancesFor('bot-a', 'coinstore')).toEqual({ USDT: '5000', BTC: '0.25' });
    expect(s.balancesFor('bot-b', 'coinstore')).toEqual({ USDT: '10' });
    expect(s.balancesFor('bot-a', 'nexus')).toBeNull();
    expect(s.fees('coinstore')).toEqual({ maker: '0.0005', taker: '0.001', currency: 'received' });
    expect(s.latency('coinstore')).toEqual({ inNs: 20_000_000n, outNs: 5_000_000n });
    expect(s.latency('coinceres')).toEqual({ inNs: 1_500_000n, outNs: 5_000_000n });
    expect([s.queue, s.restingFills]).toEqual(['touch', 'trades']);
  });

  it('names every wrong field', () => {
    let err: unknown;
    try {
      parsePaperConfig({ balances: { coinstore: { USDT: '-1' }, kraken: {} }, fees: { nexus: { maker: '2', taker: 'x' } }, latency: { inMs: -3 }, extra: 1 }, 'paper.yaml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TicktapeError);
    const e = err as TicktapeError;
    expect(e.code).toBe('TT_CONFIG_INVALID');
    for (const part of ['balances.coinstore.USDT: must not be negative', 'balances: unknown field(s) "kraken"', 'fees.nexus.maker', 'fees.nexus.taker', 'latency.inMs', 'unknown field(s) "extra"']) {
      expect(e.message).toContain(part);
    }
  });

  it('the sample in deploy/ is valid and says what it says', () => {
    const s = paperSettings(loadPaperConfig(path.join(ROOT, 'deploy', 'paper.sample.yaml')));
    expect(s.balancesFor('bot-b', 'coinstore')).toEqual({ USDT: '500' });
    expect(s.fees('coinstore')).toEqual({ maker: '0.001', taker: '0.002', currency: 'received' });
    expect(s.latency('coinceres')).toEqual({ inNs: 50_000_000n, outNs: 10_000_000n });
  });

  it('an unreadable or unparsable file has its own code', () => {
    expect(() => loadPaperConfig('/nonexistent/paper.yaml')).toThrow(expect.objectContaining({ code: 'TT_CONFIG_UNREADABLE' }));
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tt-paper-cfg-')), 'paper.json');
    fs.writeFileSync(file, '{ nope');
    expect(() => loadPaperConfig(file)).toThrow(expect.objectContaining({ code: 'TT_CONFIG_INVALID' }));
  });
});
