/**
 * The Coinstore document's own examples, sent unchanged to the simulator over a real socket: the
 * LOGIN example (its channels `7@account` and `80002@order`, its user id and token), the pong and
 * ping messages, and the order push's documented fields. Written from coinstore_en_2022.md and
 * seed 002, not from ticktape's code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../../simulator/server.js';
import { connect } from './harness.js';

/** The document's LOGIN example (coinstore_en_2022.md "Login"), with the commas its JSON lacks. */
const DOC_LOGIN = { op: 'LOGIN', channel: ['7@account', '80002@order'], auth: { 'user-id': 4930, token: 'eb737c84862f3d', type: 'token' }, id: 2 };

/** The fields of the document's order push ("Closing order"), in its order. */
const ORDER_FIELDS = [
  'version',
  'accountId',
  'ordId',
  'symbol',
  'side',
  'ordType',
  'timeInForce',
  'ordPrice',
  'ordQty',
  'ordAmt',
  'ordState',
  'execQty',
  'execAmt',
  'remainingQty',
  'matchId',
  'tradeId',
  'matchRole',
  'matchQty',
  'matchAmt',
  'selfDealingQty',
  'actualFeeRate',
  'feeCurrencyId',
  'fee',
  'timestamp',
];

describe("coinstore: the documents' own client messages on the simulator", () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ port: 0, seed: 3, rate: 200, timing: { coinstore: { heartbeatMs: 0, idleTimeoutMs: 400, maxLifeMs: 0 } } });
  });
  afterAll(async () => sim?.close());

  const url = () => sim.url('coinstore', 'ws');

  it('the LOGIN example gets echo and C:200, its account and order channels subscribed', async () => {
    const { c } = await connect(url());
    try {
      const { echo, resp } = await c.command(DOC_LOGIN);
      expect(echo.msg).toMatchObject({ T: 'echo', C: 200, M: 'command.received' });
      const names = (echo.msg.echo as { channel: Array<{ name: string; instrumentId: string }> }).channel;
      expect(names.map((n) => [n.name, n.instrumentId])).toEqual([
        ['7@account', '7'],
        ['80002@order', '80002'],
      ]);
      expect(resp.msg).toMatchObject({ T: 'resp', C: 200 });
      const list = await c.command({ op: 'LIST', channel: [], id: 3 });
      expect((list.resp.msg.subs as Array<{ name: string }>).map((s) => s.name).sort()).toEqual(['7@account', '80002@order']);
    } finally {
      c.close();
    }
  });

  it('an order push with an execution carries every documented field with a value', async () => {
    const { c } = await connect(url());
    try {
      const { resp } = await c.command({ ...DOC_LOGIN, channel: ['!@order'] });
      expect(resp.msg.C).toBe(200);
      let fill: Record<string, unknown> | null = null;
      while (!fill) {
        c.send({ op: 'pong', epochMillis: Date.now() });
        const m = (await c.next(15_000)).msg;
        if (m.T === 'order' && Number(m.matchQty) > 0) fill = m;
      }
      for (const f of ORDER_FIELDS) {
        expect(fill, f).toHaveProperty(f);
        expect(fill[f], f).not.toBeNull();
      }
      expect(['TAKER', 'MAKER']).toContain(fill.matchRole);
      // the document's example rate is a decimal string ("0.002"): the fee of this match over its amount
      expect(typeof fill.actualFeeRate).toBe('string');
      const rate = Number(fill.actualFeeRate);
      expect(rate).toBeGreaterThan(0);
      expect(rate).toBeCloseTo(Number(fill.fee) / Number(fill.matchAmt), 12);
    } finally {
      c.close();
    }
  });

  it('pong messages keep a client without pong frames alive; a ping message is answered with the pong message', async () => {
    const { c } = await connect(url(), { autoPong: false });
    const { c: pinger } = await connect(url(), { autoPong: false });
    try {
      // 1.2 s of messages every 100 ms: three times the 400 ms idle limit of this simulator
      for (let i = 0; i < 12; i++) {
        c.send({ op: 'pong', epochMillis: Date.now() });
        pinger.send({ op: 'ping' });
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(c.ws.readyState).toBe(c.ws.OPEN);
      expect(pinger.ws.readyState).toBe(pinger.ws.OPEN);
      expect(c.pending()).toBe(0); // a pong message gets no reply
      const pongs = pinger.all.slice(1).map((r) => r.msg);
      expect(pongs).toHaveLength(12);
      for (const p of pongs) {
        expect(Object.keys(p)).toEqual(['op', 'epochMillis']);
        expect(p.op).toBe('pong');
        expect(Number.isInteger(p.epochMillis)).toBe(true);
      }
    } finally {
      c.close();
      pinger.close();
    }
  });
});
