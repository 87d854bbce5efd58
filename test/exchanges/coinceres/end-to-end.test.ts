/**
 * The client side (what the recorder runs) against the server side over real sockets: the market
 * session's subscribe array is acknowledged for every default channel and each stream's pushes
 * normalize; the trading session's signed URL is accepted and its poll yields balances, orders,
 * positions and fills rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ExchangeHost } from '../../../exchanges/host.js';
import { coinceres } from '../../../exchanges/coinceres/index.js';
import type { ClientSession, FrameInfo, OutFrame, ServerContext } from '../../../exchanges/types.js';
import type { NormalizedRow } from '../../../schemas/rows.js';
import { TEST_INSTRUMENTS } from '../../helpers/test-feed.js';
import { hostCoinceres } from './host.js';

interface Run {
  infos: Array<{ info: FrameInfo; raw: string }>;
  rows: NormalizedRow[];
  ws: WebSocket;
  send(f: OutFrame): void;
}

async function run(session: ClientSession, until: (r: Run) => boolean, what: string): Promise<Run> {
  const ws = new WebSocket(session.url);
  const normalizer = coinceres.createNormalizer();
  const r: Run = {
    infos: [],
    rows: [],
    ws,
    send(f) {
      ws.send(f.data, { binary: f.binary });
      if (typeof f.data === 'string') normalizer.normalize({ payload: new TextEncoder().encode(f.data), kind: 'text', stream: f.stream ?? '', endpoint: session.safeUrl, recvNs: 0n });
    },
  };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 10_000);
    ws.on('error', reject);
    ws.on('open', () => {
      for (const f of session.onOpen()) r.send(f);
    });
    ws.on('message', (data: Buffer, binary: boolean) => {
      const info = session.onFrame(new Uint8Array(data), binary);
      r.infos.push({ info, raw: data.toString() });
      r.rows.push(...normalizer.normalize({ payload: new Uint8Array(data), kind: binary ? 'binary' : 'text', stream: info.stream, endpoint: session.safeUrl, recvNs: 1n }));
      if (until(r)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return r;
}

describe('coinceres client side against the server side', () => {
  let host: ExchangeHost;
  let ctx: ServerContext;
  beforeAll(async () => {
    ({ host, ctx } = await hostCoinceres());
    // some account activity to poll: a filled market order and a resting limit order
    const [btc, eth] = TEST_INSTRUMENTS;
    ctx.account!.placeOrder({ inst: eth, side: 'buy', orderType: 'market', amount: '1.5' });
    ctx.account!.placeOrder({ inst: btc, side: 'sell', orderType: 'limit', price: '120.00', amount: '0.25', clientOrderId: 'mine' });
  });
  afterAll(async () => {
    await host?.close();
  });

  it('market: every default channel is acknowledged and its pushes normalize', async () => {
    const specs = coinceres.defaultChannels(TEST_INSTRUMENTS).map(coinceres.client.parseChannel);
    const session = coinceres.client.createSession({ endpointUrl: host.url('coinceres', 'market'), endpoint: 'market', streams: specs, nowMs: () => Date.now() });
    const keys = specs.map((s) => s.key);
    const r = await run(session, (x) => keys.every((k) => x.infos.filter((i) => i.info.stream === k).length >= 2), 'two pushes of every stream');
    r.ws.terminate();
    const acked = r.infos.flatMap((i) => i.info.acks ?? []);
    expect(acked.map((a) => a.stream).sort()).toEqual([...keys].sort());
    expect(acked.every((a) => a.ok)).toBe(true);
    expect(r.infos.filter((i) => i.info.malformed)).toEqual([]);
    expect(new Set(r.rows.map((row) => row.table))).toEqual(new Set(['tickers', 'trades', 'book', 'klines']));
    expect(r.rows.every((row) => ['BTC/USDT', 'ETH/USDT'].includes(row.symbol) && (row as { venue?: string }).venue === 'OKEX')).toBe(true);
  });

  it('trading: the signed URL is accepted and the poll yields balances, orders, positions and fills', async () => {
    const specs = coinceres.privateChannels(TEST_INSTRUMENTS).map(coinceres.client.parseChannel);
    let now = 0;
    const session = coinceres.client.createSession({
      endpointUrl: host.url('coinceres', 'trade'),
      endpoint: 'trade',
      streams: specs,
      credentials: coinceres.demoCredentials,
      nowMs: () => now,
    });
    expect(session.safeUrl).not.toContain('sign=');
    const tables = (x: Run) => new Set(x.rows.map((row) => row.table));
    const r = await run(session, (x) => (['balances', 'orders', 'positions', 'fills'] as const).every((t) => tables(x).has(t)), 'rows of every private table');
    expect(r.infos[0]).toMatchObject({ info: { auth: { ok: true }, acks: [{ stream: 'trading', ok: true }] } });
    expect(r.rows.filter((row) => row.table === 'fills')).toMatchObject([{ symbol: 'ETH_USDT', side: 'buy', amount: '1.5' }]);
    expect(
      r.rows
        .filter((row) => row.table === 'orders')
        .map((o) => (o as { status: string }).status)
        .sort(),
    ).toEqual(['filled', 'reported']);
    expect(r.rows.filter((row) => row.table === 'positions')).toMatchObject([{ symbol: 'ETH_USDT', side: 'long' }]);

    // one poll period later the heartbeat sends the queries again, and they are answered
    const answered = r.infos.length;
    now = specs[0].params.intervalMs as number;
    const hb = session.heartbeat!;
    const sent: string[] = [];
    for (let i = 0; i < 6; i++) {
      const f = hb.frame();
      if (f !== 'ws-ping') {
        sent.push(String(f.data));
        r.send(f);
      }
    }
    expect(sent.filter((s) => s.includes('biz_type'))).toHaveLength(5); // 14, 15, 16, 17 × 2 contracts
    await new Promise<void>((resolve) => {
      const check = () => (r.infos.length >= answered + 6 ? resolve() : setTimeout(check, 20));
      check();
    });
    expect(r.infos.slice(answered).every((i) => i.info.stream === 'trading' || i.raw === 'pong')).toBe(true);
    r.ws.terminate();
  });
});
