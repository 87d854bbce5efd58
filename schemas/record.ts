/**
 * The unit the recorder writes and the reader yields: one frame that crossed the wire, or one
 * control event. Journal segments and the sealed `raw` table hold exactly these fields.
 */
export type Direction = 'in' | 'out' | 'event';

/**
 * `kind` of a record:
 *  - frames (direction in|out): 'text' | 'binary' | 'ping' | 'pong' (WebSocket control frames)
 *  - events (direction event): see EventKind
 */
type FrameKind = 'text' | 'binary' | 'ping' | 'pong';
export type EventKind =
  | 'connected' // payload: {"url":..., "protocol":...}
  | 'disconnected' // payload: {"code":1006,"reason":"...","initiator":"remote|local"}
  | 'gap' // payload: GapPayload
  | 'clock' // payload: ClockPayload
  | 'subscribed' // payload: {"stream":..., "ack": "..."} an acknowledged subscription
  | 'refused' // payload: {"stream":..., "reason": "..."} a refused subscription / auth
  | 'alert'; // payload: {"message": ..., ...} something the operator must see (silent subscription, rate limit)

export type RecordKind = FrameKind | EventKind;

/** Flag bits of a record. */
export const FLAG_MALFORMED = 1; // the frame could not be parsed by the exchange's reader: kept raw, flagged
export const FLAG_REDACTED = 2; // an outgoing frame whose secret was replaced before storing
export const FLAG_SYNTHETIC = 4; // written by ticktape itself (events, recovered gaps)
/**
 * A frame whose data the recorder already holds from another frame: the overlap of a
 * make-before-break rotation (old and new connection both receive the stream for a while), or an
 * exchange repeating data after a reconnect. Kept raw; normalizers must skip it (otherwise
 * normalized tables would hold it twice). See recorder/handoff.ts.
 */
export const FLAG_OVERLAP = 8;

export interface TapeRecord {
  /** Exchange id, e.g. 'coinstore'. */
  exchange: string;
  /** Connection id, globally unique: `<instance>-<process start, base36>-<n>`. */
  connId: string;
  /** Strictly increasing per connection, from 1, over every record of the connection (in, out, event). */
  seq: number;
  /** Receive (or send) time, ns since the Unix epoch, from the recorder's clock. */
  recvNs: bigint;
  direction: Direction;
  kind: RecordKind;
  /** Canonical stream key (exchange-specific, e.g. 'btcusdt@trade'), or '' when the frame names none. */
  stream: string;
  /** The connection's endpoint URL (secrets removed from its query string). */
  endpoint: string;
  /** The exact bytes (frames) or a JSON document (events). */
  payload: Uint8Array;
  flags: number;
}

export type GapCause =
  | 'disconnect' // the connection dropped; from the last frame to the first frame after resubscribe
  | 'sequence' // the exchange's sequence numbers skipped (Coinstore S, trade seq/ids)
  | 'journal_loss' // the journal could not keep frames (disk full, I/O error)
  | 'corruption' // recovery quarantined a damaged region of a journal segment
  | 'stale' // a stream went silent beyond its threshold and was reconnected
  | 'malformed' // a frame could not be read (kept raw, flagged)
  | 'refused'; // a subscription was refused: the stream has no data at all

export interface GapPayload {
  stream: string; // '' = the whole connection
  start_ns: string; // decimal ns (JSON cannot hold 64-bit integers)
  end_ns: string;
  cause: GapCause;
  detail?: string;
  /** For sequence gaps: the missing range of the exchange's numbering. */
  expected?: string;
  got?: string;
  lost_frames?: number;
}

export interface ClockPayload {
  wall_ns: string;
  mono_ns: string;
  /** wall − (anchor + monotonic elapsed) in ns: how far the wall clock moved relative to the monotonic one. */
  drift_ns: string;
  ntp_synced: boolean | null; // null when the OS does not say
  ntp_source?: string;
  max_error_us?: number;
}
