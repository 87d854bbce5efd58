/**
 * Server side → one client over a real local socket: how many frames per second an exchange's
 * server side formats and sends when the feed never runs dry. The feed hands events to the session
 * in batches, every event-loop turn, but pauses while the server socket holds more than
 * SOCKET_HIGH_WATER_BYTES unsent, so the figure is what the client actually reads (not what piles
 * up in a buffer). The client is a plain `ws` socket in the same process that counts frames and
 * bytes. A helper module, not a benchmark: it exports no `run()`, so bench/run.ts skips it.
 */
import WebSocket from 'ws';
import { startHost, type SessionFeed, type Transport } from '../exchanges/host.js';
import type { Instrument, MarketEvent } from '../exchanges/market.js';
import type { Credentials, ExchangeId, FeedItem, ServerTiming, StreamSpec } from '../exchanges/types.js';
import { MEASURE_MS } from './measure.js';
import type { BenchResult } from './types.js';

/** The feed pauses while the server socket holds more than this many unsent bytes. */
export const SOCKET_HIGH_WATER_BYTES = 1 << 20;
/** Events handed to the session per event-loop turn when the caller does not say. */
export const DEFAULT_SOCKET_BATCH = 200;
/** Frames read before counting starts: the handshake, the subscribe answer and the first burst. */
export const SOCKET_WARMUP_MS = 300;
/** How long frames are counted (twice a pure measurement: a socket figure is noisier). */
export const SOCKET_MEASURE_MS = MEASURE_MS * 2;

export interface OneClientOptions {
  exchange: ExchangeId;
  endpoint: string;
  /** Events the feed delivers: a list replayed in a loop, or made per subscribed stream (`i` counts from 0). */
  events: readonly MarketEvent[] | ((spec: StreamSpec, i: number) => MarketEvent);
  /** Events per event-loop turn. */
  batch?: number;
  instruments?: Instrument[];
  credentials?: Credentials[];
  timing?: Partial<ServerTiming>;
  /** Appended to the endpoint URL (a query string carrying a token). */
  urlSuffix?: string;
  /** WebSocket subprotocols the client offers (MQTT needs `mqtt`). */
  protocols?: string[];
  /** Client socket options (e.g. perMessageDeflate off). */
  clientOptions?: WebSocket.ClientOptions;
  /** The connect/subscribe step, once the socket is open. */
  subscribe(ws: WebSocket): void;
  /** Sees every frame the client reads (answering acks); whether it counts (default: every frame counts). */
  onFrame?(data: Buffer, ws: WebSocket): boolean | void;
}

/** What the client read during the counting window. */
export interface OneClientResult {
  frames: number;
  bytes: number;
  secs: number;
}

export async function oneClient(opts: OneClientOptions): Promise<OneClientResult> {
  const batch = opts.batch ?? DEFAULT_SOCKET_BATCH;
  const { events } = opts;
  const next = typeof events === 'function' ? events : (_spec: StreamSpec, i: number) => events[i % events.length];
  // The host hands the open connection to onOpen: the feed watches its send buffer.
  let server: Transport | null = null;
  const feedFor = (): SessionFeed => {
    let running = true;
    return {
      subscribe(spec, deliver: (item: FeedItem) => void) {
        let i = 0;
        const pump = () => {
          if (!running) return;
          if (server && server.bufferedAmount() < SOCKET_HIGH_WATER_BYTES) {
            for (let k = 0; k < batch; k++) deliver({ type: 'event', event: next(spec, i++) });
          }
          setImmediate(pump);
        };
        setImmediate(pump);
        return { ok: true };
      },
      unsubscribe() {
        running = false;
      },
      close() {
        running = false;
      },
    };
  };
  const host = await startHost({
    port: 0,
    connection: () => ({
      context: { instruments: opts.instruments ?? [], credentials: opts.credentials ?? [], nowMs: () => Date.now(), timing: opts.timing ?? {}, random: Math.random },
      feed: feedFor(),
      onOpen: (conn) => {
        server = conn.transport;
      },
    }),
  });
  try {
    const ws = new WebSocket(`${host.url(opts.exchange, opts.endpoint)}${opts.urlSuffix ?? ''}`, opts.protocols ?? [], opts.clientOptions);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    let frames = 0;
    let bytes = 0;
    ws.on('message', (d: Buffer) => {
      if (opts.onFrame?.(d, ws) === false) return;
      frames++;
      bytes += d.length;
    });
    opts.subscribe(ws);
    await new Promise((r) => setTimeout(r, SOCKET_WARMUP_MS));
    const f0 = frames;
    const b0 = bytes;
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, SOCKET_MEASURE_MS));
    const secs = (performance.now() - t0) / 1000;
    const result = { frames: frames - f0, bytes: bytes - b0, secs };
    ws.terminate();
    return result;
  } finally {
    await host.close();
  }
}

/** Frames per second, as a figure; the note starts with MiB/s. */
export function framesPerSecond(name: string, r: OneClientResult, note: string): BenchResult {
  return { name, value: Math.round(r.frames / r.secs), unit: 'frames/s', note: `${(r.bytes / r.secs / 2 ** 20).toFixed(1)} MiB/s; ${note}` };
}
