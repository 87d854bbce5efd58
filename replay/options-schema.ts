/**
 * The replay server's options as `ticktape replay` takes them (and a library caller, with the same
 * names): validated here, once, into the server's `ReplayOptions`. Every numeric option has a range
 * with a reason; `from` after `to` is refused. A paper config file is read here (its errors are
 * TT_CONFIG_UNREADABLE / TT_CONFIG_INVALID).
 */
import { z } from 'zod';
import { writableDataFolder } from '../store/open-data.js';
import { isStoreUrl } from '../store/remote/store-url.js';
import { CONTROL_TOKEN_ENV } from '../core/control-guard.js';
import { boolField, intField, numberField, portField, speedField, textField, timeField } from '../core/option-fields.js';
import { mqttPortField, resolveMqttPort } from '../core/mqtt-port.js';
import { parseOptions, type OptionNaming } from '../core/parse-options.js';
import { readTlsFiles } from '../core/tls-files.js';
import { REPLAY_DEFAULTS, type ReplayOptions } from './options.js';
import { loadPaperConfig, paperSettings } from './paper/config.js';
import { credentialsOf } from '../simulator/options-schema.js';

/** A session clock that waits longer than this for more subscriptions is a client that forgot to subscribe. */
export const MAX_GRACE_MS = 60_000;
/** A named session kept longer than a day after its last connection is a leak, not a reconnect. */
const MAX_SESSION_KEEP_MS = 86_400_000;
/** The close threshold must hold at least one frame of the largest size the server accepts. */
export const MIN_MAX_BUFFERED_BYTES = REPLAY_DEFAULTS.maxFrameBytes;
const MAX_MAX_BUFFERED_BYTES = 2 ** 31;
/** Connections and subscriptions per connection: at least one, at most this many. */
const MAX_REPLAY_CONNECTIONS = 100_000;

const replayOptionsSchema = z
  .object({
    /** Data folder (default ./data), or s3://bucket/prefix (read through the local cache). */
    data: textField().optional(),
    /** With s3:// data: bound of the local cache, GB. */
    cacheGb: numberField({ min: 0, exclusiveMin: true, unit: 'GB' }).optional(),
    /** With s3:// data: a config file whose `store` section gives endpoint, region and forcePathStyle. */
    config: textField().optional(),
    port: portField().default(REPLAY_DEFAULTS.port),
    host: textField().default(REPLAY_DEFAULTS.host),
    /** Coinsuper's MQTT over plain TCP: a port, 0 for any free one, or "off" (default: port + 1, any free port when port is 0). */
    mqttPort: mqttPortField().optional(),
    /** Serve TLS with this PEM certificate (wss:// on port, mqtts:// on mqttPort), with tlsKey. */
    tlsCert: textField().optional(),
    /** The PEM private key of tlsCert. */
    tlsKey: textField().optional(),
    /** 1 (real time), N (N times faster) or 'max'. */
    speed: speedField().default(REPLAY_DEFAULTS.speed),
    /** Start of the range (default: start of the recording). */
    from: timeField().optional(),
    /** End of the range, exclusive (default: end of the recording). */
    to: timeField().optional(),
    loop: boolField().default(REPLAY_DEFAULTS.loop),
    graceMs: intField({ min: 0, max: MAX_GRACE_MS, unit: 'ms' }).default(REPLAY_DEFAULTS.graceMs),
    continueOnGaps: boolField().default(REPLAY_DEFAULTS.continueOnGaps),
    maxConnections: intField({ min: 1, max: MAX_REPLAY_CONNECTIONS }).default(REPLAY_DEFAULTS.maxConnections),
    maxSubscriptions: intField({ min: 1, max: MAX_REPLAY_CONNECTIONS }).default(REPLAY_DEFAULTS.maxSubscriptionsPerConnection),
    maxBufferedBytes: intField({ min: MIN_MAX_BUFFERED_BYTES, max: MAX_MAX_BUFFERED_BYTES, unit: 'bytes' }).default(REPLAY_DEFAULTS.maxBufferedBytes),
    sessionKeepMs: intField({ min: 0, max: MAX_SESSION_KEEP_MS, unit: 'ms' }).default(REPLAY_DEFAULTS.sessionKeepMs),
    /** Bearer token the control API requires (default: TICKTAPE_CONTROL_TOKEN from the environment; none when unset). */
    controlToken: textField().optional(),
    /** How logins, signs and tokens are checked: any (accepted unchecked, logged) or strict (like the simulator). */
    auth: z
      .unknown()
      .transform((v, ctx): 'any' | 'strict' => {
        if (v === 'any' || v === 'strict') return v;
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `must be "any" (accept every well-formed login, the default) or "strict" (check it like the simulator), got ${JSON.stringify(v)}` });
        return z.NEVER;
      })
      .default(REPLAY_DEFAULTS.auth),
    /** Credentials `auth: 'strict'` accepts besides the demo ones: `exchange:field=value,...`, repeatable. */
    credential: z.array(textField()).optional(),
    /** Paper trading: every session gets a paper account (also on with `paperConfig`). */
    paper: boolField().default(false),
    /** Paper trading settings file (YAML or JSON), read when the options are parsed. */
    paperConfig: textField().optional(),
    /** Where paper sessions' results go. */
    paperOut: textField().default(REPLAY_DEFAULTS.paperOut),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.from !== undefined && o.to !== undefined && o.from >= o.to) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['to'], message: 'must be after {{from}}: the range is empty or reversed', params: { code: 'TT_BAD_TIME' } });
    }
  });

type ReplayOptionsInput = z.input<typeof replayOptionsSchema>;

/** Validated replay options plus where the data is: `source.data` a resolved folder or the s3:// URL as given. */
export interface ParsedReplayOptions extends ReplayOptions {
  source: { data: string; cacheGb?: number; config?: string };
}

/**
 * Validated `ReplayOptions` from `ticktape replay`'s flags (naming 'flag') or a library caller's
 * object. With s3:// data, `dataDir` is the URL: open it (cli/data-source.ts) and pass the local folder.
 */
export function parseReplayOptions(input: ReplayOptionsInput | Record<string, unknown>, naming: OptionNaming = 'option', env: NodeJS.ProcessEnv = process.env): ParsedReplayOptions {
  const o = parseOptions(replayOptionsSchema, input, naming);
  const data = o.data && isStoreUrl(o.data) ? o.data : writableDataFolder(o.data);
  return {
    ...REPLAY_DEFAULTS,
    source: { data, ...(o.cacheGb !== undefined ? { cacheGb: o.cacheGb } : {}), ...(o.config !== undefined ? { config: o.config } : {}) },
    dataDir: data,
    host: o.host,
    port: o.port,
    mqttPort: resolveMqttPort(o.port, o.mqttPort, naming),
    tls: readTlsFiles(o.tlsCert, o.tlsKey, naming),
    speed: o.speed,
    fromNs: o.from ?? null,
    toNs: o.to ?? null,
    loop: o.loop,
    graceMs: o.graceMs,
    continueOnGaps: o.continueOnGaps,
    maxConnections: o.maxConnections,
    maxSubscriptionsPerConnection: o.maxSubscriptions,
    maxBufferedBytes: o.maxBufferedBytes,
    sessionKeepMs: o.sessionKeepMs,
    paper: o.paper || o.paperConfig ? paperSettings(o.paperConfig ? loadPaperConfig(o.paperConfig) : {}) : null,
    paperOut: o.paperOut,
    controlToken: o.controlToken ?? (env[CONTROL_TOKEN_ENV] || null),
    auth: o.auth,
    credentials: credentialsOf(o.credential, naming, env),
  };
}
