/**
 * Nexus (SmartCrypto) realtime WebSocket protocol: message shapes and constants.
 *
 * Sources (copies in the shared protocol evidence):
 *  - seed 003 "Websocket接口信息(2018-12-28)" = first version of nexusbroc/nexus api-cn/websocket.md
 *  - nexusbroc/nexus api-en/websocket.md (2021-12-10), api-en/enum.md, demo/java/.../ws/WsDemo.java
 *  - lw-bthub/api-demo api-cn/websocket.md (BTHub, the predecessor: plain-text commands)
 *  - protocols.md §2 (what is certain, what is not, and the interpretation used here)
 *
 * The protocol has no acknowledgement, no pong, no error frame and no sequence numbers. Every
 * message is a JSON text frame; pushes are `{"event":"<EVENT>","data":<object|array>}`.
 */

/** One level of the aggregated book: the counterparty (liquidity provider) that quotes it and its quote time. */
export interface DepthLevel {
  cp: string;
  price: string;
  /** ms since the epoch, as a string */
  time: string;
  volume: string;
}

export interface MarketDepthPush {
  event: 'API_MARKETDEPTH';
  data: { asks: DepthLevel[]; bids: DepthLevel[]; symbol: string };
}

/** An execution of a counterparty order. Note `cpOrderId` (capital I) here vs `cpOrderid` in orders: sic. */
export interface Execution {
  commissionCurrency: string;
  cp: string;
  cpOrderId: string;
  executeAmount: string;
  executeId: string;
  executePrice: string;
  executeTime: string;
  executeVolume: string;
  orderId: string;
  orderType: string;
  side: string;
  symbol: string;
}

/** The child order the dealing engine routed to one counterparty. */
export interface CpOrder {
  commission: string;
  cp: string;
  cpOrderid: string;
  executeAmount: string;
  executeTime: string;
  executeVolume: string;
  executions: Execution[];
  orderComment: string;
  orderId: string;
  orderResult: string;
  orderTime: string;
  orderType: string;
  orderVolume: string;
  pendingVolume: string;
  side: string;
  status: string;
  symbol: string;
  timeInForce: string;
}

/** The parent (client) order. */
export interface ParentOrder {
  clientOrderId: string;
  cp: string;
  cpOrderid: string;
  cpOrders: CpOrder[];
  executeAmount: string;
  executeTime: string;
  executeVolume: string;
  orderId: string;
  orderResult: string;
  orderTime: string;
  orderType: string;
  orderVolume: string;
  pendingVolume: string;
  side: string;
  status: string;
  symbol: string;
  timeInForce: string;
}

export interface OrderPush {
  event: 'API_ORDER';
  data: ParentOrder[];
}

export interface RiskPosition {
  amount: string;
  book: string;
  broker: string;
  dailyAmount: string;
  dailyVolume: string;
  grossAmount: string;
  hedgePl: string;
  hedgeVolume: string;
  mtmAmount: string;
  netPl: string;
  netVolume: string;
  symbol: string;
  volume: string;
}

export interface RiskPositionPush {
  event: 'API_RISK_POSITION';
  data: RiskPosition[];
}

/** REST `result` values (restful-api.md); the error reply of the server side reuses them. */
const REST_RESULT = ['SUCCESS', 'INVALID_DATA', 'INVALID_REQUEST', 'REJECTED', 'STALE_VERSION', 'INTERNAL_ERROR'] as const;
export type RestResult = (typeof REST_RESULT)[number];

/**
 * Error reply of the server side: the REST error envelope exactly as restful-api.md prints it for a
 * refused order, `{"data":{"data":{"side":"INVALID"},"type":"VALIDATION"},"result":"INVALID_REQUEST","type":"API"}`.
 * ASSUMPTION (protocols.md §2.4): Nexus documents no WebSocket error frame; this is the only error
 * shape its documents show, so a client binding the documented shapes strictly (Jackson with
 * FAIL_ON_UNKNOWN_PROPERTIES, as the exchange's Java demo configures it) reads it. `data.data` maps
 * each refused field of the request to `"INVALID"` (`request` when the frame is not a JSON object),
 * and carries the request's `id`, when it had one, so a client can tell which request it answers.
 */
export interface ErrorReply {
  data: { data: Record<string, string>; type: 'VALIDATION' };
  result: RestResult;
  type: 'API';
}

/** The value `data.data` gives a refused field (restful-api.md: `"side":"INVALID"`). */
export const INVALID_FIELD = 'INVALID';
/** The `data.data` key of a refused frame that is not a JSON object at all. */
export const WHOLE_REQUEST_FIELD = 'request';

/**
 * `WWW-Authenticate` of a refused upgrade (RFC 7235 §3.1: a 401 carries a challenge; Java's
 * WebSocket clients report its absence instead of the 401). ASSUMPTION: the Bearer scheme of
 * RFC 6750, whose §3.1 error codes say "missing" (no error) from "invalid_token".
 */
export const WWW_AUTHENTICATE_MISSING = 'Bearer realm="nexus"';
export const WWW_AUTHENTICATE_INVALID = 'Bearer realm="nexus", error="invalid_token"';

/** Name of the query parameter that carries the login token. */
export const TOKEN_PARAM = 'X-API-TOKEN';

/** Levels per side when a SUBSCRIBE for API_MARKETDEPTH carries no `depth` (the documents' example asks for 5). */
export const DEFAULT_DEPTH_LEVELS = 5;
/** Largest `depth` accepted. Nexus publishes no limit; 50 covers every aggregated book we have seen. */
export const MAX_DEPTH_LEVELS = 50;
/** `symbol` value of API_RISK_POSITION that asks for every symbol of a book (WsDemo.java). */
export const ALL_SYMBOLS = 'ALL';
/** The book (ledger) abbreviation of every document example. */
export const DEMO_BOOK = 'A';

/** The exchange's spelling of an instrument: BTCUSDT. */
export function nexusSymbol(inst: { base: string; quote: string }): string {
  return `${inst.base}${inst.quote}`.toUpperCase();
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
