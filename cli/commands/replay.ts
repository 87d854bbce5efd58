import type { Command } from 'commander';
import { TicktapeError } from '../../core/errors.js';
import { createLogger } from '../../core/log.js';
import { parseTimeArg } from '../../core/time-arg.js';
import { parseAuthMode, parseSpeed, REPLAY_DEFAULTS } from '../../replay/options.js';
import { credentialsFromEnv, parseCredentialArg } from './simulate.js';
import { startReplay } from '../../replay/server.js';
import { CONTROL_TOKEN_ENV } from '../../core/control-guard.js';
import { loadPaperConfig, paperSettings } from '../../replay/paper/config.js';
import { intArg, exposureWarning, mqttPortArg, readTlsFiles, resolveMqttPort } from '../options.js';
import { addStoreOptions, DATA_HELP, openDataArg } from '../data-source.js';

/** UTC date (YYYY-MM-DD) of a ns time. */
function isoDate(ns: bigint): string {
  return new Date(Number(ns / 1_000_000n)).toISOString().slice(0, 10);
}

export function registerReplay(program: Command): void {
  addStoreOptions(program.command('replay'))
    .description("Serve recorded data back over each exchange's native WebSocket protocol (same paths as the simulator).")
    .option('--data <dir>', DATA_HELP, './data')
    .option('--port <n>', 'port to listen on', intArg('--port'), REPLAY_DEFAULTS.port)
    .option('--host <addr>', 'address to bind (loopback unless told otherwise)', REPLAY_DEFAULTS.host)
    .option('--mqtt-port <port|off>', 'MQTT 3.1.1 over plain TCP (Coinsuper): a port, 0 for any free one, or off (default: --port + 1, any free port when --port is 0)', mqttPortArg)
    .option('--tls-cert <file>', 'serve TLS with this PEM certificate: wss:// on --port, mqtts:// on --mqtt-port (with --tls-key)')
    .option('--tls-key <file>', 'the PEM private key of --tls-cert')
    .option('--speed <x>', 'replay speed: 1 (real time), N (N times faster) or max', '1')
    .option('--from <time>', 'start of the range (ISO 8601 or epoch ms/ns); default: start of the recording')
    .option('--to <time>', 'end of the range (exclusive); default: end of the recording')
    .option('--loop', 'start over at the end of the range instead of closing with 1000', false)
    .option('--grace-ms <ms>', 'wait after a session\'s first subscription before its clock starts', intArg('--grace-ms'), REPLAY_DEFAULTS.graceMs)
    .option('--continue-on-gaps', 'do not reproduce recorded disconnects and sequence gaps', false)
    .option('--max-connections <n>', 'connection limit', intArg('--max-connections'), REPLAY_DEFAULTS.maxConnections)
    .option('--max-subscriptions <n>', 'subscriptions per connection', intArg('--max-subscriptions'), REPLAY_DEFAULTS.maxSubscriptionsPerConnection)
    .option('--max-buffered-bytes <n>', 'a paced client with more unsent bytes than this is closed with 1008', intArg('--max-buffered-bytes'), REPLAY_DEFAULTS.maxBufferedBytes)
    .option('--session-keep-ms <ms>', 'a named session keeps its clock this long after its last connection (reconnects go on)', intArg('--session-keep-ms'), REPLAY_DEFAULTS.sessionKeepMs)
    .option('--auth <any|strict>', 'logins, signs and tokens: any = every well-formed one accepted unchecked (logged), strict = checked like the simulator', REPLAY_DEFAULTS.auth)
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
Exit codes: 0 stopped by SIGINT/SIGTERM, 2 bad flag, 4 no recorded data in --data.`,
    )
    .action(async (o: Record<string, unknown>) => {
      const log = createLogger('replay');
      const exposed = exposureWarning('the replay server (with its control API)', String(o.host));
      if (exposed) log.warn(exposed);
      const auth = parseAuthMode(String(o.auth));
      const credentials = credentialsFromEnv(process.env);
      for (const text of (o.credential as string[] | undefined) ?? []) {
        const [ex, creds] = parseCredentialArg(text);
        (credentials[ex] ??= []).push(creds);
      }
      const fromNs = o.from ? parseTimeArg(String(o.from), '--from') : null;
      const toNs = o.to ? parseTimeArg(String(o.to), '--to') : null;
      // From a bucket only the days of the range are fetched (all tables: the catalog and history need them).
      const src = await openDataArg(o, { fromDate: fromNs === null ? undefined : isoDate(fromNs), toDate: toNs === null ? undefined : isoDate(toNs) });
      let server;
      try {
        server = await startReplay(
        {
          dataDir: src.dir,
          port: o.port as number,
          mqttPort: resolveMqttPort(o.port as number, o.mqttPort as number | 'off' | undefined),
          tls: readTlsFiles(o.tlsCert as string | undefined, o.tlsKey as string | undefined),
          host: o.host as string,
          speed: parseSpeed(String(o.speed)),
          fromNs,
          toNs,
          loop: Boolean(o.loop),
          graceMs: o.graceMs as number,
          continueOnGaps: Boolean(o.continueOnGaps),
          maxConnections: o.maxConnections as number,
          maxSubscriptionsPerConnection: o.maxSubscriptions as number,
          maxBufferedBytes: o.maxBufferedBytes as number,
          sessionKeepMs: o.sessionKeepMs as number,
          paper: o.paper || o.paperConfig ? paperSettings(o.paperConfig ? loadPaperConfig(String(o.paperConfig)) : {}) : null,
          paperOut: String(o.paperOut),
          auth,
          credentials,
          controlToken: (o.controlToken as string | undefined) || process.env[CONTROL_TOKEN_ENV] || null,
        },
        log,
      );
      } catch (err) {
        src.close();
        throw err;
      }
      if (Object.values(server.catalog).every((c) => c.streams.size === 0)) {
        // A typo in --data or an empty folder would otherwise serve silence to every client.
        await server.close();
        src.close();
        throw new TicktapeError('TT_NO_DATA', `No recorded frames in ${String(o.data)}: point --data at a folder \`ticktape record\` wrote (check it with \`ticktape ls --data DIR\`).`);
      }
      const lines = server.host.endpoints().map((r) => `${r.exchange.padEnd(10)} ${r.endpoint.padEnd(9)} ${r.url}`);
      const streams = Object.entries(server.catalog).map(([ex, c]) => `${ex}: ${c.streams.size} streams`).join(', ');
      const paperLine = server.paper ? `paper trading on: POST http://${o.host}:${server.port}/paper/orders, Coinstore REST http://${o.host}:${server.port}/coinstore/api, results in ${String(o.paperOut)}/<session>/\n` : '';
      const mqtt = server.host.tcpPort('coinsuper');
      process.stdout.write(`ticktape replay listening on ${o.host}:${server.port}${mqtt === null ? '' : `, MQTT over TCP on ${mqtt}`} (${streams})\n${lines.join('\n')}\n${paperLine}`);
      log.info({ port: server.port, speed: o.speed }, 'replay server started');
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      log.info({ stats: server.stats.toJSON() }, 'replay server stopping');
      await server.close();
      src.close();
    });
}
