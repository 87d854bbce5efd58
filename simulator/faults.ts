/**
 * Fault injection, per run (flags) and per connection (query parameters such as
 * `?fault.dropEvery=500`, which override the run's values for that connection). Faults act on the
 * socket the host accepted, below the exchange's protocol logic, so every exchange gets the same
 * faults: the recorder under test sees what a flaky network or a failing venue would do to it.
 * Every injected fault is counted, so tests can compare what the client saw with what was done.
 */
import { TicktapeError } from '../core/errors.js';
import type { OpenConnection, Transport } from '../exchanges/host.js';
import type { FeedItem, StreamSpec } from '../exchanges/types.js';
import { createRandom, mixSeed, type Random } from './random.js';

export interface FaultConfig {
  /** Terminate the connection (no close frame) once it has sent this many frames; 0 = never. */
  dropEvery: number;
  /** Terminate the connection (no close frame) this many seconds after it opened; 0 = never. */
  dropEverySeconds: number;
  /** Fraction (0..1) of data frames replaced by malformed bytes: cut JSON, or a broken MQTT packet. */
  malformedRate: number;
  /** Hold every outgoing frame back this long (a slow link), ms; 0 = off. */
  delayMs: number;
  /** Stop reading what the client sends once it is connected: its requests, pings and pongs go unanswered. */
  stopReading: boolean;
  /** Close with 1000 after this many seconds (Coinstore closes links after 24 h); 0 = never. */
  lifetimeS: number;
  /**
   * Give the connection's session an idle timeout of this many seconds: it closes a client that
   * shows no sign of life in its protocol's terms (Coinceres: no message — what its market socket
   * was seen to do after 30 s; Coinstore: no pong); 0 = the exchange's default.
   */
  idleCloseS: number;
  /** Stop delivering the streams of this kind (`book`) or key, while the socket stays up; '' = off. */
  stall: string;
  /** ...after this many items of that stream were delivered. */
  stallAfter: number;
}

export const NO_FAULTS: FaultConfig = {
  dropEvery: 0,
  dropEverySeconds: 0,
  malformedRate: 0,
  delayMs: 0,
  stopReading: false,
  lifetimeS: 0,
  idleCloseS: 0,
  stall: '',
  stallAfter: 0,
};

export interface FaultCounts {
  /** Connections terminated after N frames or N seconds. */
  drops: number;
  malformed: number;
  /** Frames held back by delayMs. */
  delayed: number;
  lifetimeCloses: number;
  /** Connections whose session was given an idle timeout (idleCloseS). */
  idleLimits: number;
  /** Connections whose reading was stopped. */
  stoppedReading: number;
  /** Streams that stalled, and the items withheld from them. */
  stalledStreams: number;
  withheldItems: number;
}

export function emptyFaultCounts(): FaultCounts {
  return { drops: 0, malformed: 0, delayed: 0, lifetimeCloses: 0, idleLimits: 0, stoppedReading: 0, stalledStreams: 0, withheldItems: 0 };
}

const QUERY_PREFIX = 'fault.';

/** Validates a partial fault config (from flags or a query); throws TT_CONFIG_INVALID naming the bad field. */
export function parseFaults(input: Record<string, unknown>, base: FaultConfig = NO_FAULTS): FaultConfig {
  const out: FaultConfig = { ...base };
  for (const [key, raw] of Object.entries(input)) {
    if (raw === undefined) continue;
    if (!(key in NO_FAULTS)) {
      throw new TicktapeError('TT_CONFIG_INVALID', `Unknown fault "${key}". Known faults: ${Object.keys(NO_FAULTS).join(', ')}.`, { key });
    }
    const k = key as keyof FaultConfig;
    if (k === 'stall') {
      out.stall = String(raw);
    } else if (k === 'stopReading') {
      out.stopReading = raw === true || raw === '' || raw === '1' || raw === 'true';
    } else {
      const n = Number(raw);
      const ok = k === 'malformedRate' ? n >= 0 && n <= 1 : Number.isFinite(n) && n >= 0;
      if (!ok) throw new TicktapeError('TT_CONFIG_INVALID', `Fault ${key} must be ${k === 'malformedRate' ? 'between 0 and 1' : 'a non-negative number'}, got "${String(raw)}".`, { key });
      out[k] = n;
    }
  }
  return out;
}

/** The run's faults overridden by the connection's `fault.*` query parameters. */
export function faultsForUrl(url: URL, base: FaultConfig): FaultConfig {
  const fromQuery: Record<string, string> = {};
  for (const [k, v] of url.searchParams) if (k.startsWith(QUERY_PREFIX)) fromQuery[k.slice(QUERY_PREFIX.length)] = v;
  return Object.keys(fromQuery).length ? parseFaults(fromQuery, base) : base;
}

export function isActive(f: FaultConfig): boolean {
  return f.dropEvery > 0 || f.dropEverySeconds > 0 || f.malformedRate > 0 || f.delayMs > 0 || f.stopReading || f.lifetimeS > 0 || f.idleCloseS > 0 || f.stall !== '';
}

/** Replaces a frame with bytes its client cannot parse: JSON cut in half, or an MQTT packet with an invalid length. */
export function malform(data: string | Uint8Array | Buffer): string | Uint8Array {
  if (typeof data === 'string') return `${data.slice(0, Math.max(1, Math.floor(data.length / 2)))}\u0000`;
  // PUBLISH with a remaining length of five continuation bytes: MQTT allows at most four.
  return Uint8Array.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x7f]);
}

/**
 * The faults of one connection. Created with the connection's handlers (so it can stall streams,
 * knows which frames carry data and sees every frame the session sends, through `outbound`), and
 * attached to the connection once it is open (its timers: drops by time, lifetime, stop reading).
 * It acts on the transport, so WebSocket and TCP connections get the same faults.
 */
export class ConnectionFaults {
  private readonly rng: Random;
  private frames = 0;
  private delivering = false;
  private readonly streamItems = new Map<string, number>();
  private readonly stalled = new Set<string>();
  private readonly timers: NodeJS.Timeout[] = [];
  private done = false;

  constructor(
    readonly config: FaultConfig,
    private readonly counts: FaultCounts,
    seed: number,
    connectionIndex: number,
    private readonly onFrame: (bytes: number) => void,
  ) {
    this.rng = createRandom(mixSeed(seed, 0xfa17, connectionIndex));
  }

  /** Feed gate: false withholds an item of a stalled stream. */
  gate(stream: StreamSpec, _item: FeedItem): boolean {
    const c = this.config;
    if (!c.stall || (stream.kind !== c.stall && stream.key !== c.stall)) return true;
    const n = (this.streamItems.get(stream.key) ?? 0) + 1;
    this.streamItems.set(stream.key, n);
    if (n <= c.stallAfter) return true;
    if (!this.stalled.has(stream.key)) {
      this.stalled.add(stream.key);
      this.counts.stalledStreams += 1;
    }
    this.counts.withheldItems += 1;
    return false;
  }

  /** Wraps a feed delivery so that frames sent during it are known to carry data. */
  delivery(fn: () => void): void {
    this.delivering = true;
    try {
      fn();
    } finally {
      this.delivering = false;
    }
  }

  /** Every frame the session sends (the host's OutboundFilter): counted, maybe malformed, delayed, or the last before a drop. */
  readonly outbound = (data: string | Uint8Array, binary: boolean, next: (data: string | Uint8Array, binary: boolean) => void, transport: Transport): void => {
    if (this.done) return;
    const c = this.config;
    let out = data;
    if (this.delivering && c.malformedRate > 0 && this.rng.next() < c.malformedRate) {
      out = malform(out);
      this.counts.malformed += 1;
    }
    this.frames += 1;
    this.onFrame(typeof out === 'string' ? Buffer.byteLength(out) : out.byteLength);
    const drop = c.dropEvery > 0 && this.frames >= c.dropEvery;
    if (c.delayMs > 0) {
      this.counts.delayed += 1;
      this.timers.push(
        setTimeout(() => {
          next(out, binary);
          if (drop) this.terminate(transport);
        }, c.delayMs),
      );
      return;
    }
    next(out, binary);
    if (drop) this.terminate(transport);
  };

  attach(conn: OpenConnection): void {
    const c = this.config;
    if (this.done) return;
    if (c.dropEverySeconds > 0) this.timers.push(setTimeout(() => this.terminate(conn.transport), c.dropEverySeconds * 1000));
    if (c.lifetimeS > 0) {
      this.timers.push(
        setTimeout(() => {
          if (this.done || !conn.transport.open) return;
          this.counts.lifetimeCloses += 1;
          conn.link.close(1000, 'connection lifetime reached');
        }, c.lifetimeS * 1000),
      );
    }
    if (c.stopReading) {
      // The client's writes back up: its requests, pings and pongs go unanswered.
      conn.transport.pauseReading();
      this.counts.stoppedReading += 1;
    }
  }

  private terminate(transport: Transport): void {
    if (this.done) return;
    this.done = true;
    this.counts.drops += 1;
    // the transport sends what was sent before the cut (the server corks sockets during a batch of steps)
    transport.terminate();
    this.dispose();
  }

  dispose(): void {
    this.done = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.length = 0;
  }
}
