/**
 * What the recorder knows about one stream across all of its connections: counters for /health and
 * /metrics, the last data frame, and the gap that is open while the stream is not being received
 * (closed, and written as a `gap` record, by the first data frame that arrives again).
 */
import type { GapCause } from '../schemas/record.js';
import type { StreamSpec } from '../exchanges/types.js';
import { newCursor, type StreamCursor } from './handoff.js';

interface OpenGap {
  startNs: bigint;
  cause: GapCause;
  detail: string;
  /** Last exchange sequence value of the stream before the gap, when it has one. */
  lastSeq: number | null;
}

/** The stream's connection cannot be made or closes at once: why, since when, how many tries. */
export interface StreamDown {
  cause: string;
  detail: string;
  sinceMs: number;
  attempts: number;
}

export class StreamState {
  frames = 0;
  bytes = 0;
  malformed = 0;
  lastDataNs: bigint | null = null;
  /** Connection of the last data frame. */
  lastConnId: string | null = null;
  lastSeq: number | null = null;
  openGap: OpenGap | null = null;
  /** What has been accepted so far, to flag repeated data (handoff.ts). */
  readonly cursor: StreamCursor = newCursor();
  gaps = 0;
  refused: string | null = null;
  /** Alert raised because the subscription stays silent (cleared by data). */
  silent = false;
  /** Set while the stream's connection fails (refused, dns, unreachable, closed on open); cleared once it delivers or stays up. */
  down: StreamDown | null = null;
  /** Frames journal losses (disk full, I/O errors) cost this stream, each loss also counted in `gaps`. */
  journalLostFrames = 0;
  /** frames/s over the last rate window. */
  rate = 0;
  private rateFrames = 0;
  private rateAtMs = Date.now();

  constructor(
    public spec: StreamSpec,
    public readonly exchange: string,
    /** Stale threshold (ms): silence longer than this on a live connection forces a reconnect. */
    public staleMs: number,
  ) {}

  get key(): string {
    return this.spec.key;
  }

  /** Opens a gap unless one is open already (the earlier start wins: it covers more). */
  openGapAt(gap: OpenGap): void {
    if (this.openGap) return;
    this.openGap = gap;
  }

  /** Updates `rate` from the frames counted since the last call. */
  sampleRate(nowMs: number): void {
    const dt = nowMs - this.rateAtMs;
    if (dt <= 0) return;
    this.rate = ((this.frames - this.rateFrames) * 1000) / dt;
    this.rateFrames = this.frames;
    this.rateAtMs = nowMs;
  }
}

/** The stale threshold of a stream: explicit override, else quietMs × factor, never below the floor. */
export function staleThresholdMs(spec: StreamSpec, factor: number, minMs: number, override?: number): number {
  if (override !== undefined) return override;
  return Math.max(minMs, Math.round(spec.quietMs * factor));
}
