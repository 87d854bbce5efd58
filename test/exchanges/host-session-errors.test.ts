/**
 * A session that throws while handling a client's message (here: Coinstore's REQ kline, whose
 * history source fails) is logged by the host — which connection, and the error with its stack —
 * and that connection alone is closed with 1011; the host and its other connections go on.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startHost, type ExchangeHost } from '../../exchanges/host.js';
import { EXCHANGES } from '../../exchanges/registry.js';
import type { ServerContext } from '../../exchanges/types.js';
import { createTestFeedFactory, TEST_INSTRUMENTS } from '../helpers/test-feed.js';

let host: ExchangeHost | null = null;
afterEach(async () => {
  await host?.close();
  host = null;
});

function open(url: string): Promise<{ ws: WebSocket; frames: string[]; closed: Promise<number> }> {
  const ws = new WebSocket(url);
  const frames: string[] = [];
  ws.on('message', (d: Buffer) => frames.push(d.toString('utf8')));
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, frames, closed }));
    ws.once('error', reject);
  });
}

it('logs the exception with its connection and closes only that connection with 1011', async () => {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  const feeds = createTestFeedFactory({ intervalMs: 20 });
  const context = (): ServerContext => ({
    instruments: TEST_INSTRUMENTS,
    credentials: [EXCHANGES.coinstore.demoCredentials],
    nowMs: () => Date.now(),
    timing: {},
    random: Math.random,
    klineHistory: () => {
      throw new Error('history store unavailable');
    },
  });
  host = await startHost({ port: 0, connection: () => ({ context: context(), feed: feeds() }), logger: pino({ level: 'info' }, sink) });
  const url = host.url('coinstore', 'ws');
  const failing = await open(url);
  const bystander = await open(url);
  const sym = TEST_INSTRUMENTS[0];
  failing.ws.send(JSON.stringify({ op: 'REQ', channel: [`${sym.base}${sym.quote}@kline@min_1`.toLowerCase()], param: { channel: `${sym.base}${sym.quote}@kline@min_1`.toLowerCase(), limit: 5 }, id: 1 }));
  expect(await failing.closed).toBe(1011);
  const logged = lines.find((l) => String(l.msg).includes('session failed'));
  expect(logged).toBeDefined();
  expect(logged!.connection).toBe('coinstore/ws over websocket');
  expect(String(logged!.err)).toMatch(/history store unavailable/);
  expect(String(logged!.err)).toMatch(/at /); // the stack, not just the message
  // the other connection is untouched
  expect(bystander.ws.readyState).toBe(WebSocket.OPEN);
  bystander.ws.send(JSON.stringify({ op: 'LIST', id: 2 }));
  await new Promise<void>((resolve) => {
    const check = () => (bystander.frames.some((f) => f.includes('"subs"')) ? resolve() : setTimeout(check, 10));
    check();
  });
  bystander.ws.close();
});
