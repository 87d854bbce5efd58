/**
 * `ticktape simulate`: every exchange's native server on one port over a synthetic market. Prints
 * the URL table to stdout, logs to stderr, runs until SIGINT/SIGTERM (exit 0; 1 when the stop
 * fails). The flags are simulator/options-schema.ts's options, validated there; the server is the
 * library's `startSimulator` (api/simulator.ts), started with flag names in its messages.
 */
import type { Command } from 'commander';
import { createLogger } from '../../core/log.js';
import { untilSignal } from '../../core/run-until-signal.js';
import { EXCHANGES } from '../../exchanges/registry.js';
import { FAST_FEED_THROTTLE } from '../../simulator/feed.js';
import { DEFAULT_SYMBOLS } from '../../simulator/instruments.js';
import { MAX_SIM_RATE, parseSimulatorOptions } from '../../simulator/options-schema.js';
import { DEFAULT_SIM_HOST, DEFAULT_SIM_PORT, DEFAULT_SIM_RATE } from '../../simulator/server.js';
import { launchSimulator, type SimulatorHandle } from '../../api/simulator.js';
import { exposureWarning, withDefault } from '../options.js';

/** A stop that takes longer than this ends the process with exit 1. */
const STOP_TIMEOUT_MS = 10_000;

function collect(value: string, previous: string[] = []): string[] {
  return previous.concat(value);
}

/** The URL table printed at start: one line per endpoint URL (WebSocket paths and TCP listeners), with the credential fields it accepts. */
function urlTable(sim: Pick<SimulatorHandle, 'endpoints'>): string {
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
    .addOption(withDefault('--port <port>', 'port, 0 for any free port', DEFAULT_SIM_PORT))
    .option('--host <host>', 'address to listen on', DEFAULT_SIM_HOST)
    .option('--mqtt-port <port|off>', 'MQTT 3.1.1 over plain TCP (Coinsuper): a port, 0 for any free one, or off (default: --port + 1, any free port when --port is 0)')
    .option('--tls-cert <file>', 'serve TLS with this PEM certificate: wss:// on --port, mqtts:// on --mqtt-port (with --tls-key)')
    .option('--tls-key <file>', 'the PEM private key of --tls-cert')
    .addOption(withDefault('--seed <n>', 'seed of the market: same seed, same market', 1))
    .addOption(withDefault('--rate <stepsPerSecond>', `market steps per second, above 0 and at most ${MAX_SIM_RATE} (each step moves every symbol once), or "max" to go as fast as clients read`, DEFAULT_SIM_RATE))
    .option('--symbols <list>', `comma-separated symbols (default ${DEFAULT_SYMBOLS.join(',')})`)
    .option('--origin-ms <ms>', 'start of the market clock, Unix ms (default: now); fix it for byte-identical runs')
    .option('--book-throttle-ms <ms>', "market time between two book / depth-chart snapshots of one stream, for every exchange (default: the exchange's documented cadence, else 100)")
    .option(
      '--fast-pushes',
      `load tests: push snapshots at fast rates whatever the exchanges document (book ${FAST_FEED_THROTTLE.bookMs} ms, kline ${FAST_FEED_THROTTLE.klineMs} ms, ticker ${FAST_FEED_THROTTLE.tickerMs} ms, trade window ${FAST_FEED_THROTTLE.tradeWindowMs} ms)`,
    )
    .option('--no-auto-trade', 'the demo account does not trade by itself')
    .option('--credential <exchange:field=value,...>', 'extra credentials an exchange accepts (repeatable); or TICKTAPE_<EXCHANGE>_<FIELD>', collect)
    .option('--fault-drop-every <frames>', 'terminate each connection (no close frame) after this many frames')
    .option('--fault-drop-every-s <seconds>', 'terminate each connection (no close frame) after this many seconds')
    .option('--fault-malformed-rate <fraction>', 'replace this fraction (0..1) of data frames with malformed bytes')
    .option('--fault-delay-ms <ms>', 'hold every outgoing frame back this long')
    .option('--fault-stop-reading', "stop reading clients' messages once they are connected")
    .option('--fault-lifetime-s <seconds>', 'close each connection with 1000 after this many seconds')
    .option('--fault-idle-close-s <seconds>', "close clients that show no sign of life (in their exchange's terms) for this many seconds")
    .option('--fault-stall <kind|stream>', 'stop delivering streams of this kind (trade, book, ...) or key, socket kept open')
    .option('--fault-stall-after <items>', '...after this many items (default 0)')
    .addHelpText(
      'after',
      `
Faults can also be set per connection with query parameters, e.g. ws://127.0.0.1:9001/coinstore/s/ws?fault.dropEvery=500
(dropEvery, dropEverySeconds, malformedRate, delayMs, stopReading, lifetimeS, idleCloseS, stall, stallAfter).

Examples:
  ticktape simulate                                   # all exchanges on ws://127.0.0.1:9001
  ticktape simulate --port 0 --seed 7 --symbols BTC-USDT,ETH-USDT,LTC-BTC
  ticktape simulate --rate max                        # as fast as the clients read (benchmarks)
  ticktape simulate --fault-drop-every 500 --fault-malformed-rate 0.01`,
    )
    .action(async (flags: Record<string, unknown>) => {
      const opts = parseSimulatorOptions(flags, 'flag');
      const log = createLogger('ticktape-simulate');
      const exposed = exposureWarning('the simulator', opts.host ?? DEFAULT_SIM_HOST);
      if (exposed) log.warn(exposed);
      const signals = untilSignal({ log, stopTimeoutMs: STOP_TIMEOUT_MS });
      const sim = await launchSimulator(opts, log, 'flag');
      const symbols = sim.symbols.join(', ');
      const mqtt = sim.mqttPort === null ? '' : `, MQTT over TCP on ${sim.mqttPort}`;
      process.stdout.write(`ticktape simulator on port ${sim.port}${mqtt} (seed ${opts.seed}, ${opts.rate} steps/s, symbols ${symbols})\n${urlTable(sim)}\n`);
      await signals.run(async () => {
        log.info({ stats: sim.stats() }, 'stopping');
        await sim.close();
      });
    });
}
