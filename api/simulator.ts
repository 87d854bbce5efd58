/**
 * `startSimulator()`: every exchange's native server on one port over a synthetic market, as
 * `ticktape simulate` starts it, with the command's option names (`port`, `seed`, `rate`,
 * `symbols`, `faultDropEvery`, …) checked the same way.
 */
// The credential parsing `ticktape simulate` does, shared as it is.
import { completeCredentialsFromEnv as credentialsFromEnv } from '../exchanges/credentials-env.js';
import { parseCredentialArg } from '../simulator/options-schema.js';
import { TicktapeError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { ExchangeId } from '../exchanges/types.js';
import type { FaultConfig } from '../simulator/faults.js';
import { resolveMqttPort } from '../core/mqtt-port.js';
import { readTlsFiles } from '../core/tls-files.js';
import { FAST_FEED_THROTTLE } from '../simulator/feed.js';
import { DEFAULT_SIM_PORT, startSimulator as startSimulatorServer, type SimulatorStats } from '../simulator/server.js';
import { urlsOf, type EndpointUrls } from './endpoints.js';

export type { SimulatorStats } from '../simulator/server.js';

/** `ticktape simulate`'s flags, camel-cased. */
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
  /** Market steps per second (each step moves every symbol once), or 'max' to go as fast as clients read (default 200). */
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
  /** Extra credentials, `<exchange>:field=value,field=value` each. */
  credential?: readonly string[];
  faultDropEvery?: number;
  faultDropEveryS?: number;
  faultMalformedRate?: number;
  faultDelayMs?: number;
  faultStopReading?: boolean;
  faultLifetimeS?: number;
  faultStall?: string;
  faultStallAfter?: number;
  logger?: Logger;
}

export interface SimulatorHandle {
  readonly port: number;
  /** exchange → endpoint → URL. */
  readonly urls: EndpointUrls;
  url(exchange: ExchangeId, endpoint: string): string;
  stats(): SimulatorStats;
  close(): Promise<void>;
}

function check(name: string, v: unknown, ok: boolean, what: string): void {
  if (v !== undefined && !ok) throw new TicktapeError('TT_CONFIG_INVALID', `${name} must be ${what}, got ${JSON.stringify(v)}.`, { field: name });
}

const nonNegInt = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
const nonNeg = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;

export async function startSimulator(options: SimulatorOptions = {}): Promise<SimulatorHandle> {
  const o = options;
  check('port', o.port, nonNegInt(o.port) && (o.port as number) <= 65535, 'a port 0-65535 (0 for any free port)');
  check('seed', o.seed, nonNegInt(o.seed), 'a non-negative integer');
  check('rate', o.rate, o.rate === 'max' || nonNeg(o.rate), 'a non-negative number of steps per second or "max"');
  check('originMs', o.originMs, nonNegInt(o.originMs), 'Unix ms (a non-negative integer)');
  check('bookThrottleMs', o.bookThrottleMs, nonNegInt(o.bookThrottleMs), 'a non-negative integer (ms)');
  check('mqttPort', o.mqttPort, o.mqttPort === 'off' || (nonNegInt(o.mqttPort) && (o.mqttPort as number) <= 65535), 'a port 0-65535 (0 for any free port) or "off"');
  const mqttPort = resolveMqttPort(o.port ?? DEFAULT_SIM_PORT, o.mqttPort);
  const tls = readTlsFiles(o.tlsCert, o.tlsKey);
  const faults: Partial<FaultConfig> = {};
  const fault = <K extends keyof FaultConfig>(key: K, name: string, v: FaultConfig[K] | undefined, ok: boolean, what: string) => {
    check(name, v, ok, what);
    if (v !== undefined) faults[key] = v;
  };
  fault('dropEvery', 'faultDropEvery', o.faultDropEvery, nonNegInt(o.faultDropEvery), 'a non-negative integer (frames)');
  fault('dropEverySeconds', 'faultDropEveryS', o.faultDropEveryS, nonNeg(o.faultDropEveryS), 'a non-negative number (seconds)');
  fault('malformedRate', 'faultMalformedRate', o.faultMalformedRate, nonNeg(o.faultMalformedRate) && (o.faultMalformedRate as number) <= 1, 'a fraction 0..1');
  fault('delayMs', 'faultDelayMs', o.faultDelayMs, nonNeg(o.faultDelayMs), 'a non-negative number (ms)');
  if (o.faultStopReading) faults.stopReading = true;
  fault('lifetimeS', 'faultLifetimeS', o.faultLifetimeS, nonNeg(o.faultLifetimeS), 'a non-negative number (seconds)');
  fault('stall', 'faultStall', o.faultStall, typeof o.faultStall === 'string', 'a stream kind or key');
  fault('stallAfter', 'faultStallAfter', o.faultStallAfter, nonNegInt(o.faultStallAfter), 'a non-negative integer (items)');
  const credentials = credentialsFromEnv(process.env);
  for (const text of o.credential ?? []) {
    const [ex, creds] = parseCredentialArg(text);
    (credentials[ex] ??= []).push(creds);
  }
  const sim = await startSimulatorServer({
    host: o.host,
    port: o.port,
    mqttPort,
    tls,
    seed: o.seed,
    rate: o.rate,
    symbols: o.symbols ? [...o.symbols] : undefined,
    originMs: o.originMs,
    throttle: o.fastPushes || o.bookThrottleMs !== undefined ? { ...(o.fastPushes ? FAST_FEED_THROTTLE : {}), ...(o.bookThrottleMs !== undefined ? { bookMs: o.bookThrottleMs } : {}) } : undefined,
    autoTrade: o.autoTrade,
    faults,
    credentials,
    logger: o.logger,
  }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EADDRINUSE') throw new TicktapeError('TT_ADDRESS_IN_USE', `Port ${o.port} is in use: pick another port, or 0 for any free port.`, { port: o.port });
    throw err;
  });
  return {
    port: sim.port,
    urls: urlsOf(sim.endpoints()),
    url: (exchange, endpoint) => sim.url(exchange, endpoint),
    stats: () => sim.stats(),
    close: () => sim.close(),
  };
}
