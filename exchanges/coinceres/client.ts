/**
 * Client side (the recorder's protocol logic, no I/O): the market socket's subscribe arrays, acks
 * and `{"msg_type":"ping"}` heartbeat; the trading socket's signed URL, text `ping` and the poll of
 * biz_type 14/15/16/17 that turns a request/response socket into a recordable stream; the
 * notification socket (client-notify.ts).
 */
import { TicktapeError } from '../../core/errors.js';
import type { ClientSession, ClientSessionOptions, ClientSide, FrameInfo, OutFrame, StreamSpec } from '../types.js';
import { createNotifySession } from './client-notify.js';
import { canonicalContract, CHANNEL_HELP, marketChannelOf, marketKey, parseChannel, TRADING_KEY } from './channels.js';
import {
  ACK_OK,
  ACK_REPEATED,
  BIZ_ACCOUNT,
  BIZ_FILLS,
  BIZ_ORDERS,
  BIZ_POSITIONS,
  DEFAULT_POLL_INTERVAL_MS,
  MARKET_DOC_URL,
  MARKET_PING_INTERVAL_MS,
  MARKET_SIM_PATH,
  MARKET_URL,
  MAX_FILLS_PER_REQUEST,
  MAX_STREAMS_PER_CONNECTION,
  MAX_SUBSCRIPTIONS_PER_FRAME,
  NOTIFY_DOC_URL,
  NOTIFY_SIM_PATH,
  NOTIFY_URL,
  RESULT_OK,
  TRADE_DOC_URL,
  TRADE_PING_INTERVAL_MS,
  TRADE_SIM_PATH,
  TRADE_URL,
} from './protocol.js';
import { handshakeSign } from './sign.js';
import { parseMsString } from './time.js';

const decoder = new TextDecoder('utf-8', { fatal: true });
const text = (s: string, stream?: string): OutFrame => ({ data: s, binary: false, ...(stream ? { stream } : {}) });

function decodeJson(data: Uint8Array, binary: boolean): { ok: true; text: string; value: unknown } | { ok: false; text?: string } {
  if (binary) return { ok: false };
  let t: string;
  try {
    t = decoder.decode(data);
  } catch {
    return { ok: false };
  }
  try {
    return { ok: true, text: t, value: JSON.parse(t) };
  } catch {
    return { ok: false, text: t };
  }
}

// ------------------------------------------------------------------------------------------------
// Market socket

/** The subscribe (or, ASSUMPTION, unsubscribe) element of one stream, keys in the doc's order. */
export function subscribeElement(stream: StreamSpec, action: 'subscribe' | 'unsubscribe'): Record<string, string> {
  const el: Record<string, string> = {
    msg_type: `${action}-${String(stream.params.channel)}`,
    exchange: String(stream.params.venue),
    contract: stream.symbol ?? '',
  };
  if (stream.params.channel === 'candle') el.duration = String(stream.params.interval);
  return el;
}

function arrays(streams: StreamSpec[], action: 'subscribe' | 'unsubscribe'): OutFrame[] {
  const out: OutFrame[] = [];
  const market = streams.filter((s) => s.endpoint === 'market');
  for (let i = 0; i < market.length; i += MAX_SUBSCRIPTIONS_PER_FRAME) {
    const chunk = market.slice(i, i + MAX_SUBSCRIPTIONS_PER_FRAME);
    out.push(text(JSON.stringify(chunk.map((s) => subscribeElement(s, action))), chunk.length === 1 ? chunk[0].key : undefined));
  }
  return out;
}

/** Stream key a push or an ack names, from its `msg_type` suffix, `exchange`, `contract` and `duration`. */
function streamKeyOf(msg: Record<string, unknown>, channelName: string): string {
  const channel = marketChannelOf(channelName);
  if (!channel || typeof msg.exchange !== 'string' || typeof msg.contract !== 'string') return '';
  return marketKey(msg.exchange.toUpperCase(), canonicalContract(msg.contract), channel, typeof msg.duration === 'string' ? msg.duration : undefined);
}

export function readMarketFrame(data: Uint8Array, binary: boolean): FrameInfo {
  const parsed = decodeJson(data, binary);
  if (!parsed.ok) return { stream: '', malformed: true, control: false };
  const msg = parsed.value;
  if (Array.isArray(msg)) {
    // Subscription acknowledgements: one element per requested subscription.
    const acks: NonNullable<FrameInfo['acks']> = [];
    for (const el of msg) {
      if (el === null || typeof el !== 'object') continue;
      const e = el as Record<string, unknown>;
      const m = typeof e.msg_type === 'string' ? /^subscribed-(.+)$/.exec(e.msg_type) : null;
      if (!m) continue;
      const stream = streamKeyOf(e, m[1]);
      if (!stream) continue;
      const code = Number(e.code);
      const ok = code === ACK_OK || code === ACK_REPEATED;
      acks.push(ok ? { stream, ok } : { stream, ok, reason: `${code} ${String(e.message ?? '')}`.trim() });
    }
    return acks.length > 0 ? { stream: '', malformed: false, control: true, acks } : { stream: '', malformed: false, control: true };
  }
  if (msg === null || typeof msg !== 'object') return { stream: '', malformed: true, control: false };
  const o = msg as Record<string, unknown>;
  if ('info' in o) return { stream: '', malformed: false, control: true };
  const type = typeof o.msg_type === 'string' ? o.msg_type : '';
  if (type === 'pong') return { stream: '', malformed: false, control: true, exchangeTsMs: parseMsString(o.time) };
  const push = /^push-(.+)$/.exec(type);
  if (push) {
    const stream = streamKeyOf(o, push[1]);
    // A candle's `time` is its open time, not the time of the message.
    return { stream, malformed: stream === '', control: false, exchangeTsMs: push[1] === 'candle' ? null : parseMsString(o.time) };
  }
  return { stream: '', malformed: false, control: false };
}

function createMarketSession(opts: ClientSessionOptions): ClientSession {
  let streams = opts.streams.filter((s) => s.endpoint === 'market');
  return {
    url: opts.endpointUrl,
    safeUrl: opts.endpointUrl,
    onOpen: () => arrays(streams, 'subscribe'),
    onFrame: readMarketFrame,
    heartbeat: { intervalMs: MARKET_PING_INTERVAL_MS, frame: () => text('{"msg_type":"ping"}') },
    subscribe(add) {
      streams = [...streams, ...add.filter((s) => s.endpoint === 'market')];
      return arrays(add, 'subscribe');
    },
    unsubscribe(remove) {
      const keys = new Set(remove.map((s) => s.key));
      streams = streams.filter((s) => !keys.has(s.key));
      // ASSUMPTION: `unsubscribe-<channel>` (not in the 2019-02 protocol; a real server answers 500
      // and keeps pushing, so the recorder reconnects to drop a stream there).
      return arrays(remove, 'unsubscribe');
    },
  };
}

// ------------------------------------------------------------------------------------------------
// Trading socket

interface PollPlan {
  venue: string;
  contracts: string[];
  intervalMs: number;
}

/** Merges the `trading` streams of one connection into one poll plan. */
function pollPlan(streams: StreamSpec[]): PollPlan | null {
  const trading = streams.filter((s) => s.kind === 'trading');
  if (trading.length === 0) return null;
  const contracts = new Set<string>();
  let intervalMs = Number.POSITIVE_INFINITY;
  for (const s of trading) {
    for (const c of String(s.params.contracts ?? '').split(',')) if (c) contracts.add(c);
    intervalMs = Math.min(intervalMs, Number(s.params.intervalMs ?? DEFAULT_POLL_INTERVAL_MS));
  }
  return { venue: String(trading[0].params.venue), contracts: [...contracts], intervalMs };
}

/** The requests of one poll: account, orders, positions, then the fills of each contract. */
function pollRequests(plan: PollPlan): string[] {
  return [
    JSON.stringify({ biz_type: BIZ_ACCOUNT }),
    JSON.stringify({ biz_type: BIZ_ORDERS }),
    JSON.stringify({ biz_type: BIZ_POSITIONS }),
    ...plan.contracts.map((contract) => JSON.stringify({ biz_type: BIZ_FILLS, exchange: plan.venue, contract, count: MAX_FILLS_PER_REQUEST })),
  ];
}

export function readTradeFrame(data: Uint8Array, binary: boolean): FrameInfo {
  const parsed = decodeJson(data, binary);
  if (!parsed.ok) {
    if (parsed.text?.trim() === 'pong') return { stream: '', malformed: false, control: true };
    return { stream: '', malformed: true, control: false };
  }
  const msg = parsed.value;
  if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) return { stream: '', malformed: true, control: false };
  const o = msg as Record<string, unknown>;
  if (!('code' in o)) return { stream: '', malformed: false, control: false };
  // An error reply carries no account data.
  return { stream: TRADING_KEY, malformed: false, control: String(o.code) !== RESULT_OK, exchangeTsMs: null };
}

function createTradeSession(opts: ClientSessionOptions): ClientSession {
  const apiKey = opts.credentials?.apiKey;
  const secret = opts.credentials?.secret;
  if (!apiKey || !secret) {
    throw new TicktapeError('TT_CREDENTIALS_MISSING', 'The coinceres trading socket needs apiKey and secret: set TICKTAPE_COINCERES_API_KEY and TICKTAPE_COINCERES_SECRET (or the config file).', { exchange: 'coinceres', endpoint: opts.endpoint });
  }
  const base = new URL(opts.endpointUrl);
  const query = `api_key=${encodeURIComponent(apiKey)}`;
  const join = (q: string) => `${opts.endpointUrl}${base.search ? '&' : '?'}${q}`;
  let trading = opts.streams.filter((s) => s.kind === 'trading');
  let plan = pollPlan(trading);
  let queue: string[] = [];
  let cycleStartMs = opts.nowMs();
  let lastPingMs = opts.nowMs();
  let answered = false;
  const queries = () => (plan ? pollRequests(plan).length : 0);
  // Ticks per poll period: one per query plus one per ping interval the period spans, so the
  // period holds every query and every ping.
  const tickMs = () => {
    const periodMs = plan?.intervalMs ?? TRADE_PING_INTERVAL_MS;
    return Math.max(1, Math.floor(periodMs / (queries() + Math.ceil(periodMs / TRADE_PING_INTERVAL_MS))));
  };
  const ping = (): OutFrame => {
    lastPingMs = opts.nowMs();
    return text('ping');
  };

  return {
    url: join(`${query}&sign=${handshakeSign(apiKey, secret)}`),
    // The sign is a bearer credential (no timestamp or nonce): it never reaches the data. The
    // api_key stays: it names the account the private rows belong to and grants nothing alone.
    safeUrl: join(query),
    onOpen() {
      // The demo page pings as soon as the socket opens; then the first poll, at once.
      cycleStartMs = opts.nowMs();
      return [ping(), ...(plan ? pollRequests(plan).map((r) => text(r, TRADING_KEY)) : [])];
    },
    onFrame(data, binary) {
      const info = readTradeFrame(data, binary);
      if (!answered && !info.malformed) {
        // The handshake itself authenticated us; the first answer confirms the session works.
        answered = true;
        return { ...info, auth: { ok: true }, ...(plan ? { acks: [{ stream: TRADING_KEY, ok: true }] } : {}) };
      }
      return info;
    },
    get heartbeat() {
      return {
        intervalMs: tickMs(),
        frame: (): OutFrame => {
          // The keep-alive comes first: a long poll must not starve it (the server drops silent sockets).
          if (opts.nowMs() - lastPingMs >= TRADE_PING_INTERVAL_MS) return ping();
          const elapsed = opts.nowMs() - cycleStartMs;
          if (queue.length === 0 && plan && elapsed >= plan.intervalMs) {
            queue = pollRequests(plan);
            // Polls keep a fixed schedule from the first one (no drift by a tick per period); a
            // poll that ran late past whole periods does not try to catch up.
            cycleStartMs += Math.floor(elapsed / plan.intervalMs) * plan.intervalMs;
          }
          const next = queue.shift();
          return next ? text(next, TRADING_KEY) : ping();
        },
      };
    },
    subscribe(add) {
      const added = add.filter((s) => s.kind === 'trading');
      if (added.length === 0) return [];
      trading = [...trading, ...added];
      plan = pollPlan(trading);
      return plan ? pollRequests(plan).map((r) => text(r, TRADING_KEY)) : [];
    },
    unsubscribe(remove) {
      // Nothing to tell the server: the poll just stops.
      if (remove.some((s) => s.kind === 'trading')) {
        trading = [];
        plan = null;
        queue = [];
      }
      return [];
    },
  };
}

export const client: ClientSide = {
  endpoints: {
    market: { url: MARKET_URL, simPath: MARKET_SIM_PATH, doc: MARKET_DOC_URL },
    trade: { url: TRADE_URL, simPath: TRADE_SIM_PATH, doc: TRADE_DOC_URL },
    notify: { url: NOTIFY_URL, simPath: NOTIFY_SIM_PATH, doc: NOTIFY_DOC_URL },
  },
  parseChannel,
  channelHelp: CHANNEL_HELP,
  credentialFields: ['apiKey', 'secret'],
  planConnections(streams) {
    const market = streams.filter((s) => s.endpoint === 'market');
    const trading = streams.filter((s) => s.endpoint === 'trade');
    const notify = streams.filter((s) => s.endpoint === 'notify');
    const groups: StreamSpec[][] = [];
    for (let i = 0; i < market.length; i += MAX_STREAMS_PER_CONNECTION) groups.push(market.slice(i, i + MAX_STREAMS_PER_CONNECTION));
    // One trading socket per account: every trading channel shares its poll.
    if (trading.length > 0) groups.push(trading);
    // One notification socket per account: it pushes every notice of the account.
    if (notify.length > 0) groups.push(notify.slice(0, 1));
    return groups;
  },
  createSession(opts) {
    if (opts.endpoint === 'notify') return createNotifySession(opts);
    return opts.endpoint === 'trade' ? createTradeSession(opts) : createMarketSession(opts);
  },
  maxConnectionLifeMs: null,
};
