/**
 * Nexus against the shared conformance suite. The driver speaks the native protocol with a plain
 * `ws` client. Nexus has no acknowledgements, so unsubscribe is confirmed with a barrier: a bad
 * request sent after UNSUBSCRIBE, whose error reply arrives after every push sent before it.
 */
import WebSocket from 'ws';
import { runConformance, type ConformanceClient } from '../conformance.js';
import { DEMO_TOKEN } from '../../../exchanges/nexus/index.js';

type Msg = { event?: string; result?: string; id?: string; data?: unknown };

/** Channel (driver syntax) → native request fields and the key its pushes are routed by. */
function native(channel: string): { fields: Record<string, unknown>; unsub: Record<string, unknown> } {
  const depth = /^([A-Z0-9]+)@depth@(\d+)$/.exec(channel);
  if (depth) return { fields: { event: 'API_MARKETDEPTH', symbol: depth[1], depth: Number(depth[2]) }, unsub: { event: 'API_MARKETDEPTH', symbol: depth[1] } };
  if (channel === 'orders') return { fields: { event: 'API_ORDER' }, unsub: { event: 'API_ORDER' } };
  const pos = /^positions@([A-Za-z0-9]+)$/.exec(channel);
  if (pos) return { fields: { event: 'API_RISK_POSITION', symbol: 'ALL', book: pos[1] }, unsub: { event: 'API_RISK_POSITION', symbol: 'ALL', book: pos[1] } };
  throw new Error(`driver does not know channel ${channel}`);
}

function channelOf(m: Msg): string | null {
  if (m.event === 'API_MARKETDEPTH') {
    const d = m.data as { symbol: string; asks: unknown[] };
    return `${d.symbol}@depth@${d.asks.length}`;
  }
  if (m.event === 'API_ORDER') return 'orders';
  if (m.event === 'API_RISK_POSITION') return `positions@${(m.data as Array<{ book: string }>)[0]?.book}`;
  return null;
}

let n = 0;
const nextId = () => String(Date.now() * 1000 + (n++ % 1000));

function open(url: string): Promise<ConformanceClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url}?X-API-TOKEN=${DEMO_TOKEN}`);
    const data = new Map<string, Msg[]>();
    const replies: Msg[] = [];
    const wake = new Set<() => void>();
    const closed = new Promise<number>((res) => ws.on('close', (code) => res(code)));
    ws.on('message', (buf: Buffer) => {
      const m = JSON.parse(buf.toString()) as Msg;
      const ch = channelOf(m);
      if (ch) data.set(ch, [...(data.get(ch) ?? []), m]);
      else replies.push(m);
      for (const w of [...wake]) w();
    });
    const waitFor = <T>(take: () => T | undefined, timeoutMs: number, what: string) =>
      new Promise<T>((res, rej) => {
        const check = () => {
          const v = take();
          if (v === undefined) return;
          wake.delete(check);
          clearTimeout(timer);
          res(v);
        };
        const timer = setTimeout(() => {
          wake.delete(check);
          rej(new Error(`no ${what} within ${timeoutMs} ms`));
        }, timeoutMs);
        wake.add(check);
        check();
      });
    const barrier = async () => {
      const id = `barrier-${nextId()}`;
      ws.send(JSON.stringify({ id, action: 'BARRIER', event: '' }));
      await waitFor(
        () => {
          const i = replies.findIndex((r) => (r.data as { data?: { id?: string } } | undefined)?.data?.id === id);
          return i >= 0 ? replies.splice(i, 1)[0] : undefined;
        },
        3000,
        'barrier reply',
      );
    };
    ws.once('error', reject);
    ws.once('open', () =>
      resolve({
        async subscribe(channel) {
          ws.send(JSON.stringify({ id: nextId(), action: 'SUBSCRIBE', ...native(channel).fields }));
        },
        nextData(channel, timeoutMs) {
          return waitFor(() => data.get(channel)?.shift(), timeoutMs, `data on ${channel}`);
        },
        async unsubscribe(channel) {
          ws.send(JSON.stringify({ id: nextId(), action: 'UNSUBSCRIBE', ...native(channel).unsub }));
          await barrier();
          data.delete(channel);
        },
        async heartbeat() {
          ws.send(JSON.stringify({ id: nextId(), action: 'PING', event: '' }));
          return null; // Nexus documents no answer to PING
        },
        async badRequest() {
          ws.send('not a request');
          return waitFor(() => replies.shift(), 3000, 'error reply');
        },
        closed: () => closed,
        close: () => ws.close(),
      }),
    );
  });
}

runConformance({
  exchange: 'nexus',
  endpoint: 'realtime',
  channels: ['BTCUSDT@depth@5', 'ETHUSDT@depth@10', 'orders', 'positions@A'],
  connect: open,
  refusedWithBadAuth: (hostUrl) =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(`${hostUrl('realtime')}?X-API-TOKEN=wrong-token`);
      ws.once('unexpected-response', (_req, res) => {
        res.resume();
        if (res.statusCode === 401) resolve({ status: 401 });
        else reject(new Error(`refused with ${res.statusCode}, expected 401`));
      });
      ws.once('open', () => {
        ws.close();
        reject(new Error('a wrong token was accepted'));
      });
      ws.once('error', () => undefined);
    }),
  badRequestCloses: false,
  idle: { timing: { idleTimeoutMs: 300 }, waitMs: 5000 },
});
