/**
 * Coinstore's server-side session state machine (protocols.md §1.1–§1.4), shared by the simulator
 * and the replay server.
 *
 *   connect        → resp  {C:200, M:"established"}                     (S = 1)
 *   each command   → echo  {C:200, M:"command.received", echo:<cmd>}    then its resp
 *   SUB            → resp  {C:200, M:"sub.channel.success"} (+ trade batch when param.size)
 *   UNSUB          → resp  {C:200, M:"unsub.channel.success"}           ASSUMPTION (undocumented M)
 *   LOGIN          → resp  {C:200, M:"sub.channel.success"} | {C:401, M:"signature-failed"}   ASSUMPTION (M values)
 *   LIST           → resp  {subs:[...]}                                 [DOC]
 *   REQ            → resp  {channel, symbol, instrumentId, item:[...]}   envelope ASSUMPTION
 *   unknown symbol → resp  {C:3011, M:"symbol not found", payload:<why>} the seed's error table
 *   bad request    → resp  {C:400, M:"bad.request", payload:<why>}      ASSUMPTION
 *   {"op":"pong"}  → nothing (counts as a pong)                          [DOC]
 *   {"op":"ping"}  → {"op":"pong","epochMillis":<ms>} (counts as a pong) ASSUMPTION (the documented pong message)
 *
 * Every push, batch, LIST entry and echo names a channel exactly as this client subscribed it (id
 * or name form), whatever form the feed's stream has; a client that subscribed both forms gets each
 * push under each name. Messages leave in the order the session decides them (`outbox.ts`).
 *
 * `S` numbers every server message of the session from 1 without holes (welcome, echo, resp and
 * data pushes alike); `sid` is fixed per session. The server sends a WebSocket ping frame every
 * 3 min and closes a session that has not ponged (frame or message) for 10 min; every session is
 * closed after 24 h.
 */
import type { Instrument, MarketEvent, OrderEvent } from '../market.js';
import type { FeedItem, ServerContext, ServerSession, ServerTiming, SessionLink, StreamSpec } from '../types.js';
import { currencies, parseChannelName, PRIVATE_TYPES, resolveInstrument, specOf, streamKey, symbolOf, type ParsedChannel } from './channels.js';
import { accountBody, allTickersBody, allTickersElement, depthBody, klineBody, klineItem, orderBody, recordedAllTickersElement, tickerBody, tradeBody } from './format.js';
import { checkLogin } from './login.js';
import { Outbox } from './outbox.js';
import {
  CLIENT_OPS,
  CODE_BAD_REQUEST,
  CODE_OK,
  CODE_SIGNATURE_FAILED,
  CODE_SYMBOL_NOT_FOUND,
  CODE_UNAUTHORIZED,
  KLINE_INTERVALS,
  MAX_CONNECTION_LIFE_MS,
  MAX_KLINE_REQ_LIMIT,
  SERVER_IDLE_TIMEOUT_MS,
  SERVER_PING_INTERVAL_MS,
  type ChannelObject,
  type ClientCommand,
} from './protocol.js';
import { Restamper } from './restamp.js';

export const DEFAULT_TIMING: ServerTiming = {
  heartbeatMs: SERVER_PING_INTERVAL_MS,
  idleTimeoutMs: SERVER_IDLE_TIMEOUT_MS,
  maxLifeMs: MAX_CONNECTION_LIFE_MS,
};

/** WebSocket close code for idle and lifetime closes ("going away"; protocols.md §1.1 allows 1000/1001). */
const CLOSE_GOING_AWAY = 1001;
/** Largest `param.size` honoured for the initial trade batch. ASSUMPTION: the REST trade limit (100). */
const MAX_TRADE_BATCH = 100;

function parseJsonObject(frame: Uint8Array): Record<string, unknown> | null {
  try {
    const msg: unknown = JSON.parse(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength).toString('utf8'));
    return msg && typeof msg === 'object' && !Array.isArray(msg) ? (msg as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The trade bodies of one recorded trade frame: a push (its fields but `S` and `T`) or a `data` batch. */
function recordedTradeBodies(frame: Uint8Array): Array<Record<string, unknown>> {
  const m = parseJsonObject(frame);
  if (!m || m.T !== 'trade') return [];
  if (Array.isArray(m.data)) return m.data.filter((d): d is Record<string, unknown> => !!d && typeof d === 'object' && !Array.isArray(d));
  const { S: _s, T: _t, sid: _sid, ...body } = m;
  return [body];
}

/** A session id shaped like the documented one (8-4-4-4-12 hex), drawn from the seeded random source. */
export function makeSid(random: () => number): string {
  let hex = '';
  for (let i = 0; i < 32; i++) hex += Math.floor(random() * 16).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

class RequestError extends Error {
  constructor(
    readonly code: number,
    readonly meaning: string,
    readonly detail: string,
  ) {
    super(detail);
  }
}
const badRequest = (detail: string) => new RequestError(CODE_BAD_REQUEST, 'bad.request', detail);
/** "symbol not found 3011": the seed's error table, for a symbol (name or id) the server does not list. */
const symbolNotFound = (written: string) => new RequestError(CODE_SYMBOL_NOT_FOUND, 'symbol not found', `channel "${written}": symbol not found`);

/** One channel a client subscribed, under the name it used. */
interface Subscription {
  parsed: ParsedChannel;
  /** The channel exactly as the client wrote it (echo, LIST and every push show it). */
  written: string;
  /** Feed keys this channel consumes (one, or one per instrument for an expanded `!@ticker`). */
  keys: string[];
  /**
   * A private channel of one currency or symbol served from the account-wide stream (`!@account`,
   * `!@order`): only the items for its own currency or symbol are pushed.
   */
  filtered: boolean;
  instrumentId: string;
  lifeStartTime: number;
  msgCount: number;
}

/** One way to feed a channel: the streams it needs, and whether they carry more than the channel (a private filter). */
interface FeedPlan {
  specs: StreamSpec[];
  filtered: boolean;
}

/** Marker consumer: an instrument's ticker feeding the `!@ticker` array. */
const ALL_TICKER = '!@ticker';

export class CoinstoreSession implements ServerSession {
  private seq = 0;
  readonly sid: string;
  private readonly timing: ServerTiming;
  private readonly subs = new Map<string, Subscription>();
  /** Feed key → channel names consuming it. One feed subscription per key, however many aliases. */
  private readonly consumers = new Map<string, Set<string>>();
  private loggedIn = false;
  private lastAliveMs = performance.now();
  private readonly timers: NodeJS.Timeout[] = [];
  private idleTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly outbox = new Outbox();
  /** Re-stamps recorded frames straight into the socket's batch (restamp.ts). */
  private readonly restamper = new Restamper();
  /** `!@ticker` elements waiting for this turn's array push, by instrument id. */
  private pendingTickers = new Map<string, Record<string, unknown>>();
  private tickerFlush: NodeJS.Immediate | null = null;

  constructor(
    private readonly link: SessionLink,
    private readonly ctx: ServerContext,
  ) {
    this.timing = { ...DEFAULT_TIMING, ...ctx.timing };
    this.sid = makeSid(ctx.random);
    this.send({ T: 'resp', sid: this.sid, C: CODE_OK, M: 'established' });
    if (this.timing.heartbeatMs > 0) {
      const t = setInterval(() => this.link.ping(), this.timing.heartbeatMs);
      t.unref();
      this.timers.push(t);
    }
    if (this.timing.idleTimeoutMs > 0) this.armIdle(this.timing.idleTimeoutMs);
    if (this.timing.maxLifeMs > 0) {
      const t = setTimeout(() => this.close(CLOSE_GOING_AWAY, 'connection lifetime reached, reconnect'), this.timing.maxLifeMs);
      t.unref();
      this.timers.push(t);
    }
  }

  /** Sends one server message in its place in the outbox. */
  private send(body: Record<string, unknown>): void {
    this.outbox.push(() => this.write(body));
  }

  /** Writes one server message now: `S` first, then the body's fields in their order. */
  private write(body: Record<string, unknown>): void {
    if (this.closed) return;
    this.seq += 1;
    this.link.send(`{"S":${this.seq},${JSON.stringify(body).slice(1)}`);
  }

  private close(code: number, reason: string): void {
    if (this.closed) return;
    this.link.close(code, reason);
    this.onClose();
  }

  private armIdle(ms: number): void {
    this.idleTimer = setTimeout(
      () => {
        const silent = performance.now() - this.lastAliveMs;
        if (silent >= this.timing.idleTimeoutMs) this.close(CLOSE_GOING_AWAY, `no pong for ${Math.round(silent / 1000)} s`);
        else this.armIdle(this.timing.idleTimeoutMs - silent);
      },
      Math.max(1, ms),
    );
    this.idleTimer.unref();
  }

  settled(): Promise<void> {
    return this.outbox.whenEmpty();
  }

  onPong(): void {
    this.lastAliveMs = performance.now();
  }

  onClose(): void {
    this.closed = true;
    this.outbox.clear();
    for (const t of this.timers) clearTimeout(t);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.tickerFlush) clearImmediate(this.tickerFlush);
    this.timers.length = 0;
  }

  // -------------------------------------------------------------------------------------------
  // Client commands

  onMessage(data: Uint8Array, _binary: boolean): void {
    let cmd: ClientCommand;
    try {
      const parsed: unknown = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || typeof (parsed as ClientCommand).op !== 'string') {
        throw new Error('not a command object');
      }
      cmd = parsed as ClientCommand;
    } catch {
      // ASSUMPTION: nothing parsable to echo, so only the resp is sent.
      this.sendError(badRequest('message is not a JSON command object {"op":...}'));
      return;
    }
    if (cmd.op === 'pong') {
      // Pong message [DOC]: a sign of life, swallowed without a reply.
      this.onPong();
      return;
    }
    if (cmd.op === 'ping') {
      // Undocumented. ASSUMPTION: a sign of life like a pong, answered with the documented pong
      // message (which carries no envelope and is not counted in S).
      this.onPong();
      const pong = JSON.stringify({ op: 'pong', epochMillis: this.ctx.nowMs() });
      this.outbox.push(() => !this.closed && this.link.send(pong));
      return;
    }
    this.outbox.command(() => this.handle(cmd));
  }

  private handle(cmd: ClientCommand): void {
    const op = cmd.op;
    if (!(CLIENT_OPS as readonly string[]).includes(op)) {
      this.sendEcho(cmd);
      this.sendError(badRequest(`unknown op "${op}"; use SUB, UNSUB, LOGIN, REQ or LIST`));
      return;
    }
    if (op === 'LIST') {
      this.sendEcho(cmd);
      this.send({ T: 'resp', subs: [...this.subs.values()].map((s) => this.channelObject(s.parsed, s.written, s, false)), sid: this.sid });
      return;
    }
    if (op === 'REQ') {
      this.sendEcho(cmd);
      this.safely(() => this.req(cmd));
      return;
    }
    // SUB, UNSUB, LOGIN carry a channel list.
    const raw = cmd.channel ?? [];
    const list = Array.isArray(raw) ? raw : [raw];
    const parsed: Array<{ written: string; ch: ParsedChannel | null; error?: string }> = list.map((c) => {
      if (typeof c !== 'string') return { written: JSON.stringify(c), ch: null, error: 'channel names are strings' };
      try {
        return { written: c, ch: parseChannelName(c) };
      } catch (err) {
        return { written: c, ch: null, error: (err as Error).message };
      }
    });
    const echoChannels = parsed.map((p) => (p.ch ? this.channelObject(p.ch, p.written, this.subs.get(p.ch.name), true) : p.written));
    const echo: Record<string, unknown> = { ...cmd };
    if (cmd.channel !== undefined || op !== 'LOGIN') echo.channel = echoChannels;
    if (op === 'LOGIN' && cmd.auth && typeof cmd.auth === 'object') {
      // The echo never carries the secret back: it would end up in every recording of the session.
      if ('token' in cmd.auth) echo.auth = { ...cmd.auth, token: '***' };
    }
    this.sendEcho(echo);
    this.safely(() => {
      if (!Array.isArray(raw)) throw badRequest('"channel" must be an array of channel names');
      const bad = parsed.find((p) => !p.ch);
      if (bad) throw badRequest(`channel "${bad.written}": ${bad.error}`);
      const channels = parsed.map((p) => ({ written: p.written, ch: p.ch as ParsedChannel }));
      if (op === 'UNSUB') {
        for (const { ch } of channels) this.unsubscribe(ch.name);
        this.send({ T: 'resp', sid: this.sid, C: CODE_OK, M: 'unsub.channel.success' });
        return;
      }
      if (op === 'LOGIN') {
        const r = checkLogin(cmd.auth, this.ctx.credentials, this.ctx.authMode);
        if (!r.ok) throw new RequestError(CODE_SIGNATURE_FAILED, 'signature-failed', r.reason);
        if (!r.checked) this.ctx.acceptedUnchecked?.(`LOGIN of user-id ${r.userId || '?'}`);
        this.loggedIn = true;
        this.subscribeAll(channels);
        // ASSUMPTION: LOGIN subscribes its channels, and the documents' only success for a
        // subscription is sub.channel.success.
        this.send({ T: 'resp', sid: this.sid, C: CODE_OK, M: 'sub.channel.success' });
        return;
      }
      const priv = channels.find(({ ch }) => PRIVATE_TYPES.has(ch.type));
      if (priv && !this.loggedIn) throw new RequestError(CODE_UNAUTHORIZED, 'unauthorized', `channel "${priv.written}" is private: LOGIN first`);
      this.subscribeAll(channels);
      this.send({ T: 'resp', sid: this.sid, C: CODE_OK, M: 'sub.channel.success' });
      this.tradeBatch(cmd, channels);
    });
  }

  private safely(f: () => void): void {
    try {
      f();
    } catch (err) {
      if (err instanceof RequestError) this.sendError(err);
      else throw err;
    }
  }

  private sendEcho(echo: unknown): void {
    this.send({ T: 'echo', sid: this.sid, C: CODE_OK, M: 'command.received', echo });
  }

  private sendError(err: RequestError): void {
    // `payload` is the envelope's documented free-text field ("external msg").
    this.send({ T: 'resp', sid: this.sid, C: err.code, M: err.meaning, payload: err.detail });
  }

  /** The channel object of echo (with `pub`) and LIST (without) replies, as in the transcript. */
  private channelObject(ch: ParsedChannel, written: string, sub: Subscription | undefined, withPub: boolean): ChannelObject {
    const priv = PRIVATE_TYPES.has(ch.type);
    const obj: ChannelObject = {
      name: written,
      // ASSUMPTION: "PRI" for private channels; only "PUB" appears in the documents.
      type: { name: ch.type, auth: priv ? 'PRI' : 'PUB' },
      instrumentId: sub?.instrumentId ?? this.instrumentIdText(ch),
      lifeStartTime: sub?.lifeStartTime ?? Math.floor(this.ctx.nowMs() / 1000),
      msgCount: sub?.msgCount ?? 0,
    };
    if (withPub) obj.pub = !priv;
    return obj;
  }

  /** `instrumentId` of a channel object, a string as in the transcript. ASSUMPTION: "0" for `!@` channels, the currency id for accounts. */
  private instrumentIdText(ch: ParsedChannel): string {
    if (ch.target.kind === 'all') return '0';
    if (ch.type === 'account') {
      if (ch.target.kind === 'id') return String(ch.target.id);
      const i = currencies(this.ctx.instruments).indexOf(ch.target.name.toUpperCase());
      return String(i >= 0 ? i + 1 : 0);
    }
    if (ch.target.kind === 'id') return String(ch.target.id);
    return String(resolveInstrument(ch.target, this.ctx.instruments)?.id ?? 0);
  }

  private currencyId = (currency: string): number => currencies(this.ctx.instruments).indexOf(currency.toUpperCase()) + 1;

  // -------------------------------------------------------------------------------------------
  // Subscriptions

  /**
   * Validates every channel first, then subscribes them all or none: when the feed refuses one
   * (unknown stream, subscription limit), the ones this command added are released again.
   */
  private subscribeAll(channels: Array<{ written: string; ch: ParsedChannel }>): void {
    const plans = channels.map(({ written, ch }) => ({ written, ch, alternatives: this.feedPlansFor(ch, written) }));
    const added: string[] = [];
    try {
      for (const p of plans) {
        if (this.subscribeOne(p)) added.push(p.ch.name);
      }
    } catch (err) {
      for (const name of added) this.unsubscribe(name);
      throw err;
    }
  }

  /** Subscribes one channel from the first feed plan that works; false when it already was. */
  private subscribeOne(p: { written: string; ch: ParsedChannel; alternatives: FeedPlan[] }): boolean {
    if (this.subs.has(p.ch.name)) return false; // already subscribed: SUB is idempotent
    let chosen: { keys: string[]; filtered: boolean } | null = null;
    let reason = 'no feed stream';
    for (const plan of p.alternatives) {
      const taken: string[] = [];
      let refused: { reason: string; code: 'limit' | 'unknown' } | null = null;
      for (const spec of plan.specs) {
        const r = this.addConsumer(spec, p.ch.name);
        if (!r.ok) {
          refused = r;
          break;
        }
        taken.push(spec.key);
      }
      if (!refused && taken.length > 0) {
        chosen = { keys: taken, filtered: plan.filtered };
        break;
      }
      for (const k of taken) this.removeConsumer(k, p.ch.name);
      if (refused) reason = refused.reason;
      if (refused?.code === 'limit') break; // another spelling would hit the same limit
    }
    if (!chosen) throw badRequest(`channel "${p.written}": ${reason}`);
    this.subs.set(p.ch.name, {
      parsed: p.ch,
      written: p.written,
      keys: chosen.keys,
      filtered: chosen.filtered,
      instrumentId: this.instrumentIdText(p.ch),
      lifeStartTime: Math.floor(this.ctx.nowMs() / 1000),
      msgCount: 0,
    });
    return true;
  }

  /**
   * The ways a channel can be fed, in order of preference; the first the feed accepts is used:
   *  - a symbol's channel: the name-keyed stream (`btcusdt@trade`), else the id-keyed one
   *    (`4@trade`), which is what a recording made with id channels holds; a symbol the server
   *    does not list (by name or by id) is refused with 3011;
   *  - `!@ticker`: the feed's own `!@ticker` stream (a recording, the simulator's market), else
   *    every instrument's ticker, batched into the array here;
   *  - a private channel of one currency or symbol: its own stream, else the account-wide one
   *    (`!@account`, `!@order`) filtered here. ASSUMPTION: a currency or instrument the server does
   *    not list is no error for a private channel — the account just has nothing there — so the
   *    documents' own LOGIN example (`7@account`, `80002@order`) succeeds anywhere.
   */
  private feedPlansFor(ch: ParsedChannel, written: string): FeedPlan[] {
    const instruments = this.ctx.instruments;
    const plain = (specs: StreamSpec[]): FeedPlan => ({ specs, filtered: false });
    if (ch.target.kind === 'all') {
      const alternatives = [plain([specOf(ch, instruments)])];
      if (ch.name === ALL_TICKER && instruments.length > 0) {
        alternatives.push(plain(instruments.map((inst) => specOf(parseChannelName(`${symbolOf(inst).toLowerCase()}@ticker`), instruments))));
      }
      return alternatives;
    }
    if (PRIVATE_TYPES.has(ch.type)) {
      const own = specOf(ch, instruments);
      const plans = [plain([own])];
      const inst = ch.type === 'order' ? resolveInstrument(ch.target, instruments) : undefined;
      if (inst) plans.push(plain([{ ...own, key: streamKey(inst.id, ch.suffix) }]));
      plans.push({ specs: [specOf(parseChannelName(`!@${ch.type}`), instruments)], filtered: true });
      return plans;
    }
    const inst = resolveInstrument(ch.target, instruments);
    if (!inst) throw symbolNotFound(written);
    const byName = specOf(ch, instruments);
    const byId: StreamSpec = { ...byName, key: streamKey(inst.id, ch.suffix) };
    return [plain([byName]), plain([byId])];
  }

  private addConsumer(spec: StreamSpec, name: string): { ok: true } | { ok: false; reason: string; code: 'limit' | 'unknown' } {
    const set = this.consumers.get(spec.key);
    if (set) {
      set.add(name);
      return { ok: true };
    }
    const r = this.link.subscribe(spec);
    if (!r.ok) return r;
    this.consumers.set(spec.key, new Set([name]));
    return { ok: true };
  }

  private removeConsumer(key: string, name: string): void {
    const set = this.consumers.get(key);
    if (!set) return;
    set.delete(name);
    if (set.size === 0) {
      this.consumers.delete(key);
      this.link.unsubscribe(key);
    }
  }

  private unsubscribe(name: string): void {
    const sub = this.subs.get(name);
    if (!sub) return; // not subscribed: UNSUB is idempotent
    this.subs.delete(name);
    // Every key of the subscription (one per instrument for an expanded `!@ticker`) is consumed under the channel's name.
    for (const k of sub.keys) this.removeConsumer(k, name);
    if (name === ALL_TICKER) this.pendingTickers.clear();
  }

  /** `param.size` on a trade SUB: the latest trades first, as one `data` batch [DOC]. */
  private tradeBatch(cmd: ClientCommand, channels: Array<{ written: string; ch: ParsedChannel }>): void {
    const size = Number(cmd.param?.size ?? 0);
    if (!Number.isInteger(size) || size <= 0) return;
    if (this.ctx.recordedFrames) {
      this.recordedTradeBatch(Math.min(size, MAX_TRADE_BATCH), channels);
      return;
    }
    if (!this.ctx.recentTrades) return;
    for (const { ch } of channels) {
      if (ch.type !== 'trade') continue;
      const inst = resolveInstrument(ch.target, this.ctx.instruments);
      const sub = this.subs.get(ch.name);
      if (!inst || !sub) continue;
      const trades = this.ctx.recentTrades(inst, Math.min(size, MAX_TRADE_BATCH));
      if (trades.length === 0) continue;
      sub.msgCount += 1;
      this.send({ T: 'trade', data: trades.map((t) => tradeBody(sub.written, t)) });
    }
  }

  /**
   * Replay: the batch is made of the recorded trade pushes of the channel before the replay time
   * (their bodies as recorded, without `S`, each `channel` as this client subscribed it). The
   * lookup is a read of the recording, so the batch holds its place in the outbox: it comes right
   * after the `resp`, before any later message, as from the exchange.
   */
  private recordedTradeBatch(size: number, channels: Array<{ written: string; ch: ParsedChannel }>): void {
    const lookups = channels.filter(({ ch }) => ch.type === 'trade' && this.subs.has(ch.name)).map(({ ch }) => ({ name: ch.name, keys: this.subs.get(ch.name)!.keys }));
    if (lookups.length === 0) return;
    const fill = this.outbox.reserve();
    Promise.all(lookups.map((l) => Promise.all(l.keys.map((k) => this.ctx.recordedFrames!(k, size))).then((perKey) => perKey.flat()))).then(
      (results) =>
        fill(() => {
          results.forEach((frames, i) => {
            const sub = this.subs.get(lookups[i].name);
            const data = frames
              .flatMap(recordedTradeBodies)
              .slice(-size)
              .map((body) => ('channel' in body && sub ? { ...body, channel: sub.written } : body));
            if (!sub || data.length === 0 || this.closed) return;
            sub.msgCount += 1;
            this.write({ T: 'trade', data });
          });
        }),
      () => fill(null), // the recording could not be read: no batch, as for a channel without trades
    );
  }

  /** REQ: history k-lines (protocols.md §1.4.4). `endTime` is exclusive, in seconds; `limit` ≤ 200. */
  private req(cmd: ClientCommand): void {
    const p = cmd.param;
    if (!p || typeof p !== 'object' || typeof p.channel !== 'string') throw badRequest('REQ needs param.channel, e.g. "4@kline@min_1"');
    let ch: ParsedChannel;
    try {
      ch = parseChannelName(p.channel);
    } catch (err) {
      throw badRequest((err as Error).message);
    }
    if (ch.type !== 'kline' || !ch.interval) throw badRequest('REQ only serves <symbol>@kline@<interval> channels');
    const inst = resolveInstrument(ch.target, this.ctx.instruments);
    if (!inst) throw symbolNotFound(p.channel);
    const limitRaw = p.limit === undefined || p.limit === null ? MAX_KLINE_REQ_LIMIT : Number(p.limit);
    if (!Number.isInteger(limitRaw) || limitRaw <= 0) throw badRequest('param.limit must be a positive integer (at most 200)');
    const limit = Math.min(limitRaw, MAX_KLINE_REQ_LIMIT);
    const endTime = p.endTime === undefined || p.endTime === null ? null : Number(p.endTime);
    if (endTime !== null && !Number.isFinite(endTime)) throw badRequest('param.endTime must be seconds or null');
    const intervalMs = KLINE_INTERVALS[ch.interval];
    // One more than asked: a history source may include a candle opening exactly at endTime, which is excluded here.
    const history = this.ctx.klineHistory ? this.ctx.klineHistory(inst, intervalMs, endTime === null ? null : endTime * 1000, limit + 1) : [];
    if (history === null) {
      // A replay whose recording holds no candles of this interval: refused like a SUB of a stream it did not record.
      const held = (this.ctx.klineIntervalsMs?.(inst) ?? []).map((ms) => Object.keys(KLINE_INTERVALS).find((name) => KLINE_INTERVALS[name] === ms) ?? `${ms} ms`);
      throw badRequest(`channel "${p.channel}": the recording holds no ${ch.interval} k-lines of ${symbolOf(inst)} (it holds: ${held.length > 0 ? held.join(', ') : 'none'})`);
    }
    const endMs = endTime === null ? Infinity : endTime * 1000;
    const items = history.filter((k) => k.openTsMs < endMs).slice(-limit);
    const interval = ch.interval;
    this.send({
      T: 'resp',
      channel: p.channel,
      symbol: symbolOf(inst),
      instrumentId: inst.id,
      item: items.map((k) => klineItem(interval, k)),
      sid: this.sid,
    });
  }

  // -------------------------------------------------------------------------------------------
  // Data

  /** Replay of a recorded sequence gap: the exchange's `S` skipped here, so this session's does too. */
  onGap(_stream: StreamSpec | null, lostFrames: number): void {
    if (lostFrames <= 0) return;
    this.outbox.pushData(() => (this.seq += lostFrames));
  }

  deliver(stream: StreamSpec, item: FeedItem): void {
    if (this.closed) return;
    if (this.outbox.idle) this.deliverNow(stream, item);
    else this.outbox.pushData(() => this.deliverNow(stream, item));
  }

  /** Sends one feed item to every channel consuming its stream, each under its own name. */
  private deliverNow(stream: StreamSpec, item: FeedItem): void {
    if (this.closed) return;
    const names = this.consumers.get(stream.key);
    if (!names) return;
    for (const name of names) {
      if (name === ALL_TICKER && stream.key !== ALL_TICKER) {
        // an instrument's ticker feeding the array: the simulator's event, or a replay's recorded push
        const element = item.type === 'event' ? (item.event.type === 'ticker' ? allTickersElement(item.event) : null) : recordedAllTickersElement(parseJsonObject(item.payload) ?? {});
        if (element) this.queueTicker(element);
        continue;
      }
      const sub = this.subs.get(name);
      if (!sub) continue;
      if (item.type === 'recorded') {
        if (sub.filtered && !this.recordedMatches(sub.parsed, item.payload)) continue;
        // Replay: the recorded bytes with this session's S (and sid) and the client's channel name,
        // written once, into the batch going to the socket; see restamp.ts.
        sub.msgCount += 1;
        this.seq += 1;
        const length = this.restamper.plan(item.payload, this.seq, this.sid, sub.parsed.target.kind === 'all' ? null : sub.written);
        this.link.sendWith(length, this.restamper, item.binary);
        continue;
      }
      if (name === ALL_TICKER) {
        if (item.event.type === 'ticker') this.queueTicker(allTickersElement(item.event));
        continue;
      }
      const body = this.push(sub, item.event);
      if (body) {
        sub.msgCount += 1;
        this.write(body);
      }
    }
  }

  /** The native push of one event for one subscribed channel, or null when the event is not for it. */
  private push(sub: Subscription, e: MarketEvent): Record<string, unknown> | null {
    const ch = sub.parsed;
    const written = sub.written;
    switch (e.type) {
      case 'trade':
        return ch.type === 'trade' ? { T: 'trade', ...tradeBody(written, e) } : null;
      case 'book':
        return ch.type === 'depth' && ch.levels ? { T: 'depth', ...depthBody(written, ch.levels, e) } : null;
      case 'kline':
        return ch.type === 'kline' && ch.interval && KLINE_INTERVALS[ch.interval] === e.intervalMs ? { T: 'kline', ...klineBody(written, ch.interval, e) } : null;
      case 'ticker':
        return ch.type === 'ticker' ? { T: 'ticker', ...tickerBody(written, e) } : null;
      case 'balance':
        return ch.type === 'account' && this.currencyMatches(ch, e.currency) ? { T: 'account', ...accountBody(written, e) } : null;
      case 'order':
        return ch.type === 'order' && this.orderMatches(ch, e) ? { T: 'order', ...orderBody(written, e, this.currencyId) } : null;
      default:
        return null; // fills arrive inside order pushes; positions and windows do not exist here
    }
  }

  private currencyMatches(ch: ParsedChannel, currency: string): boolean {
    if (ch.target.kind === 'all') return true;
    const cur = currency.toUpperCase();
    if (ch.target.kind === 'id') return this.currencyId(cur) === ch.target.id;
    return ch.target.name.toUpperCase() === cur;
  }

  private symbolMatches(ch: ParsedChannel, symbol: string): boolean {
    if (ch.target.kind === 'all') return true;
    const inst: Instrument | undefined = resolveInstrument(ch.target, this.ctx.instruments);
    if (inst) return symbolOf(inst) === symbol.replace(/[^a-z0-9]/gi, '').toUpperCase();
    return ch.target.kind === 'name' && ch.target.name.toUpperCase() === symbol.toUpperCase();
  }

  private orderMatches(ch: ParsedChannel, e: OrderEvent): boolean {
    return this.symbolMatches(ch, symbolOf(e.inst));
  }

  /** A recorded private push served from the account-wide stream: is it this channel's currency or symbol? */
  private recordedMatches(ch: ParsedChannel, payload: Uint8Array): boolean {
    const m = parseJsonObject(payload);
    const body = m && Array.isArray(m.data) ? (m.data[0] as Record<string, unknown> | undefined) : m;
    if (!body || typeof body !== 'object') return false;
    if (ch.type === 'account') return typeof body.currency === 'string' && this.currencyMatches(ch, body.currency);
    return typeof body.symbol === 'string' && this.symbolMatches(ch, body.symbol);
  }

  /**
   * `!@ticker`: tickers arriving in one event-loop turn go out as one array push. A second ticker of
   * an instrument already waiting sends the waiting array first, so none is lost (a replay at
   * `--speed max` delivers many recorded tickers in one turn).
   */
  private queueTicker(element: Record<string, unknown>): void {
    const id = String(element.instrumentId);
    if (this.pendingTickers.has(id)) this.flushTickers();
    this.pendingTickers.set(id, element);
    if (this.tickerFlush) return;
    this.tickerFlush = setImmediate(() => {
      this.tickerFlush = null;
      this.flushTickers();
    });
  }

  private flushTickers(): void {
    const sub = this.subs.get(ALL_TICKER);
    const elements = [...this.pendingTickers.values()];
    this.pendingTickers.clear();
    if (!sub || elements.length === 0 || this.closed) return;
    sub.msgCount += 1;
    this.send({ T: 'ticker', ...allTickersBody(elements) });
  }
}
