/**
 * Stitching connections without duplicates. Every frame that crosses the wire is recorded raw; a
 * frame whose data the recorder already holds from another frame is flagged FLAG_OVERLAP, which
 * normalizers skip. That happens during a make-before-break rotation (the old and the new
 * connection both receive the stream for a while) and when an exchange repeats data after a
 * reconnect. Which frame is "the same data" is decided per stream on the best key the frames have:
 *
 *  1. the exchange's sequence (trade seq / id): exact. A frame whose values are all at or below the
 *     highest value already accepted for the stream is a duplicate, whichever connection it came on.
 *  2. else the exchange timestamp (ms): a frame from another connection than the last accepted one,
 *     with a timestamp at or below it, is a duplicate (two frames of one connection never are). Only
 *     times in push order count: a client reports none for frames stamped otherwise (Nexus books
 *     carry their providers' quote times, Nexus orders their creation and fill times) and for
 *     times in whole seconds (Coinstore orders, balances, tickers), which rule 3 then decides.
 *  3. else nothing in the frame identifies it: during a rotation, the new connection's first frame
 *     of the stream fixes a handoff point (or its subscription ack, for event streams such as
 *     orders and balances) and the old connection's frames received after it are the duplicates.
 *
 * The cursor of a stream outlives connections, so a reconnect that replays data is caught too.
 * Pure apart from the cursor it advances.
 */
export interface FrameKey {
  /** Lowest and highest exchange sequence of the stream in the frame (a batch carries several). */
  seqMin: number | null;
  seqMax: number | null;
  tsMs: number | null;
  recvNs: bigint;
}

export interface StreamCursor {
  /** Highest sequence accepted. */
  seq: number | null;
  /** Timestamp of the last accepted frame that had one, and its connection. */
  tsMs: number | null;
  connId: string | null;
}

export function newCursor(): StreamCursor {
  return { seq: null, tsMs: null, connId: null };
}

/**
 * Judges a frame by its sequence or timestamp: true = duplicate, false = new data (the cursor
 * advances), null = the frame has no key (rule 3 applies; the cursor is not touched).
 */
export function judgeFrame(cursor: StreamCursor, connId: string, key: FrameKey): boolean | null {
  if (key.seqMax !== null) {
    if (cursor.seq !== null && key.seqMax <= cursor.seq) return true;
    cursor.seq = key.seqMax;
    if (key.tsMs !== null) {
      cursor.tsMs = key.tsMs;
      cursor.connId = connId;
    }
    return false;
  }
  if (key.tsMs !== null) {
    if (cursor.tsMs !== null && cursor.connId !== connId && key.tsMs <= cursor.tsMs) return true;
    cursor.tsMs = cursor.tsMs === null ? key.tsMs : Math.max(cursor.tsMs, key.tsMs);
    cursor.connId = connId;
    return false;
  }
  return null;
}

/** Rule 3: an old connection's keyless frame is a duplicate once received at or after the handoff point. */
export function pastHandoff(pointNs: bigint | undefined, recvNs: bigint): boolean {
  return pointNs !== undefined && recvNs >= pointNs;
}
