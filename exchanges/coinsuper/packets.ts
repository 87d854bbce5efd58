/**
 * MQTT 3.1.1 packets on top of `mqtt-packet`: one reader per connection (a WebSocket frame may
 * carry several packets, or the start of one; a TCP chunk likewise), and a stateless reader for a
 * single stored frame. The reader cuts packets with MqttFramer first, so a declared length above
 * its limit is refused before any of it is buffered (mqtt-packet itself would buffer it whole).
 */
import { generate, parser as createParser, type Packet, type IPublishPacket, type QoS } from 'mqtt-packet';
import { MqttFramer } from './framing.js';
import { MAX_PACKET_BYTES, MQTT_PROTOCOL_LEVEL } from './protocol.js';

export type { Packet, IPublishPacket, QoS };

interface ReadResult {
  packets: Packet[];
  /** The bytes are not MQTT: the reader has been reset; the connection should be dropped. */
  error: Error | null;
  /** Bytes of an unfinished packet, kept for the next frame. */
  pending: number;
}

export class PacketReader {
  private parser = createParser({ protocolVersion: MQTT_PROTOCOL_LEVEL });
  private framer: MqttFramer;
  private out: Packet[] = [];
  private error: Error | null = null;

  /** `maxPacketBytes`: the largest packet accepted (a server passes its message limit). */
  constructor(private readonly maxPacketBytes: number = MAX_PACKET_BYTES) {
    this.framer = new MqttFramer(maxPacketBytes);
    this.wire();
  }

  private wire(): void {
    this.parser.on('packet', (p: Packet) => this.out.push(p));
    this.parser.on('error', (e: Error) => {
      this.error ??= e;
    });
  }

  push(data: Uint8Array): ReadResult {
    this.out = [];
    this.error = null;
    const framed = this.framer.push(data);
    for (const packet of framed.messages) {
      try {
        this.parser.parse(Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength));
      } catch (err) {
        // mqtt-packet throws (rather than emits) on some truncated bodies: the same verdict.
        this.error ??= err instanceof Error ? err : new Error(String(err));
      }
      if (this.error) break;
    }
    if (framed.error) this.error ??= new Error(framed.error);
    const result: ReadResult = { packets: this.out, error: this.error, pending: this.error ? 0 : this.framer.pending };
    if (this.error) {
      // After an error the position in the stream is meaningless: start clean.
      this.parser.removeAllListeners();
      this.parser = createParser({ protocolVersion: MQTT_PROTOCOL_LEVEL });
      this.framer = new MqttFramer(this.maxPacketBytes);
      this.wire();
    }
    this.out = [];
    return result;
  }
}

/** The packets of one stored frame, read on their own (normalizers, replay). */
export function readFrame(data: Uint8Array): ReadResult {
  return new PacketReader().push(data);
}

export function encode(packet: Packet): Uint8Array {
  return generate(packet);
}

export function publishPacket(topic: string, payload: Uint8Array, qos: QoS, messageId: number | undefined): Uint8Array {
  const p: IPublishPacket = { cmd: 'publish', topic, payload: Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength), qos, dup: false, retain: false };
  if (qos > 0) p.messageId = messageId;
  return generate(p);
}

/** 16-bit packet identifiers, never 0, skipping those still in use (MQTT 3.1.1 §2.3.1). */
export class PacketIds {
  private next = 1;
  allocate(inUse: (id: number) => boolean): number {
    for (let tries = 0; tries < 0xffff; tries++) {
      const id = this.next;
      this.next = this.next === 0xffff ? 1 : this.next + 1;
      if (!inUse(id)) return id;
    }
    throw new RangeError('all 65535 MQTT packet identifiers are in use');
  }
}
