/**
 * `startReplayServer()`: recorded data served back over each exchange's native protocol. It is what
 * `ticktape replay` runs: the options are the command's flags camel-cased, validated by the same
 * schema (replay/options-schema.ts), and the command starts through `launchReplayServer` here.
 * TT_NO_DATA when the data (or the `from`/`to` range) holds no frames.
 */
import { portListener } from '../core/listen.js';
import { TicktapeError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { optionName, type OptionNaming } from '../core/parse-options.js';
import type { TimeInput } from '../core/time-arg.js';
import type { ExchangeId } from '../exchanges/types.js';
import { parseReplayOptions, type ParsedReplayOptions } from '../replay/options-schema.js';
import type { Speed } from '../replay/options.js';
import { paperSettings, parsePaperConfig } from '../replay/paper/config.js';
import { checkReplayRange } from '../replay/range-check.js';
import { startReplay } from '../replay/server.js';
import { openServedData } from '../replay/served-days.js';
import { bucketArgsOf, openDataArg } from '../store/open-data-arg.js';
import { isStoreUrl } from '../store/remote/store-url.js';
import { daysOfRange, type DataLocation, type RemoteDataOptions } from '../store/open-data.js';
import { urlsOf, type EndpointUrl, type EndpointUrls } from './endpoints.js';

/** `ticktape replay`'s flags, camel-cased; each is checked as the command checks its flag. */
export interface ReplayServerOptions {
  /** The data folder (or a `file:` URL), or `s3://bucket/prefix` read through the local cache. */
  data: DataLocation;
  /** With s3:// data: bound of the local cache, GB. */
  cacheGb?: number;
  /** With s3:// data: a config file whose `store` section gives endpoint, region and forcePathStyle. */
  config?: string;
  /** With an `s3://bucket/prefix` data location: endpoint, region and cache folder from code, over `config`'s store section (default: the AWS_* environment). */
  remote?: RemoteDataOptions;
  /** Port, 0 for any free port (default 8001). */
  port?: number;
  /** Address to bind (default 127.0.0.1). */
  host?: string;
  /** MQTT over plain TCP (Coinsuper): a port, 0 for any free one, or 'off' (default: port + 1, any free port when port is 0). */
  mqttPort?: number | 'off';
  /** Serve TLS (wss:// on port, mqtts:// on mqttPort) with this PEM certificate file, with `tlsKey`. */
  tlsCert?: string;
  /** The PEM private key file of `tlsCert`. */
  tlsKey?: string;
  /** 1 real time, N times faster, or 'max' as fast as the client reads (default 1). */
  speed?: Speed | string;
  /** Start of the range (default: start of the recording); a range with no recorded frame is TT_NO_DATA. */
  from?: TimeInput;
  /** End of the range, exclusive (default: end of the recording). */
  to?: TimeInput;
  /** Start over at the end of the range instead of closing with 1000. */
  loop?: boolean;
  /** Wait after a session's first subscription before its clock starts, ms (default 250, at most 60000). */
  graceMs?: number;
  /** Do not reproduce recorded disconnects and sequence gaps. */
  continueOnGaps?: boolean;
  /** Connection limit (default 256). */
  maxConnections?: number;
  /** Subscriptions per connection (default 256). */
  maxSubscriptions?: number;
  /** A paced client with more unsent bytes than this is closed with 1008. */
  maxBufferedBytes?: number;
  /** A named session keeps its clock this long after its last connection, ms. */
  sessionKeepMs?: number;
  /** How logins, signs and tokens are checked: 'any' (accepted unchecked, logged; the default) or 'strict' (like the simulator). */
  auth?: 'any' | 'strict';
  /** Credentials `auth: 'strict'` accepts besides the demo ones, `<exchange>:field=value,field=value` each. */
  credential?: readonly string[];
  /** Paper trading: every session gets an account whose orders fill against the recorded market (`--paper`). */
  paper?: boolean;
  /** Paper trading settings (`--paper-config`): a YAML or JSON file, or the document itself (as deploy/paper.sample.yaml), checked the same way; implies `paper`. */
  paperConfig?: string | Record<string, unknown>;
  /** Where paper sessions write their results, one folder per session (`--paper-out`, default ./paper). */
  paperOut?: string;
  /** Bearer token the control API (/control/*) requires (`--control-token`); default TICKTAPE_CONTROL_TOKEN, else none. */
  controlToken?: string;
  /** Gets the warnings (a range partly outside the recording) and the server's log. */
  logger?: Logger;
}

export interface ReplayServerStats {
  [key: string]: unknown;
}

export interface ReplayServerHandle {
  readonly port: number;
  /** Port of Coinsuper's MQTT-over-TCP listener, or null when off. */
  readonly mqttPort: number | null;
  /** Whether paper trading is on (orders fill against the recording). */
  readonly paper: boolean;
  /** exchange → endpoint → URL; the control API and /normalized are on the same port. */
  readonly urls: EndpointUrls;
  url(exchange: ExchangeId, endpoint: string): string;
  /** Every URL served, aliases included. */
  endpoints(): EndpointUrl[];
  /** Recorded streams per exchange. */
  streams(): Partial<Record<ExchangeId, string[]>>;
  stats(): ReplayServerStats;
  close(): Promise<void>;
}

export async function startReplayServer(options: ReplayServerOptions): Promise<ReplayServerHandle> {
  const { logger, data, paperConfig, remote, ...rest } = options;
  const input: Record<string, unknown> = { ...rest, data: data instanceof URL ? data.href : data };
  // A paper config given as a document is checked by the config file's schema; a file name by the option schema.
  if (typeof paperConfig === 'string' || paperConfig === undefined) input.paperConfig = paperConfig;
  const opts = parseReplayOptions(input, 'option');
  if (paperConfig !== undefined && typeof paperConfig !== 'string') opts.paper = paperSettings(parsePaperConfig(paperConfig, 'paperConfig'));
  return launchReplayServer(opts, logger, 'option', remote);
}

/** Starts the replay server from validated options (parseReplayOptions); `ticktape replay` starts here. */
export async function launchReplayServer(opts: ParsedReplayOptions, logger: Logger | undefined, naming: OptionNaming, remote?: RemoteDataOptions): Promise<ReplayServerHandle> {
  // From a bucket only the days of the range are read: the catalog from the raw files' summaries,
  // then the days as the connections (and paper accounts) reach them (replay/served-days.ts).
  const range = daysOfRange(opts.fromNs, opts.toNs);
  const bucket = isStoreUrl(opts.source.data);
  const src = bucket ? await openServedData(opts.source.data, { ...bucketArgsOf({ ...opts.source, remote }), filter: range }) : await openDataArg({ ...opts.source, remote }, range);
  const listen = {
    listenAs: portListener('the replay server', 'port', naming),
    tcpListenAs: portListener("the replay's Coinsuper MQTT listener", 'mqttPort', naming, true),
  };
  let server;
  try {
    server = await startReplay('catalog' in src ? { ...opts, ...listen, dataDir: undefined, served: src } : { ...opts, ...listen, dataDir: src.dir }, logger);
  } catch (err) {
    src.close();
    throw err;
  }
  try {
    if (Object.values(server.catalog).every((c) => c.streams.size === 0)) {
      // A typo in data or an empty folder would otherwise serve silence to every client.
      const data = optionName('data', naming);
      throw new TicktapeError('TT_NO_DATA', `No recorded frames in ${opts.source.data}: point ${data} at a folder \`ticktape record\` wrote (check it with \`ticktape ls --data DIR\`).`);
    }
    for (const w of checkReplayRange(server.catalog, opts.fromNs, opts.toNs, naming)) logger?.warn(w);
  } catch (err) {
    await server.close();
    src.close();
    throw err;
  }
  const s = server;
  return {
    port: s.port,
    mqttPort: s.host.tcpPort('coinsuper'),
    paper: s.paper !== null,
    urls: urlsOf(s.host.endpoints()),
    url: (exchange, endpoint) => s.url(exchange, endpoint),
    endpoints: () => s.host.endpoints().map((e) => ({ exchange: e.exchange, endpoint: e.endpoint, url: e.url, alias: e.alias })),
    streams: () => Object.fromEntries(Object.entries(s.catalog).map(([ex, c]) => [ex, [...c.streams.keys()]])),
    stats: () => s.stats.toJSON(),
    close: async () => {
      await s.close();
      src.close();
    },
  };
}
