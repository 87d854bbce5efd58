/**
 * Nexus client side (for the recorder): URL with the login token, subscribe/unsubscribe messages,
 * the PING heartbeat, and reading stream identity out of pushes.
 *
 * A push names only its event and (for depth) `data.symbol`; the depth and the book are not in the
 * frame. The session therefore keeps what it subscribed (symbol → depth key, book/symbol →
 * position key) and routes each push by it, which is why planConnections never puts two depths of
 * one symbol on the same connection.
 */
import { TicktapeError } from '../../core/errors.js';
import type { ClientSession, ClientSessionOptions, ClientSide, FrameInfo, OutFrame, StreamSpec } from '../types.js';
import { aggregatedQuoteKey, CHANNEL_HELP, depthKey, ENDPOINT, ORDER_KEY, parseChannel, positionKey, quoteKey } from './channels.js';
import { ALL_SYMBOLS, isRecord, TOKEN_PARAM } from './protocol.js';

/**
 * Default client PING interval. The documents ask for a PING at least every 30 minutes; we send one
 * every minute because the load balancers and NAT gateways between a VPS and the venue commonly drop
 * TCP connections idle for 60-350 s, a private-only connection (orders, positions) can be silent for
 * hours, and a write every minute also surfaces a dead connection quickly. It costs ~50 bytes/min.
 */
export const PING_INTERVAL_MS = 60_000;
/** Nexus publishes no limit on subscriptions per connection; keep connections small enough to reason about. */
const MAX_STREAMS_PER_CONNECTION = 100;
/** Request ids remembered to match an error reply to its streams. */
const MAX_PENDING_IDS = 1_000;
/** What replaces the token in the stored URL. */
const REDACTED = 'REDACTED';

export interface NexusClientOptions {
  pingIntervalMs: number;
}

const NEXUS_CLIENT_DEFAULTS: NexusClientOptions = { pingIntervalMs: PING_INTERVAL_MS };

const decoder = new TextDecoder('utf-8', { fatal: false });

function text(obj: Record<string, unknown>): string {
  return JSON.stringify(obj);
}

/** Groups streams into connections: one depth per symbol per connection, at most MAX_STREAMS_PER_CONNECTION. */
function planConnections(streams: StreamSpec[]): StreamSpec[][] {
  const groups: Array<{ streams: StreamSpec[]; keys: Set<string>; depthSymbols: Set<string> }> = [];
  for (const s of streams) {
    if (groups.some((g) => g.keys.has(s.key))) continue;
    const depthSymbol = s.key.startsWith('API_MARKETDEPTH:') ? s.symbol : null;
    let g = groups.find((g) => g.streams.length < MAX_STREAMS_PER_CONNECTION && !(depthSymbol && g.depthSymbols.has(depthSymbol)));
    if (!g) {
      g = { streams: [], keys: new Set(), depthSymbols: new Set() };
      groups.push(g);
    }
    g.streams.push(s);
    g.keys.add(s.key);
    if (depthSymbol) g.depthSymbols.add(depthSymbol);
  }
  return groups.map((g) => g.streams);
}

class NexusClientSession implements ClientSession {
  readonly url: string;
  readonly safeUrl: string;
  readonly heartbeat: ClientSession['heartbeat'];

  private readonly depthBySymbol = new Map<string, string>();
  private readonly positionKeys = new Set<string>();
  private readonly pendingIds = new Map<string, string[]>();
  private lastId = 0;

  constructor(
    private readonly opts: ClientSessionOptions,
    clientOpts: NexusClientOptions,
  ) {
    const token = opts.credentials?.token;
    if (!token) {
      throw new TicktapeError(
        'TT_CREDENTIALS_MISSING',
        'Nexus needs a login token for every connection, the book included: set the credential "token" of the nexus exchange in the config, or TICKTAPE_NEXUS_TOKEN, to the token returned by POST /api/v1/operator/login.',
        { exchange: 'nexus' },
      );
    }
    const url = new URL(opts.endpointUrl);
    url.searchParams.set(TOKEN_PARAM, token);
    this.url = url.toString();
    url.searchParams.set(TOKEN_PARAM, REDACTED);
    this.safeUrl = url.toString();
    this.heartbeat = {
      intervalMs: clientOpts.pingIntervalMs,
      frame: () => ({ data: text({ id: this.nextId(), action: 'PING', event: '' }), binary: false }),
    };
  }

  /** Request ids are ms timestamps in every example; made strictly increasing so each names one request. */
  private nextId(): string {
    this.lastId = Math.max(Math.floor(this.opts.nowMs()), this.lastId + 1);
    return String(this.lastId);
  }

  private remember(id: string, key: string): void {
    if (this.pendingIds.size >= MAX_PENDING_IDS) this.pendingIds.delete(this.pendingIds.keys().next().value as string);
    this.pendingIds.set(id, [key]);
  }

  onOpen(): OutFrame[] {
    return this.subscribe(this.opts.streams);
  }

  subscribe(streams: StreamSpec[]): OutFrame[] {
    return streams.map((s) => this.request('SUBSCRIBE', s));
  }

  unsubscribe(streams: StreamSpec[]): OutFrame[] {
    return streams.map((s) => this.request('UNSUBSCRIBE', s));
  }

  private request(action: 'SUBSCRIBE' | 'UNSUBSCRIBE', s: StreamSpec): OutFrame {
    const sub = action === 'SUBSCRIBE';
    const event = String(s.params.event ?? '');
    // BTHub text commands, for servers that still speak the predecessor's protocol.
    if (event === 'API_QUOTE' || event === 'API_AGGREGATED_QUOTE') {
      const topic = event === 'API_QUOTE' ? 'apiQuote' : 'apiAggregatedQuote';
      return { data: `${sub ? 'subscribe' : 'unsubscribe'}:${topic}:${s.symbol}`, binary: false, stream: s.key };
    }
    const id = this.nextId();
    this.remember(id, s.key);
    let msg: Record<string, unknown>;
    switch (event) {
      case 'API_MARKETDEPTH': {
        const symbol = String(s.symbol);
        if (sub) {
          this.depthBySymbol.set(symbol, s.key);
          msg = { id, action, event, symbol, depth: Number(s.params.levels) };
        } else {
          if (this.depthBySymbol.get(symbol) === s.key) this.depthBySymbol.delete(symbol);
          // WsDemo.java's UNSUBSCRIBE carries no depth: one depth per symbol per connection.
          msg = { id, action, event, symbol };
        }
        break;
      }
      case 'API_ORDER':
        msg = { id, action, event };
        break;
      case 'API_RISK_POSITION':
        if (sub) this.positionKeys.add(s.key);
        else this.positionKeys.delete(s.key);
        msg = { id, action, event, symbol: String(s.params.symbol ?? ALL_SYMBOLS), book: String(s.params.book) };
        break;
      default:
        throw new TicktapeError('TT_UNKNOWN_CHANNEL', `Stream ${s.key} is not a Nexus stream; build streams with the nexus channel parser.`, {
          exchange: 'nexus',
          stream: s.key,
        });
    }
    return { data: text(msg), binary: false, stream: s.key };
  }

  onFrame(data: Uint8Array, binary: boolean): FrameInfo {
    if (binary) return { stream: '', malformed: true, control: false };
    const raw = decoder.decode(data);
    let msg: unknown;
    try {
      msg = JSON.parse(raw);
    } catch {
      // BTHub servers may answer the text `ping`; anything else that is not JSON is malformed.
      if (raw.trim().toLowerCase() === 'pong') return { stream: '', malformed: false, control: true };
      return { stream: '', malformed: true, control: false };
    }
    if (!isRecord(msg)) return { stream: '', malformed: true, control: false };

    if (typeof msg.result === 'string') return this.reply(msg);

    const payload = msg.data;
    switch (msg.event) {
      case 'API_MARKETDEPTH': {
        if (!isRecord(payload) || typeof payload.symbol !== 'string') return { stream: '', malformed: true, control: false };
        const asks = Array.isArray(payload.asks) ? payload.asks : [];
        const bids = Array.isArray(payload.bids) ? payload.bids : [];
        const key = this.depthBySymbol.get(payload.symbol) ?? depthKey(payload.symbol, Math.max(asks.length, bids.length));
        // Each level carries its provider's quote time, in no order across books: a book published
        // later can hold only older quotes. No time orders the stream (see API_ORDER).
        return { stream: key, malformed: false, control: false, exchangeTsMs: null };
      }
      case 'API_ORDER': {
        // No time orders an order stream: a parent carries its creation time and its last fill's,
        // so the cancel of an order placed earlier is older by both than the fill pushed before it.
        // The frame has no key, and a handoff tells repeats by its receive time instead.
        return { stream: ORDER_KEY, malformed: false, control: false, exchangeTsMs: null };
      }
      case 'API_RISK_POSITION': {
        const items = Array.isArray(payload) ? payload.filter(isRecord) : isRecord(payload) ? [payload] : [];
        return { stream: this.positionStream(items), malformed: false, control: false, exchangeTsMs: null };
      }
      case 'API_QUOTE':
      case 'API_AGGREGATED_QUOTE': {
        if (!isRecord(payload) || typeof payload.symbol !== 'string') return { stream: '', malformed: true, control: false };
        const key = msg.event === 'API_QUOTE' ? quoteKey(payload.symbol) : aggregatedQuoteKey(payload.symbol);
        return { stream: key, malformed: false, control: false, exchangeTsMs: null };
      }
      default:
        return { stream: '', malformed: false, control: true };
    }
  }

  /**
   * An error reply refuses the streams of its request id: the REST error envelope
   * `{"data":{"data":{"symbol":"INVALID","id":"…"},"type":"VALIDATION"},"result":"INVALID_DATA",…}`
   * (the id inside `data.data`), or an `id` at the top level.
   */
  private reply(msg: Record<string, unknown>): FrameInfo {
    const ok = msg.result === 'SUCCESS';
    const detail = isRecord(msg.data) && isRecord(msg.data.data) ? msg.data.data : {};
    const rawId = msg.id ?? detail.id;
    const id = typeof rawId === 'string' || typeof rawId === 'number' ? String(rawId) : null;
    const keys = id ? this.pendingIds.get(id) : undefined;
    if (!keys) return { stream: '', malformed: false, control: true };
    this.pendingIds.delete(id as string);
    const fields = Object.entries(detail)
      .filter(([k]) => k !== 'id')
      .map(([k, v]) => `${k} ${String(v)}`);
    const why = typeof msg.message === 'string' ? msg.message : fields.join(', ');
    const reason = `${String(msg.result)}${why ? `: ${why}` : ''}`;
    return {
      stream: keys[0] ?? '',
      malformed: false,
      control: true,
      acks: keys.map((stream) => (ok ? { stream, ok } : { stream, ok, reason })),
    };
  }

  /** Routes a risk-position push to the subscription that asked for it (exact symbol first, then ALL). */
  private positionStream(items: Record<string, unknown>[]): string {
    const books = new Set(items.map((i) => String(i.book ?? '')));
    const symbols = new Set(items.map((i) => String(i.symbol ?? '')));
    const [book] = books;
    if (books.size === 1 && book !== '') {
      if (symbols.size === 1) {
        const [symbol] = symbols;
        const exact = positionKey(book, symbol);
        if (this.positionKeys.has(exact)) return exact;
      }
      const all = positionKey(book, ALL_SYMBOLS);
      if (this.positionKeys.has(all) || this.positionKeys.size !== 1) return all;
    }
    if (this.positionKeys.size === 1) return [...this.positionKeys][0];
    return '';
  }
}

export function createClientSide(options: Partial<NexusClientOptions> = {}): ClientSide {
  const clientOpts: NexusClientOptions = { ...NEXUS_CLIENT_DEFAULTS, ...options };
  return {
    endpoints: {
      [ENDPOINT]: {
        url: 'wss://demo.go-nexus.io/api/realtime',
        simPath: '/nexus/api/realtime',
        doc: 'Nexus realtime socket: aggregated depth, orders, risk positions; login token in the X-API-TOKEN query parameter',
      },
    },
    parseChannel,
    channelHelp: CHANNEL_HELP,
    credentialFields: ['token'],
    planConnections,
    createSession: (opts) => new NexusClientSession(opts, clientOpts),
    maxConnectionLifeMs: null,
  };
}
