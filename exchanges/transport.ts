/**
 * What carries one server-side connection: WebSocket frames (ws-transport.ts) or messages cut out
 * of a TCP byte stream (tcp-transport.ts). The host builds a SessionLink on top of a Transport
 * (session-link.ts), so the exchange's session sees the same link whichever one it is on.
 */
import type { MessageWriter } from './types.js';

export type TransportKind = 'websocket' | 'tcp';

export interface TransportEvents {
  /** One incoming message: a WebSocket frame, or one message of the byte stream. */
  message(data: Uint8Array, binary: boolean): void;
  /** A WebSocket pong (never on TCP). */
  pong(): void;
  /** The connection is gone, whoever closed it. Called once. */
  close(): void;
}

export interface Transport {
  readonly kind: TransportKind;
  /** True until the connection is closing or closed. */
  readonly open: boolean;
  /** Starts delivering events (once: the host calls it when the session exists). */
  listen(events: TransportEvents): void;
  /** Sends one message. */
  send(data: string | Uint8Array, binary: boolean): void;
  /** Sends one message of `length` bytes written by `writer` (SessionLink.sendWith): into the batch when batching. */
  sendWith(length: number, writer: MessageWriter, binary: boolean): void;
  /** A keep-alive probe where the transport has one (WebSocket ping); nothing on TCP. */
  ping(): void;
  /** Closes politely: a WebSocket close frame; on TCP the socket is ended once what was sent went out. */
  close(code: number, reason: string): void;
  /** Cuts the connection without a close handshake; what was already sent (even inside hold()) goes out first. */
  terminate(): void;
  /** Stops reading what the peer sends (fault injection: a server that does not read). */
  pauseReading(): void;
  /** Bytes sent and not yet handed to the operating system. */
  bufferedAmount(): number;
  /** Runs `fn` so that the messages it sends leave in one socket write. */
  batch(fn: () => void): void;
  /** Corks the socket until the returned function is called: messages sent meanwhile leave in one write. */
  hold(): () => void;
}

/** A message written by `writer` into a buffer of its own (where it cannot be written in place). */
export function writtenMessage(length: number, writer: MessageWriter): Buffer {
  const out = Buffer.allocUnsafe(length);
  writer.writeMessage(out, 0);
  return out;
}
