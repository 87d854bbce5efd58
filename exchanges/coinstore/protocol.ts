/**
 * Coinstore spot WebSocket protocol: constants and message shapes.
 *
 * Source documents: https://coinstore-openapi.github.io/ (WebSocket section; 2021–2022 and 2024
 * versions), summarised with confidence labels in protocols.md §1. Everything marked ASSUMPTION
 * below is not in any source and is the interpretation protocols.md recommends.
 */

export const DOC_URL = 'https://coinstore-openapi.github.io/en/#websocket';
export const PRODUCTION_WS_URL = 'wss://ws.coinstore.com/s/ws';
export const SIM_PATH = '/coinstore/s/ws';

/** "Each link is valid for no more than 24 hours." [DOC] */
export const MAX_CONNECTION_LIFE_MS = 24 * 60 * 60 * 1000;
/** The server sends a WebSocket ping frame every 3 minutes. [DOC] */
export const SERVER_PING_INTERVAL_MS = 3 * 60 * 1000;
/** The server closes a link that has not answered with a pong (frame or message) for 10 minutes. [DOC] */
export const SERVER_IDLE_TIMEOUT_MS = 10 * 60 * 1000;
/** Clients send `{"op":"pong"}` unsolicited every 2 minutes (a third-party recorder does so; well inside 10 min). */
export const CLIENT_PONG_INTERVAL_MS = 2 * 60 * 1000;
/** REQ kline: "limit: no more than 200". [DOC] */
export const MAX_KLINE_REQ_LIMIT = 200;
/** `@depth` without a level count. ASSUMPTION: 20, the REST depth default (protocols.md §1.5). */
export const DEFAULT_DEPTH_LEVELS = 20;
export const DEPTH_LEVELS = [5, 10, 20, 50, 100] as const;
/**
 * Streams per connection the recorder puts on one socket. No limit is documented; ASSUMPTION: 50
 * keeps a SUB message small and a lost connection cheap.
 */
export const MAX_STREAMS_PER_CONNECTION = 50;

/** Codes of the server envelope. Only 200 is documented; the others are ASSUMPTIONS (see session.ts). */
export const CODE_OK = 200;
/** ASSUMPTION: bad JSON, unknown op, malformed or unknown channel (protocols.md §1.2 suggests 400). */
export const CODE_BAD_REQUEST = 400;
/** "signature-failed 401: API key wrong" – the seed's error table, used for a refused LOGIN. */
export const CODE_SIGNATURE_FAILED = 401;
/** "symbol not found 3011: 该币对没有上线" (the pair is not listed) – the seed's error table, used for a symbol the server does not list. */
export const CODE_SYMBOL_NOT_FOUND = 3011;
/** "unauthorized 1401: login token expired" – the seed's error table, used for private SUB before LOGIN. */
export const CODE_UNAUTHORIZED = 1401;

/** K-line interval names of channels [DOC], with their length. `mon_1` was dropped in 2022. */
export const KLINE_INTERVALS: Record<string, number> = {
  min_1: 60_000,
  min_5: 300_000,
  min_15: 900_000,
  min_30: 1_800_000,
  hour_1: 3_600_000,
  hour_4: 14_400_000,
  hour_12: 43_200_000,
  day_1: 86_400_000,
  week_1: 604_800_000,
};

/**
 * Interval spellings a frame may carry: the channel names above, the `"interval":"1m"` of the
 * k-line push example, and the REST `period` vocabulary. `mon_1` has no fixed length (null).
 */
export const KLINE_INTERVAL_ALIASES: Record<string, number | null> = {
  ...KLINE_INTERVALS,
  mon_1: null,
  '1m': 60_000,
  '5m': 300_000,
  '15m': 900_000,
  '30m': 1_800_000,
  '1h': 3_600_000,
  '4h': 14_400_000,
  '12h': 43_200_000,
  '1d': 86_400_000,
  '1w': 604_800_000,
  '1min': 60_000,
  '5min': 300_000,
  '15min': 900_000,
  '30min': 1_800_000,
  '60min': 3_600_000,
  '4hour': 14_400_000,
  '12hour': 43_200_000,
  '1day': 86_400_000,
  '1week': 604_800_000,
};

export type ChannelType = 'trade' | 'depth' | 'kline' | 'ticker' | 'account' | 'order';
type ClientOp = 'SUB' | 'UNSUB' | 'LOGIN' | 'REQ' | 'LIST';
export const CLIENT_OPS: readonly ClientOp[] = ['SUB', 'UNSUB', 'LOGIN', 'REQ', 'LIST'];

/** A client command as documented (§1.4). `channel` is absent on REQ. */
export interface ClientCommand {
  op: string;
  channel?: unknown;
  param?: { size?: unknown; channel?: unknown; endTime?: unknown; limit?: unknown } & Record<string, unknown>;
  auth?: { 'user-id'?: unknown; token?: unknown; type?: unknown } & Record<string, unknown>;
  id?: unknown;
}

/** Channel object of echo / LIST replies, as in the wscat transcript. */
export interface ChannelObject {
  name: string;
  type: { name: ChannelType; auth: 'PUB' | 'PRI' };
  instrumentId: string;
  lifeStartTime: number;
  msgCount: number;
  pub?: boolean;
}

/** Seconds or milliseconds → milliseconds. The docs say "all times are seconds" but `ts` is ms. */
export function toMs(value: unknown): number | null {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) return null;
  // 1e11 s is the year 5138; 1e11 ms is 1973: a value below it can only be seconds.
  return n < 1e11 ? Math.round(n * 1000) : Math.round(n);
}
