/**
 * What `replay()` yields: every recorded frame as a `Frame`, and every hole in the recording as a
 * `GapEvent`, in recorded order. The two share the header fields and differ by `type`, so a
 * `switch (item.type)` separates them with full types.
 */
import type { Direction, GapCause, GapPayload, RecordKind, TapeRecord } from '../schemas/record.js';
import { FLAG_MALFORMED, FLAG_OVERLAP, FLAG_REDACTED } from '../schemas/record.js';

const UTF8 = new TextDecoder();

/** One frame that crossed the wire (or one control event), exactly as recorded. */
export class Frame {
  /** Exchange id: `coinstore`, `coinsuper`, `nexus` or `coinceres`. */
  readonly exchange: string;
  /** Canonical stream key (`btcusdt@trade`, an MQTT topic, …), '' when the frame names none. */
  readonly stream: string;
  /** Connection id, globally unique: `<instance>-<process start>-<n>`. */
  readonly connId: string;
  /** Recorder sequence, from 1 per connection over every record of it. */
  readonly seq: number;
  /** Receive (or, for `out`, send) time in ns since the epoch, from the recorder's clock. */
  readonly recvNs: bigint;
  /** `in` from the exchange, `out` sent by the recorder, `event` a control record. */
  readonly direction: Direction;
  /** `text`, `binary`, `ping`, `pong`, or for events `connected`, `disconnected`, `clock`, … */
  readonly kind: RecordKind;
  /** The exact bytes of the frame (for events a JSON document). */
  readonly payload: Uint8Array;
  /** The connection's URL, secrets removed. */
  readonly endpoint: string;
  /** Record flag bits (1 malformed, 2 redacted, 4 synthetic, 8 overlap). */
  readonly flags: number;
  /**
   * With `replay({ parse: true })`: the frame's JSON value, built when it was read (from the
   * payload template, without parsing text): for text frames what `json()` gives, for a binary
   * frame with a JSON tail (MQTT PUBLISH) the value of that tail; undefined when the frame holds no
   * JSON, and always without `parse`.
   */
  readonly message: unknown;

  constructor(r: TapeRecord & { message?: unknown }) {
    this.exchange = r.exchange;
    this.stream = r.stream;
    this.connId = r.connId;
    this.seq = r.seq;
    this.recvNs = r.recvNs;
    this.direction = r.direction;
    this.kind = r.kind;
    this.payload = r.payload;
    this.endpoint = r.endpoint;
    this.flags = r.flags;
    this.message = r.message;
  }

  /** Discriminates frames from gap events. */
  get type(): 'frame' {
    return 'frame';
  }

  /** `recvNs` as a Date (millisecond precision). */
  get localTimestamp(): Date {
    return new Date(Number(this.recvNs / 1_000_000n));
  }

  /** The exchange's reader could not parse this frame (kept raw). */
  get malformed(): boolean {
    return (this.flags & FLAG_MALFORMED) !== 0;
  }

  /** An outgoing frame whose secret was replaced before it was stored. */
  get redacted(): boolean {
    return (this.flags & FLAG_REDACTED) !== 0;
  }

  /** A frame whose data another connection already delivered (a make-before-break rotation). */
  get overlap(): boolean {
    return (this.flags & FLAG_OVERLAP) !== 0;
  }

  /** The payload as UTF-8 text. */
  text(): string {
    return UTF8.decode(this.payload);
  }

  /** The payload parsed as JSON (throws a SyntaxError for binary or malformed frames). */
  json<T = unknown>(): T {
    return JSON.parse(this.text()) as T;
  }
}

/** A hole in the recording: where data is known to be missing, and why. */
export interface GapEvent {
  type: 'gap';
  /** The exchange affected; '' when the whole recorder instance lost data (a full disk). */
  exchange: string;
  /** The stream affected; '' when the whole connection is. */
  stream: string;
  connId: string;
  seq: number;
  /** When the gap record was written (it sorts right after the frame that revealed the gap). */
  recvNs: bigint;
  localTimestamp: Date;
  cause: GapCause;
  /** Last time data is known complete before the gap, ns. */
  startNs: bigint;
  /** First time data is known complete after the gap, ns. */
  endNs: bigint;
  detail?: string;
  /** For sequence gaps: the exchange's sequence number expected, and the one that came. */
  expected?: string;
  got?: string;
  /** Frames known lost, where known. */
  lostFrames?: number;
}

/** A gap event record as a GapEvent (its JSON payload read once). */
export function gapEventOf(r: TapeRecord): GapEvent {
  const g = JSON.parse(UTF8.decode(r.payload)) as GapPayload;
  const e: GapEvent = {
    type: 'gap',
    exchange: r.exchange,
    stream: g.stream ?? r.stream,
    connId: r.connId,
    seq: r.seq,
    recvNs: r.recvNs,
    localTimestamp: new Date(Number(r.recvNs / 1_000_000n)),
    cause: g.cause,
    startNs: BigInt(g.start_ns),
    endNs: BigInt(g.end_ns),
  };
  if (g.detail !== undefined) e.detail = g.detail;
  if (g.expected !== undefined) e.expected = g.expected;
  if (g.got !== undefined) e.got = g.got;
  if (g.lost_frames !== undefined) e.lostFrames = g.lost_frames;
  return e;
}
