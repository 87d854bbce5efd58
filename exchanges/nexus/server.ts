/**
 * Nexus server side (simulator and replay server): the session state machine of /api/realtime.
 *
 * What the documents fix: the token in the `X-API-TOKEN` query parameter, JSON requests with
 * `action` SUBSCRIBE | UNSUBSCRIBE | PING, pushes `{"event":…,"data":…}`. What they leave open is
 * filled in as protocols.md §2.4 recommends, each marked ASSUMPTION below:
 *  - ASSUMPTION: the upgrade is refused with HTTP 401 and a Bearer `WWW-Authenticate` challenge
 *    when the token is missing or unknown;
 *  - ASSUMPTION: SUBSCRIBE, UNSUBSCRIBE and PING get no reply (clients built from the documents
 *    expect none); pushes simply start or stop;
 *  - ASSUMPTION: a request the server cannot read gets the REST error envelope of the documents,
 *    `{"data":{"data":{"<field>":"INVALID","id":…},"type":"VALIDATION"},"result":"INVALID_REQUEST","type":"API"}`,
 *    and the session stays open; a refused subscription (unknown symbol, limit) gets the same shape
 *    with `INVALID_DATA` / `REJECTED` (protocol.ts ErrorReply);
 *  - ASSUMPTION: a session is closed (1001) only after idleTimeoutMs without any client message,
 *    by default the documented 30-minute PING period plus a 5-minute margin;
 *  - tolerant mode: the BTHub text commands (`subscribe:apiQuote:BTCUSDT`, `ping`, …, protocols.md
 *    §2.5) are accepted too; apiQuote / apiAggregatedQuote push the BTHub messages, apiOrder and
 *    apiRiskPosition push the current API_ORDER / API_RISK_POSITION messages (the BTHub numeric
 *    enums are not documented well enough to reproduce).
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { FeedItem, ServerContext, ServerSession, ServerSide, ServerTiming, SessionLink, StreamSpec, UpgradeDecision } from '../types.js';
import { formatOrder, formatPosition, nextProgress, type OrderProgress } from './account-format.js';
import { formatLegacyAggregatedQuote, formatLegacyQuotes, formatMarketDepth } from './book-format.js';
import { aggregatedQuoteStream, depthStream, ENDPOINT, orderStream, positionStream, quoteStream } from './channels.js';
import { ALL_SYMBOLS, DEFAULT_DEPTH_LEVELS, INVALID_FIELD, isRecord, MAX_DEPTH_LEVELS, nexusSymbol, TOKEN_PARAM, WHOLE_REQUEST_FIELD, WWW_AUTHENTICATE_INVALID, WWW_AUTHENTICATE_MISSING, type ErrorReply, type RestResult } from './protocol.js';

/** The documents ask clients to PING every 30 minutes; 5 more minutes absorb a late client timer. */
const IDLE_TIMEOUT_MS = 35 * 60_000;
/** Close code of an idle session (ASSUMPTION: Nexus documents none; 1001 = going away). */
const IDLE_CLOSE_CODE = 1001;
/** Orders followed per session for cumulative fee / last fill time; the oldest is dropped beyond this. */
const MAX_TRACKED_ORDERS = 10_000;

const NEXUS_TIMING: ServerTiming = { heartbeatMs: 0, idleTimeoutMs: IDLE_TIMEOUT_MS, maxLifeMs: 0 };

const SYMBOL_RE = /^[A-Za-z0-9]{2,30}$/;
const BOOK_RE = /^[A-Za-z0-9_-]{1,32}$/;
const decoder = new TextDecoder('utf-8', { fatal: false });

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function tokenOf(url: URL, headers: IncomingHttpHeaders): string | null {
  const q = url.searchParams.get(TOKEN_PARAM);
  if (q) return q;
  // REST clients send the same token as a header; accepting it on the upgrade costs nothing.
  const h = headers['x-api-token'];
  return typeof h === 'string' && h ? h : null;
}

function checkUpgrade(endpoint: string, req: { url: URL; headers: IncomingHttpHeaders }, ctx: ServerContext): UpgradeDecision {
  if (endpoint !== ENDPOINT) return { ok: false, status: 404, body: `Nexus has no endpoint "${endpoint}"; use /api/realtime` };
  const token = tokenOf(req.url, req.headers);
  if (!token) {
    return {
      ok: false,
      status: 401,
      body: `Unauthorized: ${TOKEN_PARAM} missing. Log in (POST /api/v1/operator/login) and connect with ?${TOKEN_PARAM}=<token>.`,
      headers: { 'WWW-Authenticate': WWW_AUTHENTICATE_MISSING },
    };
  }
  if (ctx.authMode === 'any') {
    ctx.acceptedUnchecked?.(`${TOKEN_PARAM} token`);
    return { ok: true };
  }
  if (!ctx.credentials.some((c) => typeof c.token === 'string' && sameToken(c.token, token))) {
    return {
      ok: false,
      status: 401,
      body: `Unauthorized: ${TOKEN_PARAM} is not valid or has expired. Log in again for a fresh token.`,
      headers: { 'WWW-Authenticate': WWW_AUTHENTICATE_INVALID },
    };
  }
  return { ok: true };
}

/** A refused request: its `result`, the request field at fault, and why (for the code reading it; the reply carries the field). */
class RequestError extends Error {
  constructor(
    readonly result: RestResult,
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

class NexusServerSession implements ServerSession {
  private readonly timing: ServerTiming;
  private readonly depthBySymbol = new Map<string, string>();
  private readonly progress = new Map<string, OrderProgress>();
  private idleTimer: NodeJS.Timeout | null = null;
  private lifeTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly link: SessionLink,
    ctx: ServerContext,
  ) {
    this.timing = { ...NEXUS_TIMING, ...ctx.timing };
    this.touch();
    if (this.timing.maxLifeMs > 0) {
      this.lifeTimer = setTimeout(() => this.close(1001, 'connection lifetime reached; reconnect'), this.timing.maxLifeMs);
      this.lifeTimer.unref();
    }
  }

  private touch(): void {
    if (this.closed || this.timing.idleTimeoutMs <= 0) return;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.close(IDLE_CLOSE_CODE, `idle timeout: no PING for ${Math.round(this.timing.idleTimeoutMs / 1000)} s`), this.timing.idleTimeoutMs);
    this.idleTimer.unref();
  }

  private close(code: number, reason: string): void {
    this.onClose();
    this.link.close(code, reason);
  }

  onClose(): void {
    this.closed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.lifeTimer) clearTimeout(this.lifeTimer);
    this.idleTimer = this.lifeTimer = null;
  }

  private sendError(id: string | undefined, result: RestResult, field: string): void {
    const reply: ErrorReply = { data: { data: { [field]: INVALID_FIELD, ...(id !== undefined ? { id } : {}) }, type: 'VALIDATION' }, result, type: 'API' };
    this.link.send(JSON.stringify(reply), false);
  }

  onMessage(data: Uint8Array, binary: boolean): void {
    if (this.closed) return;
    this.touch();
    // Binary frames are not part of the protocol: send JSON text.
    if (binary) return this.sendError(undefined, 'INVALID_REQUEST', WHOLE_REQUEST_FIELD);
    const text = decoder.decode(data).trim();
    let req: unknown;
    try {
      req = JSON.parse(text);
    } catch {
      if (this.legacy(text)) return;
      // not JSON: a request is {"id":"<ms>","action":"SUBSCRIBE|UNSUBSCRIBE|PING","event":"…"}
      return this.sendError(undefined, 'INVALID_REQUEST', WHOLE_REQUEST_FIELD);
    }
    if (!isRecord(req)) return this.sendError(undefined, 'INVALID_REQUEST', WHOLE_REQUEST_FIELD);
    const id = typeof req.id === 'string' || typeof req.id === 'number' ? String(req.id) : undefined;
    try {
      this.request(req);
    } catch (err) {
      if (!(err instanceof RequestError)) throw err;
      this.sendError(id, err.result, err.field);
    }
  }

  private request(req: Record<string, unknown>): void {
    const action = typeof req.action === 'string' ? req.action.toUpperCase() : '';
    const event = typeof req.event === 'string' ? req.event.toUpperCase() : '';
    if (action === 'PING') return;
    if (action !== 'SUBSCRIBE' && action !== 'UNSUBSCRIBE') {
      throw new RequestError('INVALID_REQUEST', 'action', `unknown action ${JSON.stringify(req.action ?? null)}; use SUBSCRIBE, UNSUBSCRIBE or PING`);
    }
    const sub = action === 'SUBSCRIBE';
    switch (event) {
      case 'API_MARKETDEPTH': {
        const symbol = this.symbol(req.symbol);
        if (!sub) return this.dropDepth(symbol);
        return this.addDepth(depthStream(symbol, this.depth(req.depth)));
      }
      case 'API_ORDER':
        return sub ? this.add(orderStream()) : this.link.unsubscribe(orderStream().key);
      case 'API_RISK_POSITION': {
        if (typeof req.book !== 'string' || !BOOK_RE.test(req.book)) throw new RequestError('INVALID_REQUEST', 'book', 'API_RISK_POSITION needs "book" (a book abbreviation like "A")');
        const symbol = req.symbol === undefined || String(req.symbol).toUpperCase() === ALL_SYMBOLS ? ALL_SYMBOLS : this.symbol(req.symbol);
        const spec = positionStream(req.book, symbol);
        return sub ? this.add(spec) : this.link.unsubscribe(spec.key);
      }
      default:
        throw new RequestError('INVALID_REQUEST', 'event', `unknown event ${JSON.stringify(req.event ?? null)}; use API_MARKETDEPTH, API_ORDER or API_RISK_POSITION`);
    }
  }

  private symbol(v: unknown): string {
    if (typeof v !== 'string' || !SYMBOL_RE.test(v)) throw new RequestError('INVALID_REQUEST', 'symbol', '"symbol" must be a symbol like "BTCUSDT"');
    return v.toUpperCase();
  }

  /** ASSUMPTION: a SUBSCRIBE without `depth` gets the documents' 5 levels. */
  private depth(v: unknown): number {
    if (v === undefined || v === null) return DEFAULT_DEPTH_LEVELS;
    const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_DEPTH_LEVELS) {
      throw new RequestError('INVALID_REQUEST', 'depth', `"depth" must be an integer 1-${MAX_DEPTH_LEVELS}`);
    }
    return n;
  }

  /** Refused streams: the subscription limit rejects the event; an unknown stream is an invalid symbol (or event, for account-wide ones). */
  private add(spec: StreamSpec): void {
    const r = this.link.subscribe(spec);
    if (!r.ok) throw new RequestError(r.code === 'limit' ? 'REJECTED' : 'INVALID_DATA', r.code === 'limit' || spec.symbol === null ? 'event' : 'symbol', r.reason);
  }

  /** One depth per symbol per session: a new depth replaces the previous subscription. */
  private addDepth(spec: StreamSpec): void {
    const symbol = String(spec.symbol);
    const prev = this.depthBySymbol.get(symbol);
    if (prev === spec.key) return;
    if (prev) this.dropDepth(symbol);
    this.add(spec);
    this.depthBySymbol.set(symbol, spec.key);
  }

  private dropDepth(symbol: string): void {
    const key = this.depthBySymbol.get(symbol);
    if (!key) return; // ASSUMPTION: unsubscribing what is not subscribed is silently ignored
    this.depthBySymbol.delete(symbol);
    this.link.unsubscribe(key);
  }

  /** BTHub text commands (protocols.md §2.5). Returns false when the text is not one. */
  private legacy(text: string): boolean {
    if (text.toLowerCase() === 'ping') return true;
    const m = /^(subscribe|unsubscribe):(apiQuote|apiAggregatedQuote|apiOrder|apiRiskPosition)(?::(.*))?$/i.exec(text);
    if (!m) return false;
    const sub = m[1].toLowerCase() === 'subscribe';
    const topic = m[2].toLowerCase();
    const arg = m[3];
    let spec: StreamSpec;
    if (topic === 'apiorder' && arg === undefined) spec = orderStream();
    else if ((topic === 'apiquote' || topic === 'apiaggregatedquote') && arg !== undefined && SYMBOL_RE.test(arg)) {
      spec = topic === 'apiquote' ? quoteStream(arg.toUpperCase()) : aggregatedQuoteStream(arg.toUpperCase());
    } else {
      const rp = topic === 'apiriskposition' && arg !== undefined ? /^all:([A-Za-z0-9_-]{1,32})$/i.exec(arg) : null;
      if (!rp) return false;
      spec = positionStream(rp[1], ALL_SYMBOLS);
    }
    if (!sub) {
      this.link.unsubscribe(spec.key);
      return true;
    }
    try {
      this.add(spec);
    } catch (err) {
      if (!(err instanceof RequestError)) throw err;
      this.sendError(undefined, err.result, err.field);
    }
    return true;
  }

  deliver(stream: StreamSpec, item: FeedItem): void {
    if (this.closed) return;
    if (item.type === 'recorded') {
      // Nexus frames carry no session fields (no counter, no session id): replay the bytes as recorded.
      this.link.send(item.payload, item.binary);
      return;
    }
    const ev = item.event;
    switch (stream.params.event) {
      case 'API_MARKETDEPTH':
        if (ev.type === 'book') this.send(formatMarketDepth(ev, Number(stream.params.levels)));
        return;
      case 'API_QUOTE':
        // one BTHub message per provider: corked, so they leave in one write
        if (ev.type === 'book') this.link.cork(() => formatLegacyQuotes(ev).forEach((m) => this.send(m)));
        return;
      case 'API_AGGREGATED_QUOTE':
        if (ev.type === 'book') this.send(formatLegacyAggregatedQuote(ev));
        return;
      case 'API_ORDER': {
        if (ev.type !== 'order') return;
        const p = nextProgress(this.progress.get(ev.orderId), ev);
        this.progress.delete(ev.orderId);
        if (ev.status === 'new' || ev.status === 'partially_filled') {
          if (this.progress.size >= MAX_TRACKED_ORDERS) this.progress.delete(this.progress.keys().next().value as string);
          this.progress.set(ev.orderId, p);
        }
        this.send(formatOrder(ev, p));
        return;
      }
      case 'API_RISK_POSITION':
        if (ev.type !== 'position') return;
        if (stream.symbol !== null && nexusSymbol(ev.inst) !== stream.symbol) return;
        this.send(formatPosition(ev, String(stream.params.book)));
        return;
    }
  }

  private send(msg: unknown): void {
    this.link.send(JSON.stringify(msg), false);
  }
}

export function createServerSide(): ServerSide {
  return {
    timing: { [ENDPOINT]: NEXUS_TIMING },
    checkUpgrade,
    createSession: (_endpoint: string, link: SessionLink, ctx: ServerContext) => new NexusServerSession(link, ctx),
  };
}
