/**
 * A server-side WebSocket connection as a Transport. Inside `batch()`, frames are framed here
 * (RFC 6455 §5.2, unmasked server frames) straight into one buffer as they are sent — header, then
 * payload, copied once; a `sendWith` message is written there by its writer (a replay's re-stamped
 * frame) — and the buffer goes to the socket in one write: the replay's max-speed path, about a
 * million frames a second to one client, where ws would make two writes per frame. ws writes
 * nothing of its own in between (no compression: its sender never queues — checked per batch by
 * ws-internals.ts), so frames keep their order.
 */
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { writtenMessage, type Transport, type TransportEvents } from './transport.js';
import type { MessageWriter } from './types.js';
import { senderIdle } from './ws-internals.js';

/** Header length of an unmasked server frame with a payload of `len` bytes. */
export function frameHeaderBytes(len: number): number {
  return len < 126 ? 2 : len < 65536 ? 4 : 10;
}

/** Writes the header of an unmasked final frame with a payload of `len` bytes at `at`; returns where the payload goes. */
function writeFrameHeader(out: Buffer, at: number, len: number, binary: boolean): number {
  out[at] = 0x80 | (binary ? 2 : 1);
  if (len < 126) {
    out[at + 1] = len;
    return at + 2;
  }
  if (len < 65536) {
    out[at + 1] = 126;
    out[at + 2] = len >>> 8;
    out[at + 3] = len & 0xff;
    return at + 4;
  }
  out[at + 1] = 127;
  out.writeBigUInt64BE(BigInt(len), at + 2);
  return at + 10;
}

/** The first buffer of a batch is sized like the connection's previous batch, at least this (bytes). */
const MIN_BATCH_BYTES = 4096;
/** Payloads up to this length are copied byte by byte (cheaper than a TypedArray.set call). */
const SHORT_COPY_BYTES = 64;

/** A close frame's reason is at most 123 bytes of UTF-8 (RFC 6455 §5.5: 125 bytes of payload, 2 of them the code). */
const MAX_CLOSE_REASON_BYTES = 123;

/** `reason` cut to what a close frame holds, on a character boundary (ws throws on a longer one). */
function closeReason(reason: string): string {
  if (Buffer.byteLength(reason) <= MAX_CLOSE_REASON_BYTES) return reason;
  let out = '';
  for (const ch of reason) {
    if (Buffer.byteLength(out + ch) > MAX_CLOSE_REASON_BYTES) break;
    out += ch;
  }
  return out;
}

export class WsTransport implements Transport {
  readonly kind = 'websocket' as const;
  /** The batch being framed (null outside `batch()`), and how much of it is used. */
  private out: Buffer | null = null;
  private used = 0;
  /** What the next batch starts with: the size of the last one, or half the one before when it was smaller (no regrowing at every batch). */
  private lastBatchBytes = MIN_BATCH_BYTES;

  /** `socket` is the one the upgrade came on: ws writes to it, and so does the batch. */
  constructor(
    private readonly ws: WebSocket,
    private readonly socket: Duplex,
  ) {}

  get open(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  listen(events: TransportEvents): void {
    this.ws.on('message', (data: Buffer, isBinary: boolean) => events.message(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), isBinary));
    this.ws.on('pong', () => events.pong());
    this.ws.on('error', () => undefined);
    this.ws.once('close', () => events.close());
  }

  send(data: string | Uint8Array, binary: boolean): void {
    if (!this.open) return;
    if (this.out === null) {
      this.ws.send(data, { binary });
      return;
    }
    if (typeof data === 'string') {
      const len = Buffer.byteLength(data);
      const at = this.reserve(len, binary);
      this.out.write(data, at, 'utf8');
      return;
    }
    const len = data.byteLength;
    const at = this.reserve(len, binary);
    const out = this.out;
    if (len > SHORT_COPY_BYTES) out.set(data, at);
    else for (let k = 0; k < len; k++) out[at + k] = data[k];
  }

  sendWith(length: number, writer: MessageWriter, binary: boolean): void {
    if (!this.open) return;
    if (this.out === null) {
      this.ws.send(writtenMessage(length, writer), { binary });
      return;
    }
    const at = this.reserve(length, binary);
    writer.writeMessage(this.out, at);
  }

  ping(): void {
    this.flush();
    if (this.open) this.ws.ping();
  }

  close(code: number, reason: string): void {
    this.flush(); // frames gathered before the close go first
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close(code, closeReason(reason));
  }

  terminate(): void {
    this.flush();
    // hold() may have corked the socket: what was sent before the cut goes out first
    while (this.socket.writableCorked > 0) this.socket.uncork();
    this.ws.terminate();
  }

  pauseReading(): void {
    this.ws.pause();
  }

  bufferedAmount(): number {
    return this.ws.bufferedAmount + this.used;
  }

  batch(fn: () => void): void {
    if (this.out !== null || !senderIdle(this.ws)) {
      fn();
      return;
    }
    this.out = Buffer.allocUnsafe(this.lastBatchBytes);
    this.used = 0;
    try {
      fn();
    } finally {
      this.flush();
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

  /** Room for one frame of `len` payload bytes in the batch, its header written; returns where the payload goes. */
  private reserve(len: number, binary: boolean): number {
    let out = this.out!;
    const need = this.used + frameHeaderBytes(len) + len;
    if (need > out.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, out.length * 2));
      out.copy(grown, 0, 0, this.used);
      this.out = out = grown;
    }
    const at = writeFrameHeader(out, this.used, len, binary);
    this.used = need;
    return at;
  }

  private flush(): void {
    const out = this.out;
    const used = this.used;
    this.out = null;
    this.used = 0;
    if (out === null || used === 0 || !this.open) return;
    this.lastBatchBytes = Math.max(MIN_BATCH_BYTES, used, this.lastBatchBytes >>> 1);
    this.socket.write(out.subarray(0, used));
  }
}
