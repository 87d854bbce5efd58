/**
 * MQTT 3.1.1 packet boundaries (§2.2: a fixed header byte, then the Remaining Length in one to
 * four base-128 bytes, then that many bytes). One framer per connection cuts a byte stream — TCP, or
 * WebSocket frames that split and join packets freely — into whole packets. The declared length is
 * checked against the limit the moment its bytes are read, before any of the body is buffered, so
 * a peer announcing a 200 MB CONNECT costs nothing and is refused at once.
 */
import type { MessageFramer } from '../types.js';

/** The Remaining Length takes at most four bytes (§2.2.3): 268,435,455. */
const MAX_LENGTH_BYTES = 4;

export class MqttFramer implements MessageFramer {
  /** Fixed header seen so far of the packet being read (1 type byte + up to 4 length bytes). */
  private header: number[] = [];
  /**
   * The packet being read once its length is known: the pieces received so far (views of the
   * chunks, header bytes first), joined when complete. Nothing is allocated for what is only
   * announced, so memory follows the bytes that actually arrived.
   */
  private parts: Uint8Array[] | null = null;
  private total = 0;
  private filled = 0;
  private broken: string | null = null;

  constructor(private readonly maxPacketBytes: number) {}

  push(chunk: Uint8Array): { messages: Uint8Array[]; error: string | null; rest?: Uint8Array } {
    const messages: Uint8Array[] = [];
    if (this.broken) return { messages, error: this.broken, rest: chunk };
    let at = 0;
    const n = chunk.byteLength;
    while (at < n) {
      if (this.parts) {
        const take = Math.min(this.total - this.filled, n - at);
        this.parts.push(chunk.subarray(at, at + take));
        this.filled += take;
        at += take;
        if (this.filled === this.total) {
          messages.push(Buffer.concat(this.parts, this.total));
          this.parts = null;
        }
        continue;
      }
      if (this.header.length === 0) {
        // a whole packet inside this chunk needs no copy: hand out a view
        const whole = packetAt(chunk, at);
        if (typeof whole === 'string') return this.fail(messages, whole, chunk.subarray(at));
        if (whole !== null && whole.total <= this.maxPacketBytes && at + whole.total <= n) {
          messages.push(chunk.subarray(at, at + whole.total));
          at += whole.total;
          continue;
        }
      }
      this.header.push(chunk[at++]);
      if (this.header.length === 1) {
        const type = this.header[0] >> 4;
        if (type === 0 || type === 15) return this.fail(messages, `reserved packet type ${type}`, this.badBytes(chunk, at));
        continue;
      }
      const last = this.header[this.header.length - 1];
      if (last & 0x80) {
        if (this.header.length > MAX_LENGTH_BYTES) return this.fail(messages, 'malformed remaining length: more than four bytes', this.badBytes(chunk, at));
        continue;
      }
      const remaining = lengthOf(this.header, 1);
      const total = this.header.length + remaining;
      if (total > this.maxPacketBytes) return this.fail(messages, `packet of ${total} bytes declared, above the limit of ${this.maxPacketBytes}`, this.badBytes(chunk, at));
      const header = Uint8Array.from(this.header);
      this.header = [];
      if (remaining === 0) {
        messages.push(header);
        continue;
      }
      this.parts = [header];
      this.total = total;
      this.filled = header.byteLength;
    }
    return { messages, error: null };
  }

  /** Bytes of an unfinished packet held for the next chunk. */
  get pending(): number {
    return this.parts ? this.filled : this.header.length;
  }

  /** The fixed header read so far and the rest of the chunk: where the stream stopped being MQTT. */
  private badBytes(chunk: Uint8Array, at: number): Uint8Array {
    return Buffer.concat([Uint8Array.from(this.header), chunk.subarray(at)]);
  }

  private fail(messages: Uint8Array[], error: string, rest: Uint8Array): { messages: Uint8Array[]; error: string; rest: Uint8Array } {
    this.broken = error;
    this.header = [];
    this.parts = null;
    return { messages, error, rest };
  }
}

/** The Remaining Length encoded in `bytes` from `from` (§2.2.3). */
function lengthOf(bytes: ArrayLike<number>, from: number): number {
  let value = 0;
  let mul = 1;
  for (let i = from; i < bytes.length; i++) {
    value += (bytes[i] & 0x7f) * mul;
    mul *= 128;
    if (!(bytes[i] & 0x80)) break;
  }
  return value;
}

/** The packet starting at `at`: its total length when the whole fixed header is there, null when not yet, or why the bytes are not MQTT. */
function packetAt(buf: Uint8Array, at: number): { total: number } | null | string {
  const type = buf[at] >> 4;
  if (type === 0 || type === 15) return `reserved packet type ${type}`;
  for (let i = 1; i <= MAX_LENGTH_BYTES; i++) {
    if (at + i >= buf.byteLength) return null;
    if (!(buf[at + i] & 0x80)) return { total: 1 + i + lengthOf(buf.subarray(at + 1, at + 1 + i), 0) };
  }
  return 'malformed remaining length: more than four bytes';
}
