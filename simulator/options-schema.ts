/**
 * `ticktape simulate`'s options (and a library caller's, with the same names), validated once here
 * into `SimulatorOptions`. Ranges: a port 0-65535; a rate above 0 steps per second or "max" (0 would
 * never move the market); faults within what they mean (a fraction 0-1, positive periods).
 */
import { z } from 'zod';
import { TicktapeError } from '../core/errors.js';
import { boolField, intField, listField, shown, numberField, portField, textField } from '../core/option-fields.js';
import { mqttPortField, resolveMqttPort } from '../core/mqtt-port.js';
import { parseOptions, type OptionNaming } from '../core/parse-options.js';
import { readTlsFiles } from '../core/tls-files.js';
import { completeCredentialsFromEnv } from '../exchanges/credentials-env.js';
import { EXCHANGE_IDS, type Credentials, type ExchangeId } from '../exchanges/types.js';
import type { FaultConfig } from './faults.js';
import { FAST_FEED_THROTTLE } from './feed.js';
import { MAX_SIM_RATE } from './pacer.js';

export { MAX_SIM_RATE };
import { DEFAULT_SIM_HOST, DEFAULT_SIM_PORT, DEFAULT_SIM_RATE, type SimulatorOptions } from './server.js';

/** Longest book throttle and fault delay: beyond a minute the feed is a stall, which has its own fault. */
const MAX_SIM_DELAY_MS = 60_000;

const rateField = () =>
  z.unknown().transform((v, ctx): number | 'max' => {
    if (v === 'max') return 'max';
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
    if (!Number.isFinite(n) || n <= 0 || n > MAX_SIM_RATE) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `must be a number of steps per second above 0 and at most ${MAX_SIM_RATE}, or "max" (as fast as clients read), got ${shown(v)}` });
      return z.NEVER;
    }
    return n;
  });

const simulatorOptionsSchema = z
  .object({
    port: portField().default(DEFAULT_SIM_PORT),
    host: textField().default(DEFAULT_SIM_HOST),
    /** Coinsuper's MQTT over plain TCP: a port, 0 for any free one, or "off" (default: port + 1, any free port when port is 0). */
    mqttPort: mqttPortField().optional(),
    /** Serve TLS with this PEM certificate (wss:// on port, mqtts:// on mqttPort), with tlsKey. */
    tlsCert: textField().optional(),
    /** The PEM private key of tlsCert. */
    tlsKey: textField().optional(),
    seed: intField({ min: 0 }).default(1),
    rate: rateField().default(DEFAULT_SIM_RATE),
    symbols: listField().optional(),
    originMs: intField({ min: 0, unit: 'Unix ms' }).optional(),
    bookThrottleMs: intField({ min: 0, max: MAX_SIM_DELAY_MS, unit: 'ms' }).optional(),
    /** Load tests: snapshots at fast rates whatever the exchanges document (FAST_FEED_THROTTLE). */
    fastPushes: boolField().optional(),
    autoTrade: boolField().default(true),
    /** `exchange:field=value,field=value`, repeatable. */
    credential: z.array(textField()).optional(),
    faultDropEvery: intField({ min: 1, unit: 'frames' }).optional(),
    faultDropEveryS: numberField({ min: 0, exclusiveMin: true, unit: 'seconds' }).optional(),
    faultMalformedRate: numberField({ min: 0, max: 1, unit: 'fraction' }).optional(),
    faultDelayMs: numberField({ min: 0, max: MAX_SIM_DELAY_MS, unit: 'ms' }).optional(),
    faultStopReading: boolField().optional(),
    faultLifetimeS: numberField({ min: 0, exclusiveMin: true, unit: 'seconds' }).optional(),
    faultIdleCloseS: numberField({ min: 0, exclusiveMin: true, unit: 'seconds' }).optional(),
    faultStall: textField().optional(),
    faultStallAfter: intField({ min: 0, unit: 'items' }).optional(),
  })
  .strict();

type SimulatorOptionsInput = z.input<typeof simulatorOptionsSchema>;

/** `coinstore:apiKey=K,secret=S` → ['coinstore', {apiKey: 'K', secret: 'S'}]. */
export function parseCredentialArg(text: string, option = '--credential'): [ExchangeId, Credentials] {
  const m = /^([a-z]+):(.+)$/.exec(text);
  const exchange = m?.[1];
  if (!m || !exchange || !(EXCHANGE_IDS as readonly string[]).includes(exchange)) {
    throw new TicktapeError('TT_CONFIG_INVALID', `Cannot read ${option} "${text.split(':')[0]}:…": write it as <exchange>:field=value,field=value with exchange one of ${EXCHANGE_IDS.join(', ')}.`);
  }
  const creds: Credentials = {};
  for (const part of m[2].split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new TicktapeError('TT_CONFIG_INVALID', `${option} for ${exchange}: each part must be field=value.`);
    creds[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return [exchange as ExchangeId, creds];
}

/** The credentials a server accepts besides the demo ones: complete sets from the environment, then each `credential`. */
export function credentialsOf(texts: readonly string[] | undefined, naming: OptionNaming, env: NodeJS.ProcessEnv): Partial<Record<ExchangeId, Credentials[]>> {
  const credentials = completeCredentialsFromEnv(env);
  for (const text of texts ?? []) {
    const [ex, creds] = parseCredentialArg(text, naming === 'flag' ? '--credential' : 'credential');
    (credentials[ex] ??= []).push(creds);
  }
  return credentials;
}

/**
 * Validated `SimulatorOptions` (for `startSimulator`) from `ticktape simulate`'s flags (naming
 * 'flag') or a library caller's object; credentials from `credential` and the environment.
 */
export function parseSimulatorOptions(input: SimulatorOptionsInput | Record<string, unknown>, naming: OptionNaming = 'option', env: NodeJS.ProcessEnv = process.env): SimulatorOptions {
  const o = parseOptions(simulatorOptionsSchema, input, naming);
  const faults: Partial<FaultConfig> = {};
  if (o.faultDropEvery !== undefined) faults.dropEvery = o.faultDropEvery;
  if (o.faultDropEveryS !== undefined) faults.dropEverySeconds = o.faultDropEveryS;
  if (o.faultMalformedRate !== undefined) faults.malformedRate = o.faultMalformedRate;
  if (o.faultDelayMs !== undefined) faults.delayMs = o.faultDelayMs;
  if (o.faultStopReading) faults.stopReading = true;
  if (o.faultLifetimeS !== undefined) faults.lifetimeS = o.faultLifetimeS;
  if (o.faultIdleCloseS !== undefined) faults.idleCloseS = o.faultIdleCloseS;
  if (o.faultStall !== undefined) faults.stall = o.faultStall;
  if (o.faultStallAfter !== undefined) faults.stallAfter = o.faultStallAfter;
  const credentials = credentialsOf(o.credential, naming, env);
  return {
    host: o.host,
    port: o.port,
    mqttPort: resolveMqttPort(o.port, o.mqttPort, naming),
    tls: readTlsFiles(o.tlsCert, o.tlsKey, naming),
    seed: o.seed,
    rate: o.rate,
    symbols: o.symbols,
    originMs: o.originMs,
    throttle: o.fastPushes || o.bookThrottleMs !== undefined ? { ...(o.fastPushes ? FAST_FEED_THROTTLE : {}), ...(o.bookThrottleMs !== undefined ? { bookMs: o.bookThrottleMs } : {}) } : undefined,
    autoTrade: o.autoTrade,
    faults,
    credentials,
  };
}
