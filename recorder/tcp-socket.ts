/**
 * A recorder connection over a plain TCP or TLS byte stream (Coinsuper's MQTT: `tcp://`, `mqtt://`,
 * `mqtts://`), with the events and methods of the `ws` WebSocket that connection.ts uses, so a
 * Connection records it exactly as it records a WebSocket. The exchange's framer
 * (ExchangeModule.tcp) cuts the stream into messages: each message — one MQTT packet — is one
 * binary record, byte for byte. Bytes that stop being the protocol are emitted as one last message
 * (the reader flags it malformed, so it is journaled raw) and the connection is cut: a byte stream
 * cannot be resynchronized.
 *
 * Close codes (a byte stream has none; these say what happened in WebSocket terms): our own close
 * keeps the code we gave, the peer ending the stream is 1005 (no status), a reset or an error 1006.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import type { MessageFramer } from '../exchanges/types.js';

/** ws's readyState values, which connection.ts compares against. */
const READY = { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 } as const;

/** Default ports when a URL names none: MQTT's registered ports (1883 plain, 8883 TLS). */
const MQTT_DEFAULT_PORT = 1883;
const MQTTS_DEFAULT_PORT = 8883;

/** Close code for a stream the peer ended without error (RFC 6455 §7.4.1: no status received). */
const PEER_ENDED_CODE = 1005;
/** Close code for a stream cut by a reset, an error or a framing failure. */
const ABNORMAL_CODE = 1006;

interface TcpSocketOptions {
  url: URL;
  tls: boolean;
  framer: MessageFramer;
  connectTimeoutMs: number;
  keepAliveIdleMs: number;
}

export class TcpMessageSocket extends EventEmitter {
  readyState: number = READY.CONNECTING;
  /** A byte stream negotiates no WebSocket sub-protocol. */
  readonly protocol = '';
  binaryType = 'nodebuffer';
  private readonly socket: net.Socket;
  private localClose: { code: number; reason: string } | null = null;
  private failure: string | null = null;

  constructor(private readonly opts: TcpSocketOptions) {
    super();
    const host = opts.url.hostname.replace(/^\[|\]$/g, '');
    const port = opts.url.port ? Number(opts.url.port) : opts.tls ? MQTTS_DEFAULT_PORT : MQTT_DEFAULT_PORT;
    this.socket = opts.tls ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host }) : net.connect({ host, port });
    this.socket.setNoDelay(true);
    this.socket.setKeepAlive(true, opts.keepAliveIdleMs);
    const timer = setTimeout(() => this.socket.destroy(new Error(`connect timed out after ${opts.connectTimeoutMs} ms`)), opts.connectTimeoutMs);
    timer.unref();
    this.socket.once(opts.tls ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      if (this.readyState !== READY.CONNECTING) return;
      this.readyState = READY.OPEN;
      this.emit('open');
    });
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (err: Error) => {
      clearTimeout(timer);
      this.failure ??= err.message;
      this.emit('error', err);
    });
    this.socket.once('close', () => {
      clearTimeout(timer);
      this.readyState = READY.CLOSED;
      const code = this.localClose?.code ?? (this.failure ? ABNORMAL_CODE : PEER_ENDED_CODE);
      const reason = this.localClose?.reason ?? this.failure ?? 'the server ended the connection';
      this.emit('close', code, Buffer.from(reason, 'utf8'));
    });
  }

  private onData(chunk: Buffer): void {
    if (this.readyState !== READY.OPEN && this.readyState !== READY.CLOSING) return;
    const { messages, error, rest } = this.opts.framer.push(chunk);
    for (const m of messages) this.emit('message', asBuffer(m), true);
    if (!error) return;
    if (rest && rest.byteLength > 0) this.emit('message', asBuffer(rest), true);
    this.failure ??= `the stream stopped being the protocol: ${error}`;
    this.socket.destroy();
  }

  send(data: string | Uint8Array, _opts?: { binary?: boolean }): void {
    if (this.readyState === READY.OPEN) this.socket.write(data);
  }

  /** No transport-level ping on a byte stream (the protocol has its own: MQTT PINGREQ). */
  ping(): void {}

  pong(_data?: Uint8Array): void {}

  close(code = 1000, reason = ''): void {
    if (this.readyState === READY.CLOSED || this.readyState === READY.CLOSING) return;
    this.localClose ??= { code, reason };
    if (this.readyState === READY.CONNECTING) {
      this.socket.destroy();
      return;
    }
    this.readyState = READY.CLOSING;
    this.socket.end();
  }

  terminate(): void {
    if (this.readyState === READY.CLOSED) return;
    this.readyState = READY.CLOSING;
    this.socket.destroy();
  }
}

function asBuffer(m: Uint8Array): Buffer {
  return Buffer.isBuffer(m) ? m : Buffer.from(m.buffer, m.byteOffset, m.byteLength);
}
