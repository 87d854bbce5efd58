/**
 * Coinceres ("third-party interface", 2019; later rebranded LMT): constants and message shapes of
 * the three WebSockets ticktape speaks.
 *
 * - `market` (socket C): public market data, `ws://open.coinceres.com:18003`. Source: the market API
 *   document of 2019-02-19 (`docs/market/行情api.md` in github.com/coinceres/open-api-v1-sdk) and the
 *   captured push samples in that SDK's Java event classes (protocols.md §3.4).
 * - `trade` (socket A): trading request/response, `ws://open.coinceres.com:19001?api_key=..&sign=..`,
 *   JSON requests carrying `biz_type` 11–17. Source: `第三方接口-webSocket简要说明-V1.0.0.pdf` (the
 *   brief, with the JS demo page) and `第三方接口-webSocket-V1.0.0.pdf` (every request and response),
 *   protocols.md §3.1–3.2.
 * - `notify` (socket B): trade-notification pushes, `ws://open.coinceres.com:19003?api_key=..&sign=..`
 *   (the Java SDK's `CoinceresTradeWebSocketClientImpl`, Feb 2019; the sample notice of the 2019-05
 *   `docs/trade/交易websocket.md`; the LMT-era revision of that document), protocols.md §3.3.
 *
 * Everything marked ASSUMPTION is in no source; it is the interpretation protocols.md recommends or
 * the smallest invention that lets unchanged clients work.
 */

export const MARKET_DOC_URL = 'https://github.com/coinceres/open-api-v1-sdk/blob/master/docs/market/%E8%A1%8C%E6%83%85api.md';
export const TRADE_DOC_URL = 'https://github.com/coinceres/open-api-v1-sdk/tree/master/docs (第三方接口-webSocket-V1.0.0.pdf)';

export const MARKET_URL = 'ws://open.coinceres.com:18003';
export const TRADE_URL = 'ws://open.coinceres.com:19001';
export const NOTIFY_URL = 'ws://open.coinceres.com:19003';
export const MARKET_SIM_PATH = '/coinceres/market';
export const TRADE_SIM_PATH = '/coinceres/trade';
export const NOTIFY_SIM_PATH = '/coinceres/notify';
export const NOTIFY_DOC_URL = 'https://github.com/coinceres/open-api-v1-sdk/blob/master/docs/trade/%E4%BA%A4%E6%98%93websocket.md';

/** "心跳包，客户端5秒中发一次ping包": the client pings the market socket every 5 s. [DOC] */
export const MARKET_PING_INTERVAL_MS = 5_000;
/**
 * The trading socket's heartbeat is the text `ping`; the demo page sends it every 50 s, the Java SDK
 * every 10 s. We use the SDK's 10 s. [DOC/CODE]
 */
export const TRADE_PING_INTERVAL_MS = 10_000;
/**
 * The market server does not close a quiet client: no document says it does, and the exchange's
 * own SDK never pings the market socket (a close would freeze it). ASSUMPTION: 0 = never; the
 * simulator's `idleCloseS` fault closes idle clients for tests that want it.
 */
export const MARKET_IDLE_TIMEOUT_MS = 0;
/** ASSUMPTION: the trading server closes a session after 120 s without any message (the demo pings every 50 s). */
export const TRADE_IDLE_TIMEOUT_MS = 120_000;
/**
 * Streams per market connection. No limit is documented; ASSUMPTION: 100 keeps one subscribe array
 * (all of them are sent in one frame) small and a lost connection cheap.
 */
export const MAX_STREAMS_PER_CONNECTION = 100;
/** Subscriptions the client puts in one subscribe array frame. */
export const MAX_SUBSCRIPTIONS_PER_FRAME = 20;
/** Default period of the `trading` channel's poll of biz_type 14/15/16/17. */
export const DEFAULT_POLL_INTERVAL_MS = 10_000;
/** Shortest poll period the `trading` channel accepts (the account is queried, not streamed). */
export const MIN_POLL_INTERVAL_MS = 1_000;

// ------------------------------------------------------------------------------------------------
// Market socket (C)

/** Channels of the market socket, as they appear in `subscribe-<channel>` / `push-<channel>`. [DOC] */
export type MarketChannel = 'tick' | 'trade' | 'depth10' | 'candle';
/** The 2019-02 Python client subscribes `subscribe-depth`; servers accept it as `depth10`. [CODE] */
export const DEPTH_ALIAS = 'depth';
/** Levels per side of `push-depth10`. [DOC: the captured sample has exactly 10 + 10] */
export const DEPTH_LEVELS = 10;

/** Candle durations ("1m.5m.15m.30m.1h.4h.1d", REST candle doc) and their length. [DOC] */
export const CANDLE_DURATIONS: Readonly<Record<string, number>> = {
  '1m': 60_000,
  '5m': 300_000,
  '15m': 900_000,
  '30m': 1_800_000,
  '1h': 3_600_000,
  '4h': 14_400_000,
  '1d': 86_400_000,
};

/** Codes of the subscription acknowledgement (numbers, unlike the trading socket's strings). [DOC] */
export const ACK_OK = 200;
export const ACK_REPEATED = 201;
export const ACK_BAD_REQUEST = 400;
export const ACK_INVALID_COMMAND = 500;
/** Message texts of the documented code table, verbatim ("common" sic). [DOC] */
export const ACK_MESSAGES: Readonly<Record<number, string>> = {
  [ACK_OK]: 'success',
  [ACK_REPEATED]: 'repeated subscribe',
  [ACK_BAD_REQUEST]: 'bad request',
  [ACK_INVALID_COMMAND]: 'invalid subscribe common',
};
/** The doc's ack example carries this text; we use it for a contract the server does not list. */
export const INVALID_CONTRACT_MESSAGE = 'invalid contract';

/**
 * ASSUMPTION: the text of the `info` handshake message. The SDK only checks that a JSON object with
 * an `info` key arrives after connecting ("The handshake with Coinceres Server Endpoint successful!").
 */
export const HANDSHAKE_INFO = 'connection established';

/** Upstream venues named in the docs and samples (the `exchange` field): OKEX, HUOBI, BINANCE, BITFINEX, BITMEX, TEST. Any upper-case name is accepted. */
export const DEFAULT_VENUE = 'OKEX';
/** The sandbox venue of the trading examples ("exchange":"TEST"): the demo account trades there. */
export const ACCOUNT_VENUE = 'TEST';

export interface SubscribeAck {
  msg_type?: string; // subscribed-<channel>; absent when the request named none
  exchange?: string;
  contract?: string;
  duration?: string;
  code: number;
  message: string;
}

export interface PushTick {
  change: string;
  change_rate: string;
  contract: string;
  exchange: string;
  high: string;
  last: string;
  low: string;
  msg_type: 'push-tick';
  open: string;
  time: string;
  volume: string;
}

export interface PushTrade {
  contract: string;
  exchange: string;
  msg_type: 'push-trade';
  price: string;
  side: 'b' | 's';
  time: string;
  volume: string;
}

interface DepthLevel {
  price: string;
  volume: string;
}

export interface PushDepth10 {
  asks: DepthLevel[];
  bids: DepthLevel[];
  contract: string;
  exchange: string;
  msg_type: 'push-depth10';
}

export interface PushCandle {
  close: string;
  contract: string;
  duration: string;
  exchange: string;
  high: string;
  low: string;
  msg_type: 'push-candle';
  open: string;
  time: string;
  volume: string;
}

// ------------------------------------------------------------------------------------------------
// Trading socket (A)

export const BIZ_PLACE_ORDER = 11;
export const BIZ_CANCEL_ORDER = 12;
export const BIZ_CONTRACTS = 13;
export const BIZ_ACCOUNT = 14;
export const BIZ_ORDERS = 15;
export const BIZ_POSITIONS = 16;
export const BIZ_FILLS = 17;

/** Success: `code` is the string "200" and `message` literally "SUCESS" (sic). [DOC] */
export const RESULT_OK = '200';
export const RESULT_OK_MESSAGE = 'SUCESS';
/** `{"code":"400","message":"parameter error"}` (REST error model). [DOC] */
export const RESULT_BAD = '400';
export const RESULT_BAD_MESSAGE = 'parameter error';
/** "system_oid: comma-separated, at most 15" (biz_type 12 and 15). [DOC] */
export const MAX_OIDS_PER_REQUEST = 15;
/** biz_type 17 "count: at most 50". [DOC] */
export const MAX_FILLS_PER_REQUEST = 50;
/** `future_dir` of spot fills in the doc's example: "spot trading, no distinction". [DOC] */
export const SPOT_FUTURE_DIR = '币币交易，不区分';
/** `account_type`: 1 futures, 2 settlement, 3 bb (spot), 4 bc. The demo account is a spot account. [DOC] */
export const ACCOUNT_TYPE_SPOT = 3;

/** Order `status` codes of biz_type 15 and their meaning. [DOC] */
export const ORDER_STATUS: Readonly<Record<number, string>> = {
  1: 'not_reported',
  2: 'reporting',
  3: 'reported',
  4: 'partially_filled',
  5: 'filled',
  6: 'rejected',
  11: 'cancel',
  12: 'cancelling',
  13: 'pending_cancel',
  14: 'partially_cancelled',
  15: 'cancelled',
};

/** What the server refuses an upgrade with when `api_key`/`sign` do not verify. ASSUMPTION (undocumented). */
export const AUTH_FAILED_STATUS = 401;
export const AUTH_FAILED_BODY = '{"code":"401","message":"sign error"}';

// ------------------------------------------------------------------------------------------------
// Trade-notification socket (B)

/**
 * The Java SDK sends the text `ping` on a fixed schedule: first 5 s after connecting, then every
 * 10 s (`scheduleAtFixedRate(() -> webSocket.send("ping"), 5, 10, SECONDS)`). [CODE]
 */
export const NOTIFY_FIRST_PING_MS = 5_000;
export const NOTIFY_PING_INTERVAL_MS = 10_000;
/** ASSUMPTION: the notification server closes a session after 60 s without a message (six missed pings). */
export const NOTIFY_IDLE_TIMEOUT_MS = 60_000;
/**
 * Order notices come when the account's orders change; an account may stay idle for a day. The
 * stale-stream threshold is that long, so a quiet account is not taken for a dead socket (the
 * pongs show the socket lives).
 */
export const NOTIFY_QUIET_MS = 24 * 3_600_000;

/** `messageType` of the notices: 1 order state change, 2 margin / take-profit-stop-loss. [DOC] */
export const NOTICE_ORDER = 1;
const NOTICE_POSITION = 2;

/**
 * The notice type of a parsed message: `messageType` (2019: a string in the document's sample, a
 * number in the SDK's classes) or `message_type` (LMT era); null when the message is no notice.
 */
export function noticeType(msg: Record<string, unknown>): number | null {
  const v = msg.messageType ?? msg.message_type;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : NaN;
  return n === NOTICE_ORDER || n === NOTICE_POSITION ? n : null;
}

/** `entrustStatus` of order notices, and the biz_type 15 status code each corresponds to. [DOC] */
export const ENTRUST_STATUS_CODES: Readonly<Record<string, number>> = {
  NO_REPORT: 1,
  SUBMITTING: 2,
  SUBMITTED: 3,
  PART_FILLED: 4,
  FILLED: 5,
  FAILURE: 6,
  CANCEL: 11,
  CANCELING: 12,
  PENDING: 13,
  PART_CANCELED: 14,
  CANCELED: 15,
};
export type EntrustStatus = 'NO_REPORT' | 'SUBMITTING' | 'SUBMITTED' | 'PART_FILLED' | 'FILLED' | 'FAILURE' | 'CANCEL' | 'CANCELING' | 'PENDING' | 'PART_CANCELED' | 'CANCELED';
/** `entrustDir`: spot BUY / SELL; futures OPEN_BUY, OPEN_SELL, CLOSE_SELL, CLOSE_BUY. [DOC] */
type EntrustDir = 'BUY' | 'SELL' | 'OPEN_BUY' | 'OPEN_SELL' | 'CLOSE_SELL' | 'CLOSE_BUY';

/**
 * ASSUMPTION: the `product` the demo account's notices name. A Coinceres API key belongs to a
 * "product" (an account managed through the API; the doc's sample says `testbc-btc`); the demo
 * account has one, named after the documented sandbox venue.
 */
export const DEMO_PRODUCT = 'test-demo';

/**
 * messageType 1, an order changed state (the 2019-05 document's sample, keys in its order). Every
 * value is a string, `messageType` too; `lever` and `totalDealVol` may be the text "null".
 */
export interface EntrustNotice {
  product: string;
  exchange: string;
  contract: string; // BASE/QUOTE, e.g. LTC/BTC
  entrustId: string;
  avgDealPrice: string;
  entrustTime: string; // YYYY-MM-DD HH:mm:ss
  entrustStatus: EntrustStatus;
  entrustDir: EntrustDir;
  entrustType: 'LIMIT' | 'MARKET';
  lever: string;
  entrustPrice: string;
  entrustVol: string;
  dealVol: string;
  totalDealVol: string;
  messageType: '1';
}
