/**
 * `ticktape simulate`: every exchange's native server on one port over a synthetic market. Prints
 * the URL table to stdout, logs to stderr, runs until SIGINT/SIGTERM (exit 0).
 */
import { InvalidArgumentError, type Command } from 'commander';
import { TicktapeError } from '../../core/errors.js';
import { createLogger } from '../../core/log.js';
import { EXCHANGES } from '../../exchanges/registry.js';
import { EXCHANGE_IDS, type Credentials, type ExchangeId } from '../../exchanges/types.js';
import type { FaultConfig } from '../../simulator/faults.js';
import { FAST_FEED_THROTTLE } from '../../simulator/feed.js';
import { DEFAULT_SYMBOLS } from '../../simulator/instruments.js';
import { DEFAULT_SIM_HOST, DEFAULT_SIM_PORT, DEFAULT_SIM_RATE, startSimulator, type Simulator } from '../../simulator/server.js';
import { intArg, listArg, exposureWarning, mqttPortArg, readTlsFiles, resolveMqttPort } from '../options.js';

/** A stop that takes longer than this ends the process anyway. */
const STOP_TIMEOUT_MS = 10_000;

interface SimulateFlags {
  port: number;
  mqttPort?: number | 'off';
  tlsCert?: string;
  tlsKey?: string;
  host: string;
  seed: number;
  rate: number | 'max';
  symbols?: string[];
  originMs?: number;
  bookThrottleMs?: number;
  fastPushes?: boolean;
  autoTrade: boolean;
  credential?: string[];
  faultDropEvery?: number;
  faultDropEveryS?: number;
  faultMalformedRate?: number;
  faultDelayMs?: number;
  faultStopReading?: boolean;
  faultLifetimeS?: number;
  faultIdleCloseS?: number;
  faultStall?: string;
  faultStallAfter?: number;
}

function rateArg(value: string): number | 'max' {
  if (value === 'max') return 'max';
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`--rate must be a non-negative number of steps per second or "max", got "${value}"`);
  return n;
}

function numberArg(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative number, got "${value}"`);
    return n;
  };
}

function collect(value: string, previous: string[] = []): string[] {
  return previous.concat(value);
}

/** `coinstore:apiKey=K,secret=S` → ['coinstore', {apiKey: 'K', secret: 'S'}]. */
export function parseCredentialArg(text: string): [ExchangeId, Credentials] {
  const m = /^([a-z]+):(.+)$/.exec(text);
  const exchange = m?.[1];
  if (!m || !exchange || !(EXCHANGE_IDS as readonly string[]).includes(exchange)) {
    throw new TicktapeError('TT_CONFIG_INVALID', `Cannot read --credential "${text.split(':')[0]}:…": write it as <exchange>:field=value,field=value with exchange one of ${EXCHANGE_IDS.join(', ')}.`);
  }
  const creds: Credentials = {};
  for (const part of m[2].split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new TicktapeError('TT_CONFIG_INVALID', `--credential for ${exchange}: each part must be field=value.`);
    creds[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return [exchange as ExchangeId, creds];
}

/** Credentials from TICKTAPE_<EXCHANGE>_<FIELD> (apiKey → API_KEY), when every field of the exchange is set. */
export function credentialsFromEnv(env: NodeJS.ProcessEnv): Partial<Record<ExchangeId, Credentials[]>> {
  const out: Partial<Record<ExchangeId, Credentials[]>> = {};
  for (const id of EXCHANGE_IDS) {
    const fields = EXCHANGES[id]?.client?.credentialFields ?? [];
    if (fields.length === 0) continue;
    const creds: Credentials = {};
    for (const f of fields) {
      const v = env[`TICKTAPE_${id.toUpperCase()}_${f.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`];
      if (v) creds[f] = v;
    }
    if (Object.keys(creds).length === fields.length) out[id] = [creds];
  }
  return out;
}

/** The URL table printed at start: one line per endpoint URL (WebSocket paths and TCP listeners), with the credential fields it accepts. */
export function urlTable(sim: Simulator): string {
  const rows = sim.endpoints().map((r) => {
    const demo = Object.keys(EXCHANGES[r.exchange].demoCredentials ?? {});
    return [r.exchange, r.endpoint, r.url, demo.length ? `demo ${demo.join(', ')} accepted` : '-'];
  });
  const head = ['exchange', 'endpoint', 'url', 'credentials'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description("Serve every exchange's native WebSocket protocol on one port over a synthetic market (runs until stopped)")
    .option('--port <port>', `port, 0 for any free port`, intArg('--port'), DEFAULT_SIM_PORT)
    .option('--host <host>', 'address to listen on', DEFAULT_SIM_HOST)
    .option('--mqtt-port <port|off>', 'MQTT 3.1.1 over plain TCP (Coinsuper): a port, 0 for any free one, or off (default: --port + 1, any free port when --port is 0)', mqttPortArg)
    .option('--tls-cert <file>', 'serve TLS with this PEM certificate: wss:// on --port, mqtts:// on --mqtt-port (with --tls-key)')
    .option('--tls-key <file>', 'the PEM private key of --tls-cert')
    .option('--seed <n>', 'seed of the market: same seed, same market', intArg('--seed'), 1)
    .option('--rate <stepsPerSecond>', 'market steps per second (each step moves every symbol once), or "max" to go as fast as clients read', rateArg, DEFAULT_SIM_RATE)
    .option('--symbols <list>', `comma-separated symbols (default ${DEFAULT_SYMBOLS.join(',')})`, listArg)
    .option('--origin-ms <ms>', 'start of the market clock, Unix ms (default: now); fix it for byte-identical runs', intArg('--origin-ms'))
    .option('--book-throttle-ms <ms>', "market time between two book / depth-chart snapshots of one stream, for every exchange (default: the exchange's documented cadence, else 100)", intArg('--book-throttle-ms'))
    .option('--fast-pushes', `load tests: push snapshots at fast rates whatever the exchanges document (book ${FAST_FEED_THROTTLE.bookMs} ms, kline ${FAST_FEED_THROTTLE.klineMs} ms, ticker ${FAST_FEED_THROTTLE.tickerMs} ms, trade window ${FAST_FEED_THROTTLE.tradeWindowMs} ms)`)
    .option('--no-auto-trade', 'the demo account does not trade by itself')
    .option('--credential <exchange:field=value,...>', 'extra credentials an exchange accepts (repeatable); or TICKTAPE_<EXCHANGE>_<FIELD>', collect)
    .option('--fault-drop-every <frames>', 'terminate each connection (no close frame) after this many frames', intArg('--fault-drop-every'))
    .option('--fault-drop-every-s <seconds>', 'terminate each connection (no close frame) after this many seconds', numberArg('--fault-drop-every-s'))
    .option('--fault-malformed-rate <fraction>', 'replace this fraction (0..1) of data frames with malformed bytes', numberArg('--fault-malformed-rate'))
    .option('--fault-delay-ms <ms>', 'hold every outgoing frame back this long', numberArg('--fault-delay-ms'))
    .option('--fault-stop-reading', "stop reading clients' messages once they are connected")
    .option('--fault-lifetime-s <seconds>', 'close each connection with 1000 after this many seconds', numberArg('--fault-lifetime-s'))
    .option('--fault-idle-close-s <seconds>', "close clients that show no sign of life (in their exchange's terms) for this many seconds", numberArg('--fault-idle-close-s'))
    .option('--fault-stall <kind|stream>', 'stop delivering streams of this kind (trade, book, ...) or key, socket kept open')
    .option('--fault-stall-after <items>', '...after this many items (default 0)', intArg('--fault-stall-after'))
    .addHelpText(
      'after',
      `
Faults can also be set per connection with query parameters, e.g. ws://127.0.0.1:9001/coinstore/s/ws?fault.dropEvery=500
(dropEvery, dropEverySeconds, malformedRate, delayMs, stopReading, lifetimeS, idleCloseS, stall, stallAfter).

Examples:
  ticktape simulate                                   # all exchanges on ws://127.0.0.1:9001, Coinsuper also on tcp://127.0.0.1:9002
  ticktape simulate --port 0 --seed 7 --symbols BTC-USDT,ETH-USDT,LTC-BTC
  ticktape simulate --rate max                        # as fast as the clients read (benchmarks)
  ticktape simulate --fault-drop-every 500 --fault-malformed-rate 0.01`,
    )
    .action(async (flags: SimulateFlags) => {
      const log = createLogger('ticktape-simulate');
      const exposed = exposureWarning('the simulator', flags.host);
      if (exposed) log.warn(exposed);
      const faults: Partial<FaultConfig> = {};
      if (flags.faultDropEvery !== undefined) faults.dropEvery = flags.faultDropEvery;
      if (flags.faultDropEveryS !== undefined) faults.dropEverySeconds = flags.faultDropEveryS;
      if (flags.faultMalformedRate !== undefined) faults.malformedRate = flags.faultMalformedRate;
      if (flags.faultDelayMs !== undefined) faults.delayMs = flags.faultDelayMs;
      if (flags.faultStopReading) faults.stopReading = true;
      if (flags.faultLifetimeS !== undefined) faults.lifetimeS = flags.faultLifetimeS;
      if (flags.faultIdleCloseS !== undefined) faults.idleCloseS = flags.faultIdleCloseS;
      if (flags.faultStall !== undefined) faults.stall = flags.faultStall;
      if (flags.faultStallAfter !== undefined) faults.stallAfter = flags.faultStallAfter;

      const credentials = credentialsFromEnv(process.env);
      for (const text of flags.credential ?? []) {
        const [ex, creds] = parseCredentialArg(text);
        (credentials[ex] ??= []).push(creds);
      }

      const mqttPort = resolveMqttPort(flags.port, flags.mqttPort);
      const tls = readTlsFiles(flags.tlsCert, flags.tlsKey);
      const sim = await startSimulator({
        host: flags.host,
        port: flags.port,
        mqttPort,
        tls,
        seed: flags.seed,
        rate: flags.rate,
        symbols: flags.symbols,
        originMs: flags.originMs,
        throttle: flags.fastPushes || flags.bookThrottleMs !== undefined ? { ...(flags.fastPushes ? FAST_FEED_THROTTLE : {}), ...(flags.bookThrottleMs !== undefined ? { bookMs: flags.bookThrottleMs } : {}) } : undefined,
        autoTrade: flags.autoTrade,
        faults,
        credentials,
        logger: log,
      }).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'EADDRINUSE') {
          const port = (err as NodeJS.ErrnoException & { port?: number }).port ?? flags.port;
          const flag = port === mqttPort && port !== flags.port ? '--mqtt-port' : '--port';
          throw new TicktapeError('TT_CONFIG_INVALID', `Port ${port} is in use: pick another with ${flag}, or ${flag} 0 for any free port.`, { port });
        }
        throw err;
      });
      const symbols = sim.market.instruments.map((i) => `${i.base}-${i.quote}`).join(', ');
      const mqtt = sim.mqttPort === null ? '' : `, MQTT over TCP on ${sim.mqttPort}`;
      process.stdout.write(`ticktape simulator on port ${sim.port}${mqtt} (seed ${flags.seed}, ${flags.rate} steps/s, symbols ${symbols})\n${urlTable(sim)}\n`);

      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        log.info({ signal, stats: sim.stats() }, 'stopping');
        setTimeout(() => process.exit(0), STOP_TIMEOUT_MS).unref();
        sim.close().then(
          () => process.exit(0),
          () => process.exit(0),
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
      await new Promise<void>(() => undefined);
    });
}
