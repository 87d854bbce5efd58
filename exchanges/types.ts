/**
 * The one interface every exchange implements. The recorder uses `client`, the simulator and the
 * replay server use `server`, the sealer and the query layer use `createNormalizer`. The registry
 * (registry.ts) is typed `Record<ExchangeId, ExchangeModule>`, so a missing piece is a compile error.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { NormalizedRow } from '../schemas/rows.js';
import type { RecordKind } from '../schemas/record.js';
import type { DemoAccount, Instrument, KlineEvent, MarketEvent, TradeEvent } from './market.js';
import type { TradingAccount } from './trading.js';

export type ExchangeId = 'coinstore' | 'coinsuper' | 'nexus' | 'coinceres';
export const EXCHANGE_IDS: readonly ExchangeId[] = ['coinstore', 'coinsuper', 'nexus', 'coinceres'];

/** What a stream carries; decides how the simulator feeds it and how normalizers read it. */
export type StreamKind =
  | 'trade' // one message per trade (or per batch of trades)
  | 'trade_window' // periodic window of the latest trades, repeating earlier ones (Coinsuper)
  | 'book' // order-book snapshot (top N) or update
  | 'depth_chart' // cumulative depth buckets (Coinsuper)
  | 'kline'
  | 'ticker'
  | 'account' // balances (private)
  | 'order' // order changes (private), possibly with fills
  | 'fill' // executions (private)
  | 'position' // positions (private)
  | 'trading'; // request/response trading socket (no subscription: Coinceres biz_type)

export interface StreamSpec {
  /** Canonical stream key, stored in raw.stream. Same key on the client side, server side and in the data. */
  key: string;
  kind: StreamKind;
  /** The exchange's own spelling of the symbol (BTCUSDT, BTC_USD, BTC/USDT), or null (account-wide streams). */
  symbol: string | null;
  /** Endpoint name (a key of `client.endpoints`). */
  endpoint: string;
  private: boolean;
  /** Stream parameters: levels, intervalMs, interval name, step, upstream venue... */
  params: Record<string, string | number>;
  /** How long this stream normally stays silent (ms): the default threshold of the stale-stream detector. */
  quietMs: number;
}

export type Credentials = Record<string, string>;

/** A frame to send. `stored` is what goes to the journal when it differs (secrets redacted). */
export interface OutFrame {
  data: string | Uint8Array;
  binary: boolean;
  stored?: Uint8Array;
  stream?: string;
}

/** What the client side reads out of one incoming frame. */
export interface FrameInfo {
  /** Canonical stream key, '' when the frame names none (acks, pongs, welcome). */
  stream: string;
  /** The frame could not be parsed: kept raw and flagged. */
  malformed: boolean;
  /** The frame is protocol control (welcome, ack, pong, CONNACK), not data. */
  control: boolean;
  /** Frames to send in answer (app-level pong, MQTT PUBACK/PUBREC, SUBSCRIBE after CONNACK, ...). */
  replies?: OutFrame[];
  /** Subscription acknowledgements or refusals this frame carries. */
  acks?: Array<{ stream: string; ok: boolean; reason?: string }>;
  /** Authentication result this frame carries (login reply, CONNACK). */
  auth?: { ok: boolean; reason?: string };
  /**
   * Exchange sequence numbers for gap detection. `scope` 'session' = per connection (Coinstore S);
   * otherwise a stream key (trade seq / ids per symbol). Consecutive values are expected.
   */
  sequences?: Array<{ scope: string; value: number }>;
  /**
   * Exchange timestamp of the frame, ms, where it carries one that orders the stream's frames: a
   * frame no later than the last one accepted from another connection is a repeat (handoff.ts). Null
   * where the stream's times are not in push order (order updates stamped with the order's own times).
   */
  exchangeTsMs?: number | null;
  /** The exchange asked us to slow down (rate-limit reply). */
  rateLimited?: boolean;
}

export interface ClientSessionOptions {
  /** Base URL of the endpoint (default production URL, or the simulator's). */
  endpointUrl: string;
  endpoint: string;
  streams: StreamSpec[];
  credentials?: Credentials;
  nowMs: () => number;
}

/** One client connection's protocol logic (no I/O: the recorder owns the socket). */
export interface ClientSession {
  /** URL to connect to, with authentication in the query where the exchange wants it. */
  readonly url: string;
  /** The same URL with secrets removed: what is stored in raw.endpoint. */
  readonly safeUrl: string;
  readonly protocols?: string[];
  readonly headers?: Record<string, string>;
  /** Frames to send as soon as the socket opens (login, subscribe, MQTT CONNECT). */
  onOpen(): OutFrame[];
  onFrame(data: Uint8Array, binary: boolean): FrameInfo;
  /** Keep-alive in the exchange's form: a WebSocket ping frame or an application message. */
  readonly heartbeat: { intervalMs: number; frame: () => OutFrame | 'ws-ping' } | null;
  /** Messages that add / remove streams on the live connection. */
  subscribe(streams: StreamSpec[]): OutFrame[];
  unsubscribe(streams: StreamSpec[]): OutFrame[];
}

interface EndpointInfo {
  /** Production URL (the recorder's default). */
  url: string;
  /** Path under the simulator / replay server. */
  simPath: string;
  /** More paths the simulator / replay server serve this endpoint at: where the exchange's own clients connect by default (Paho's `/mqtt`). */
  aliases?: string[];
  doc: string;
}

export interface ClientSide {
  endpoints: Record<string, EndpointInfo>;
  /** Parses a channel string as users write it (`btcusdt@trade`, `BTC_USD/orderBook/0.01`, ...). Throws TT_UNKNOWN_CHANNEL. */
  parseChannel(channel: string): StreamSpec;
  /** One line per channel pattern, for --help and the README. */
  channelHelp: string[];
  /** Credential fields for private streams, e.g. ['apiKey', 'secret']; env: TICKTAPE_<EXCHANGE>_<FIELD>. */
  credentialFields: string[];
  /** Groups streams into connections, honouring the exchange's limits (one group = one socket). */
  planConnections(streams: StreamSpec[]): StreamSpec[][];
  createSession(opts: ClientSessionOptions): ClientSession;
  /** Lifetime cap of a connection, ms (Coinstore: 24 h), or null. The recorder rotates before it. */
  maxConnectionLifeMs: number | null;
  /**
   * The successive connections of one group share an identity the exchange lets only one
   * connection hold (an MQTT client id: a newer CONNECT closes the older connection, MQTT-3.1.4-2).
   * The recorder then rotates break-before-make — the old connection closes before the new one
   * opens — instead of taking itself over.
   */
  exclusiveIdentity?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Server side (simulator and replay server)

/** Writes one message of a length told beforehand (SessionLink.sendWith). */
export interface MessageWriter {
  /** Writes the message's bytes into out[at, at + length). */
  writeMessage(out: Uint8Array, at: number): void;
}

/**
 * What the host gives a server session: one connection, whatever carries it (WebSocket frames, or
 * messages cut out of a TCP byte stream by the exchange's `tcp.framer`). A session never knows
 * which transport it is on.
 */
export interface SessionLink {
  /** One message: a WebSocket frame, or the bytes of one message on a byte stream. */
  send(data: string | Uint8Array, binary?: boolean): void;
  /**
   * One message of `length` bytes that `writer` writes itself: inside `cork()` straight into the
   * batch going to the socket (a replay's re-stamped frame is written once, where it is sent),
   * otherwise into a buffer of its own. The writer is called at most once, before this returns.
   */
  sendWith(length: number, writer: MessageWriter, binary?: boolean): void;
  /** A transport-level keep-alive probe where there is one (a WebSocket ping frame; nothing on TCP). */
  ping(): void;
  /** Closes the connection: a WebSocket close frame with `code` and `reason`; on TCP the socket is ended (the code and reason are only logged). */
  close(code: number, reason: string): void;
  /**
   * This connection now holds `identity` (an MQTT client id) on this host: any other connection of
   * the same exchange holding it is closed (MQTT-3.1.4-2, the older connection goes). Across
   * transports: a TCP and a WebSocket connection with one client id are one client.
   */
  claim(identity: string): void;
  /** The host's limit on one incoming message, bytes: a session that assembles messages itself (MQTT packets split across frames) refuses larger ones before buffering them. */
  readonly maxMessageBytes: number;
  /** Start delivering a stream to this session. Returns an error text when refused (unknown symbol, limit). */
  subscribe(stream: StreamSpec): { ok: true } | { ok: false; reason: string; code: 'limit' | 'unknown' };
  unsubscribe(streamKey: string): void;
  /** Query parameters and headers of the upgrade request. */
  readonly url: URL;
  /** Bytes queued on the socket and not yet sent (backpressure). */
  bufferedAmount(): number;
  /** Runs `fn` with the socket corked, so that the frames it sends leave in as few writes as possible. */
  cork(fn: () => void): void;
}

/** A data item for a subscribed stream: a synthetic event (simulator) or a recorded frame (replay). */
export type FeedItem = { type: 'event'; event: MarketEvent } | { type: 'recorded'; payload: Uint8Array; binary: boolean; recvNs: bigint };

export interface ServerTiming {
  /** Server heartbeat interval (ms), where the exchange sends one. */
  heartbeatMs: number;
  /** Close a session that shows no sign of life for this long (ms). */
  idleTimeoutMs: number;
  /** Close every session after this long (ms), or 0 for no limit (Coinstore: 24 h). */
  maxLifeMs: number;
}

/**
 * How a server side checks logins, signatures and tokens. `strict`: against `credentials`, as the
 * exchange would (the simulator). `any`: every well-formed one is accepted without a check (the
 * replay's default: a test double must not need a bot's real secrets); each such acceptance is
 * reported through `ServerContext.acceptedUnchecked`.
 */
export type AuthMode = 'strict' | 'any';

export interface ServerContext {
  instruments: Instrument[];
  /** Credentials the server accepts: the demo set plus any given with --credential. */
  credentials: Credentials[];
  /** How logins are checked; `strict` when absent. */
  authMode?: AuthMode;
  /** Told of every login accepted without a check (`authMode` any), with what was accepted (never a secret). */
  acceptedUnchecked?(what: string): void;
  /**
   * Why an order request is refused when there is no `account` to trade with (the replay), in
   * words a user can act on. Absent: the exchange's own parameter error.
   */
  noTradingReason?: string;
  nowMs(): number;
  timing: Partial<ServerTiming>;
  /**
   * History for request/response APIs (Coinstore REQ kline): recorded or synthetic candles, oldest
   * first; null when the server holds no candles of that instrument and interval at all (a replay of
   * a recording without them), which a session refuses rather than answering with an empty history.
   */
  klineHistory?(inst: Instrument, intervalMs: number, endTimeMs: number | null, limit: number): KlineEvent[] | null;
  /** The candle intervals (ms) the server holds for an instrument, named in that refusal. */
  klineIntervalsMs?(inst: Instrument): number[];
  /** The latest trades of an instrument, oldest first (Coinstore `param.size`: a batch of recent trades on SUB). */
  recentTrades?(inst: Instrument, limit: number): TradeEvent[];
  /**
   * Replay: the latest recorded data frames of a stream before the connection's replay time, oldest
   * first, at most `limit` (Coinstore `param.size` is answered from the recorded trade pushes).
   */
  recordedFrames?(streamKey: string, limit: number): Promise<Uint8Array[]>;
  /** The demo account (private streams and trading sockets), when the source has one. */
  account?: DemoAccount;
  /** The account orders sent over the exchange's protocol trade with: the replay's paper account (`--paper`), the simulator's demo account. */
  trading?: TradingAccount;
  /** Random source, seeded (ids like Coinstore's sid must be deterministic under a seed). */
  random(): number;
}

/** An upgrade refusal may carry response headers (a 401's `WWW-Authenticate`); the host writes them with the status line. */
export type UpgradeDecision = { ok: true; protocol?: string } | { ok: false; status: number; body: string; headers?: Record<string, string> };

export interface ServerSession {
  onMessage(data: Uint8Array, binary: boolean): void;
  onPong?(): void;
  onClose(): void;
  /** One item of a subscribed stream, to be sent in the exchange's native form. */
  deliver(stream: StreamSpec, item: FeedItem): void;
  /**
   * Replay only: the recording lost `lostFrames` frames of `stream` here (a sequence gap). A session
   * with a session-level counter (Coinstore's S) skips that many numbers, as the exchange's did.
   */
  onGap?(stream: StreamSpec | null, lostFrames: number): void;
  /**
   * Replay only: resolves when every message the session has already decided on has left (an
   * answer still being read from the recording, and what waits behind it). The end of a replay
   * range closes the connection only after this, so a close never cuts those messages off.
   */
  settled?(): Promise<void>;
}

/** How often an exchange pushes a snapshot stream (book, depth chart, kline, ticker, trade window), as its documents state. */
export interface PushCadence {
  periodMs: number;
  /** Pushed every period whether or not anything changed; else only after a change, at most once a period. */
  periodic: boolean;
}

export interface ServerSide {
  /** Endpoint name → default timings of its sessions. */
  timing: Record<string, ServerTiming>;
  /** The documented push cadence of a stream, where the documents state one (the simulator's feed follows it). */
  cadence?(stream: StreamSpec): PushCadence | null;
  /** Authentication and protocol checks on the upgrade request, before the WebSocket is accepted. */
  checkUpgrade(endpoint: string, req: { url: URL; headers: IncomingHttpHeaders; protocols: string[] }, ctx: ServerContext): UpgradeDecision;
  createSession(endpoint: string, link: SessionLink, ctx: ServerContext): ServerSession;
}

// ---------------------------------------------------------------------------------------------
// Normalization

/** The part of a raw record a normalizer reads. */
export interface RawFrame {
  payload: Uint8Array;
  kind: RecordKind;
  stream: string;
  endpoint: string;
  recvNs: bigint;
}

/**
 * A normalizer is pure apart from the state it carries between frames of one connection
 * (Coinsuper's repeated trade windows). `state()` is JSON-serializable, so the sealer can carry it
 * across seal runs.
 */
export interface Normalizer {
  normalize(frame: RawFrame): NormalizedRow[];
  state(): unknown;
}

/**
 * Cuts messages out of one connection's byte stream (MQTT packets over TCP). A declared length
 * above the limit is refused as soon as it is read, before anything of the message is buffered.
 */
export interface MessageFramer {
  /**
   * Bytes in, whole messages out (views into the input where a message lies in one chunk). After an
   * error the stream cannot be cut any more: `rest` holds the bytes from where it stopped being the
   * protocol (a recorder journals them, flagged malformed, before it closes the connection).
   */
  push(chunk: Uint8Array): { messages: Uint8Array[]; error: string | null; rest?: Uint8Array };
}

/**
 * An exchange that is also spoken over a plain byte stream (Coinsuper: MQTT over TCP on 1883 and
 * over TLS): which endpoint that stream carries, the URL schemes a recorder config uses for it, and
 * how the stream is cut into messages. The recorder journals one record per message; the host
 * hands the session one message at a time, exactly as it hands it WebSocket frames.
 */
interface TcpProtocol {
  endpoint: string;
  /** Production address of the byte-stream endpoint. */
  url: string;
  schemes: { plain: readonly string[]; tls: readonly string[] };
  framer(maxMessageBytes: number): MessageFramer;
}

// ---------------------------------------------------------------------------------------------
// What the replay reads out of a recording

/** An instrument a recorded frame names: the exchange's symbol, and its numeric id where the frame carries one. */
export interface RecordedInstrument {
  symbol: string;
  id: number | null;
}

/** One candle as a recorded frame carries it (request/response history: Coinstore's REQ kline). */
export interface RecordedCandle {
  symbol: string;
  intervalMs: number;
  openTsMs: number;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
  quoteVolume: string;
  firstTradeId: number;
  lastTradeId: number;
}

/**
 * Exchange knowledge the replay server needs from recorded frames, as pure functions, so the
 * replay's own code runs no exchange-specific parsing or SQL. Every part is optional: an exchange
 * whose frames name no ids and whose protocol has no history requests needs none.
 */
export interface RecordingReader {
  /**
   * The instruments one recorded data frame names, with their numeric ids (Coinstore: `symbol` and
   * `instrumentId`). The replay reads the first and last frame of every recorded stream: the id ↔
   * name mapping a client subscribing by id (`4@trade`) is served with.
   */
  instruments?(payload: Uint8Array): RecordedInstrument[];
  /** Candles for request/response history: which recorded streams hold them, and the candle of one frame. */
  candles?: {
    isCandleStream(streamKey: string): boolean;
    read(payload: Uint8Array): RecordedCandle | null;
  };
}

export interface ExchangeModule {
  id: ExchangeId;
  displayName: string;
  client: ClientSide;
  server: ServerSide;
  /** Set when the exchange is also served over a raw TCP byte stream (simulator and replay `--mqtt-port`, recorder `tcp://` URLs). */
  tcp?: TcpProtocol;
  createNormalizer(state?: unknown): Normalizer;
  /** Credentials documented by the exchange (demo values), accepted by the simulator. */
  demoCredentials: Credentials;
  /** Public channels the demo and the tests record by default, for the given instruments. */
  defaultChannels(instruments: Instrument[]): string[];
  /** Private channels for the demo account. */
  privateChannels(instruments: Instrument[]): string[];
  /** What the replay reads out of this exchange's recorded frames (instrument ids, candle history). */
  recording?: RecordingReader;
}
