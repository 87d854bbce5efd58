/**
 * `startRecorder()`: the recorder daemon in-process, as `ticktape record` runs it, with the
 * command's option names (`config`, `exchange`, `channels`, `url`, `data`, `instance`, `http`,
 * `simulate`, …) validated by the command's flag schema (recorder/flags-schema.ts) and built into
 * the same frozen config by the same code (recorder/config.ts).
 * `exchanges` takes the config file's `exchanges` entries inline, checked by the config file's
 * schema. `close()` stops it the way SIGTERM does: sockets closed, journal closed, sealed.
 */
import { silentLogger, type Logger } from '../core/log.js';
import type { ExchangeId } from '../exchanges/types.js';
import { configFileSchema, type ExchangeConfigFile } from '../recorder/config-schema.js';
import { buildConfig, configFromFlags, formatZodError, type ConfigFlags, type RecorderConfig } from '../recorder/config.js';
import type { HealthDoc } from '../recorder/health.js';
import { parseRecordFlags } from '../recorder/flags-schema.js';
import { Recorder } from '../recorder/recorder.js';
import type { EndpointUrls } from './endpoints.js';

export type { HealthDoc as RecorderStats } from '../recorder/health.js';

/** `ticktape record`'s flags, camel-cased, plus `exchanges` (the config file's entries, inline). */
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
  /** Stops like SIGTERM: closes the sockets and the journal, then seals (within the shutdown budget). */
  close(): Promise<void>;
}

function configOf(o: RecorderOptions): RecorderConfig {
  const { exchanges, logger: _logger, ...rest } = o;
  // The flags go through `ticktape record`'s flag schema, so a wrong value fails the way the flag does.
  const flags = parseRecordFlags(rest, 'option');
  if (!exchanges) return configFromFlags(flags).config;
  const parsed = configFileSchema.safeParse({ exchanges });
  if (!parsed.success) throw formatZodError(parsed.error, 'startRecorder options');
  return buildConfig(parsed.data, null, flags);
}

export async function startRecorder(options: RecorderOptions): Promise<RecorderHandle> {
  const config = configOf(options);
  const recorder = await Recorder.start({ config, log: options.logger ?? silentLogger, statusStream: null });
  const urls: EndpointUrls = {};
  for (const e of recorder.endpointUrls()) (urls[e.exchange as ExchangeId] ??= {})[e.endpoint] = e.url;
  const addr = recorder.http?.address;
  return {
    instance: recorder.instance,
    dataDir: recorder.dataDir,
    urls,
    httpUrl: addr ? `http://${addr.host.includes(':') ? `[${addr.host}]` : addr.host}:${addr.port}` : null,
    stats: () => recorder.health(),
    close: () => recorder.stop(),
  };
}
