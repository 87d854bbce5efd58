/**
 * A shared read-ahead of recorded frames. Cursors that replay the same exchange and range share one
 * timeline: frames are read and decoded once and fanned out. Batches behind the slowest cursor are
 * dropped; a cursor that falls more than `maxAhead` batches behind the fastest loses its place
 * (EVICTED) and re-reads on its own, so memory stays bounded whatever the number of clients, their
 * speed or the size of the range.
 */
import type { TapeRecord } from '../schemas/record.js';

/** Returned to a cursor that lagged too far behind the others. */
export const EVICTED = Symbol('evicted');

type BatchSource = () => AsyncIterator<TapeRecord[]>;

export class Timeline {
  private batches: TapeRecord[][] = [];
  private base = 0; // absolute index of batches[0]
  private done = false;
  private closed = false;
  private failure: Error | null = null;
  private reading: Promise<void> | null = null;
  private iterator: AsyncIterator<TapeRecord[]> | null = null;
  private readonly positions = new Map<object, number>();

  constructor(
    private readonly source: BatchSource,
    private readonly maxAhead: number,
    private readonly onIdle?: () => void,
  ) {}

  /** A new cursor may join only while the first batch is still held and the reader is open. */
  get joinable(): boolean {
    return this.base === 0 && !this.closed;
  }

  attach(owner: object): void {
    this.positions.set(owner, 0);
  }

  detach(owner: object): void {
    if (!this.positions.delete(owner)) return;
    if (this.positions.size > 0) {
      this.trim();
      return;
    }
    // the last cursor left: release the reader and the batches
    this.closed = true;
    this.batches = [];
    void this.iterator?.return?.(undefined);
    this.onIdle?.();
  }

  /**
   * The batch at absolute index `i`, reading it if needed; null at the end; EVICTED when this cursor
   * fell more than `maxAhead` batches behind the fastest and lost its place.
   */
  async batch(owner: object, i: number): Promise<TapeRecord[] | null | typeof EVICTED> {
    if (!this.positions.has(owner) || i < this.base) return EVICTED;
    this.moveTo(owner, i);
    while (i >= this.base + this.batches.length) {
      if (this.done) return null;
      await this.readMore();
      if (!this.positions.has(owner)) return EVICTED;
    }
    this.readAhead(i);
    return this.batches[i - this.base] ?? null;
  }

  /**
   * The batch at absolute index `i` when it is read already, taken as `batch()` takes it but
   * without waiting: a cursor goes on into it in the same socket write. Undefined when it is not
   * read yet (or this cursor lost its place): then `batch()` is the way.
   */
  held(owner: object, i: number): TapeRecord[] | undefined {
    if (!this.positions.has(owner) || i < this.base) return undefined;
    const b = this.batches[i - this.base];
    if (b === undefined) return undefined;
    this.moveTo(owner, i);
    this.readAhead(i);
    return b;
  }

  /** `owner` is at batch `i` now: cursors too far behind lose their place, batches behind all are dropped. */
  private moveTo(owner: object, i: number): void {
    this.positions.set(owner, i);
    for (const [o, pos] of this.positions) if (i - pos > this.maxAhead) this.positions.delete(o);
    this.trim();
  }

  /** Reads the batch after `i` while `i` is sent: the database works on its own thread meanwhile. */
  private readAhead(i: number): void {
    // a failure is kept and thrown to whoever waits for that batch
    if (i + 1 >= this.base + this.batches.length && !this.done) void this.readMore().catch(() => undefined);
  }

  /**
   * The batch at absolute index `i` if it is already read (null past the end, undefined when not yet
   * read), without moving this cursor's place: a look at the first record of the next batch.
   */
  peek(i: number): TapeRecord[] | null | undefined {
    if (i < this.base) return undefined;
    const b = this.batches[i - this.base];
    if (b) return b;
    return this.done ? null : undefined;
  }

  /** Reads until batch `i` is held or the range ends (at most one batch past the current one). */
  async load(i: number): Promise<void> {
    while (i >= this.base + this.batches.length && !this.done && !this.closed) await this.readMore();
  }

  private readMore(): Promise<void> {
    if (!this.reading) {
      this.reading = (async () => {
        if (this.failure) throw this.failure;
        this.iterator ??= this.source();
        try {
          const r = await this.iterator.next();
          if (r.done) this.done = true;
          else if (r.value.length && !this.closed) this.batches.push(r.value);
        } catch (err) {
          // the read failed (a bucket's day not fetched): every cursor waiting past here gets it
          this.failure = err as Error;
          throw err;
        }
      })().finally(() => {
        this.reading = null;
      });
    }
    return this.reading;
  }

  private trim(): void {
    if (this.positions.size === 0) return;
    let slowest = Infinity;
    for (const p of this.positions.values()) if (p < slowest) slowest = p;
    const drop = Math.min(slowest - this.base, this.batches.length);
    if (drop > 0) {
      this.batches.splice(0, drop);
      this.base += drop;
    }
  }
}

/** Shared timelines by key (exchange + range); an advanced or finished one is replaced for new cursors. */
export class TimelineRegistry {
  private readonly map = new Map<string, Timeline>();

  constructor(private readonly maxAhead: number) {}

  shared(key: string, source: BatchSource): Timeline {
    const t = this.map.get(key);
    if (t && t.joinable) return t;
    const fresh: Timeline = new Timeline(source, this.maxAhead, () => {
      if (this.map.get(key) === fresh) this.map.delete(key);
    });
    this.map.set(key, fresh);
    return fresh;
  }

  /** A timeline of one cursor (after a seek or an eviction): never shared, never registered. */
  own(source: BatchSource): Timeline {
    return new Timeline(source, this.maxAhead);
  }

  get size(): number {
    return this.map.size;
  }
}
