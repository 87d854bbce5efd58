/**
 * One traded market's recorded frames, read ahead from the tape a window at a time, for the paper
 * account to hand to its engine in recorded order. A feed is opened at a recorded time with the
 * market's book as it stood then; it answers "the latest frame of this market at or before t"
 * exactly as the recording would (reading the tape where its buffer does not reach), which is what
 * makes the account's timing deterministic.
 */
import type { MarketData, RecordedMarket } from './market-data.js';
import { compareKeys, type FrameKey, type MarketFrame, type MarketSpec } from './types.js';

/** First read window of recorded time; it doubles while windows come back small and halves when large. */
const FEED_WINDOW_START_NS = 5_000_000_000n;
const FEED_WINDOW_MAX_NS = 3_600_000_000_000n;
const FEED_WINDOW_MIN_NS = 100_000_000n;
/** Frames per read above which the window halves, below which it doubles. */
const FEED_FRAMES_HIGH = 4_000;
const FEED_FRAMES_LOW = 500;

export class MarketFeed {
  private buffer: MarketFrame[] = [];
  private head = 0;
  private openNs = 0n;
  private loadedToNs = 0n;
  /** The latest frame of the market at or before `openNs` (from the tape). */
  private latestAtOpen: FrameKey | null = null;
  private lastTaken: FrameKey | null = null;
  private windowNs = FEED_WINDOW_START_NS;

  constructor(
    readonly spec: MarketSpec,
    readonly recorded: RecordedMarket,
    private readonly exchange: string,
    private readonly data: MarketData,
    /** End of the recording: nothing is read beyond it. */
    private readonly endNs: bigint | null,
  ) {}

  /** Positions the feed at recorded time `atNs`: returns the book as it stood then (null when none yet). */
  async open(atNs: bigint): Promise<MarketFrame | null> {
    const [book, latest] = await Promise.all([this.data.bookAt(this.exchange, this.recorded, atNs), this.data.latestKey(this.exchange, this.recorded, atNs)]);
    this.buffer = [];
    this.head = 0;
    this.openNs = atNs;
    this.loadedToNs = atNs;
    this.latestAtOpen = latest;
    this.lastTaken = null;
    return book;
  }

  get loadedTo(): bigint {
    return this.loadedToNs;
  }

  get openedAt(): bigint {
    return this.openNs;
  }

  /** Reads frames until the buffer covers recorded time `toNs` (and a little beyond, a window at a time). */
  async ensure(toNs: bigint): Promise<void> {
    while (this.loadedToNs < toNs) {
      if (this.endNs !== null && this.loadedToNs >= this.endNs) {
        this.loadedToNs = toNs;
        return;
      }
      let until = this.loadedToNs + this.windowNs;
      if (until < toNs) until = toNs;
      const frames = await this.data.frames(this.exchange, this.recorded, this.loadedToNs, until);
      if (this.head > 1024 && this.head * 2 > this.buffer.length) {
        this.buffer = this.buffer.slice(this.head);
        this.head = 0;
      }
      for (const f of frames) this.buffer.push(f);
      this.loadedToNs = until;
      if (frames.length > FEED_FRAMES_HIGH && this.windowNs > FEED_WINDOW_MIN_NS) this.windowNs /= 2n;
      else if (frames.length < FEED_FRAMES_LOW && this.windowNs < FEED_WINDOW_MAX_NS) this.windowNs *= 2n;
    }
  }

  /** The next frame not yet taken (in the loaded part), if any. */
  peek(): MarketFrame | undefined {
    return this.buffer[this.head];
  }

  take(): MarketFrame {
    const f = this.buffer[this.head++];
    this.lastTaken = f.key;
    return f;
  }

  /** Frames not yet taken up to recorded time `toNs` (already loaded). */
  pendingUpTo(toNs: bigint): number {
    let n = 0;
    for (let i = this.head; i < this.buffer.length && this.buffer[i].key.recvNs <= toNs; i++) n++;
    return n;
  }

  /** The latest frame of the market at or before `atNs`, as the recording has it. */
  async latestAtOrBefore(atNs: bigint): Promise<FrameKey | null> {
    // outside what the buffer knows (or behind frames already taken and dropped): ask the tape
    if (atNs < this.openNs || atNs > this.loadedToNs || (this.lastTaken && this.lastTaken.recvNs > atNs)) {
      return this.data.latestKey(this.exchange, this.recorded, atNs);
    }
    let best = this.latestAtOpen;
    if (this.lastTaken && (!best || compareKeys(this.lastTaken, best) > 0)) best = this.lastTaken;
    // the buffer is in order: the last frame at or before atNs
    let lo = this.head;
    let hi = this.buffer.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.buffer[mid].key.recvNs <= atNs) lo = mid + 1;
      else hi = mid;
    }
    const f = lo > this.head ? this.buffer[lo - 1] : undefined;
    if (f && (!best || compareKeys(f.key, best) > 0)) best = f.key;
    return best;
  }
}
