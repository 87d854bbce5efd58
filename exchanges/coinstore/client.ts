/**
 * Coinstore client side (the recorder's view): connection plan, LOGIN / SUB / UNSUB messages, the
 * `{"op":"pong"}` keep-alive and reading of incoming frames. No I/O: the recorder owns the socket
 * (and answers the server's WebSocket ping frames, as every WebSocket library does).
 */
import { TicktapeError } from '../../core/errors.js';
import type { ClientSession, ClientSessionOptions, ClientSide, FrameInfo, OutFrame, StreamSpec } from '../types.js';
import { CHANNEL_HELP, ENDPOINT, parseChannelName, specOf, wireChannel } from './channels.js';
import { CLIENT_PONG_INTERVAL_MS, CODE_OK, DOC_URL, MAX_CONNECTION_LIFE_MS, MAX_STREAMS_PER_CONNECTION, PRODUCTION_WS_URL, SIM_PATH } from './protocol.js';
import { frameStreamKey, frameTimestampMs, parseServerFrame, tradeSeqs } from './read-frame.js';

/** What replaces the API key in the stored copy of a LOGIN. */
const REDACTED = '***';

const text = (s: string): OutFrame => ({ data: s, binary: false });

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** `user-id` as the doc's example sends it: a number when it is one. */
function userIdValue(userId: string): number | string {
  return /^\d{1,15}$/.test(userId) ? Number(userId) : userId;
}

class CoinstoreClientSession implements ClientSession {
  readonly url: string;
  readonly safeUrl: string;
  readonly heartbeat: ClientSession['heartbeat'];
  private nextId = 1;
  /** Wire channel → stream key of everything this connection asked for. */
  private readonly keyOf = new Map<string, string>();
  private readonly keys = new Set<string>();
  private readonly allStreams = new Set<string>();
  /** The command the last echo confirmed: its resp (which carries no id) is its result. */
  private lastEcho: { op: string; channels: string[] } | null = null;
  private loggedIn = false;

  constructor(private readonly opts: ClientSessionOptions) {
    // Coinstore takes no query parameters and no URL authentication: the URL holds no secret.
    this.url = opts.endpointUrl;
    this.safeUrl = opts.endpointUrl;
    this.heartbeat = {
      intervalMs: CLIENT_PONG_INTERVAL_MS,
      // Unsolicited pong message [DOC]; the server also gets pong frames for its pings.
      frame: () => text(JSON.stringify({ op: 'pong', epochMillis: opts.nowMs() })),
    };
    this.remember(opts.streams);
  }

  private remember(streams: StreamSpec[]): void {
    for (const s of streams) {
      this.keyOf.set(wireChannel(s), s.key);
      this.keys.add(s.key);
      if (s.key.startsWith('!@')) this.allStreams.add(s.key);
    }
  }

  onOpen(): OutFrame[] {
    return this.subscribe(this.opts.streams);
  }

  subscribe(streams: StreamSpec[]): OutFrame[] {
    this.remember(streams);
    const pub = streams.filter((s) => !s.private);
    const priv = streams.filter((s) => s.private);
    const out: OutFrame[] = [];
    if (priv.length > 0) out.push(this.loggedIn ? this.command('SUB', priv) : this.login(priv));
    if (pub.length > 0) out.push(this.command('SUB', pub));
    return out;
  }

  unsubscribe(streams: StreamSpec[]): OutFrame[] {
    return streams.length > 0 ? [this.command('UNSUB', streams)] : [];
  }

  private command(op: 'SUB' | 'UNSUB', streams: StreamSpec[]): OutFrame {
    return text(JSON.stringify({ op, channel: streams.map(wireChannel), id: this.nextId++ }));
  }

  /** LOGIN with the private channels [DOC E-CO1]; the stored copy has the API key replaced. */
  private login(streams: StreamSpec[]): OutFrame {
    const cred = this.opts.credentials ?? {};
    if (!cred.apiKey || !cred.userId) {
      throw new TicktapeError('TT_CREDENTIALS_MISSING', 'Coinstore private channels (account, order) need the credentials apiKey and userId: set TICKTAPE_COINSTORE_API_KEY and TICKTAPE_COINSTORE_USER_ID, or drop the private channels.', {
        exchange: 'coinstore',
        missing: ['apiKey', 'userId'].filter((k) => !cred[k]),
      });
    }
    const id = this.nextId++;
    const build = (token: string) => JSON.stringify({ op: 'LOGIN', channel: streams.map(wireChannel), auth: { 'user-id': userIdValue(cred.userId), token, type: 'api' }, id });
    return { data: build(cred.apiKey), binary: false, stored: Buffer.from(build(REDACTED), 'utf8') };
  }

  private keyFor(channel: string): string {
    const known = this.keyOf.get(channel) ?? this.keyOf.get(channel.toLowerCase());
    if (known) return known;
    try {
      return specOf(parseChannelName(channel)).key;
    } catch {
      return channel;
    }
  }

  /**
   * Stream key of a data push: the key of the subscription it answers, so that every stream the
   * recorder asked for sees its data, whichever spelling the server pushes back (protocols.md §1.5
   * leaves it open). In order: the push's `channel` is one this connection subscribed; the key
   * derived from its `symbol` was subscribed (name form); `<instrumentId>@<type>` was subscribed
   * (id form). Otherwise the symbol-derived key. The normalized rows carry the symbol either way.
   */
  private streamOf(type: string, msg: Record<string, unknown>): string {
    const first = Array.isArray(msg.data) ? (msg.data[0] as Record<string, unknown> | undefined) : msg;
    if (Array.isArray(msg.data) && type === 'ticker') return frameStreamKey(type, msg, this.allStreams);
    const channel = first && typeof first.channel === 'string' ? first.channel.toLowerCase() : null;
    const subscribed = channel ? this.keyOf.get(channel) : undefined;
    if (subscribed) return subscribed;
    const derived = frameStreamKey(type, msg, this.allStreams);
    if (this.keys.has(derived) || !first) return derived;
    const id = first.instrumentId;
    if ((typeof id === 'number' || typeof id === 'string') && derived.includes('@')) {
      const byId = `${id}@${derived.slice(derived.indexOf('@') + 1)}`;
      if (this.keys.has(byId)) return byId;
    }
    return derived;
  }

  onFrame(data: Uint8Array, _binary: boolean): FrameInfo {
    const f = parseServerFrame(data);
    if (f.kind === 'malformed') return { stream: '', malformed: true, control: false };
    const sequences = f.S !== null ? [{ scope: 'session', value: f.S }] : [];
    switch (f.kind) {
      case 'welcome':
        return { stream: '', malformed: false, control: true, sequences };
      case 'echo': {
        const op = typeof f.echo.op === 'string' ? f.echo.op : '';
        const list = Array.isArray(f.echo.channel) ? f.echo.channel : [];
        const channels = list.map((c) => (typeof c === 'string' ? c : c && typeof c === 'object' && typeof (c as { name?: unknown }).name === 'string' ? (c as { name: string }).name : null)).filter((c): c is string => c !== null);
        this.lastEcho = { op, channels };
        return { stream: '', malformed: false, control: true, sequences };
      }
      case 'resp': {
        const info: FrameInfo = { stream: '', malformed: false, control: true, sequences };
        const cmd = this.lastEcho;
        this.lastEcho = null;
        if (!cmd || f.C === null) return info; // LIST / REQ replies, or a resp without its echo
        const ok = f.C === CODE_OK;
        const reason = ok ? undefined : `${f.C} ${f.M}${f.payload ? `: ${f.payload}` : ''}`;
        if (cmd.op === 'SUB' || cmd.op === 'LOGIN') {
          info.acks = cmd.channels.map((c) => ({ stream: this.keyFor(c), ok, ...(reason ? { reason } : {}) }));
        }
        if (cmd.op === 'LOGIN') {
          this.loggedIn = ok;
          info.auth = { ok, ...(reason ? { reason } : {}) };
        }
        return info;
      }
      case 'data': {
        const stream = this.streamOf(f.T, f.msg);
        if (f.T === 'trade' && stream) for (const seq of tradeSeqs(f.msg)) sequences.push({ scope: stream, value: seq });
        return { stream, malformed: false, control: false, sequences, exchangeTsMs: frameTimestampMs(f.msg) };
      }
      case 'other':
        return { stream: '', malformed: false, control: false, sequences };
    }
  }
}

export const clientSide: ClientSide = {
  endpoints: {
    [ENDPOINT]: { url: PRODUCTION_WS_URL, simPath: SIM_PATH, doc: DOC_URL },
  },
  parseChannel: (channel) => specOf(parseChannelName(channel)),
  channelHelp: CHANNEL_HELP,
  credentialFields: ['apiKey', 'userId'],
  /** Private streams get their own sockets (a refused LOGIN then costs no public data); at most 50 streams per socket. */
  planConnections(streams) {
    const pub = streams.filter((s) => !s.private);
    const priv = streams.filter((s) => s.private);
    return [...chunk(pub, MAX_STREAMS_PER_CONNECTION), ...chunk(priv, MAX_STREAMS_PER_CONNECTION)];
  },
  createSession: (opts) => new CoinstoreClientSession(opts),
  maxConnectionLifeMs: MAX_CONNECTION_LIFE_MS,
};
