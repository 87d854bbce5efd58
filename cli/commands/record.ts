/**
 * `ticktape record`: the recorder daemon. Parses flags, builds one frozen config (recorder/config.ts),
 * starts the Recorder and wires the signals: SIGTERM/SIGINT stop (flush, close, seal, exit 0),
 * SIGHUP reloads the config file.
 */
import type { Command } from 'commander';
import { createLogger } from '../../core/log.js';
import { EXIT, isTicktapeError } from '../../core/errors.js';
import { EXCHANGES } from '../../exchanges/registry.js';
import { configFromFlags, type ConfigFlags } from '../../recorder/config.js';
import { Recorder } from '../../recorder/recorder.js';
import { intArg, listArg, exposureWarning } from '../options.js';

/** A stop that takes longer than this (a hung socket, a stuck seal) ends the process with exit 1. */
export const STOP_TIMEOUT_MS = 60_000;

/** The command's flags are exactly the config overrides. */
type RecordFlags = ConfigFlags;

function channelHelp(): string {
  const lines = ['', 'Channels (--channels, or exchanges[].channels in the config):'];
  for (const mod of Object.values(EXCHANGES)) {
    if (!mod?.client) continue;
    lines.push(`  ${mod.id}:`);
    for (const h of mod.client.channelHelp) lines.push(`    ${h}`);
  }
  lines.push(
    '',
    'Examples:',
    '  ticktape record --simulate                                  # all four exchanges from the built-in simulator',
    '  ticktape record --exchange coinstore --channels btcusdt@trade,btcusdt@depth@20 --data ./data',
    '  ticktape record --config /etc/ticktape/ticktape.yaml      # see deploy/ticktape.sample.yaml',
    '',
    'Credentials of private channels: the config file, or TICKTAPE_<EXCHANGE>_<FIELD> (e.g. TICKTAPE_COINSTORE_API_KEY).',
    'Signals: SIGTERM/SIGINT stop (flush, seal, exit 0); SIGHUP reloads the config file.',
    'HTTP (default 127.0.0.1:9100): GET /health, GET /metrics, POST /rotate.',
  );
  return lines.join('\n');
}

export function registerRecord(program: Command): void {
  program
    .command('record')
    .description('Record exchange WebSocket streams into the journal and sealed Parquet partitions (runs until stopped)')
    .option('--config <file>', 'config file (JSON or YAML)')
    .option('--exchange <name>', 'quick form: the exchange to record')
    .option('--channels <list>', 'quick form: comma-separated channels', listArg)
    .option('--url <url>', "quick form: the exchange endpoint's URL (default: production)")
    .option('--data <dir>', 'data folder (default ./data)')
    .option('--instance <id>', 'recorder instance id (default: host name + a suffix kept in <data>/instance-id)')
    .option('--http <addr>', 'HTTP listen address host:port for /health and /metrics, or "off" (default 127.0.0.1:9100)')
    .option('--simulate', 'start the built-in simulator in-process and record all four exchanges from it')
    .option('--simulate-port <port>', 'port of the in-process simulator (default: any free port)', intArg('--simulate-port'))
    .option('--seed <n>', 'simulator seed', intArg('--seed'))
    .option('--rate <framesPerSecond>', 'simulator event rate', intArg('--rate'))
    .option('--fsync-interval-ms <ms>', 'fdatasync cadence: the power-loss bound (default 200)', intArg('--fsync-interval-ms'))
    .option('--seal-interval-ms <ms>', 'seal closed journal segments this often (default 3600000)', intArg('--seal-interval-ms'))
    .option('--stagger-ms <ms>', 'minimum spacing of connects to one exchange (default 100)', intArg('--stagger-ms'))
    .addHelpText('after', channelHelp)
    .action(async (flags: RecordFlags) => {
      const log = createLogger('ticktape-record');
      const cfgFlags: ConfigFlags = { ...flags };
      const { config, warnings } = configFromFlags(cfgFlags);
      for (const w of warnings) log.warn(w);
      const exposed = config.http ? exposureWarning('the HTTP endpoint (/health, /metrics, POST /rotate)', config.http.host) : null;
      if (exposed) log.warn(exposed);
      // Signals are wired before the recorder starts: a SIGTERM during start-up must stop it cleanly
      // (the default action would kill the process between "recording" and the handlers).
      let recorder: Recorder | null = null;
      let pendingStop: string | null = null;
      let stopping = false;
      const stop = (signal: string) => {
        if (!recorder) {
          pendingStop ??= signal;
          return;
        }
        if (stopping) {
          log.warn({ signal }, 'second signal: exiting without sealing');
          recorder.abortSealing();
          process.exit(EXIT.FAILURE);
        }
        stopping = true;
        log.info({ signal }, 'stop requested');
        const watchdog = setTimeout(() => {
          log.error({ timeoutMs: STOP_TIMEOUT_MS }, 'stop took too long; exiting (the journal is intact and is sealed at the next start)');
          recorder?.abortSealing();
          process.exit(EXIT.FAILURE);
        }, STOP_TIMEOUT_MS);
        watchdog.unref();
        recorder.stop().then(
          () => process.exit(EXIT.OK),
          (err: unknown) => {
            log.error({ err: String((err as Error)?.message ?? err) }, 'stop failed');
            process.exit(EXIT.FAILURE);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGHUP', () => {
        if (!recorder) return;
        if (!flags.config) {
          log.warn('SIGHUP: no config file to reload (started without --config)');
          return;
        }
        try {
          const next = configFromFlags(cfgFlags);
          for (const w of next.warnings) log.warn(w);
          recorder.reload(next.config);
        } catch (err) {
          // A bad edit must not stop a running recorder: keep the old config, say what is wrong.
          log.error({ err: isTicktapeError(err) ? err.message : String(err) }, 'reload failed; still running with the previous configuration');
        }
      });
      recorder = await Recorder.start({ config, log, statusStream: process.stderr.isTTY ? process.stderr : null });
      if (pendingStop) stop(pendingStop);
      // Runs until a signal stops it (this timer keeps the process up even while every connection
      // is waiting to reconnect and the HTTP endpoint is off).
      setInterval(() => undefined, 1 << 30);
      await new Promise<void>(() => undefined);
    });
}
