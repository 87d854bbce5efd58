/**
 * A server-side WebSocket connection as a Transport. Inside `batch()`, frames are gathered and
 * framed here (RFC 6455 §5.2, unmasked server frames) into one buffer written to the socket in one
 * write: the replay's max-speed path, about a million frames a second to one client, where ws would
 * make two writes per frame. ws writes nothing of its own in between (no compression: its sender
 * never queues — checked per batch by ws-internals.ts), so frames keep their order.
 */
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { Transport, TransportEvents } from './transport.js';
import { senderIdle } from './ws-internals.js';

interface Gathered {
  data: string | Uint8Array;
  len: number;
  binary: boolean;
}

/** Header length of an unmasked server frame with a payload of `len` bytes. */
export function frameHeaderBytes(len: number): number {
  return len < 126 ? 2 : len < 65536 ? 4 : 10;
}

/** Frames gathered in a batch, as one buffer: headers and payloads copied once. */
function frameBatch(frames: readonly Gathered[], total: number): Buffer {
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (const f of frames) {
    const len = f.len;
    out[at] = 0x80 | (f.binary ? 2 : 1);
    if (len < 126) {
      out[at + 1] = len;
      at += 2;
    } else if (len < 65536) {
      out[at + 1] = 126;
      out.writeUInt16BE(len, at + 2);
      at += 4;
    } else {
      out[at + 1] = 127;
      out.writeBigUInt64BE(BigInt(len), at + 2);
      at += 10;
    }
    if (typeof f.data === 'string') out.write(f.data, at, 'utf8');
    else out.set(f.data, at);
    at += len;
  }
  return out;
}

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
  private gathered: Gathered[] | null = null;
  private gatheredBytes = 0;

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
    if (this.gathered) {
      const len = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
      this.gathered.push({ data, len, binary });
      this.gatheredBytes += frameHeaderBytes(len) + len;
      return;
    }
    this.ws.send(data, { binary });
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
    return this.ws.bufferedAmount + this.gatheredBytes;
  }

  batch(fn: () => void): void {
    if (this.gathered || !senderIdle(this.ws)) {
      fn();
      return;
    }
    this.gathered = [];
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

  private flush(): void {
    const frames = this.gathered;
    const total = this.gatheredBytes;
    this.gathered = null;
    this.gatheredBytes = 0;
    if (!frames || frames.length === 0 || !this.open) return;
    this.socket.write(frameBatch(frames, total));
  }
}
