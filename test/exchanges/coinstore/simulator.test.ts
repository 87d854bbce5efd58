/**
 * Coinstore against the real simulator (market, feed, host): every default and private channel
 * delivers, every push reads back on the client side and normalizes, S has no holes, trade seq is
 * consecutive per stream, and the same seed gives the same bytes.
 */
import { describe, expect, it } from 'vitest';
import { coinstore } from '../../../exchanges/coinstore/index.js';
import type { NormalizedRow } from '../../../schemas/rows.js';
import { startSimulator } from '../../../simulator/server.js';
import { connect, type TestClient } from './harness.js';

const ORIGIN_MS = Date.UTC(2026, 0, 2);
const STEPS = 1500;

async function session(seed: number): Promise<{ texts: string[]; symbols: string[] }> {
  const sim = await startSimulator({ port: 0, rate: 0, seed, originMs: ORIGIN_MS, symbols: ['BTC-USDT', 'ETH-USDT'] });
  let c: TestClient | null = null;
  try {
    const url = sim.url('coinstore', 'ws');
    const conn = await connect(url);
    c = conn.c;
    const { resp: login } = await c.command({ op: 'LOGIN', channel: coinstore.privateChannels(sim.market.instruments), auth: { 'user-id': 4930, token: 'eb737c84862f3d', type: 'api' }, id: 1 });
    expect(login.msg).toMatchObject({ C: 200 });
    const channels = [...coinstore.defaultChannels(sim.market.instruments), '!@ticker', '5@depth@5'];
    const { resp: sub } = await c.command({ op: 'SUB', channel: channels, id: 2 });
    expect(sub.msg).toMatchObject({ C: 200, M: 'sub.channel.success' });
    for (let i = 0; i < STEPS; i += 100) {
      sim.step(100);
      // Everything sent before the LIST reply has arrived once the reply is here.
      c.send({ op: 'LIST', channel: [], id: 100 + i });
      for (;;) {
        const r = await c.next();
        if (r.msg.T === 'resp' && Array.isArray(r.msg.subs)) break;
      }
    }
    const { resp: req } = await c.command({ op: 'REQ', param: { channel: '4@kline@min_1', endTime: null, limit: 5 }, id: 3 });
    expect((req.msg.item as unknown[]).length).toBeGreaterThan(0);
    return { texts: c.all.map((r) => r.text), symbols: sim.market.instruments.map((i) => `${i.base}${i.quote}`) };
  } finally {
    c?.close();
    await sim.close();
  }
}

describe('coinstore on the simulator', () => {
  it('delivers every channel; pushes read back, normalize, and number without holes', async () => {
    const { texts, symbols } = await session(11);
    const msgs = texts.map((t) => JSON.parse(t) as Record<string, unknown>);
    expect(msgs.map((m) => m.S)).toEqual(msgs.map((_, i) => i + 1));

    const client = coinstore.client.createSession({
      endpointUrl: 'ws://x/coinstore/s/ws',
      endpoint: 'ws',
      streams: [...coinstore.defaultChannels([]), '!@ticker'].map((c) => coinstore.client.parseChannel(c)),
      nowMs: () => 0,
    });
    const normalizer = coinstore.createNormalizer();
    const byStream = new Map<string, number>();
    const rows: NormalizedRow[] = [];
    const lastSeq = new Map<string, number>();
    for (const t of texts) {
      const info = client.onFrame(Buffer.from(t), false);
      expect(info.malformed).toBe(false);
      if (info.control) continue;
      expect(info.stream).not.toBe('');
      byStream.set(info.stream, (byStream.get(info.stream) ?? 0) + 1);
      for (const s of info.sequences ?? []) {
        if (s.scope === 'session') continue;
        const prev = lastSeq.get(s.scope);
        if (prev !== undefined) expect(s.value, s.scope).toBe(prev + 1);
        lastSeq.set(s.scope, s.value);
      }
      const r = normalizer.normalize({ payload: Buffer.from(t), kind: 'text', stream: info.stream, endpoint: '', recvNs: 0n });
      expect(r.length, t.slice(0, 120)).toBeGreaterThan(0);
      rows.push(...r);
    }
    for (const s of symbols.map((x) => x.toLowerCase())) {
      for (const suffix of ['trade', 'depth@20', 'kline@min_1', 'ticker']) expect(byStream.get(`${s}@${suffix}`), `${s}@${suffix}`).toBeGreaterThan(0);
    }
    expect(byStream.get('ethusdt@depth@5')).toBeGreaterThan(0);
    expect(byStream.get('!@ticker')).toBeGreaterThan(0);
    const tables = new Set(rows.map((r) => r.table));
    expect(byStream.get('!@account')).toBeGreaterThan(0);
    expect(byStream.get('!@order')).toBeGreaterThan(0);
    for (const t of ['trades', 'book', 'klines', 'tickers', 'orders', 'fills', 'balances']) expect(tables.has(t as NormalizedRow['table']), t).toBe(true);
    // Books are consistent: best bid below best ask in every snapshot.
    for (const m of msgs.filter((x) => x.T === 'depth')) {
      const b = m.b as string[][];
      const a = m.a as string[][];
      expect(b.length).toBe(m.level);
      expect(Number(b[0][0])).toBeLessThan(Number(a[0][0]));
    }
  });

  it('the same seed gives the same bytes', async () => {
    const a = await session(5);
    const b = await session(5);
    expect(a.texts.length).toBeGreaterThan(100);
    expect(b.texts).toEqual(a.texts);
  });
});
