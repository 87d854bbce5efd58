/**
 * `ticktape record`: the recorder daemon, started as the library's `startRecorder` starts it
 * (api/recorder.ts: the same flag schema, the same config, named as flags in messages), with the
 * signals wired: SIGTERM/SIGINT stop (flush, close, seal, exit 0), SIGHUP reloads the config file.
 */
import type { Command } from 'commander';
import { createLogger } from '../../core/log.js';
import { isTicktapeError } from '../../core/errors.js';
import { untilSignal } from '../../core/run-until-signal.js';
import { EXCHANGES } from '../../exchanges/registry.js';
import { MAX_FSYNC_INTERVAL_MS, MAX_SEAL_INTERVAL_MS, MAX_STAGGER_MS, MIN_SEAL_INTERVAL_MS } from '../../recorder/config-schema.js';
import { launchRecorder, planRecorder, type LaunchedRecorder } from '../../api/recorder.js';
import { exposureWarning } from '../options.js';

/** A stop that takes longer than this (a hung socket, a stuck seal) ends the process with exit 1. */
const STOP_TIMEOUT_MS = 60_000;

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
    .option('--channels <list>', 'quick form: comma-separated channels', collectList)
    .option('--url <url>', "quick form: the exchange endpoint's URL (default: production)")
    .option('--data <dir>', 'data folder (default ./data)')
    .option('--instance <id>', 'recorder instance id (default: host name + a suffix kept in <data>/instance-id)')
    .option('--http <addr>', 'HTTP listen address host:port for /health and /metrics, or "off" (default 127.0.0.1:9100)')
    .option('--simulate', 'start the built-in simulator in-process and record all four exchanges from it')
    .option('--simulate-port <port>', 'port of the in-process simulator (default: any free port)')
    .option('--seed <n>', 'simulator seed')
    .option('--rate <stepsPerSecond>', 'simulator steps per second, or "max": as fast as the recorder reads (as ticktape simulate --rate)')
    .option('--fsync-interval-ms <ms>', `fdatasync cadence: the power-loss bound, 1-${MAX_FSYNC_INTERVAL_MS} (default 200)`)
    .option('--seal-interval-ms <ms>', `seal closed journal segments this often, ${MIN_SEAL_INTERVAL_MS}-${MAX_SEAL_INTERVAL_MS} (default 3600000)`)
    .option('--stagger-ms <ms>', `minimum spacing of connects to one exchange, 0-${MAX_STAGGER_MS} (default 100)`)
    .addHelpText('after', channelHelp)
    .action(async (raw: Record<string, unknown>) => {
      const plan = planRecorder(raw, 'flag');
      const log = createLogger('ticktape-record');
      const { config } = plan;
      const exposed = config.http ? exposureWarning('the HTTP endpoint (/health, /metrics, POST /rotate)', config.http.host) : null;
      if (exposed) log.warn(exposed);
      // Signals are wired before the recorder starts: a SIGTERM during start-up stops it cleanly
      // once it is up (the default action would kill the process between "recording" and the handlers).
      let recorder: LaunchedRecorder | null = null;
      const signals = untilSignal({
        log,
        stopTimeoutMs: STOP_TIMEOUT_MS,
        timeoutMessage: 'the journal is intact and is sealed at the next start',
        secondSignalMessage: 'exiting without sealing',
        onGiveUp: () => recorder?.abortSealing(),
        onReload: () => {
          if (!recorder) return;
          if (config.configPath === null) {
            log.warn('SIGHUP: no config file to reload (started without --config)');
            return;
          }
          try {
            recorder.reload();
          } catch (err) {
            // A bad edit must not stop a running recorder: keep the old config, say what is wrong.
            log.error({ err: isTicktapeError(err) ? err.message : String(err) }, 'reload failed; still running with the previous configuration');
          }
        },
      });
      const started = await launchRecorder(plan, log, process.stderr.isTTY ? process.stderr : null);
      recorder = started;
      await signals.run(() => started.close());
    });
}

/** --channels a,b --channels c → ['a', 'b', 'c']. */
function collectList(value: string, previous: string[] = []): string[] {
  return previous.concat(
    value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
}
