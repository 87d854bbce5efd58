/**
 * A replay session's clock: recorded time `startNs` maps to monotonic time `anchor`; a frame
 * recorded at `t` is due at `anchor + (t − startNs) / speed`. Scheduling against a fixed anchor
 * (never "sleep the gap since the last frame") keeps the replay free of drift. Connections that
 * pass the same `session` id share one clock, so a bot's sockets see the exchanges in sync.
 */
import type { Speed } from './options.js';

export class ReplayClock {
  readonly startNs: bigint;
  readonly speed: Speed;
  private anchorMono: bigint | null = null;
  private pausedAtNs: bigint | null = null; // recorded time at which the clock was paused
  private listeners = new Set<() => void>();
  /** Incremented by every seek: cursors re-position (at seekedToNs) when it changes. */
  generation = 0;
  seekedToNs: bigint;

  private maxPositionNs: bigint;

  constructor(startNs: bigint, speed: Speed) {
    this.startNs = startNs;
    this.maxPositionNs = startNs;
    this.seekedToNs = startNs;
    this.speed = speed;
  }

  get started(): boolean {
    return this.anchorMono !== null;
  }

  get paused(): boolean {
    return this.pausedAtNs !== null;
  }

  start(): void {
    if (this.anchorMono === null) this.anchorMono = process.hrtime.bigint();
  }

  /** Recorded time the clock stands at now. */
  nowRecordedNs(): bigint {
    if (this.pausedAtNs !== null) return this.pausedAtNs;
    if (this.anchorMono === null) return this.startNs;
    if (this.speed === 'max') return this.maxPositionNs; // see advanceTo
    const elapsed = process.hrtime.bigint() - this.anchorMono;
    return this.startNs + BigInt(Math.round(Number(elapsed) * this.speed));
  }

  /** Monotonic time (ns) at which a frame recorded at `recvNs` is due. */
  dueMono(recvNs: bigint): bigint {
    if (this.speed === 'max' || this.anchorMono === null) return 0n;
    return this.anchorMono + BigInt(Math.round(Number(recvNs - this.startNs) / this.speed));
  }

  pause(): void {
    if (this.pausedAtNs === null) this.pausedAtNs = this.nowRecordedNs();
  }

  resume(): void {
    if (this.pausedAtNs === null) return;
    this.seekTo(this.pausedAtNs, false);
    this.pausedAtNs = null;
    this.emit();
  }

  /** Moves the clock so that recorded time `t` is now. */
  seekTo(t: bigint, notify = true): void {
    if (this.speed !== 'max') {
      this.anchorMono = process.hrtime.bigint() - BigInt(Math.round(Number(t - this.startNs) / this.speed));
    }
    if (this.pausedAtNs !== null) this.pausedAtNs = t;
    this.maxPositionNs = t;
    if (notify) {
      this.seekedToNs = t;
      this.generation++;
      this.emit();
    }
  }

  /** Max speed has no wall-clock mapping: the clock stands where the furthest cursor got to. */
  advanceTo(t: bigint): void {
    if (t > this.maxPositionNs) this.maxPositionNs = t;
  }

  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(): void {
    for (const fn of this.listeners) fn();
  }
}
