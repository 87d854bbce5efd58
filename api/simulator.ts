/**
 * `startSimulator()`: every exchange's native server on one port over a synthetic market. It is
 * what `ticktape simulate` runs: the options are the command's flags camel-cased, validated by the
 * same schema (simulator/options-schema.ts), and the command starts through `launchSimulator` here.
 */
import { portListener } from '../core/listen.js';
import type { Logger } from '../core/log.js';
import type { OptionNaming } from '../core/parse-options.js';
import type { ExchangeId } from '../exchanges/types.js';
import { parseSimulatorOptions } from '../simulator/options-schema.js';
import { startSimulator as startSimulatorServer, type SimulatorOptions as ParsedSimulatorOptions, type SimulatorStats } from '../simulator/server.js';
import { urlsOf, type EndpointUrl, type EndpointUrls } from './endpoints.js';

export type { SimulatorStats } from '../simulator/server.js';

/** `ticktape simulate`'s flags, camel-cased; each is checked as the command checks its flag. */
export interface SimulatorOptions {
  /** Port, 0 for any free port (default 9001). */
  port?: number;
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** MQTT over plain TCP (Coinsuper): a port, 0 for any free one, or 'off' (default: port + 1, any free port when port is 0). */
  mqttPort?: number | 'off';
  /** Serve TLS (wss:// on port, mqtts:// on mqttPort) with this PEM certificate file, with `tlsKey`. */
  tlsCert?: string;
  /** The PEM private key file of `tlsCert`. */
  tlsKey?: string;
  /** Seed of the market: same seed, same market (default 1). */
  seed?: number;
  /** Market steps per second, above 0 (each step moves every symbol once), or 'max' to go as fast as clients read (default 200). */
  rate?: number | 'max';
  /** Symbols as BASE-QUOTE (default BTC-USDT, ETH-USDT, …). */
  symbols?: readonly string[];
  /** Start of the market clock, Unix ms (default: now); fix it for byte-identical runs. */
  originMs?: number;
  /** Market time between two book / depth-chart snapshots of one stream, ms, for every exchange (default: the exchange's documented cadence, else 100). */
  bookThrottleMs?: number;
  /** Load tests: push snapshots at fast rates whatever the exchanges document (FAST_FEED_THROTTLE). */
  fastPushes?: boolean;
  /** The demo account trades by itself now and then (default true). */
  autoTrade?: boolean;
  /** Extra credentials, `<exchange>:field=value,field=value` each (besides TICKTAPE_<EXCHANGE>_<FIELD> from the environment). */
  credential?: readonly string[];
  /** Terminate each connection (no close frame) after this many frames. */
  faultDropEvery?: number;
  /** Terminate each connection (no close frame) after this many seconds. */
  faultDropEveryS?: number;
  /** Replace this fraction (0..1) of data frames with malformed bytes. */
  faultMalformedRate?: number;
  /** Hold every outgoing frame back this long, ms. */
  faultDelayMs?: number;
  /** Stop reading clients' messages once they are connected. */
  faultStopReading?: boolean;
  /** Close each connection with 1000 after this many seconds. */
  faultLifetimeS?: number;
  /** Close clients that show no sign of life (in their exchange's terms) for this many seconds. */
  faultIdleCloseS?: number;
  /** Stop delivering streams of this kind (trade, book, ...) or key, socket kept open. */
  faultStall?: string;
  /** ...after this many items (default 0). */
  faultStallAfter?: number;
  logger?: Logger;
}

export interface SimulatorHandle {
  readonly port: number;
  /** Port of Coinsuper's MQTT-over-TCP listener, or null when off. */
  readonly mqttPort: number | null;
  /** The symbols simulated, BASE-QUOTE. */
  readonly symbols: readonly string[];
  /** exchange → endpoint → URL. */
  readonly urls: EndpointUrls;
  url(exchange: ExchangeId, endpoint: string): string;
  /** Every URL served, aliases (such as Coinsuper's `/mqtt`) included. */
  endpoints(): EndpointUrl[];
  stats(): SimulatorStats;
  close(): Promise<void>;
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<SimulatorHandle> {
  const { logger, ...rest } = options;
  return launchSimulator(parseSimulatorOptions(rest, 'option'), logger, 'option');
}

/** Starts the simulator from validated options (parseSimulatorOptions); `ticktape simulate` starts here. */
export async function launchSimulator(opts: ParsedSimulatorOptions, logger: Logger | undefined, naming: OptionNaming): Promise<SimulatorHandle> {
  const sim = await startSimulatorServer({
    ...opts,
    logger,
    listenAs: portListener('the simulator', 'port', naming),
    tcpListenAs: portListener("the simulator's Coinsuper MQTT listener", 'mqttPort', naming, true),
  });
  const endpoints = (): EndpointUrl[] => sim.endpoints().map((e) => ({ exchange: e.exchange, endpoint: e.endpoint, url: e.url, alias: e.alias }));
  return {
    port: sim.port,
    mqttPort: sim.mqttPort,
    symbols: sim.market.instruments.map((i) => `${i.base}-${i.quote}`),
    urls: urlsOf(sim.endpoints()),
    url: (exchange, endpoint) => sim.url(exchange, endpoint),
    endpoints,
    stats: () => sim.stats(),
    close: () => sim.close(),
  };
}
