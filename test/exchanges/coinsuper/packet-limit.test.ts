/**
 * An MQTT packet's Remaining Length says how much is coming (MQTT 3.1.1 §2.2.3, up to 256 MB). A
 * declared length above the host's message limit is refused as soon as the length is read, before
 * any of the body is buffered: over WebSocket, where a packet may be split across frames each below
 * the frame limit, and over plain TCP. What shows that nothing was buffered: the connection is
 * closed after the first 60 KiB — the client never gets to send the second.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { generate } from 'mqtt-packet';
import type { ExchangeHost } from '../../../exchanges/host.js';
import { startCoinsuperHost } from './harness.js';

const DECLARED_BYTES = 200_000_000;
const FRAME_BYTES = 60 << 10;

let host: ExchangeHost;
beforeAll(async () => {
  host = await startCoinsuperHost({}, undefined, { tcpPorts: { coinsuper: 0 } });
});
afterAll(async () => {
  await host?.close();
});

/** The first FRAME_BYTES of a CONNECT that declares DECLARED_BYTES of remaining length. */
function hugeConnectStart(): Buffer {
  const len: number[] = [];
  let x = DECLARED_BYTES;
  do {
    let b = x % 128;
    x = Math.floor(x / 128);
    if (x > 0) b |= 0x80;
    len.push(b);
  } while (x > 0);
  const head = Buffer.from([0x10, ...len]);
  return Buffer.concat([head, Buffer.alloc(FRAME_BYTES - head.length, 0x41)]);
}

describe('a packet declared above the message limit', () => {
  it('over WebSocket: the connection is closed after the first 60 KiB frame', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/coinsuper/mqtt`, ['mqtt']);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.send(hugeConnectStart());
    const c = await closed;
    expect(c.code).toBe(1002);
    expect(c.reason).toMatch(/200000\d{3} bytes declared, above the limit/);
  });

  it('over TCP: the socket is closed after the first 60 KiB', async () => {
    const sock = net.connect(host.tcpPort('coinsuper')!, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', () => resolve());
      sock.once('error', reject);
    });
    const closed = new Promise<void>((resolve) => sock.once('close', () => resolve()));
    sock.on('error', () => undefined);
    sock.write(hugeConnectStart());
    await closed;
    expect(sock.destroyed).toBe(true);
  });

  it('a packet under the limit split across frames is still read whole', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/mqtt`, ['mqtt']);
    const got: Buffer[] = [];
    ws.on('message', (d: Buffer) => got.push(d));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const connect = generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'c'.repeat(96), clean: true, keepalive: 60, username: 'api_subscriber', password: Buffer.from('da65be18f44b33b69603c39fd03ddf49') });
    // the fixed header alone, then the body byte by byte in a few frames
    ws.send(connect.subarray(0, 1));
    ws.send(connect.subarray(1, 2));
    ws.send(connect.subarray(2, 40));
    ws.send(connect.subarray(40));
    await new Promise<void>((resolve) => {
      const check = () => (got.length > 0 ? resolve() : setTimeout(check, 10));
      check();
    });
    expect([...got[0]]).toEqual([0x20, 0x02, 0x00, 0x00]); // CONNACK, accepted
    ws.close();
  });
});
