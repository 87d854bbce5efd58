/**
 * Mangled input never breaks a reader or a session: every fixture is cut, has bytes flipped and
 * fields replaced by other JSON types (a deterministic pseudo-random sweep), and fed to the client
 * readers, the normalizer and both server sessions. Readers must not throw; sessions must answer
 * (market: an ack array or a pong; trading: pong or a JSON answer) and never close the socket.
 */
import { describe, expect, it } from 'vitest';
import { coinceres } from '../../../exchanges/coinceres/index.js';
import { readMarketFrame, readTradeFrame } from '../../../exchanges/coinceres/client.js';
import { createNormalizer } from '../../../exchanges/coinceres/normalize.js';
import { MARKET_FIXTURES } from '../../../exchanges/coinceres/fixtures/market.js';
import { NOTIFY_FIXTURES } from '../../../exchanges/coinceres/fixtures/notify.js';
import { TRADE_FIXTURES } from '../../../exchanges/coinceres/fixtures/trade.js';
import { readNotifyFrame } from '../../../exchanges/coinceres/client-notify.js';
import type { ServerContext, SessionLink } from '../../../exchanges/types.js';
import { tradingFromDemo } from '../../../exchanges/trading.js';
import { TEST_INSTRUMENTS } from '../../helpers/test-feed.js';
import { createTestAccount } from './demo-account.js';

const enc = new TextEncoder();
const ODD_VALUES: unknown[] = [null, 0, -1, 1e308, '', 'x', '-0.5', '1e-7', [], {}, true, '９', 'DOGE/XYZ', 15, '11'];

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function mutations(raw: string, rnd: () => number): Uint8Array[] {
  const out: Uint8Array[] = [];
  const bytes = enc.encode(raw);
  for (let i = 0; i < 6; i++) out.push(bytes.slice(0, Math.floor(rnd() * bytes.length)));
  for (let i = 0; i < 6; i++) {
    const b = bytes.slice();
    b[Math.floor(rnd() * b.length)] ^= 1 << Math.floor(rnd() * 8);
    out.push(b);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return out;
  }
  const visit = (v: unknown, replace: (x: unknown) => void) => {
    if (v && typeof v === 'object') {
      for (const k of Object.keys(v)) {
        const container = v as Record<string, unknown>;
        visit(container[k], (x) => (container[k] = x));
      }
    }
    if (rnd() < 0.3) replace(ODD_VALUES[Math.floor(rnd() * ODD_VALUES.length)]);
  };
  for (let i = 0; i < 12; i++) {
    const copy = JSON.parse(JSON.stringify(parsed));
    let root: unknown = copy;
    visit(copy, (x) => (root = x));
    out.push(enc.encode(JSON.stringify(root)));
  }
  return out;
}

function fakeLink(sent: string[], closes: string[]): SessionLink {
  return {
    url: new URL('ws://x/'),
    send: (d) => sent.push(typeof d === 'string' ? d : new TextDecoder().decode(d)),
    ping() {},
    close: (code, reason) => closes.push(`${code} ${reason}`),
    subscribe: () => ({ ok: true }),
    unsubscribe() {},
    bufferedAmount: () => 0,
    claim() {},
    maxMessageBytes: 1 << 20,
    cork: (fn) => fn(),
    sendWith: () => undefined,
  };
}

describe('coinceres robustness', () => {
  const rnd = prng(7);
  const fixtures = [...MARKET_FIXTURES, ...TRADE_FIXTURES, ...NOTIFY_FIXTURES];
  const inputs = fixtures.flatMap((f) => mutations(f.raw, rnd).map((bytes) => ({ f, bytes })));

  it(`readers and the normalizer never throw (${inputs.length} mangled frames)`, () => {
    const n = createNormalizer();
    for (const { bytes } of inputs) {
      expect(() => readMarketFrame(bytes, false)).not.toThrow();
      expect(() => readTradeFrame(bytes, false)).not.toThrow();
      expect(() => readNotifyFrame(bytes, false)).not.toThrow();
      expect(() => n.normalize({ payload: bytes, kind: 'text', stream: '', endpoint: '', recvNs: 1n })).not.toThrow();
      for (const row of n.normalize({ payload: bytes, kind: 'text', stream: '', endpoint: '', recvNs: 1n })) {
        expect(typeof row.symbol).toBe('string');
      }
    }
  });

  it('both server sessions answer every mangled request and stay open', async () => {
    const ctx: ServerContext = {
      instruments: TEST_INSTRUMENTS,
      credentials: [],
      nowMs: () => 1,
      timing: { idleTimeoutMs: 0 },
      account: createTestAccount(TEST_INSTRUMENTS),
      random: () => 0.5,
    };
    ctx.trading = tradingFromDemo(ctx.account!);
    for (const endpoint of ['market', 'trade']) {
      const sent: string[] = [];
      const closes: string[] = [];
      const session = coinceres.server.createSession(endpoint, fakeLink(sent, closes), ctx);
      for (const { bytes } of inputs) {
        const before = sent.length;
        session.onMessage(bytes, false);
        // trading answers come from the account, which answers asynchronously
        await new Promise((r) => setImmediate(r));
        expect(sent.length, `${endpoint}: ${new TextDecoder().decode(bytes)}`).toBe(before + 1);
        const reply = sent.at(-1)!;
        if (endpoint === 'market') expect(reply.startsWith('[') || reply.includes('"pong"')).toBe(true);
        else expect(reply === 'pong' || typeof JSON.parse(reply).code === 'string').toBe(true);
      }
      session.onMessage(new Uint8Array([0xff, 0x00]), true);
      expect(closes).toEqual([]);
      session.onClose();
    }
  });
});
