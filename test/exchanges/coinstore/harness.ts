/**
 * Test harness for the Coinstore server side: the real host (`startHost`) with a feed the test
 * drives by hand (push an event to a stream key, see which keys are subscribed), and a plain `ws`
 * client that queues what it receives.
 */
import WebSocket from 'ws';
import { startHost, type ExchangeHost, type HostLimits, type SessionFeed } from '../../../exchanges/host.js';
import { coinstore } from '../../../exchanges/coinstore/index.js';
import type { Instrument, MarketEvent } from '../../../exchanges/market.js';
import type { FeedItem, ServerContext, StreamSpec } from '../../../exchanges/types.js';
import { seededRandom as seeded } from '../../../core/seeded-random.js';

export { seeded };

export const INSTRUMENTS: Instrument[] = [
  { base: 'BTC', quote: 'USDT', id: 4, priceDecimals: 2, amountDecimals: 4 },
  { base: 'ETH', quote: 'USDT', id: 5, priceDecimals: 2, amountDecimals: 4 },
  // The instrument of the documented wscat transcript (80004@trade, EOSUSD).
  { base: 'EOS', quote: 'USD', id: 80004, priceDecimals: 7, amountDecimals: 3 },
];

export interface ManualFeed {
  /** Stream keys subscribed right now, per connection (in connection order). */
  subscribed(): string[][];
  /** Every subscribe call seen, with its spec. */
  specs: StreamSpec[];
  /** Delivers an item to every connection subscribed to the key; returns how many got it. */
  push(key: string, item: FeedItem): number;
  event(key: string, event: MarketEvent): number;
}

export interface ManualFeedOptions {
  /** Refuse `!@ticker` like the simulator's market did (default true). */
  refuseAllTicker?: boolean;
  /** Only these keys exist (a replay catalog); default: every key. */
  only?: string[];
}

export function manualFeed(opts: ManualFeedOptions = {}): { feed: ManualFeed; factory: () => SessionFeed } {
  const conns: Array<Map<string, (item: FeedItem) => void>> = [];
  const specs: StreamSpec[] = [];
  const feed: ManualFeed = {
    subscribed: () => conns.map((m) => [...m.keys()].sort()),
    specs,
    push(key, item) {
      let n = 0;
      for (const m of conns) {
        const d = m.get(key);
        if (d) {
          d(item);
          n++;
        }
      }
      return n;
    },
    event: (key, event) => feed.push(key, { type: 'event', event }),
  };
  const factory = (): SessionFeed => {
    const m = new Map<string, (item: FeedItem) => void>();
    conns.push(m);
    return {
      subscribe(stream, deliver) {
        specs.push(stream);
        // Like the simulator's market, which has per-instrument tickers only.
        if (opts.refuseAllTicker !== false && stream.key === '!@ticker') return { ok: false, reason: 'no such stream', code: 'unknown' };
        if (opts.only && !opts.only.includes(stream.key)) return { ok: false, reason: `no recorded stream ${stream.key}`, code: 'unknown' };
        m.set(stream.key, deliver);
        return { ok: true };
      },
      unsubscribe(key) {
        m.delete(key);
      },
      close() {
        m.clear();
      },
    };
  };
  return { feed, factory };
}

export async function startCoinstore(ctxExtra: Partial<ServerContext> = {}, feedOpts: ManualFeedOptions = {}, limits: Partial<HostLimits> = {}) {
  const { feed, factory } = manualFeed(feedOpts);
  let seed = 1;
  const host: ExchangeHost = await startHost({
    port: 0,
    limits,
    connection: () => ({
      context: {
        instruments: INSTRUMENTS,
        credentials: [coinstore.demoCredentials],
        nowMs: () => Date.now(),
        timing: {},
        random: seeded(seed++),
        ...ctxExtra,
      },
      feed: factory(),
    }),
  });
  return { host, feed, url: host.url('coinstore', 'ws') };
}

export interface Received {
  text: string;
  msg: Record<string, unknown>;
}

/** A plain ws client that queues messages; `next()` resolves with the next one. */
export class TestClient {
  readonly ws: WebSocket;
  private readonly queue: Received[] = [];
  private readonly waiters: Array<(r: Received) => void> = [];
  readonly all: Received[] = [];
  pings = 0;
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly opened: Promise<void>;

  constructor(url: string, opts: { autoPong?: boolean } = {}) {
    this.ws = new WebSocket(url, { autoPong: opts.autoPong ?? true });
    this.ws.on('message', (data: Buffer) => {
      const text = data.toString('utf8');
      const r = { text, msg: JSON.parse(text) as Record<string, unknown> };
      this.all.push(r);
      const w = this.waiters.shift();
      if (w) w(r);
      else this.queue.push(r);
    });
    this.ws.on('ping', () => this.pings++);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.closed = new Promise((resolve) => this.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  next(timeoutMs = 3000): Promise<Received> {
    const r = this.queue.shift();
    if (r) return Promise.resolve(r);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`no message within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = (x: Received) => {
        clearTimeout(t);
        resolve(x);
      };
      this.waiters.push(waiter);
    });
  }

  async take(n: number): Promise<Received[]> {
    const out: Received[] = [];
    for (let i = 0; i < n; i++) out.push(await this.next());
    return out;
  }

  pending(): number {
    return this.queue.length;
  }

  send(cmd: unknown): void {
    this.ws.send(typeof cmd === 'string' ? cmd : JSON.stringify(cmd));
  }

  /** Sends a command and returns its echo and resp. */
  async command(cmd: unknown): Promise<{ echo: Received; resp: Received }> {
    this.send(cmd);
    const echo = await this.next();
    const resp = await this.next();
    return { echo, resp };
  }

  close(): void {
    this.ws.close();
  }
}

export async function connect(url: string, opts: { autoPong?: boolean } = {}): Promise<{ c: TestClient; welcome: Received }> {
  const c = new TestClient(url, opts);
  await c.opened;
  const welcome = await c.next();
  return { c, welcome };
}
