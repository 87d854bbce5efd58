/**
 * `startSimulator`: every exchange's native server side on one port (exchanges/host.ts), fed by
 * one synthetic market (market.ts) through a feed per connection (feed.ts), with optional fault
 * injection (faults.ts).
 *
 * The market's logical clock starts at `originMs` (default: the wall clock at start) and advances
 * `1000 / rate` ms per step, so at a fixed rate its timestamps follow the wall clock. In `max` mode
 * each step is DEFAULT_STEP_MS of logical time and the market runs as fast as the clients read.
 */
import type { Logger } from '../core/log.js';
import { silentLogger } from '../core/log.js';
import { type ListenWho, portListener } from '../core/listen.js';
import { startHost, type ConnectionHandlers, type ConnectionInfo, type ExchangeHost, type HostedEndpoint, type HostLimits, type TlsFiles, type Transport } from '../exchanges/host.js';
import { EXCHANGES } from '../exchanges/registry.js';
import { tradingFromDemo } from '../exchanges/trading.js';
import { EXCHANGE_IDS, type Credentials, type ExchangeId, type ServerContext, type ServerTiming } from '../exchanges/types.js';
import { MAKER_FEE_BPS, TAKER_FEE_BPS } from './account.js';
import { serveCoinstorePublicRest } from '../exchanges/coinstore/public-http.js';
import { createMarketFeed, type FeedThrottle } from './feed.js';
import { ConnectionFaults, emptyFaultCounts, faultsForUrl, parseFaults, type FaultConfig, type FaultCounts } from './faults.js';
import { DEFAULT_STEP_MS, Market } from './market.js';
import { MAX_MODE_BUFFERED_BYTES, startPacer, type Rate } from './pacer.js';
import { createRandom, mixSeed } from './random.js';

/** The demo account's fees as decimal rates (what Coinstore's symbol list shows as makerFee / takerFee). */
const SIM_FEES = { maker: String(Number(MAKER_FEE_BPS) / 10_000), taker: String(Number(TAKER_FEE_BPS) / 10_000) };

export const DEFAULT_SIM_PORT = 9001;
export const DEFAULT_SIM_HOST = '127.0.0.1';
/** Market steps per second; each step moves every instrument once. */
export const DEFAULT_SIM_RATE = 200;
/** A WebSocket close reason is at most 123 bytes. */
const MAX_CLOSE_REASON_CHARS = 120;

export interface SimulatorOptions {
  host?: string;
  port?: number;
  /** Port of the MQTT-over-TCP listener for Coinsuper (0 = any free port); null or absent: none. The CLI defaults it to the HTTP port + 1. */
  mqttPort?: number | null;
  /** Serve TLS (https/wss and MQTT over TLS) with this certificate and key. */
  tls?: TlsFiles;
  seed?: number;
  /** Market steps per second, 0 to step only by hand (`step()`), or 'max'. */
  rate?: Rate;
  symbols?: string[];
  faults?: Partial<FaultConfig>;
  /** Extra credentials each exchange accepts, besides its documented demo credentials. */
  credentials?: Partial<Record<ExchangeId, Credentials[]>>;
  /**
   * Snapshot push periods (book, kline, ticker, trade window), overriding every exchange's
   * documented cadence: faster rates for load tests (FAST_FEED_THROTTLE).
   */
  throttle?: Partial<FeedThrottle>;
  /** Start of the logical clock (default: the wall clock at start). */
  originMs?: number;
  /** Session timings per exchange (heartbeat, idle timeout, lifetime), over each exchange's defaults. */
  timing?: Partial<Record<ExchangeId, Partial<ServerTiming>>>;
  limits?: Partial<HostLimits>;
  /** The demo account trades by itself now and then (default true). */
  autoTrade?: boolean;
  logger?: Logger;
  /** What a listen error names (default: the simulator, `--port`). */
  listenAs?: ListenWho;
  /** What a listen error of the Coinsuper MQTT listener names (default: `--mqtt-port`). */
  tcpListenAs?: ListenWho;
}

export interface RouteStats {
  connections: number;
  connectionsTotal: number;
  frames: number;
  bytes: number;
}

export interface SimulatorStats {
  steps: number;
  nowMs: number;
  connections: number;
  /** Frames and bytes sent, per `exchange/endpoint`. */
  routes: Record<string, RouteStats>;
  frames: number;
  bytes: number;
  /** Feed items delivered to sessions, per stream kind. */
  delivered: Record<string, number>;
  faults: FaultCounts;
  /** Steps the pacer skipped because the process fell behind. */
  skippedSteps: number;
}

export interface Simulator {
  readonly port: number;
  /** Port of the MQTT-over-TCP listener (Coinsuper), or null when there is none. */
  readonly mqttPort: number | null;
  readonly market: Market;
  url(exchange: ExchangeId, endpoint: string): string;
  /** Every URL served: WebSocket paths (aliases such as `/mqtt` included) and the MQTT TCP listener. */
  endpoints(): HostedEndpoint[];
  stats(): SimulatorStats;
  /** Steps the market by hand (tests, rate 0). */
  step(n?: number): void;
  close(): Promise<void>;
}

export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const log = opts.logger ?? silentLogger;
  const seed = opts.seed ?? 1;
  const rate: Rate = opts.rate ?? DEFAULT_SIM_RATE;
  if (rate !== 'max' && !(Number.isFinite(rate) && rate >= 0)) throw new Error(`rate must be a non-negative number or 'max', got ${String(rate)}`);
  const faults = parseFaults(opts.faults ?? {});
  const market = new Market({
    seed,
    symbols: opts.symbols,
    originMs: opts.originMs ?? Date.now(),
    stepMs: rate === 'max' || rate === 0 ? DEFAULT_STEP_MS : 1000 / rate,
    autoTrade: opts.autoTrade,
  });

  const counts = emptyFaultCounts();
  const routeStats = new Map<string, RouteStats>();
  const delivered: Record<string, number> = {};
  const open = new Set<Transport>();
  const contexts = new Map<ExchangeId, ServerContext>();
  let connectionIndex = 0;

  const statsOf = (key: string): RouteStats => {
    let s = routeStats.get(key);
    if (!s) {
      s = { connections: 0, connectionsTotal: 0, frames: 0, bytes: 0 };
      routeStats.set(key, s);
    }
    return s;
  };

  const contextFor = (exchange: ExchangeId): ServerContext => {
    let ctx = contexts.get(exchange);
    if (!ctx) {
      const rng = createRandom(mixSeed(seed, 0x5e55, EXCHANGE_IDS.indexOf(exchange)));
      ctx = {
        instruments: market.instruments,
        credentials: [EXCHANGES[exchange].demoCredentials, ...(opts.credentials?.[exchange] ?? [])],
        nowMs: () => market.nowMs(),
        timing: { ...opts.timing?.[exchange] },
        klineHistory: (inst, intervalMs, endTimeMs, limit) => market.klineHistory(inst, intervalMs, endTimeMs, limit),
        recentTrades: (inst, limit) => market.tradeWindow(inst).trades.slice(0, limit).reverse(),
        account: market.account,
        trading: tradingFromDemo(market.account),
        random: () => rng.next(),
      };
      contexts.set(exchange, ctx);
    }
    return ctx;
  };

  /** One connection: the exchange's shared context, a market feed, and the connection's faults. */
  const connection = ({ route, url }: ConnectionInfo): ConnectionHandlers => {
    const key = `${route.exchange}/${route.endpoint}`;
    const rs = statsOf(key);
    // A bad `fault.*` parameter cannot refuse the upgrade (faults are read per connection, after
    // the exchange's own checks): the connection is closed with 1008 and the reason once it is open.
    let config = faults;
    let refusal: string | null = null;
    try {
      config = faultsForUrl(url, faults);
    } catch (err) {
      refusal = (err as Error).message;
    }
    const cf = new ConnectionFaults(config, counts, seed, connectionIndex++, (bytes) => {
      rs.frames += 1;
      rs.bytes += bytes;
    });
    const feed = createMarketFeed(market, {
      throttle: opts.throttle,
      cadence: EXCHANGES[route.exchange].server.cadence,
      gate: (stream, item) => cf.gate(stream, item),
      delivered: (stream) => {
        delivered[stream.kind] = (delivered[stream.kind] ?? 0) + 1;
      },
    });
    let transport: Transport | null = null;
    const shared = contextFor(route.exchange);
    if (config.idleCloseS > 0 && !refusal) counts.idleLimits += 1;
    return {
      context: config.idleCloseS > 0 ? { ...shared, timing: { ...shared.timing, idleTimeoutMs: config.idleCloseS * 1000 } } : shared,
      feed: {
        subscribe: (stream, deliver) => feed.subscribe(stream, (item) => cf.delivery(() => deliver(item))),
        unsubscribe: (k) => feed.unsubscribe(k),
        close: () => feed.close(),
      },
      outbound: cf.outbound,
      onOpen: (conn) => {
        if (refusal) {
          conn.link.close(1008, refusal.slice(0, MAX_CLOSE_REASON_CHARS));
          return;
        }
        cf.attach(conn);
        transport = conn.transport;
        open.add(transport);
        rs.connections += 1;
        rs.connectionsTotal += 1;
      },
      onClose: () => {
        cf.dispose();
        if (!transport) return;
        open.delete(transport);
        rs.connections -= 1;
      },
    };
  };

  const host: ExchangeHost = await startHost({
    host: opts.host ?? DEFAULT_SIM_HOST,
    port: opts.port ?? DEFAULT_SIM_PORT,
    tcpPorts: opts.mqttPort === null || opts.mqttPort === undefined ? {} : { coinsuper: opts.mqttPort },
    tls: opts.tls,
    listenAs: opts.listenAs ?? portListener('the simulator', 'port', 'flag'),
    tcpListenAs: opts.tcpListenAs ?? portListener("the simulator's Coinsuper MQTT listener", 'mqttPort', 'flag', true),
    limits: opts.limits,
    connection,
    // Coinstore's public symbol list (the instrument ids bots subscribe with), fees of the demo account
    onRequest: (req, res) => serveCoinstorePublicRest(req, res, market.instruments, SIM_FEES),
    logger: log,
  });

  // Frames of one batch of steps leave in one write per socket: corked before, uncorked after.
  const step = (n: number) => {
    const releases = [...open].map((t) => t.hold());
    try {
      market.step(n);
    } finally {
      for (const release of releases) release();
    }
  };
  const congested = () => {
    for (const t of open) if (t.bufferedAmount() > MAX_MODE_BUFFERED_BYTES) return true;
    return false;
  };
  const pacer = startPacer({ rate, step, congested, idle: () => open.size === 0 });
  log.info({ port: host.port, mqttPort: host.tcpPort('coinsuper'), seed, rate, symbols: market.instruments.map((i) => `${i.base}-${i.quote}`) }, 'simulator listening');

  return {
    port: host.port,
    mqttPort: host.tcpPort('coinsuper'),
    market,
    url: (exchange, endpoint) => host.url(exchange, endpoint),
    endpoints: () => host.endpoints(),
    stats() {
      const routes: Record<string, RouteStats> = {};
      let frames = 0;
      let bytes = 0;
      for (const [k, v] of routeStats) {
        routes[k] = { ...v };
        frames += v.frames;
        bytes += v.bytes;
      }
      return {
        steps: market.steps(),
        nowMs: market.nowMs(),
        connections: host.connections(),
        routes,
        frames,
        bytes,
        delivered: { ...delivered },
        faults: { ...counts },
        skippedSteps: pacer.skipped(),
      };
    },
    step: (n = 1) => step(n),
    async close() {
      pacer.stop();
      await host.close();
      log.info({ steps: market.steps() }, 'simulator stopped');
    },
  };
}
