/**
 * `ticktape replay`: recorded data over the native protocols until SIGINT/SIGTERM. The flags are
 * replay/options-schema.ts's options (validated there, so the library takes the same ones); the
 * server is the library's `startReplayServer` (api/replay-server.ts), started with flag names in its messages.
 */
import type { Command } from 'commander';
import { DEFAULT_DATA_DIR } from '../../store/open-data.js';
import { addStoreOptions, DATA_HELP } from '../data-source.js';
import { createLogger } from '../../core/log.js';
import { untilSignal } from '../../core/run-until-signal.js';
import { REPLAY_DEFAULTS } from '../../replay/options.js';
import { MAX_GRACE_MS, MIN_MAX_BUFFERED_BYTES, parseReplayOptions } from '../../replay/options-schema.js';
import { launchReplayServer } from '../../api/replay-server.js';
import { CONTROL_TOKEN_ENV } from '../../core/control-guard.js';
import { exposureWarning, withDefault } from '../options.js';

/** A stop that takes longer than this (a client that never lets go) ends the process with exit 1. */
const STOP_TIMEOUT_MS = 10_000;

export function registerReplay(program: Command): void {
  addStoreOptions(program.command('replay'))
    .description("Serve recorded data back over each exchange's native WebSocket protocol (same paths as the simulator).")
    .option('--data <dir>', DATA_HELP, DEFAULT_DATA_DIR)
    .addOption(withDefault('--port <n>', 'port, 0 for any free port', REPLAY_DEFAULTS.port))
    .option('--host <addr>', 'address to bind (loopback unless told otherwise)', REPLAY_DEFAULTS.host)
    .option('--mqtt-port <port|off>', 'MQTT 3.1.1 over plain TCP (Coinsuper): a port, 0 for any free one, or off (default: --port + 1, any free port when --port is 0)')
    .option('--tls-cert <file>', 'serve TLS with this PEM certificate: wss:// on --port, mqtts:// on --mqtt-port (with --tls-key)')
    .option('--tls-key <file>', 'the PEM private key of --tls-cert')
    .option('--speed <x>', 'replay speed: 1 (real time), N (N times faster) or max', '1')
    .option('--from <time>', 'start of the range (ISO 8601 or epoch ms/ns); default: start of the recording')
    .option('--to <time>', 'end of the range (exclusive); default: end of the recording')
    .option('--loop', 'start over at the end of the range instead of closing with 1000', false)
    .addOption(withDefault('--grace-ms <ms>', `wait after a session's first subscription before its clock starts (0-${MAX_GRACE_MS})`, REPLAY_DEFAULTS.graceMs))
    .option('--continue-on-gaps', 'do not reproduce recorded disconnects and sequence gaps', false)
    .addOption(withDefault('--max-connections <n>', 'connection limit', REPLAY_DEFAULTS.maxConnections))
    .addOption(withDefault('--max-subscriptions <n>', 'subscriptions per connection', REPLAY_DEFAULTS.maxSubscriptionsPerConnection))
    .addOption(withDefault('--max-buffered-bytes <n>', `a paced client with more unsent bytes than this is closed with 1008 (at least ${MIN_MAX_BUFFERED_BYTES})`, REPLAY_DEFAULTS.maxBufferedBytes))
    .addOption(withDefault('--session-keep-ms <ms>', 'a named session keeps its clock this long after its last connection (reconnects go on)', REPLAY_DEFAULTS.sessionKeepMs))
    .addOption(withDefault('--auth <any|strict>', 'logins, signs and tokens: any = every well-formed one accepted unchecked (logged), strict = checked like the simulator', REPLAY_DEFAULTS.auth))
    .option('--credential <exchange:field=value,...>', 'credentials --auth strict accepts besides the demo ones (repeatable); or TICKTAPE_<EXCHANGE>_<FIELD>', (v: string, prev: string[] = []) => prev.concat(v))
    .option('--control-token <token>', `bearer token the control API requires (Authorization: Bearer <token>); or ${CONTROL_TOKEN_ENV} in the environment, which keeps it out of the process list`)
    .option('--paper', 'paper trading: every session gets an account whose orders fill against the recorded market', false)
    .option('--paper-config <file>', 'paper trading settings (YAML or JSON): balances, fees, latency, matching (see deploy/paper.sample.yaml)')
    .option('--paper-out <dir>', 'where paper sessions write their results (orders, fills, balances as Parquet), one folder per session', REPLAY_DEFAULTS.paperOut)
    .addHelpText(
      'after',
      `
Per connection, override with query parameters: ?speed=10&from=2026-11-23T10:00:00Z&to=...&session=<id>
(connections with the same session id share one clock; a reconnect with the same id goes on where it was,
which is how a bot gets past a recorded disconnect). Control API on the same port:
  GET /control/sessions, POST /control/sessions/<id>/pause|resume, POST /control/sessions/<id>/seek?to=T,
  GET /control/stats, GET /control/catalog, GET /normalized?exchange=..&kinds=trade,book&from=..&to=..

Logins: with --auth any (the default) every well-formed Coinstore LOGIN, Coinsuper private CONNECT, Nexus token
and Coinceres sign is accepted without a check and logged as such, so a bot runs with its own keys; --auth strict
checks them like the simulator, against the demo credentials and those given with --credential.

Paper trading (--paper): orders sent over the exchanges' own protocols (Coinceres biz_type 11-17, Coinstore
REST under /coinstore/api/...) or POST /paper/orders fill against the recording; results go to
<paper-out>/<session>/ when the session ends or the server stops (\`ticktape report --paper <folder>\`).

Examples:
  ticktape replay --data ./data                         # real time on ws://127.0.0.1:8001/<exchange path>, tcp://127.0.0.1:8002 (MQTT)
  ticktape replay --data ./data --paper --paper-config paper.yaml --speed 10
  ticktape replay --data ./data --speed 10 --from 2026-11-23T10:00:00Z --to 2026-11-23T11:00:00Z
  ticktape replay --data ./data --speed max --loop      # as fast as the client reads, forever
  ticktape replay --data ./data --auth strict --credential coinceres:apiKey=K,secret=S
A --from/--to outside the recording is refused (exit 4, with the recorded range); one partly outside is warned about.
SIGINT/SIGTERM stop it (exit 0; 1 when the stop fails).`,
    )
    .action(async (flags: Record<string, unknown>) => {
      const opts = parseReplayOptions(flags, 'flag');
      const log = createLogger('replay');
      const exposed = exposureWarning('the replay server (with its control API)', opts.host);
      if (exposed) log.warn(exposed);
      const signals = untilSignal({ log, stopTimeoutMs: STOP_TIMEOUT_MS });
      const server = await launchReplayServer(opts, log, 'flag');
      const lines = server.endpoints().map((r) => `${r.exchange.padEnd(10)} ${r.endpoint.padEnd(9)} ${r.url}`);
      const streams = Object.entries(server.streams())
        .map(([ex, keys]) => `${ex}: ${keys?.length ?? 0} streams`)
        .join(', ');
      const paperLine = server.paper ? `paper trading on: POST http://${opts.host}:${server.port}/paper/orders, Coinstore REST http://${opts.host}:${server.port}/coinstore/api, results in ${opts.paperOut}/<session>/\n` : '';
      const mqtt = server.mqttPort;
      process.stdout.write(`ticktape replay listening on ${opts.host}:${server.port}${mqtt === null ? '' : `, MQTT over TCP on ${mqtt}`} (${streams})\n${lines.join('\n')}\n${paperLine}`);
      log.info({ port: server.port, speed: opts.speed }, 'replay server started');
      await signals.run(async () => {
        log.info({ stats: server.stats() }, 'replay server stopping');
        await server.close();
      });
    });
}
