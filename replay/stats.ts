/** Replay figures: frames, bytes, lateness of sends against their schedule, backpressure pauses. */

/** Lateness histogram: 16 buckets per doubling of microseconds (≈ 4.4 % wide), up to 2^31 µs. */
const SUB_BUCKETS = 16;
const BUCKETS = 32 * SUB_BUCKETS;

function bucketOf(us: number): number {
  if (us < 1) return 0;
  return Math.min(BUCKETS - 1, Math.floor(Math.log2(us + 1) * SUB_BUCKETS));
}

/** Upper bound (µs) of a bucket. */
function bucketUpperUs(b: number): number {
  return 2 ** ((b + 1) / SUB_BUCKETS) - 1;
}

export class ReplayStats {
  frames = 0;
  bytes = 0;
  backpressurePauses = 0;
  gapsReplayed = 0;
  /** Paced clients closed with 1008 because they did not read (their send buffer passed the limit). */
  slowClientCloses = 0;
  sessionsOpened = 0;
  /** Records read from the store (clients replaying one range share one read). */
  recordsRead = 0;
  /** Reads of the store open now (each holds a DuckDB session and its read-ahead), and the most at once. */
  readsOpen = 0;
  readsPeak = 0;
  private readonly lateness = new Float64Array(BUCKETS);
  private latenessCount = 0;
  private maxLateNs = 0;

  /** One frame sent; `lateNs` = actual − scheduled send time (0 at max speed, not counted in the lateness figures). */
  recordSend(bytes: number, lateNs: bigint, paced: boolean): void {
    this.frames++;
    this.bytes += bytes;
    if (!paced) return;
    const ns = Number(lateNs);
    this.lateness[bucketOf(ns / 1000)]++;
    this.latenessCount++;
    if (ns > this.maxLateNs) this.maxLateNs = ns;
  }

  /** Lateness percentiles (ms) over every paced frame sent (bucket upper bounds, ≈ 4 % resolution). */
  latenessMs(): { p50: number; p99: number; max: number; samples: number } {
    const n = this.latenessCount;
    if (n === 0) return { p50: 0, p99: 0, max: 0, samples: 0 };
    const q = (p: number) => {
      const want = Math.ceil(p * n);
      let seen = 0;
      for (let b = 0; b < BUCKETS; b++) {
        seen += this.lateness[b];
        if (seen >= want) return Math.min(bucketUpperUs(b) / 1000, this.maxLateNs / 1e6);
      }
      return this.maxLateNs / 1e6;
    };
    return { p50: q(0.5), p99: q(0.99), max: this.maxLateNs / 1e6, samples: n };
  }

  toJSON(): Record<string, unknown> {
    return {
      frames: this.frames,
      bytes: this.bytes,
      backpressurePauses: this.backpressurePauses,
      gapsReplayed: this.gapsReplayed,
      slowClientCloses: this.slowClientCloses,
      sessionsOpened: this.sessionsOpened,
      recordsRead: this.recordsRead,
      readsOpen: this.readsOpen,
      readsPeak: this.readsPeak,
      latenessMs: this.latenessMs(),
    };
  }
}
