/** Replay options: defaults in one place, CLI flags, and per-connection query-parameter overrides. */
import { TicktapeError } from '../core/errors.js';
import { parseTimeArg } from '../core/time-arg.js';
import type { AuthMode, Credentials, ExchangeId } from '../exchanges/types.js';
import type { PaperSettings } from './paper/config.js';
import type { TlsFiles } from '../exchanges/host.js';

export type Speed = number | 'max';

export interface ReplayOptions {
  dataDir: string;
  host: string;
  port: number;
  /** Port of the MQTT-over-TCP listener for Coinsuper (0 = any free port), or null for none. The CLI defaults it to the HTTP port + 1. */
  mqttPort: number | null;
  /** Serve TLS (https/wss and MQTT over TLS) with this certificate and key. */
  tls?: TlsFiles;
  speed: Speed;
  fromNs: bigint | null;
  toNs: bigint | null;
  loop: boolean;
  /** Wait this long after a session's first subscription before its clock starts (ms). */
  graceMs: number;
  /** Keep going at recorded disconnects and sequence gaps instead of reproducing them. */
  continueOnGaps: boolean;
  /** Above this many buffered bytes a max-speed session pauses until the client reads. */
  softBufferBytes: number;
  /** Past this many buffered bytes a client is closed with 1008 (at 1x it does not keep up). */
  maxBufferedBytes: number;
  /** A named session (`?session=`) keeps its clock this long after its last connection closed (ms). */
  sessionKeepMs: number;
  /** A client more than this many batches (~2048 records each) behind the fastest of its range re-reads on its own (bounds shared memory). */
  readAheadBatches: number;
  maxConnections: number;
  maxSubscriptionsPerConnection: number;
  maxFrameBytes: number;
  /** Paper trading: every session gets a paper account (`--paper`); null: orders are refused. */
  paper: PaperSettings | null;
  /** Where paper sessions' results go, one folder per session (`--paper-out`). */
  paperOut: string;
  /**
   * How logins, signs and tokens are checked (`--auth`): `any` accepts every well-formed one
   * without a check, logged as such (a replay is a test double: it must not need the bot's real
   * secrets); `strict` checks them against the demo credentials and `credentials`, like the simulator.
   */
  auth: AuthMode;
  /** Credentials accepted besides each exchange's demo set (`--credential`, TICKTAPE_<EXCHANGE>_<FIELD>). */
  credentials: Partial<Record<ExchangeId, Credentials[]>>;
  /** Bearer token the control API requires (`--control-token`, TICKTAPE_CONTROL_TOKEN), or null. */
  controlToken: string | null;
}

export const REPLAY_DEFAULTS: Omit<ReplayOptions, 'dataDir'> = {
  host: '127.0.0.1',
  port: 8001,
  mqttPort: null,
  speed: 1,
  fromNs: null,
  toNs: null,
  loop: false,
  graceMs: 250,
  continueOnGaps: false,
  softBufferBytes: 1 << 20,
  maxBufferedBytes: 8 << 20,
  sessionKeepMs: 60_000,
  readAheadBatches: 4,
  maxConnections: 256,
  maxSubscriptionsPerConnection: 256,
  maxFrameBytes: 64 << 10,
  paper: null,
  paperOut: './paper',
  auth: 'any',
  credentials: {},
  controlToken: null,
};

function parseSpeed(v: string): Speed {
  if (v === 'max') return 'max';
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) {
    throw new TicktapeError('TT_CONFIG_INVALID', `--speed must be a positive number or "max", got "${v}".`, { speed: v });
  }
  return n;
}

/** What one connection may override through its URL (`?speed=10&from=...&to=...&session=abc`). */
interface ConnectionOverrides {
  speed: Speed;
  fromNs: bigint | null;
  toNs: bigint | null;
  sessionId: string | null;
}

export function connectionOverrides(url: URL, base: ReplayOptions): ConnectionOverrides {
  const q = url.searchParams;
  const session = q.get('session');
  if (session !== null && !/^[\w.-]{1,64}$/.test(session)) {
    throw new TicktapeError('TT_CONFIG_INVALID', 'session must be 1-64 letters, digits, "_", "-" or "."', { session });
  }
  const fromNs = q.has('from') ? parseTimeArg(q.get('from')!, 'from') : base.fromNs;
  const toNs = q.has('to') ? parseTimeArg(q.get('to')!, 'to') : base.toNs;
  if (fromNs !== null && toNs !== null && fromNs >= toNs) throw new TicktapeError('TT_BAD_TIME', 'to must be after from (the range is empty or reversed)', { fromNs: String(fromNs), toNs: String(toNs) });
  return {
    speed: q.has('speed') ? parseSpeed(q.get('speed')!) : base.speed,
    fromNs,
    toNs,
    sessionId: session,
  };
}
