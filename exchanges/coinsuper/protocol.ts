/**
 * Coinsuper's "websocket API" is MQTT 3.1.1, over raw TCP (1883) or over WebSocket/TLS (443,
 * sub-protocol `mqtt`, binary frames). Source: protocols.md §4 (Coinsuper Premium "WEBSOCKET API"
 * page, E-CS1, and the official demo repository coinsuperapi/websocket_API_demos, E-CS2…E-CS5).
 * Everything the other files need to know about the wire lives here, as named constants.
 */

/** `$env`: every topic is `$env + $subTopic` (protocols.md §4.1). */
export const TOPIC_ENV = 'exchange_ha_prod_hk';

/** Production WebSocket endpoint: the browser demo's host, Paho's default path `/mqtt`. */
export const MQTT_WS_URL = 'wss://api-mqtt-premium.coinsuper.com:443/mqtt';
export const MQTT_SIM_PATH = '/coinsuper/mqtt';
/** Where MQTT libraries connect by default (Paho's WebSocket path): served too, so a bot's default path works. */
export const MQTT_DEFAULT_WS_PATH = '/mqtt';
/** Production MQTT over plain TCP (protocols.md §4.2, E-CS1). */
export const MQTT_TCP_URL = 'tcp://mqtt.coinsuper.com:1883';
/** URL schemes of MQTT over a byte stream: plain (`tcp://` as Paho writes it, `mqtt://`), TLS (`mqtts://`, Paho's `ssl://`). */
export const MQTT_TCP_SCHEMES = { plain: ['tcp', 'mqtt'], tls: ['mqtts', 'ssl'] } as const;
/** The largest packet MQTT 3.1.1 can express (a four-byte Remaining Length, §2.2.3), plus its fixed header. */
export const MAX_PACKET_BYTES = 268_435_455 + 5;
export const ENDPOINT = 'mqtt';

/** WebSocket sub-protocols an MQTT client asks for: 3.1.1 (`mqtt`) or Paho's 3.1 fallback. */
export const MQTT_SUBPROTOCOLS = ['mqtt', 'mqttv3.1'] as const;

/** Public (quote) topics: fixed, published credentials (E-CS1). */
export const PUBLIC_USERNAME = 'api_subscriber';
export const PUBLIC_USER_CODE = 'da65be18f44b33b69603c39fd03ddf49';
/** Private topics: username fixed, password `email,timestamp,sign` (auth.ts). */
export const PRIVATE_USERNAME = 'api_private';

/** MQTT 3.1.1 protocol level, and 3.1 (`MQIsdp`), which Paho falls back to. */
export const MQTT_PROTOCOL_LEVEL = 4;
export const MQTT_PROTOCOL_LEVEL_31 = 3;

/** Keep-alive of every official demo (Python/Java/Paho JS default), seconds. */
export const KEEPALIVE_S = 60;
/** MQTT 3.1.1 §3.1.2.10: the server closes after one and a half keep-alive periods without a packet. */
export const KEEPALIVE_GRACE_FACTOR = 1.5;
/** How long the broker waits for CONNECT after the socket opened, ms (MQTT leaves it to the server). */
export const CONNECT_TIMEOUT_MS = 10_000;
/** Unacknowledged QoS 1/2 messages a session may hold before the broker drops the client. */
export const MAX_INFLIGHT_MESSAGES = 1_000;

/** CONNACK return codes (MQTT 3.1.1 §3.2.2.3). */
export const CONNACK = {
  ACCEPTED: 0,
  UNACCEPTABLE_PROTOCOL: 1,
  IDENTIFIER_REJECTED: 2,
  SERVER_UNAVAILABLE: 3,
  BAD_USERNAME_OR_PASSWORD: 4,
  NOT_AUTHORIZED: 5,
} as const;

export const CONNACK_REASONS: Record<number, string> = {
  0: 'accepted',
  1: 'unacceptable protocol version',
  2: 'client identifier rejected',
  3: 'server unavailable',
  4: 'bad user name or password',
  5: 'not authorized',
};

/** SUBACK return code of a refused subscription. */
export const SUBACK_FAILURE = 0x80;

/** Sub-topic templates (protocols.md §4.1). The two private order/trade topics have no `/api`, sic. */
export const SUBTOPIC = {
  depth: '/api/ws/v1/market/depth/{symbol}',
  orderBook: '/api/ws/v1/market/orderBook/{symbol}/{step}',
  kline: '/api/ws/v1/market/kline/{symbol}/{range}',
  tickers: '/api/ws/v1/market/tickers/{symbol}',
  asset: '/api/ws/personal/v1/asset/change/{email}',
  order: '/ws/personal/v1/order/change/{email}',
  trade: '/ws/personal/v1/trade/change/{email}',
} as const;

/**
 * k-line ranges the doc lists, ms. 604800000 is labelled "1 Month" but is 7 days (doc error,
 * protocols.md §4.3 [AMBIGUOUS]); the value is what goes on the wire, so it is kept as is.
 */
export const KLINE_RANGES_MS = [60_000, 300_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 14_400_000, 21_600_000, 43_200_000, 86_400_000, 604_800_000] as const;

/** Price aggregation steps the doc lists for the orderBook topic: 1.0, 0.1, 0.01, 0.0001, 0.000001, 0.00000001. Any step with at most this many decimals is accepted ([ASSUMPTION]: the doc lists examples, not a closed set). */
export const MAX_STEP_DECIMALS = 8;

/** Levels per side of the orderBook topic ("Shows last 15 orders", `limitSize`). */
export const ORDER_BOOK_LEVELS = 15;
/** Buckets per side of the depth-chart topic ("latest 50"). */
export const DEPTH_CHART_BUCKETS = 50;
/** Width of one depth-chart bucket, per mille of the mid price: the sample's prices step by ~0.1 %. */
export const DEPTH_CHART_BUCKET_PER_MILLE = 1n;
/** `depthPercent` as the sample carries it ([ASSUMPTION]: its meaning is undocumented). */
export const DEPTH_CHART_PERCENT = '0.01';
/** Trades per tickers push ("array of up to 50 latest trades, newest first"). */
export const TRADE_WINDOW_SIZE = 50;
/** Decimals of the JSON numbers of the asset-change push. */
export const ASSET_DECIMALS = 30;

/**
 * Push cadence per public topic (protocols.md §4.3): the depth chart "push 1/s"; the order book,
 * the k-line and the latest trades "every 1–2 s". [ASSUMPTION] where the documents give a range,
 * the simulator pushes at its middle, every 1.5 s. Each topic pushes every period whether or not
 * anything changed, as a polling publisher does.
 */
export const PUSH_PERIOD_MS = {
  depth_chart: 1_000,
  book: 1_500,
  kline: 1_500,
  trade_window: 1_500,
} as const;

/** How long each kind of stream normally stays quiet, ms (pushes every 1–2 s; private ones only on change). */
export const PUBLIC_QUIET_MS = 15_000;
export const PRIVATE_QUIET_MS = 24 * 3_600_000;
