/**
 * The host's corked batch (the replay's max-speed path): frames sent inside `link.cork()` are framed
 * by the host and written as one buffer (a `sendWith` frame by its own writer, in place). A real `ws` client must read them exactly: every length
 * form (7-bit, 16-bit, 64-bit), text and binary, in order, and a close sent inside the batch comes
 * after the frames gathered before it. And the fast path must be on: the server's real socket sees
 * the whole batch as one write (it goes off, silently, if a `ws` upgrade changes the internals
 * exchanges/ws-internals.ts reads — this test is what notices).
 */
import type { Socket } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startHost, type ConnectionFactory, type ExchangeHost, type SessionFeed } from '../../exchanges/host.js';
import { frameHeaderBytes } from '../../exchanges/ws-transport.js';
import { EXCHANGES } from '../../exchanges/registry.js';
import type { FeedItem, SessionLink } from '../../exchanges/types.js';

let host: ExchangeHost | null = null;
afterEach(async () => {
  await host?.close();
  host = null;
});

const SIZES = [0, 1, 125, 126, 127, 65535, 65536, 200_000, 3];

function payload(i: number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let j = 0; j < n; j++) b[j] = 0x41 + ((i + j) % 26);
  return b;
}

/** A connection whose feed, on the first subscription, sends SIZES frames in one corked batch, then maybe closes. */
function batchConnection(closeInside: boolean): ConnectionFactory {
  return () => {
    let link: SessionLink | null = null;
    const feed: SessionFeed = {
      subscribe: (_spec, deliver: (item: FeedItem) => void) => {
        setImmediate(() =>
          link!.cork(() => {
            SIZES.forEach((n, i) => {
              // every third one written in place by its writer (SessionLink.sendWith), the others sent as bytes
              if (i % 3 === 2) link!.sendWith(n, { writeMessage: (out, at) => out.set(payload(i, n), at) }, i % 2 === 1);
              else deliver({ type: 'recorded', payload: payload(i, n), binary: i % 2 === 1, recvNs: BigInt(i) });
            });
            if (closeInside) link!.close(1000, 'done');
          }),
        );
        return { ok: true };
      },
      unsubscribe: () => undefined,
      close: () => undefined,
    };
    return {
      context: { instruments: [{ base: 'BTC', quote: 'USDT', id: 1, priceDecimals: 2, amountDecimals: 4 }], credentials: [EXCHANGES.nexus.demoCredentials], nowMs: () => Date.now(), timing: {}, random: () => 0.5 },
      feed,
      onOpen: (conn) => (link = conn.link),
    };
  };
}

/** Byte counts of every write the server made on its accepted socket, in order. */
let writes: number[] = [];

async function run(closeInside: boolean): Promise<{ frames: Array<{ data: Buffer; binary: boolean }>; code: number | null }> {
  host = await startHost({
    port: 0,
    limits: { maxBufferedBytes: 64 << 20 },
    connection: batchConnection(closeInside),
  });
  writes = [];
  host.server.on('connection', (socket: Socket) => {
    const write = socket.write.bind(socket) as (chunk: string | Uint8Array, ...rest: unknown[]) => boolean;
    socket.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      writes.push(typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength);
      return write(chunk, ...rest);
    }) as Socket['write'];
  });
  const ws = new WebSocket(`${host.url('nexus', 'realtime')}?X-API-TOKEN=${EXCHANGES.nexus.demoCredentials.token}`);
  const frames: Array<{ data: Buffer; binary: boolean }> = [];
  ws.on('message', (data: Buffer, binary: boolean) => frames.push({ data, binary }));
  await new Promise<void>((resolve) => ws.on('open', () => resolve()));
  ws.send(JSON.stringify({ id: '1', action: 'SUBSCRIBE', event: 'API_MARKETDEPTH', symbol: 'BTCUSDT', depth: 5 }));
  if (!closeInside) {
    await new Promise<void>((resolve) => {
      const check = () => (frames.length >= SIZES.length ? resolve() : setTimeout(check, 10));
      check();
    });
    ws.close();
    return { frames, code: null };
  }
  const code = await new Promise<number>((resolve) => ws.on('close', (c) => resolve(c)));
  return { frames, code };
}

it('frames of every length form arrive intact, in order, text and binary', async () => {
  const { frames } = await run(false);
  expect(frames.map((f) => f.data.length)).toEqual(SIZES);
  frames.forEach((f, i) => {
    expect(f.binary).toBe(i % 2 === 1);
    expect(f.data.equals(payload(i, SIZES[i]))).toBe(true);
  });
});

it('a close inside the batch goes out after the frames gathered before it', async () => {
  const { frames, code } = await run(true);
  expect(code).toBe(1000);
  expect(frames.map((f) => f.data.length)).toEqual(SIZES);
});

it('the whole batch leaves the server in one socket write (the fast path is on)', async () => {
  const { frames } = await run(false);
  expect(frames).toHaveLength(SIZES.length);
  const batchBytes = SIZES.reduce((sum, n) => sum + frameHeaderBytes(n) + n, 0);
  // the handshake's 101 response, then the batch: framed by the host and written once
  expect(writes.slice(1, 2)).toEqual([batchBytes]);
});
