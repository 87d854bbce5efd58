/**
 * `startRecorder()`: the recorder daemon in-process, as `ticktape record` runs it, with the
 * command's option names (`config`, `exchange`, `channels`, `url`, `data`, `instance`, `http`,
 * `simulate`, …) validated by the command's flag schema (recorder/flags-schema.ts) and built into
 * the same frozen config by the same code (recorder/config.ts). `ticktape record` starts through
 * `planRecorder` and `launchRecorder` here, naming its options as flags.
 * `exchanges` takes the config file's `exchanges` entries inline, checked by the config file's
 * schema. `close()` stops it the way SIGTERM does: sockets closed, journal closed, sealed;
 * `reload()` applies the configuration again the way SIGHUP does.
 */
import { silentLogger, type Logger } from '../core/log.js';
import type { OptionNaming } from '../core/parse-options.js';
import type { ExchangeId } from '../exchanges/types.js';
import { configFileSchema, type ExchangeConfigFile } from '../recorder/config-schema.js';
import { buildConfig, configFromFlags, formatZodError, type RecorderConfig } from '../recorder/config.js';
import { parseRecordFlags, type ConfigFlags } from '../recorder/flags-schema.js';
import type { HealthDoc } from '../recorder/health.js';
import { Recorder } from '../recorder/recorder.js';
import type { EndpointUrls } from './endpoints.js';

export type { HealthDoc as RecorderStats } from '../recorder/health.js';

/** `ticktape record`'s flags, camel-cased (the flag schema's fields), plus `exchanges` (the config file's entries, inline). */
export interface RecorderOptions extends Omit<ConfigFlags, 'channels'> {
  /** With `exchange`: the channels to record, e.g. ['btcusdt@trade', 'btcusdt@depth@20']. */
  channels?: readonly string[];
  /** What to record, as a config file's `exchanges` list: `{ name, channels, baseUrl?, urls?, credentials? }`. */
  exchanges?: readonly ExchangeConfigFile[];
  logger?: Logger;
}

export interface RecorderHandle {
  /** Recorder instance id (names its journal folder and files). */
  readonly instance: string;
  readonly dataDir: string;
  /** exchange → endpoint → URL recorded from. */
  readonly urls: EndpointUrls;
  /** `http://host:port` of /health and /metrics, or null when off. */
  readonly httpUrl: string | null;
  /** What /health says: per-stream frames, rates, staleness, gaps, journal and seal state. */
  stats(): HealthDoc;
  /**
   * Builds the configuration again from the same options (the `config` file read anew) and applies
   * it, as SIGHUP does: added streams start, removed ones stop, the others keep their connection.
   * An invalid file throws its TicktapeError and the recorder keeps running as it was.
   */
  reload(): { added: number; removed: number; kept: number };
  /** Stops like SIGTERM: closes the sockets and the journal, then seals (within the shutdown budget). */
  close(): Promise<void>;
}

/** A validated configuration with the warnings to log about it (a config file with secrets readable by others). */
interface RecorderPlan {
  readonly config: RecorderConfig;
  readonly warnings: readonly string[];
  /** The same options built again (the config file read anew): what a reload applies. */
  rebuild(): RecorderPlan;
}

/** The recorder's options checked (by the flag schema, named the caller's way) and built into its configuration. */
export function planRecorder(options: Omit<RecorderOptions, 'logger'> | Record<string, unknown>, naming: OptionNaming): RecorderPlan {
  const { exchanges, ...rest } = options as Omit<RecorderOptions, 'logger'>;
  // The flags go through `ticktape record`'s flag schema, so a wrong value fails the way the flag does.
  const flags = parseRecordFlags(rest, naming);
  const build = (): RecorderPlan => {
    if (!exchanges) return { ...configFromFlags(flags), rebuild: build };
    const parsed = configFileSchema.safeParse({ exchanges });
    if (!parsed.success) throw formatZodError(parsed.error, 'startRecorder options');
    return { config: buildConfig(parsed.data, null, flags), warnings: [], rebuild: build };
  };
  return build();
}

/** A started recorder, with what only `ticktape record`'s signal handling needs. */
export interface LaunchedRecorder extends RecorderHandle {
  /** Kills a final seal still running (a second signal, or a stop past its timeout): the journal stays, sealed at the next start. */
  abortSealing(): void;
}

/** Starts the recorder of a plan, logging its warnings; `statusStream` gets the live status line (a TTY's stderr). */
export async function launchRecorder(plan: RecorderPlan, logger: Logger, statusStream: NodeJS.WriteStream | null = null): Promise<LaunchedRecorder> {
  for (const w of plan.warnings) logger.warn(w);
  const recorder = await Recorder.start({ config: plan.config, log: logger, statusStream });
  const urls: EndpointUrls = {};
  for (const e of recorder.endpointUrls()) (urls[e.exchange as ExchangeId] ??= {})[e.endpoint] = e.url;
  const addr = recorder.http?.address;
  let current = plan;
  return {
    instance: recorder.instance,
    dataDir: recorder.dataDir,
    urls,
    httpUrl: addr ? `http://${addr.host.includes(':') ? `[${addr.host}]` : addr.host}:${addr.port}` : null,
    stats: () => recorder.health(),
    reload: () => {
      const next = current.rebuild();
      for (const w of next.warnings) logger.warn(w);
      const result = recorder.reload(next.config);
      current = next;
      return result;
    },
    close: () => recorder.stop(),
    abortSealing: () => recorder.abortSealing(),
  };
}

export async function startRecorder(options: RecorderOptions): Promise<RecorderHandle> {
  const { logger, ...rest } = options;
  const { abortSealing: _abort, ...handle } = await launchRecorder(planRecorder(rest, 'option'), logger ?? silentLogger);
  return handle;
}
