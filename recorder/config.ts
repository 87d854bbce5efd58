/**
 * Builds the recorder's one frozen configuration from a config file (JSON or YAML) or from the
 * quick command-line form. Every validation error names the field it is about
 * (`exchanges[1].channels[0]: unknown channel "foo" for coinstore — valid forms: ...`) and is a
 * TicktapeError TT_CONFIG_INVALID, so the CLI exits 2.
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { DEFAULT_DATA_DIR, writableDataFolder } from '../store/open-data.js';
import { TicktapeError, isTicktapeError } from '../core/errors.js';
import { closest } from '../core/option-fields.js';
import { exchangeModule, isExchangeId } from '../exchanges/registry.js';
import { EXCHANGE_IDS, type Credentials, type ExchangeId, type StreamSpec } from '../exchanges/types.js';
import {
  configFileSchema,
  DEFAULT_BACKOFF_INITIAL_MS,
  DEFAULT_BACKOFF_MAX_MS,
  DEFAULT_CLOCK_INTERVAL_MS,
  DEFAULT_SEAL_SHUTDOWN_BUDGET_MS,
  DEFAULT_FSYNC_INTERVAL_MS,
  DEFAULT_HANDOFF_TIMEOUT_MS,
  DEFAULT_HTTP_LISTEN,
  DEFAULT_LOW_DISK_GB,
  DEFAULT_SEAL_INTERVAL_MS,
  DEFAULT_STAGGER_MS,
  DEFAULT_STALE_FACTOR,
  DEFAULT_STALE_MIN_MS,
  type ConfigFile,
} from './config-schema.js';
import { credentialsFromEnv, envNames } from '../exchanges/credentials-env.js';
import { CONTROL_TOKEN_ENV } from '../core/control-guard.js';
import { resolveStoreConfig, type RemoteStoreConfig } from '../store/remote/store-config.js';
import type { ConfigFlags } from './flags-schema.js';

export interface ExchangePlan {
  id: ExchangeId;
  /** Channels as written by the user, parallel to `streams`. */
  channels: string[];
  streams: StreamSpec[];
  baseUrl: string | null;
  /** Endpoint name → URL overrides. */
  urls: Record<string, string>;
  credentials: Credentials | null;
  rotateAfterMs: number | null;
  /** Stream key → stale threshold (ms) overrides. */
  staleMs: Record<string, number>;
}

export interface SimulateOptions {
  port: number;
  seed: number;
  /** Steps per second, or 'max': the simulator runs as fast as the recorder reads. */
  rate: number | 'max' | null;
  faults: Record<string, unknown> | null;
  /** Push periods that override the exchanges' documented cadence (load tests), ms per snapshot kind. */
  throttle: { bookMs?: number; klineMs?: number; tickerMs?: number; tradeWindowMs?: number } | null;
}

interface HttpListen {
  host: string;
  port: number;
}

export interface RecorderConfig {
  configPath: string | null;
  instance: string | null;
  dataDir: string;
  http: HttpListen | null;
  /** Bearer token POST /rotate requires (`controlToken`, or TICKTAPE_CONTROL_TOKEN), or null. */
  controlToken: string | null;
  fsyncIntervalMs: number;
  sealIntervalMs: number;
  sealAtShutdown: boolean;
  /** How long a stop may spend sealing (`seal.shutdownBudgetMs`); the rest stays in the journal. */
  sealShutdownBudgetMs: number;
  /**
   * zstd level (1-22) of the day files background compaction writes (`seal.compactZstdLevel`);
   * unset: each table's default (16 for raw, 9 for the normalized tables: store/seal/compact.ts).
   */
  compactZstdLevel: number | undefined;
  retention: { days: number | null; maxGb: number | null };
  staleFactor: number;
  staleMinMs: number;
  backoff: { initialMs: number; maxMs: number };
  staggerMs: number;
  clockIntervalMs: number;
  handoffTimeoutMs: number;
  lowDiskGb: number;
  /** Where sealed partitions are shipped (`store`), or null to keep them on this disk only. */
  store: RemoteStoreConfig | null;
  /** Start the simulator in-process; exchanges without channels then get the demo channels. */
  simulate: SimulateOptions | null;
  /** Empty with `simulate`: the recorder fills in all four exchanges from the simulator's instruments. */
  exchanges: ExchangePlan[];
}

/** Flags of the quick form, and overrides that apply to a config file too. */
function invalid(message: string, context: Record<string, unknown> = {}): TicktapeError {
  return new TicktapeError('TT_CONFIG_INVALID', message, context);
}

/** `exchanges[1].channels[0]` from a zod path. */
function formatPath(p: ReadonlyArray<string | number>): string {
  let out = '';
  for (const part of p) out += typeof part === 'number' ? `[${part}]` : out ? `.${part}` : part;
  return out || '(top level)';
}

export function formatZodError(err: z.ZodError, source: string): TicktapeError {
  const lines = err.issues.map((i) => {
    const where = formatPath(i.path);
    if (i.code === 'unrecognized_keys') return `${where}: unknown field(s) ${i.keys.map((k) => `"${k}"`).join(', ')}`;
    return `${where}: ${i.message}`;
  });
  return invalid(`Invalid configuration in ${source}:\n  ${lines.join('\n  ')}\nFix the field(s) above (see deploy/ticktape.sample.yaml).`, {
    issues: lines,
  });
}

/** Reads and validates a config file (the format follows the extension; .json, else YAML). */
export function loadConfigFile(file: string): { config: ConfigFile; mode: number } {
  let text: string;
  let mode = 0;
  try {
    text = fs.readFileSync(file, 'utf8');
    mode = fs.statSync(file).mode;
  } catch (err) {
    throw new TicktapeError('TT_CONFIG_UNREADABLE', `Cannot read config file ${file}: ${(err as Error).message}. Check the path and its permissions.`, { file }, { cause: err });
  }
  let doc: unknown;
  try {
    doc = file.endsWith('.json') ? JSON.parse(text) : YAML.parse(text);
  } catch (err) {
    throw new TicktapeError('TT_CONFIG_UNREADABLE', `Config file ${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}. Fix the syntax (deploy/ticktape.sample.yaml shows every field).`, { file }, { cause: err });
  }
  const parsed = configFileSchema.safeParse(doc ?? {});
  if (!parsed.success) throw formatZodError(parsed.error, file);
  return { config: parsed.data, mode };
}

export function parseListen(value: string, field: string): HttpListen | null {
  if (value === 'off' || value === 'none' || value === 'false') return null;
  const m = /^(?:\[([0-9a-f:]+)\]|([^:]*)):(\d{1,5})$/i.exec(value) ?? /^()()(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw invalid(`${field}: "${value}" is not an address; use host:port (e.g. ${DEFAULT_HTTP_LISTEN}) or "off"`);
  return { host: m[1] || m[2] || '127.0.0.1', port };
}

/** The reason a channel parser gives, without the list of valid forms it may append (the caller lists them once). */
function channelReason(message: string): string {
  return message
    .replace(/^Unknown \S+ channel "[^"]*":\s*/i, '')
    .replace(/\.?\s*(Use one of|Write it as one of|Channels look like)[\s\S]*$/, '')
    .trim();
}

/** How a plan names its fields in messages: `exchanges[1].channels[0]` in a file, `--channels` in the quick form. */
interface PlanFieldNames {
  name: string;
  channel(i: number): string;
}

function fileFieldNames(where: string): PlanFieldNames {
  return { name: `${where}.name`, channel: (i) => `${where}.channels[${i}]` };
}

/** The quick form's flags. */
const QUICK_FIELD_NAMES: PlanFieldNames = { name: '--exchange', channel: () => '--channels' };

/** Parses one exchange's channels; errors name the field and list the valid forms once. */
function resolveStreams(id: ExchangeId, channels: string[], names: PlanFieldNames): StreamSpec[] {
  const mod = exchangeModule(id);
  const seen = new Set<string>();
  const out: StreamSpec[] = [];
  channels.forEach((ch, i) => {
    let spec: StreamSpec;
    try {
      spec = mod.client.parseChannel(ch);
    } catch (err) {
      const reason = channelReason(isTicktapeError(err) ? err.message : String((err as Error)?.message ?? err));
      throw new TicktapeError('TT_UNKNOWN_CHANNEL', `${names.channel(i)}: unknown channel "${ch}" for ${id}${reason ? ` (${reason})` : ''} — valid forms: ${mod.client.channelHelp.map((h) => h.replace(/\s+/g, ' ').trim()).join('; ')}`, {
        field: names.channel(i),
      });
    }
    if (seen.has(spec.key)) return; // the same stream written twice (e.g. by id and by name)
    seen.add(spec.key);
    out.push(spec);
  });
  return out;
}

/** A URL the recorder can connect with: a WebSocket (`ws:`, `wss:`, or `http(s):` as ws reads it), or the exchange's byte-stream schemes (Coinsuper `tcp:`, `mqtt:`, `mqtts:`). */
function checkEndpointScheme(mod: ReturnType<typeof exchangeModule>, url: string, field: string): void {
  const scheme = new URL(url).protocol.replace(/:$/, '');
  const byteStream = [...(mod.tcp?.schemes.plain ?? []), ...(mod.tcp?.schemes.tls ?? [])];
  const allowed = ['ws', 'wss', 'http', 'https', ...byteStream];
  if (!allowed.includes(scheme)) {
    throw invalid(`${field}: "${url}" has the scheme ${scheme}://, which ${mod.id} is not spoken over — use ${allowed.map((a) => `${a}://`).join(', ')}`, { url });
  }
}

/** Builds the plan of one exchange; `demo` fills in demo credentials when none are given. */
function planExchange(
  input: {
    name: string;
    channels: string[];
    baseUrl?: string | null;
    url?: string;
    urls?: Record<string, string>;
    credentials?: Credentials;
    rotateAfterMs?: number;
    staleMs?: Record<string, number>;
  },
  where: string,
  opts: { env?: NodeJS.ProcessEnv; demoCredentials?: boolean; names?: PlanFieldNames } = {},
): ExchangePlan {
  const names = opts.names ?? fileFieldNames(where);
  if (!isExchangeId(input.name)) {
    const near = closest(input.name, EXCHANGE_IDS);
    throw new TicktapeError('TT_UNKNOWN_EXCHANGE', `${names.name}: unknown exchange "${input.name}"${near ? ` (did you mean ${near}?)` : ''} — use one of: ${EXCHANGE_IDS.join(', ')}`, { field: names.name });
  }
  const id = input.name;
  const mod = exchangeModule(id);
  const streams = resolveStreams(id, input.channels, names);
  const urls: Record<string, string> = { ...(input.urls ?? {}) };
  for (const name of Object.keys(urls)) {
    if (!mod.client.endpoints[name]) {
      throw invalid(`${where}.urls.${name}: ${id} has no endpoint "${name}" — endpoints: ${Object.keys(mod.client.endpoints).join(', ')}`);
    }
  }
  if (input.url) {
    const first = streams[0]?.endpoint ?? Object.keys(mod.client.endpoints)[0];
    urls[first] ??= input.url;
  }
  for (const [name, url] of Object.entries(urls)) checkEndpointScheme(mod, url, `${where}.${input.urls?.[name] === url ? `urls.${name}` : 'url'}`);
  if (input.baseUrl) checkEndpointScheme(mod, input.baseUrl, `${where}.baseUrl`);
  const staleMs: Record<string, number> = {};
  for (const [ch, ms] of Object.entries(input.staleMs ?? {})) {
    const [spec] = resolveStreams(id, [ch], { name: names.name, channel: () => `${where}.staleMs` });
    staleMs[spec.key] = ms;
  }
  let credentials: Credentials | null = null;
  if (streams.some((s) => s.private)) {
    const fromEnv = credentialsFromEnv(id, mod.client.credentialFields, opts.env ?? process.env);
    credentials = { ...(opts.demoCredentials ? mod.demoCredentials : {}), ...fromEnv, ...(input.credentials ?? {}) };
    const missing = mod.client.credentialFields.filter((f) => !credentials?.[f]);
    if (missing.length) {
      throw new TicktapeError(
        'TT_CREDENTIALS_MISSING',
        `${where}: private channels of ${id} need credentials ${missing.join(', ')}: set ${where}.credentials in the config, or the environment variables ${missing.map((f) => envNames(id, f)[0]).join(', ')}.`,
        { exchange: id, missing },
      );
    }
  }
  return {
    id,
    channels: [...input.channels],
    streams,
    baseUrl: input.baseUrl ?? null,
    urls,
    credentials,
    rotateAfterMs: input.rotateAfterMs ?? null,
    staleMs,
  };
}

/** The demo plan of every exchange: default public channels plus the private ones with demo credentials. */
export function demoPlans(instruments: Parameters<ReturnType<typeof exchangeModule>['defaultChannels']>[0], baseUrl: string): ExchangePlan[] {
  return EXCHANGE_IDS.map((id) => {
    const mod = exchangeModule(id);
    const channels = [...mod.defaultChannels(instruments), ...mod.privateChannels(instruments)];
    return planExchange({ name: id, channels, baseUrl, credentials: mod.demoCredentials }, `simulate.${id}`, { demoCredentials: true });
  });
}

export function buildConfig(file: ConfigFile, configPath: string | null, flags: ConfigFlags = {}, env: NodeJS.ProcessEnv = process.env): RecorderConfig {
  const baseDir = configPath ? path.dirname(path.resolve(configPath)) : process.cwd();
  const simulate: SimulateOptions | null =
    flags.simulate || file.simulate
      ? {
          port: flags.simulatePort ?? (typeof file.simulate === 'object' ? file.simulate.port : undefined) ?? 0,
          seed: flags.seed ?? (typeof file.simulate === 'object' ? file.simulate.seed : undefined) ?? 1,
          rate: flags.rate ?? (typeof file.simulate === 'object' ? file.simulate.rate : undefined) ?? null,
          faults: (typeof file.simulate === 'object' ? file.simulate.faults : undefined) ?? null,
          throttle: (typeof file.simulate === 'object' ? file.simulate.throttle : undefined) ?? null,
        }
      : null;
  // the quick form's exchange came from --exchange/--channels: its errors name those flags
  const quick = configPath === null && flags.exchange !== undefined;
  const exchanges = (file.exchanges ?? []).map((ex, i) => planExchange({ ...ex, baseUrl: ex.baseUrl ?? null }, `exchanges[${i}]`, { env, demoCredentials: simulate !== null, names: quick ? QUICK_FIELD_NAMES : undefined }));
  if (!exchanges.length && !simulate) throw invalid('exchanges: list at least one exchange with its channels (or use simulate: true)');
  const seen = new Set<string>();
  exchanges.forEach((ex, i) => {
    if (seen.has(ex.id)) throw invalid(`exchanges[${i}].name: ${ex.id} is listed twice; put all its channels in one entry`);
    seen.add(ex.id);
  });
  const dataDir = flags.data ? path.resolve(flags.data) : file.data ? path.resolve(baseDir, file.data) : writableDataFolder(DEFAULT_DATA_DIR);
  const cfg: RecorderConfig = {
    configPath: configPath ? path.resolve(configPath) : null,
    instance: flags.instance ?? file.instance ?? null,
    dataDir,
    http: parseListen(flags.http ?? file.http ?? DEFAULT_HTTP_LISTEN, flags.http ? '--http' : 'http'),
    controlToken: file.controlToken ?? (env[CONTROL_TOKEN_ENV] || null),
    fsyncIntervalMs: flags.fsyncIntervalMs ?? file.fsyncIntervalMs ?? DEFAULT_FSYNC_INTERVAL_MS,
    sealIntervalMs: flags.sealIntervalMs ?? file.seal?.intervalMs ?? DEFAULT_SEAL_INTERVAL_MS,
    sealAtShutdown: file.seal?.atShutdown ?? true,
    sealShutdownBudgetMs: file.seal?.shutdownBudgetMs ?? DEFAULT_SEAL_SHUTDOWN_BUDGET_MS,
    compactZstdLevel: file.seal?.compactZstdLevel,
    retention: { days: file.retention?.days ?? null, maxGb: file.retention?.maxGb ?? null },
    staleFactor: file.stale?.factor ?? DEFAULT_STALE_FACTOR,
    staleMinMs: file.stale?.minMs ?? DEFAULT_STALE_MIN_MS,
    backoff: { initialMs: file.backoff?.initialMs ?? DEFAULT_BACKOFF_INITIAL_MS, maxMs: file.backoff?.maxMs ?? DEFAULT_BACKOFF_MAX_MS },
    staggerMs: flags.staggerMs ?? file.staggerMs ?? DEFAULT_STAGGER_MS,
    clockIntervalMs: file.clockIntervalMs ?? DEFAULT_CLOCK_INTERVAL_MS,
    handoffTimeoutMs: file.handoffTimeoutMs ?? DEFAULT_HANDOFF_TIMEOUT_MS,
    lowDiskGb: file.lowDiskGb ?? DEFAULT_LOW_DISK_GB,
    store: file.store ? resolveStoreConfig(undefined, file.store, env, 'store.url') : null,
    simulate,
    exchanges,
  };
  if (cfg.backoff.maxMs < cfg.backoff.initialMs) throw invalid('backoff.maxMs: must be at least backoff.initialMs');
  return Object.freeze(cfg);
}

/** The quick form: `--exchange X --channels a,b [--url U]`, or `--simulate` alone. */
export function quickConfig(flags: ConfigFlags, env: NodeJS.ProcessEnv = process.env): RecorderConfig {
  const file: ConfigFile = {};
  if (flags.exchange) {
    if (!flags.channels?.length) throw invalid(`--channels: list the channels to record for ${flags.exchange} (e.g. --channels btcusdt@trade,btcusdt@depth@20)`);
    file.exchanges = [{ name: flags.exchange, channels: flags.channels, ...(flags.url ? { url: flags.url } : {}) }];
  } else if (flags.channels?.length) {
    throw invalid('--exchange: name the exchange the --channels belong to');
  } else if (!flags.simulate) {
    throw invalid('Nothing to record: give --config FILE, or --exchange NAME --channels LIST, or --simulate.');
  }
  return buildConfig(file, null, flags, env);
}

/** Config from the CLI flags: a file when --config is given (flags override), else the quick form. */
export function configFromFlags(flags: ConfigFlags, env: NodeJS.ProcessEnv = process.env): { config: RecorderConfig; warnings: string[] } {
  const warnings: string[] = [];
  if (!flags.config) return { config: quickConfig(flags, env), warnings };
  const { config: file, mode } = loadConfigFile(flags.config);
  if (flags.exchange || flags.channels?.length) throw invalid('--exchange/--channels: not allowed with --config; list the channels in the file');
  const hasSecrets = file.controlToken !== undefined || (file.exchanges ?? []).some((e) => e.credentials && Object.keys(e.credentials).length > 0);
  if (hasSecrets && (mode & 0o077) !== 0) {
    warnings.push(`config file ${flags.config} holds credentials and is readable by group or others (mode ${(mode & 0o777).toString(8)}): run chmod 600 ${flags.config}`);
  }
  return { config: buildConfig(file, flags.config, flags, env), warnings };
}
