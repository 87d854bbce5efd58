/**
 * A server-side connection over a plain TCP (or TLS) byte stream as a Transport: the exchange's
 * framer (ExchangeModule.tcp) cuts the stream into messages — MQTT packets for Coinsuper — and each
 * is handed on as one binary message, exactly as a WebSocket frame would be. A declared length
 * above the host's message limit, or bytes that are not the protocol, end the connection before
 * anything more is buffered.
 */
import type { Socket } from 'node:net';
import type { MessageFramer, MessageWriter } from './types.js';
import { writtenMessage, type Transport, type TransportEvents } from './transport.js';

/** After a polite close, a peer that does not read what is left is cut off after this long. */
const TCP_CLOSE_GRACE_MS = 1_000;

export class TcpTransport implements Transport {
  readonly kind = 'tcp' as const;
  private ending = false;

  constructor(
    private readonly socket: Socket,
    private readonly framer: MessageFramer,
    /** Told why the connection was cut when its bytes broke the framing (logged by the host). */
    private readonly onRefused: (reason: string) => void,
  ) {
    socket.setNoDelay(true);
  }

  get open(): boolean {
    return !this.ending && !this.socket.destroyed;
  }

  listen(events: TransportEvents): void {
    this.socket.on('data', (chunk: Buffer) => {
      if (!this.open) return;
      const { messages, error } = this.framer.push(chunk);
      for (const m of messages) {
        if (!this.open) return;
        events.message(m, true);
      }
      if (error && this.open) {
        this.onRefused(error);
        this.terminate();
      }
    });
    this.socket.on('error', () => undefined);
    this.socket.once('close', () => {
      this.ending = true;
      events.close();
    });
  }

  send(data: string | Uint8Array, _binary: boolean): void {
    if (this.open) this.socket.write(data);
  }

  sendWith(length: number, writer: MessageWriter, binary: boolean): void {
    if (this.open) this.send(writtenMessage(length, writer), binary);
  }

  ping(): void {
    // a byte stream has no keep-alive probe of its own: the protocol's (MQTT PINGREQ) is the client's
  }

  close(_code: number, _reason: string): void {
    if (!this.open) return;
    this.ending = true;
    while (this.socket.writableCorked > 0) this.socket.uncork();
    const timer = setTimeout(() => this.socket.destroy(), TCP_CLOSE_GRACE_MS);
    timer.unref();
    this.socket.end(() => {
      clearTimeout(timer);
      this.socket.destroy();
    });
  }

  terminate(): void {
    this.ending = true;
    while (this.socket.writableCorked > 0) this.socket.uncork();
    this.socket.destroy();
  }

  pauseReading(): void {
    this.socket.pause();
  }

  bufferedAmount(): number {
    return this.socket.writableLength;
  }

  batch(fn: () => void): void {
    const release = this.hold();
    try {
      fn();
    } finally {
      release();
    }
  }

  hold(): () => void {
    if (this.socket.destroyed) return () => undefined;
    this.socket.cork();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (this.socket.writableCorked > 0) this.socket.uncork();
    };
  }
}
