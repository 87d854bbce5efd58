/**
 * `startReplayServer()`: recorded data served back over each exchange's native protocol, as
 * `ticktape replay` serves it, with the command's option names (`data`, `port`, `speed`, `from`,
 * `to`, `loop`, `graceMs`, …) checked the same way. TT_NO_DATA when the data holds no frames.
 */
import { TicktapeError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { timeRangeNs, type TimeInput } from '../core/time-arg.js';
import type { ExchangeId } from '../exchanges/types.js';
import { resolveMqttPort } from '../core/mqtt-port.js';
import { readTlsFiles } from '../core/tls-files.js';
import { parseSpeed, REPLAY_DEFAULTS, type Speed } from '../replay/options.js';
import { startReplay } from '../replay/server.js';
import { loadPaperConfig, paperSettings, parsePaperConfig } from '../replay/paper/config.js';
import { openData, type DataLocation } from '../store/open-data.js';
import { urlsOf, type EndpointUrls } from './endpoints.js';

/** `ticktape replay`'s flags, camel-cased. */
export interface ReplayServerOptions {
  data: DataLocation;
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
  from?: TimeInput;
  to?: TimeInput;
  /** Start over at the end of the range instead of closing with 1000. */
  loop?: boolean;
  /** Wait after a session's first subscription before its clock starts, ms (default 250). */
  graceMs?: number;
  /** Do not reproduce recorded disconnects and sequence gaps. */
  continueOnGaps?: boolean;
  maxConnections?: number;
  /** Subscriptions per connection. */
  maxSubscriptions?: number;
  /** A paced client with more unsent bytes than this is closed with 1008. */
  maxBufferedBytes?: number;
  /** A named session keeps its clock this long after its last connection, ms. */
  sessionKeepMs?: number;
  /** Paper trading: every session gets an account whose orders fill against the recorded market (`--paper`). */
  paper?: boolean;
  /** Paper trading settings (`--paper-config`): a YAML or JSON file, or the document itself (as deploy/paper.sample.yaml), checked the same way; implies `paper`. */
  paperConfig?: string | Record<string, unknown>;
  /** Where paper sessions write their results, one folder per session (`--paper-out`, default ./paper). */
  paperOut?: string;
  /** Bearer token the control API (/control/*) requires (`--control-token`); default none. */
  controlToken?: string;
  logger?: Logger;
}

export interface ReplayServerStats {
  [key: string]: unknown;
}

export interface ReplayServerHandle {
  readonly port: number;
  /** exchange → endpoint → URL; the control API and /normalized are on the same port. */
  readonly urls: EndpointUrls;
  url(exchange: ExchangeId, endpoint: string): string;
  /** Recorded streams per exchange. */
  streams(): Partial<Record<ExchangeId, string[]>>;
  stats(): ReplayServerStats;
  close(): Promise<void>;
}

function nonNegInt(name: string, v: number | undefined): number | undefined {
  if (v !== undefined && !(Number.isSafeInteger(v) && v >= 0)) throw new TicktapeError('TT_CONFIG_INVALID', `${name} must be a non-negative integer, got ${JSON.stringify(v)}.`, { field: name });
  return v;
}

export async function startReplayServer(options: ReplayServerOptions): Promise<ReplayServerHandle> {
  const o = options;
  const port = nonNegInt('port', o.port);
  if (port !== undefined && port > 65535) throw new TicktapeError('TT_CONFIG_INVALID', `port must be 0-65535, got ${port}.`, { field: 'port' });
  if (o.mqttPort !== undefined && o.mqttPort !== 'off') nonNegInt('mqttPort', o.mqttPort);
  if (typeof o.mqttPort === 'number' && o.mqttPort > 65535) throw new TicktapeError('TT_CONFIG_INVALID', `mqttPort must be 0-65535 or "off", got ${o.mqttPort}.`, { field: 'mqttPort' });
  const mqttPort = resolveMqttPort(port ?? REPLAY_DEFAULTS.port, o.mqttPort);
  const tls = readTlsFiles(o.tlsCert, o.tlsKey);
  const speed = o.speed === undefined ? REPLAY_DEFAULTS.speed : typeof o.speed === 'number' ? parseSpeed(String(o.speed)) : parseSpeed(o.speed);
  const { fromNs, toNs } = timeRangeNs(o.from, o.to);
  const paper =
    o.paper === true || o.paperConfig !== undefined
      ? paperSettings(typeof o.paperConfig === 'string' ? loadPaperConfig(o.paperConfig) : parsePaperConfig(o.paperConfig ?? {}, 'paperConfig'))
      : null;
  const data = await openData(o.data);
  let server;
  try {
    server = await startReplay(
      {
        dataDir: data.dir,
        port: port ?? REPLAY_DEFAULTS.port,
        mqttPort,
        tls,
        host: o.host ?? REPLAY_DEFAULTS.host,
        speed,
        fromNs: fromNs ?? null,
        toNs: toNs ?? null,
        loop: o.loop === true,
        graceMs: nonNegInt('graceMs', o.graceMs) ?? REPLAY_DEFAULTS.graceMs,
        continueOnGaps: o.continueOnGaps === true,
        maxConnections: nonNegInt('maxConnections', o.maxConnections) ?? REPLAY_DEFAULTS.maxConnections,
        maxSubscriptionsPerConnection: nonNegInt('maxSubscriptions', o.maxSubscriptions) ?? REPLAY_DEFAULTS.maxSubscriptionsPerConnection,
        maxBufferedBytes: nonNegInt('maxBufferedBytes', o.maxBufferedBytes) ?? REPLAY_DEFAULTS.maxBufferedBytes,
        sessionKeepMs: nonNegInt('sessionKeepMs', o.sessionKeepMs) ?? REPLAY_DEFAULTS.sessionKeepMs,
        paper,
        paperOut: o.paperOut ?? REPLAY_DEFAULTS.paperOut,
        controlToken: o.controlToken || null,
      },
      o.logger,
    );
  } catch (err) {
    data.close();
    throw err;
  }
  if (Object.values(server.catalog).every((c) => c.streams.size === 0)) {
    // A typo in data or an empty folder would otherwise serve silence to every client.
    await server.close();
    data.close();
    throw new TicktapeError('TT_NO_DATA', `No recorded frames in ${data.dir}: point data at a folder \`ticktape record\` wrote (check it with \`ticktape ls --data DIR\`).`);
  }
  const s = server;
  return {
    port: s.port,
    urls: urlsOf(s.host.endpoints()),
    url: (exchange, endpoint) => s.url(exchange, endpoint),
    streams: () => Object.fromEntries(Object.entries(s.catalog).map(([ex, c]) => [ex, [...c.streams.keys()]])),
    stats: () => s.stats.toJSON(),
    close: async () => {
      await s.close();
      data.close();
    },
  };
}
